#include "runtime/supervise.h"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace sangja {

sigset_t forwardedSignals() {
  sigset_t set;
  sigfillset(&set);
  for (int sig : {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS}) {
    sigdelset(&set, sig);
  }
  return set;
}

int exitStatusOf(int waitStatus) {
  if (WIFEXITED(waitStatus)) return WEXITSTATUS(waitStatus);
  if (WIFSIGNALED(waitStatus)) return 128 + WTERMSIG(waitStatus);
  return 255;
}

Result<int> superviseProcess(InitProcess& process, const sigset_t& signals) {
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&signals, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      return Error::fromErrno("wait for signals");
    }
    if (sig != SIGCHLD) {
      ::syscall(SYS_pidfd_send_signal, process.pidfd(), sig, nullptr, 0);
      continue;
    }
    int status = 0;
    pid_t r = ::waitpid(process.pid(), &status, WNOHANG);
    if (r == process.pid()) {
      process.release();
      return exitStatusOf(status);
    }
  }
}

}  // namespace sangja
