# Runs EXE (under EMULATOR when cross-built: Wine); passes when it exits 0
# and its whole stdout matches EXPECT (Windows' line ends read as \n).
execute_process(COMMAND ${EMULATOR} ${EXE} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REPLACE "\r\n" "\n" out "${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} exited with ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "output does not match ${EXPECT}:\n${out}")
endif()
message("${out}")
