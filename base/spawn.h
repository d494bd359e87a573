// The one way sangja starts a process of its own: a clone (clone3 where the
// kernel has it, else clone) into new namespaces and, with clone3, straight
// into a cgroup, with a pidfd; and ChildProcess, its owner, which kills and
// reaps it unless it was waited for or released.
//
// The child runs main(arg) and must end in execve or _exit: it is a copy of
// the parent (no CLONE_VM), and what it may do is what any code between
// clone and exec may do (no allocation, no exceptions, no locks).
#pragma once

#include <sys/types.h>

#include "base/result.h"
#include "base/unique_fd.h"

namespace sangja {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ~ChildProcess() { killAndReap(); }

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }  // -1 when the kernel gave none
  // Blocks until it exits; its wait status. Afterwards it is no longer ours.
  [[nodiscard]] Result<int> wait();
  void killAndReap();
  // It outlives this owner (a create's init): never killed nor reaped here.
  pid_t release();

 private:
  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

struct SpawnOptions {
  unsigned long namespaces = 0;  // CLONE_NEW* flags
  int cgroupFd = -1;             // CLONE_INTO_CGROUP, when clone3 is there
  // CLONE_PARENT: the child is our parent's, not ours (a helper that must
  // leave no child of its own); then it sends no exit signal and gets no
  // owner here: the result's child is released already.
  bool siblingOfUs = false;
};

struct Spawned {
  ChildProcess child;  // empty with siblingOfUs
  pid_t pid = -1;
  bool inCgroup = false;  // false with cgroupFd >= 0: the caller must place it
};

// In the child, main(arg) runs and must not return (if it does: _exit(127)).
[[nodiscard]] Result<Spawned> spawn(const SpawnOptions& options, void (*main)(void*), void* arg);

// The same, child-safe (from a process between clone and exec): the pid or
// -errno; *pidfd is -1 unless the kernel gave one. *inCgroup is written
// before each clone it tries, so the child, reading it through main's arg,
// sees the answer for the clone that made it.
long spawnFromChild(const SpawnOptions& options, void (*main)(void*), void* arg, int* pidfd,
                    bool* inCgroup);

}  // namespace sangja
