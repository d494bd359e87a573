// Starts the container init: one clone3 into the new namespaces and the
// container's cgroup, then the child walks a prepared plan (containerInit)
// while the parent waits on the sync channel for "ready" or an error.
// No re-exec of the runtime binary: the init is a copy of this process
// until it execs the container's program.
#pragma once

#include <sys/types.h>

#include <functional>

#include "base/result.h"
#include "base/spawn.h"
#include "base/unique_fd.h"
#include "namespaces/mount.h"
#include "namespaces/namespaces.h"
#include "namespaces/net_devices.h"
#include "namespaces/time.h"
#include "namespaces/user.h"
#include "namespaces/uts.h"
#include "runtime/process/console.h"
#include "runtime/process/exec_guard.h"
#include "runtime/process/process.h"
#include "runtime/process/process_attrs.h"
#include "runtime/process/seccomp.h"

namespace sangja {

struct LaunchPlan {
  ns::NamespacePlan namespaces;
  ns::UserPlan user;
  ns::TimePlan time;
  ns::UtsPlan uts;
  ns::NetDevicePlan netDevices;  // moved by the parent once the init is cloned
  mnt::RootfsPlan rootfs;
  // exec (planExec): the process joins a live container's namespaces
  // (planned in `namespaces`) and then this root of its init (O_PATH);
  // `rootfs` is not set up. Invalid: a new container (planInit).
  UniqueFd joinRoot;
  ProcessPlan process;
  ProcessAttrs attrs;
  console::ConsolePlan console;  // process.terminal (runtime/process/console.h)
  int preserveFds = 0;
  // Name of a new session keyring to join; empty: keep the runtime's
  // (--no-new-keyring).
  std::string sessionKeyring;
  seccomp::Program seccomp;  // linux.seccomp, compiled; empty: none
  // Pause once the mounts are done, before pivot_root, for create's hooks
  // (runtime/lifecycle/hooks.h): the init sends kHooks and waits for kGo.
  bool pauseForHooks = false;
  // The init's exec goes through a sealed trampoline (runtime/process/exec_guard.h).
  ExecGuard execGuard;
  // Signals the child sets back to their default (base/signal_dispositions.h).
  uint64_t signalsToReset = ~uint64_t{0};
  // The runtime lacks real root (--rootless): it could not come back from
  // a pid namespace it joined, so a helper joins it and clones the process.
  bool rootless = false;

  bool joinsContainer() const { return joinRoot.valid(); }
};

// What the caller made for the init once the plan was built (a create's
// state directory, cgroup and exec fifo): fds the child drops or uses.
struct InitWiring {
  // fds the init closes first: host directories a process in the container
  // could walk out of through /proc/<init>/fd, and the state directory,
  // whose lock goes with it otherwise (flock follows the open file, which
  // clone shares). At ready it closes all the rest it does not need.
  std::vector<int> closeFirst;
  // created containers wait here for `start`; -1: wait for kGo instead.
  int execFifoFd = -1;
};

// A container init that reported ready. Kills and reaps it on destruction
// unless released.
class InitProcess {
 public:
  InitProcess() = default;
  InitProcess(ChildProcess process, UniqueFd channel)
      : channel_(std::move(channel)), process_(std::move(process)) {}

  pid_t pid() const { return process_.pid(); }
  int pidfd() const { return process_.pidfd(); }
  int channel() const { return channel_.get(); }

  // Lets it go: the caller is no longer responsible for it.
  void release() { process_.release(); }
  // Sends kGo (exec now) to an init waiting on the channel.
  Status start() const;
  // Sends kCreated to an init waiting on its exec fifo: it no longer dies
  // with us (until then it exits when our end of the channel closes).
  Status confirmCreated() const;
  // Waits for it to exit; returns the wait status.
  Result<int> wait() { return process_.wait(); }
  void killAndReap() { process_.killAndReap(); }

 private:
  UniqueFd channel_;
  ChildProcess process_;  // declared last: killed before the channel closes
};

// What launchInit calls back into while the init is being set up.
struct LaunchCallbacks {
  // Moves the init into its cgroup while it waits, before it runs anything
  // of the container: where it could not be cloned there (no cgroupFd, as
  // on cgroup v1, or no clone3). Unset: the process has no cgroup of its
  // own.
  std::function<Status(pid_t)> placeInCgroup;
  // The init's seccomp listener fd, as soon as it arrives (before the init
  // reports ready), to pass on to the seccomp agent.
  std::function<Status(pid_t, int)> onSeccompFd;
  // With plan.console.enabled: the pty master the init made, before it
  // reports ready (to the console socket, or kept for run's proxy).
  std::function<Status(UniqueFd)> onConsoleFd;
  // With plan.pauseForHooks: runs create's hooks while the init waits
  // before pivot_root; its error fails the launch.
  std::function<Status(const InitProcess&)> runHooks;
};

// Clones the init into cgroupFd where the kernel can (-1: none to clone
// into; callbacks.placeInCgroup places it) and waits until it is set up. On error the child is gone
// and the error says what failed in it.
[[nodiscard]] Result<InitProcess> launchInit(const LaunchPlan& plan, const InitWiring& wiring,
                                             int cgroupFd, const LaunchCallbacks& callbacks);

}  // namespace sangja
