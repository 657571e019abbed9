include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS tempio EXPORT tempio-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/tempio DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT tempio-targets NAMESPACE tempio::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tempio)
configure_package_config_file(cmake/tempio-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/tempio-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tempio)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tempio-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tempio-config.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/tempio-config-version.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tempio)
