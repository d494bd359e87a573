// The product's answer to "guard the container's exec?" (runtime/process/exec_guard.h).
// Alone in its translation unit: a test-only binary links a replacement
// object that says no (tests/unguarded/exec_guard_off.cc), and the linker
// then never pulls this one out of libsangja.
#include "runtime/process/exec_guard.h"

namespace sangja {

bool execGuardEnabled() {
  return true;
}

}  // namespace sangja
