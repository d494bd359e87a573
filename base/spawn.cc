#include "base/spawn.h"

#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

#include "base/child_entry.h"

namespace sangja {

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    killAndReap();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
  }
  return *this;
}

Result<int> ChildProcess::wait() {
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_) break;
    if (r < 0 && errno != EINTR) return Error::fromErrno("wait for child " + std::to_string(pid_));
  }
  pid_ = -1;
  pidfd_.reset();
  return status;
}

void ChildProcess::killAndReap() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  pidfd_.reset();
}

pid_t ChildProcess::release() {
  pidfd_.reset();
  return std::exchange(pid_, -1);
}

long spawnFromChild(const SpawnOptions& options, void (*main)(void*), void* arg, int* pidfd,
                    bool* inCgroup) {
  *pidfd = -1;
  clone_args args{};
  args.flags = options.namespaces;
  if (options.siblingOfUs) {
    args.flags |= CLONE_PARENT;  // exit_signal must be 0 with CLONE_PARENT
  } else {
    args.flags |= CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(pidfd);
    args.exit_signal = SIGCHLD;
  }
  if (options.cgroupFd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(options.cgroupFd);
  }
  *inCgroup = options.cgroupFd >= 0;  // before the clone: the child reads it too
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) {
    // Before Linux 5.7 (CLONE_INTO_CGROUP) or 5.3 (clone3): plain clone;
    // the caller places the child in its cgroup.
    unsigned long flags = options.namespaces | (options.siblingOfUs ? CLONE_PARENT : SIGCHLD);
    *pidfd = -1;
    *inCgroup = false;  // before the clone: the child reads it too
    pid = ::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr);
  }
  if (pid < 0) return -errno;
  if (pid == 0) {
    child::childEntered();
    main(arg);
    ::_exit(127);
  }
  return pid;
}

Result<Spawned> spawn(const SpawnOptions& options, void (*main)(void*), void* arg) {
  int pidfd = -1;
  bool inCgroup = false;
  long pid = spawnFromChild(options, main, arg, &pidfd, &inCgroup);
  if (pid < 0) return Error::fromErrno(static_cast<int>(-pid), "clone");
  Spawned out;
  out.pid = static_cast<pid_t>(pid);
  out.inCgroup = inCgroup;
  if (!options.siblingOfUs) out.child = ChildProcess(out.pid, UniqueFd(pidfd));
  return out;
}

}  // namespace sangja
