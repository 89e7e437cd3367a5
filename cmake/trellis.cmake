# Helpers shared by every subsystem: one static library per subsystem and one
# gtest binary per subsystem, all with the same warning flags.

function(trellis_warnings target)
  # Designated initializers of Options structs leave the rest at their defaults on purpose.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers
                                           # GCC 12 false positives on string +, PR105329
                                           $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
  if(TRELLIS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# trellis_add_library(name SOURCES ... DEPS ...)
function(trellis_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  # -fPIC: the Python extensions (python/) link these archives into shared objects.
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
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

# TRELLIS_SANITIZE and TRELLIS_FUZZ: compile and link flags for every target. A sanitizer report
# is an error (no recovery), so a test or fuzzer that triggers one fails.
macro(trellis_sanitizer_flags)
  if(TRELLIS_SANITIZE)
    add_compile_options(-fsanitize=${TRELLIS_SANITIZE} -fno-sanitize-recover=all
                        -fno-omit-frame-pointer -g)
    add_link_options(-fsanitize=${TRELLIS_SANITIZE})
  endif()
  if(TRELLIS_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
      message(FATAL_ERROR "TRELLIS_FUZZ needs clang (CXX=clang++-14), not ${CMAKE_CXX_COMPILER_ID}")
    endif()
    # Libraries get the coverage instrumentation without libFuzzer's main; the fuzz targets
    # add -fsanitize=fuzzer (trellis_add_fuzzer).
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                        -fno-omit-frame-pointer -g)
    add_link_options(-fsanitize=address,undefined)
    add_custom_target(trellis_fuzzers)
  endif()
endmacro()

# trellis_add_fuzzer(name SOURCES ... LIBS ...): a libFuzzer target, built only with
# TRELLIS_FUZZ=ON into build-fuzz/fuzz/<name>. Convention: the source sits beside the code it
# tests as <name>_fuzz.cpp, its seed corpus in fuzz/corpus/<name>/; scripts/fuzz.sh builds
# every target of trellis_fuzzers and runs each on a copy of its corpus.
function(trellis_add_fuzzer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT TRELLIS_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  trellis_warnings(${name})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz)
  add_dependencies(trellis_fuzzers ${name})
endfunction()
