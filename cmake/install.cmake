# `cmake --install`: the library, its headers, and what finds them again:
#   <libdir>/cmake/tempio/   tempio-config.cmake (find_package), its version
#                            file, the exported targets, Findliburing.cmake
#   <libdir>/pkgconfig/      tempio.pc (pkg-config)
# The build tree gets its own tempio-config.cmake too: -Dtempio_DIR=<build dir>
# uses the library without installing it.
include(CMakePackageConfigHelpers)

set(TEMPIO_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/tempio
    CACHE STRING "Where tempio-config.cmake is installed (relative to the prefix)")
mark_as_advanced(TEMPIO_INSTALL_CMAKEDIR)

install(TARGETS tempio EXPORT tempio-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tempio DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")

# CMake: the installed package and the build-tree package.
install(EXPORT tempio-targets NAMESPACE tempio:: DESTINATION ${TEMPIO_INSTALL_CMAKEDIR})
export(EXPORT tempio-targets NAMESPACE tempio:: FILE ${PROJECT_BINARY_DIR}/tempio-targets.cmake)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tempio-config.cmake.in
  ${PROJECT_BINARY_DIR}/install-config/tempio-config.cmake
  INSTALL_DESTINATION ${TEMPIO_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tempio-config.cmake.in
  ${PROJECT_BINARY_DIR}/tempio-config.cmake
  INSTALL_DESTINATION ${PROJECT_BINARY_DIR} INSTALL_PREFIX ${PROJECT_BINARY_DIR})
# 0.x: a new minor version may break the API (and the ABI: SOVERSION is
# major.minor, src/CMakeLists.txt).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tempio-config-version.cmake
  COMPATIBILITY SameMinorVersion)
set(tempio_config_files ${PROJECT_BINARY_DIR}/install-config/tempio-config.cmake
                        ${PROJECT_BINARY_DIR}/tempio-config-version.cmake)
if(TEMPIO_USES_LIBURING)
  # tempio-config.cmake finds liburing with the module next to it.
  list(APPEND tempio_config_files ${PROJECT_SOURCE_DIR}/cmake/Findliburing.cmake)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/Findliburing.cmake
                 ${PROJECT_BINARY_DIR}/Findliburing.cmake COPYONLY)
endif()
install(FILES ${tempio_config_files} DESTINATION ${TEMPIO_INSTALL_CMAKEDIR})

# pkg-config. A shared libtempio records its own dependencies, so liburing is
# only needed to link statically (Libs.private). A static libtempio.a cannot:
# its dependencies go in Libs, so that `pkg-config --libs tempio` links
# without --static. -pthread is public either way (Asio, in the headers).
set(TEMPIO_PC_CFLAGS "")
set(TEMPIO_PC_LIBS "")
set(TEMPIO_PC_LIBS_PRIVATE "")
foreach(dir IN LISTS Boost_INCLUDE_DIRS)
  if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    string(APPEND TEMPIO_PC_CFLAGS " -I${dir}")
  endif()
endforeach()
if(TEMPIO_USES_LIBURING)
  get_filename_component(liburing_dir "${liburing_LIBRARY}" DIRECTORY)
  set(liburing_flags "-luring")
  if(NOT liburing_dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    set(liburing_flags "-L${liburing_dir} -luring")
  endif()
  get_target_property(tempio_type tempio TYPE)
  if(tempio_type STREQUAL "STATIC_LIBRARY")
    string(APPEND TEMPIO_PC_LIBS " ${liburing_flags}")
  else()
    set(TEMPIO_PC_LIBS_PRIVATE "${liburing_flags}")
  endif()
endif()
foreach(kind LIB INCLUDE)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}DIR}")
    set(TEMPIO_PC_${kind}DIR "${CMAKE_INSTALL_${kind}DIR}")
  else()
    set(TEMPIO_PC_${kind}DIR "\${prefix}/${CMAKE_INSTALL_${kind}DIR}")
  endif()
endforeach()
# The prefix is filled in at install time, so that `cmake --install --prefix`
# is honoured: the first pass leaves @TEMPIO_PC_PREFIX@ in place.
set(TEMPIO_PC_PREFIX "@TEMPIO_PC_PREFIX@")
configure_file(${PROJECT_SOURCE_DIR}/cmake/tempio.pc.in ${PROJECT_BINARY_DIR}/tempio.pc.in @ONLY)
install(CODE "set(TEMPIO_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
configure_file(\"${PROJECT_BINARY_DIR}/tempio.pc.in\" \"${PROJECT_BINARY_DIR}/tempio.pc\" @ONLY)")
install(FILES ${PROJECT_BINARY_DIR}/tempio.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
