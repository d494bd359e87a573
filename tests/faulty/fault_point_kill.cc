// sangja-faulty's fault point: SIGKILL at the phase $SANGJA_FAULT_AT names
// (base/fault_point.h). Test builds only.
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fault_point.h"

namespace sangja {

void faultPoint(std::string_view phase) {
  static const char* target = ::getenv("SANGJA_FAULT_AT");
  if (target != nullptr && phase == target) ::kill(::getpid(), SIGKILL);
}

}  // namespace sangja
