# Helpers so every component folder declares itself in a few lines.
# confab_library(<name> SOURCES ... DEPS ...): one static library per component folder.
function(confab_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# confab_test(<name> SOURCES ... DEPS ...): a doctest executable registered with CTest.
function(confab_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT CONFAB_TESTS)
    return()
  endif()
  add_executable(${name} ${CMAKE_SOURCE_DIR}/tests/doctest_main.cpp ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR} ${DOCTEST_INCLUDE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_compile_definitions(${name} PRIVATE
    CONFAB_SOURCE_DIR="${CMAKE_SOURCE_DIR}" CONFAB_SHARED_DIR="${CONFAB_SHARED_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 120)
endfunction()
