// sangja-childcheck's childEntered (base/child_entry.h): from then on, in
// that process, malloc, calloc, realloc, free and a C++ throw write what
// happened to stderr and _exit(kChildTrapStatus). The allocator functions
// replace glibc's for the whole program (glibc's own internal calls go
// through them too) and otherwise forward to it; the throw is reached
// through the linker's --wrap. Test builds only.
#include "tests/childcheck/child_trap.h"

#include <unistd.h>

#include <cstddef>
#include <typeinfo>

#include "base/child_entry.h"

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void __libc_free(void* p);
[[noreturn]] void __real___cxa_throw(void* thrown, std::type_info* type, void (*destroy)(void*));
}

namespace {

bool armed = false;  // in a child of spawn, before its exec

void trapIfArmed(const char* what) {
  if (!armed) return;
  static const char kPrefix[] = "sangja-childcheck: ";
  static const char kSuffix[] = " between clone and exec\n";
  size_t n = 0;
  while (what[n] != '\0') ++n;
  (void)!::write(2, kPrefix, sizeof kPrefix - 1);
  (void)!::write(2, what, n);
  (void)!::write(2, kSuffix, sizeof kSuffix - 1);
  ::_exit(sangja::kChildTrapStatus);
}

}  // namespace

namespace sangja::child {

void childEntered() {
  armed = true;
}

}  // namespace sangja::child

extern "C" {

void* malloc(size_t size) {
  trapIfArmed("malloc");
  return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) {
  trapIfArmed("calloc");
  return __libc_calloc(count, size);
}

void* realloc(void* p, size_t size) {
  trapIfArmed("realloc");
  return __libc_realloc(p, size);
}

void free(void* p) {
  if (p == nullptr) return;
  trapIfArmed("free");
  __libc_free(p);
}

[[noreturn]] void __wrap___cxa_throw(void* thrown, std::type_info* type, void (*destroy)(void*)) {
  trapIfArmed("throw");
  __real___cxa_throw(thrown, type, destroy);
}

}  // extern "C"
