# Cross-building tempio for Windows on Debian: MinGW-w64's GCC 12 with POSIX
# threads (g++-mingw-w64-x86-64-posix: std::thread, std::mutex), the tests run
# under Wine (CMAKE_CROSSCOMPILING_EMULATOR), docs/platforms.md.
#   cmake --preset windows && cmake --build --preset windows && ctest --preset windows
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# One executable with no DLL beside it: Wine finds libstdc++ and winpthreads
# inside it.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
# Every test program runs under Wine (scripts/wine-run.sh: quiet, its own
# prefix).
get_filename_component(_tempio_root "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
set(CMAKE_CROSSCOMPILING_EMULATOR "${_tempio_root}/scripts/wine-run.sh")
# Boost is header-only for tempio: Debian's headers serve the cross build too,
# reached through a directory holding only a `boost` link (-I/usr/include
# would pull in glibc's headers before MinGW's).
set(TEMPIO_BOOST_HEADERS_ONLY "/usr/include/boost" CACHE PATH "Boost headers for a cross build")
