#include "runtime/lifecycle/supervise.h"

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

std::optional<int> onForwardedSignal(InitProcess& process, int sig) {
  if (sig != SIGCHLD) {
    ::syscall(SYS_pidfd_send_signal, process.pidfd(), sig, nullptr, 0);
    return std::nullopt;
  }
  int status = 0;
  if (::waitpid(process.pid(), &status, WNOHANG) != process.pid()) return std::nullopt;
  process.release();
  return exitStatusOf(status);
}

Result<int> superviseProcess(InitProcess& process, const sigset_t& signals) {
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&signals, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      return Error::fromErrno("wait for signals");
    }
    if (std::optional<int> status = onForwardedSignal(process, sig)) return *status;
  }
}

Result<std::optional<console::TerminalProxy>> attachCallersTerminal(UniqueFd master) {
  if (!master) return std::optional<console::TerminalProxy>();
  return std::optional<console::TerminalProxy>(
      TRY(console::TerminalProxy::attach(std::move(master), STDIN_FILENO, STDOUT_FILENO)));
}

Result<int> superviseInForeground(InitProcess& process,
                                  std::optional<console::TerminalProxy>& terminal,
                                  const sigset_t& signals) {
  if (!terminal) return superviseProcess(process, signals);
  return terminal->pump(signals, [&](int sig) { return onForwardedSignal(process, sig); });
}

}  // namespace sangja
