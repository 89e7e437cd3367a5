# Helpers shared by every subsystem: one static library per subsystem and one
# gtest binary per subsystem, all with the same warning flags.

function(trellis_warnings target)
  # Designated initializers of Options structs leave the rest at their defaults on purpose.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers
                                           -Wno-restrict)  # GCC 12 false positives on string +, PR105329
  if(TRELLIS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# trellis_add_library(name SOURCES ... DEPS ...)
function(trellis_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                     PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  trellis_warnings(${name})
endfunction()

# trellis_add_test(name LABEL unit|integration|gpu SOURCES ... DEPS ...)
function(trellis_add_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPS" ${ARGN})
  if(NOT TRELLIS_BUILD_TESTS)
    return()
  endif()
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  trellis_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS ${ARG_LABEL}
                       ENVIRONMENT "TRELLIS_BUILD_DIR=${PROJECT_BINARY_DIR};TRELLIS_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
