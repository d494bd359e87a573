// Linked into sangja-unguarded only (tests/CMakeLists.txt): the same CLI with
// the exec guard off, the runtime as it would be without it. The escape
// test (integration/escape_exe_test.cc) runs its attack against this binary
// to show that the attack works and so that the test can fail. Never
// installed.
#include "runtime/process/exec_guard.h"

namespace sangja {

bool execGuardEnabled() {
  return false;
}

}  // namespace sangja
