#include "base/child_steps.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace sangja::child {

int resetSignals(uint64_t notAtDefault) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG && sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if ((notAtDefault & (uint64_t{1} << (sig - 1))) == 0) continue;
    ::sigaction(sig, &dfl, nullptr);  // EINVAL for the few glibc reserves: fine
  }
  sigset_t none;
  sigemptyset(&none);
  return ::sigprocmask(SIG_SETMASK, &none, nullptr) < 0 ? errno : 0;
}

int setIdentity(uid_t uid, gid_t gid, const gid_t* groups, int nGroups) {
  if (nGroups >= 0 && ::syscall(SYS_setgroups, nGroups, groups) < 0) return errno;
  if (::syscall(SYS_setresgid, gid, gid, gid) < 0) return errno;
  if (::syscall(SYS_setresuid, uid, uid, uid) < 0) return errno;
  return 0;
}

}  // namespace sangja::child
