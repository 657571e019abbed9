# Findliburing: liburing (https://github.com/axboe/liburing), the io_uring
# helper library. Installed with tempio so that tempio-config.cmake can find it.
#
# Result: the imported target liburing::liburing, liburing_FOUND,
# liburing_VERSION (when liburing/io_uring_version.h exists, liburing >= 2.2),
# liburing_INCLUDE_DIR and liburing_LIBRARY (cache variables: set them, or
# liburing_ROOT, to use a liburing outside the default search path).

find_path(liburing_INCLUDE_DIR NAMES liburing.h)
find_library(liburing_LIBRARY NAMES uring)

if(liburing_INCLUDE_DIR AND EXISTS "${liburing_INCLUDE_DIR}/liburing/io_uring_version.h")
  file(STRINGS "${liburing_INCLUDE_DIR}/liburing/io_uring_version.h" _liburing_version_lines
       REGEX "#define IO_URING_VERSION_(MAJOR|MINOR)")
  string(REGEX REPLACE ".*MAJOR[ \t]+([0-9]+).*" "\\1" _liburing_major "${_liburing_version_lines}")
  string(REGEX REPLACE ".*MINOR[ \t]+([0-9]+).*" "\\1" _liburing_minor "${_liburing_version_lines}")
  set(liburing_VERSION "${_liburing_major}.${_liburing_minor}")
  unset(_liburing_version_lines)
  unset(_liburing_major)
  unset(_liburing_minor)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(liburing
  REQUIRED_VARS liburing_LIBRARY liburing_INCLUDE_DIR
  VERSION_VAR liburing_VERSION)

if(liburing_FOUND AND NOT TARGET liburing::liburing)
  add_library(liburing::liburing UNKNOWN IMPORTED)
  set_target_properties(liburing::liburing PROPERTIES
    IMPORTED_LOCATION "${liburing_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${liburing_INCLUDE_DIR}")
endif()
mark_as_advanced(liburing_INCLUDE_DIR liburing_LIBRARY)
