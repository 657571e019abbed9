# `docs`: the API reference from the public headers, with Doxygen
# (Debian: apt-get install doxygen; scripts/docs.sh does it). Output:
# <build dir>/docs/html/index.html. Any Doxygen warning fails the build.
find_package(Doxygen 1.9 QUIET)
if(DOXYGEN_FOUND)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/Doxyfile @ONLY)
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E remove_directory ${PROJECT_BINARY_DIR}/docs
    COMMAND Doxygen::doxygen ${PROJECT_BINARY_DIR}/Doxyfile
    # Doxygen resolves the Markdown links (README.md to docs/*.md) from here.
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "API reference: ${PROJECT_BINARY_DIR}/docs/html/index.html"
    VERBATIM)
else()
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E echo "doxygen (1.9 or newer) was not found: install it (Debian: apt-get install doxygen) and configure again"
    COMMAND ${CMAKE_COMMAND} -E false
    VERBATIM)
endif()
