# Runs each example, with a header, failing on the first that fails.
# EXAMPLES is comma-separated (see CMakeLists.txt).
string(REPLACE "," ";" EXAMPLES "${EXAMPLES}")
foreach(name IN LISTS EXAMPLES)
  message("== ${name} ==")
  execute_process(COMMAND ${BIN_DIR}/example-${name} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "example ${name} failed: ${rc}")
  endif()
endforeach()
