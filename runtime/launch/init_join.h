// Joining a live container: the namespaces and root of its init, opened by
// the runtime so that a new process (a startContainer hook, an `exec`) can
// enter them between its clone and its execve.
//
// Opened through procfs, guarded against pid reuse: /proc/PID is opened
// (and checked to be procfs) while the init's pidfd is held, every link is
// opened relative to that directory, and the init must still be alive once
// all are open; a pidfd's process cannot be replaced by another with the
// same pid, and a /proc/PID directory fd stops resolving once its process
// is gone. Each fd is checked to be a namespace of the expected type.
//
// Only namespaces that differ from ours are kept: joining one's own user
// namespace is EINVAL, and a shared one needs no join. The time namespace
// is the init's time_for_children: a created container's init has unshared
// one it only enters at its exec.
#pragma once

#include <sys/types.h>

#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace sangja {

struct InitNamespaces {
  struct Ns {
    UniqueFd fd;
    int type;          // CLONE_NEW*
    const char* name;  // "ipc", ... (as under /proc/PID/ns)
  };
  // ipc, uts, net, cgroup, time, mnt: every foreign one but user and pid,
  // the mount namespace last.
  std::vector<Ns> others;
  UniqueFd user;  // invalid: the init shares ours
  UniqueFd pid;   // invalid: the init shares ours
  // The init's root directory (O_PATH): setns(CLONE_NEWNS) puts the joiner
  // at the namespace's root, which is not the init's when it runs chrooted
  // (--no-pivot, or a runtime started in a chroot).
  UniqueFd root;
  // /proc/PID of the init (O_PATH), for more of its files.
  UniqueFd procDir;
};

// Parent side. pidfd: the init's pidfd, already checked to be the init
// (its start time); -1: one is opened here.
Result<InitNamespaces> openInitNamespaces(pid_t initPid, int pidfd);

namespace child {

// Child side (no allocation): fchdir to rootFd, chroot there, chdir("/").
// Returns 0 or an errno.
int enterInitRoot(int rootFd);

}  // namespace child

}  // namespace sangja
