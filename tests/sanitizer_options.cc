// Linked into the sanitized test programs (SANGJA_SANITIZE): their
// sanitizer settings, so that ctest, a developer running one by hand and
// libFuzzer all get the same. ASAN_OPTIONS / UBSAN_OPTIONS still override.
#ifndef SANGJA_LLVM_SYMBOLIZER
#define SANGJA_LLVM_SYMBOLIZER "llvm-symbolizer"
#endif

extern "C" const char* __asan_default_options() {
  return "halt_on_error=1:external_symbolizer_path=" SANGJA_LLVM_SYMBOLIZER;
}

extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:external_symbolizer_path=" SANGJA_LLVM_SYMBOLIZER;
}
