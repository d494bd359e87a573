# The sanitized configuration (scripts/build-sanitized.sh): clang with
# AddressSanitizer and UndefinedBehaviorSanitizer on libsangja and everything
# linking it, every UBSan finding fatal. SANGJA_FUZZ adds libFuzzer's
# coverage instrumentation and the harnesses of tests/fuzz/. The ordinary
# (g++) build does not read this file.
option(SANGJA_SANITIZE "build libsangja and its unit tests with ASan+UBSan (clang)" OFF)
option(SANGJA_FUZZ "build the libFuzzer harnesses of tests/fuzz (clang; implies SANGJA_SANITIZE)"
       OFF)
if(SANGJA_FUZZ)
  set(SANGJA_SANITIZE ON)
endif()

add_library(sangja_sanitize INTERFACE)
if(SANGJA_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SANGJA_SANITIZE/SANGJA_FUZZ need clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # A long fuzzing run by hand may drop address for speed (-DSANGJA_SANITIZERS=undefined).
  set(SANGJA_SANITIZERS "address,undefined" CACHE STRING "the -fsanitize= list")
  set(SANGJA_SANITIZE_FLAGS -fsanitize=${SANGJA_SANITIZERS} -fno-sanitize-recover=all)
  target_compile_options(sangja_sanitize INTERFACE ${SANGJA_SANITIZE_FLAGS}
                         -fno-omit-frame-pointer)
  target_link_options(sangja_sanitize INTERFACE ${SANGJA_SANITIZE_FLAGS})
  if(SANGJA_FUZZ)
    # Coverage for libFuzzer without its main(); the harnesses link -fsanitize=fuzzer.
    target_compile_options(sangja_sanitize INTERFACE -fsanitize=fuzzer-no-link)
  endif()
  # The sanitizer settings of the test programs (tests/sanitizer_options.cc).
  find_program(SANGJA_LLVM_SYMBOLIZER NAMES llvm-symbolizer-14 llvm-symbolizer)
  add_library(sangja_sanitizer_options OBJECT ${CMAKE_SOURCE_DIR}/tests/sanitizer_options.cc)
  if(SANGJA_LLVM_SYMBOLIZER)
    target_compile_definitions(sangja_sanitizer_options PRIVATE
      SANGJA_LLVM_SYMBOLIZER="${SANGJA_LLVM_SYMBOLIZER}")
  endif()
  # The CLI's static libstdc++ is for start-up speed, not wanted here.
  set(SANGJA_STATIC_DEPS OFF CACHE BOOL "" FORCE)
endif()
