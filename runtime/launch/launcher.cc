#include "runtime/launch/launcher.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "base/child_steps.h"
#include "base/close_fds.h"
#include "base/file.h"
#include "base/spawn.h"
#include "base/trace.h"
#include "namespaces/bind_sources.h"
#include "namespaces/idmap.h"
#include "namespaces/net.h"
#include "runtime/launch/init_join.h"
#include "runtime/launch/protocol.h"

namespace sangja {

// ---- Child side: everything in `child` runs between clone and execve. ----

namespace child {
namespace {

// A keyring of its own, so the container cannot read the runtime's keys.
void joinSessionKeyring(const LaunchPlan& plan, const ChildChannel& channel) {
  if (plan.sessionKeyring.empty()) return;
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, plan.sessionKeyring.c_str()) < 0 &&
      errno != ENOSYS) {
    channel.fail(errno, "join session keyring", plan.sessionKeyring);
  }
}

// What the init holds while it waits for `start` is what a process in the
// container with CAP_SYS_PTRACE can reach through /proc/1/fd: a host
// directory there (the state store, the cgroup) is a walk by `..` to the
// host's `/`. So every fd goes now but the preserved ones and the three the
// wait and the exec need: the channel, the exec fifo and the trampoline
// (neither of the last two is a directory). CVE-2024-21626 class too:
// nothing of ours reaches the container's program.
void closeAllButWhatTheWaitNeeds(const LaunchPlan& plan, const InitWiring& wiring,
                                 const ChildChannel& channel) {
  unsigned first = 3u + static_cast<unsigned>(plan.preserveFds);
  const int keep[] = {channel.fd(), wiring.execFifoFd, plan.execGuard.trampoline.get()};
  if (int err = closeFdsExcept(first, keep, sizeof keep / sizeof keep[0]); err != 0) {
    channel.fail(err, "close the runtime's fds");
  }
}

// Until `create` has recorded the container, the init is its creator's: a
// creator killed at any moment closes its end of the channel, and the init
// exits rather than live on where no state names it. kCreated ends that
// bond; from then on only `start` (a byte in the fifo) or a signal ends the
// wait. A start that slips in before kCreated is as good: the state exists.
void waitForStart(int execFifoFd, const ChildChannel& channel) {
  if (execFifoFd < 0) {
    if (!channel.waitForGo()) channel.fail(EPIPE, "wait for start: runtime went away");
    return;
  }
  // A fifo with no writer yet polls as not ready: this sleeps until
  // `sangja start` opens it and writes a byte.
  struct pollfd p[2] = {{execFifoFd, POLLIN, 0}, {channel.fd(), POLLIN, 0}};
  nfds_t watched = 2;
  char byte;
  for (;;) {
    int r = ::poll(p, watched, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) ::_exit(126);
    if (p[0].revents != 0) {
      if (::read(execFifoFd, &byte, 1) == 1) return;
      ::_exit(126);  // the fifo closed without a start: nothing to run
    }
    if (watched == 2 && p[1].revents != 0) {
      if (!channel.waitFor(SyncType::kCreated)) ::_exit(126);  // the creator died
      watched = 1;
    }
  }
}

// Mounts are done, pivot_root is next: the parent runs create's hooks now.
void pauseForHooks(const ChildChannel& ch) {
  if (!ch.send(SyncType::kHooks) || !ch.waitForGo()) ::_exit(126);
}

// The container init's checklist, in order. waitForGo: the parent still
// places it in its cgroup or writes its id maps.
[[noreturn]] void containerInit(const LaunchPlan& plan, const InitWiring& wiring,
                                const ChildChannel& ch, bool waitForGo) {
  uint64_t phaseNs[kChildPhases] = {trace::nowNs()};
  for (int fd : wiring.closeFirst) ::close(fd);
  ::umask(0);  // modes in the plan are exact; the process's umask comes last
  int openedSources[mnt::kMaxParentOpenedSources];
  for (int& fd : openedSources) fd = -1;
  if (waitForGo && !ch.waitForGoCollecting(openedSources, mnt::kMaxParentOpenedSources)) {
    ::_exit(126);
  }
  // From the runtime's /proc, before a joined mount namespace replaces it.
  int lsmExecFd = openLsmExecAttr(plan.attrs, ch);
  ns::child::joinNamespaces(plan.namespaces, ch);
  // Both write our own /proc files, which stop being ours once we change
  // uid in a user namespace.
  ns::child::enterNewTimeNamespace(plan.time, ch);
  writeOomScoreAdj(plan.process, ch);
  ns::child::becomeRoot(plan.user, ch);
  ns::child::enterNewIpcNamespace(plan.namespaces, ch);
  ns::child::enterNewCgroupNamespace(plan.namespaces, ch);
  if (plan.namespaces.hasNew(CLONE_NEWNET)) ns::child::bringUpLoopback(ch);
  ns::child::applyUts(plan.uts, ch);
  joinSessionKeyring(plan, ch);
  phaseNs[kPhaseNamespaces] = trace::nowNs();
  if (plan.joinsContainer()) {
    if (int err = enterInitRoot(plan.joinRoot.get()); err != 0) {
      ch.fail(err, "enter the root of the container init");
    }
  } else {
    mnt::child::setupRootfs(plan.rootfs, ch, openedSources,
                            plan.pauseForHooks ? pauseForHooks : nullptr);
  }
  // In the new root, before it turns read-only.
  console::child::setupConsole(plan.console, ch);
  if (!plan.joinsContainer()) mnt::child::finishRootfs(plan.rootfs, ch);
  phaseNs[kPhaseRootfs] = trace::nowNs();
  applyProcessAttrs(plan.attrs, lsmExecFd, ch);
  applyRlimits(plan.process, ch);
  bool inCwd = enterCwdBeforeIdentity(plan.process, ch);
  // seccomp loads at one of three points (seccomp.h, LoadPoint): before
  // the identity change when only CAP_SYS_ADMIN allows it, before ready
  // when its listener fd must reach `create`, else just before execve.
  // What follows must not need a syscall a profile may deny, or fall back.
  seccomp::child::loadFilter(plan.seccomp, seccomp::LoadPoint::kBeforeIdentity, ch);
  applyIdentity(plan.process, ch);
  applyNoNewPrivileges(plan.process, ch);
  closeAllButWhatTheWaitNeeds(plan, wiring, ch);
  enterCwdAfterIdentity(plan.process, inCwd, ch);
  phaseNs[kPhaseIdentity] = trace::nowNs();
  char pathBuf[PATH_MAX];
  // No process (create without one): nothing to find; start never comes.
  const char* exe = plan.process.args.empty()
                        ? nullptr
                        : resolveExecutable(plan.process, pathBuf, sizeof pathBuf, ch);
  ::umask(plan.process.umask.value_or(022));
  seccomp::child::loadFilter(plan.seccomp, seccomp::LoadPoint::kBeforeReady, ch);
  phaseNs[kPhaseReady] = trace::nowNs();
  if (!ch.send(SyncType::kReady, 0, {}, phaseNs)) ::_exit(126);
  waitForStart(wiring.execFifoFd, ch);
  if (exe == nullptr) ::_exit(127);
  if (int err = child::resetSignals(plan.signalsToReset); err != 0) {
    ch.fail(err, "reset signal mask");
  }
  seccomp::child::loadFilter(plan.seccomp, seccomp::LoadPoint::kBeforeExec, ch);
  execContainerProgram(plan.execGuard, exe, plan.process.argv.data(), plan.process.envp.data());
}

}  // namespace
}  // namespace child

// ---- Parent side. ----

namespace {

struct Cloned {
  ChildProcess process;
  bool waitsForGo;     // the init waits for kGo (see containerInit)
  bool placeInCgroup;  // it could not be cloned into its cgroup: we place it
};

struct InitArgs {
  const LaunchPlan* plan;
  const InitWiring* wiring;
  int channel;
  // Our end of the channel: the clone shares it, and the init closes it
  // first, so that our death reads as EOF on its end.
  int parentEnd;
  int cgroupFd;
  bool hasCgroup;  // cloned into cgroupFd, or placed while it waits
  // Set by spawn before each clone it tries: what the child reads is the
  // answer for the clone that made it.
  const bool* inCgroup;
};

// The init waits for kGo while we still have work on it: its cgroup, if
// the clone could not put it there, its id maps, its idmapped trees.
bool initWaitsForGo(const LaunchPlan& plan, bool hasCgroup, bool inCgroup) {
  return (hasCgroup && !inCgroup) || !plan.user.uidMap.empty() ||
         (!plan.joinsContainer() && plan.rootfs.idmappedMounts);
}

void initMain(void* p) {
  const auto* args = static_cast<const InitArgs*>(p);
  ::close(args->parentEnd);
  child::containerInit(*args->plan, *args->wiring, ChildChannel(args->channel),
                       initWaitsForGo(*args->plan, args->hasCgroup, *args->inCgroup));
}

[[noreturn]] void initFromHelper(const void* p) {
  const auto* args = static_cast<const InitArgs*>(p);
  ::close(args->parentEnd);
  child::containerInit(*args->plan, *args->wiring, ChildChannel(args->channel), true);
}

// A user namespace given by path (or only a pid namespace, for a rootless
// runtime): a helper joins it and clones the init, which we then place in
// its cgroup.
Result<Cloned> cloneInJoinedUserNs(const InitArgs& args) {
  const LaunchPlan& plan = *args.plan;
  pid_t pid = TRY(ns::cloneInUserNamespace(plan.namespaces.userNsToJoin.get(),
                                           plan.namespaces.pidNsToJoin.get(),
                                           plan.namespaces.cloneFlags, initFromHelper, &args));
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  return Cloned{ChildProcess(pid, std::move(pidfd)), true, args.hasCgroup};
}

// Straight into its cgroup where the kernel can (clone3 CLONE_INTO_CGROUP),
// else a cgroup.procs write while it waits.
Result<Cloned> cloneInit(const LaunchPlan& plan, const InitWiring& wiring, int cgroupFd,
                         bool hasCgroup, int parentEnd, int childEnd) {
  bool inCgroup = false;
  InitArgs args{&plan, &wiring, childEnd, parentEnd, cgroupFd, hasCgroup, &inCgroup};
  if (plan.namespaces.userNsToJoin || (plan.rootless && plan.namespaces.pidNsToJoin)) {
    return cloneInJoinedUserNs(args);
  }
  SpawnOptions options;
  options.namespaces = plan.namespaces.cloneFlags;
  options.cgroupFd = cgroupFd;
  int pidfd = -1;
  long pid = spawnFromChild(options, initMain, &args, &pidfd, &inCgroup);
  if (pid < 0) return Error::fromErrno(static_cast<int>(-pid), "clone container init");
  return Cloned{ChildProcess(static_cast<pid_t>(pid), UniqueFd(pidfd)),
                initWaitsForGo(plan, hasCgroup, inCgroup), hasCgroup && !inCgroup};
}

// The init is in its new namespaces and waits for kGo: its idmapped trees
// (namespaces/idmap.h) and, in a user namespace, the bind sources it may
// not look up itself (namespaces/bind_sources.h).
Status passMountSources(const LaunchPlan& plan, const InitProcess& init, bool initWaits) {
  if (!initWaits || plan.joinsContainer()) return {};
  if (plan.rootfs.idmappedMounts) {
    for (const ns::OpenedSource& s : TRY(ns::makeIdmappedTrees(plan.rootfs, init.pid()))) {
      TRY(sendMountSource(init.channel(), s.index, s.fd.get()));
    }
  }
  if (plan.rootfs.userNamespace && plan.namespaces.hasNew(CLONE_NEWNS)) {
    for (const ns::OpenedSource& s : TRY(ns::openBindSourcesInInit(plan.rootfs, init.pid()))) {
      TRY(sendMountSource(init.channel(), s.index, s.fd.get()));
    }
  }
  return {};
}

// What the child's checklist (containerInit) reports before it is ready,
// in launch/protocol.h's order.
launch::ChildReports reportsOf(const LaunchPlan& plan) {
  return launch::ChildReports{plan.pauseForHooks && !plan.joinsContainer(), plan.console.enabled,
                              plan.seccomp.listener && !plan.seccomp.filter.empty()};
}

// From the go after the clone to kReady: create's hooks at the pause, then
// the fds the child hands over.
Result<SyncMessage> converseUntilReady(const LaunchPlan& plan, const InitProcess& init,
                                       const LaunchCallbacks& callbacks) {
  launch::ChildReports reports = reportsOf(plan);
  if (reports.hooksPause) {
    TRY(launch::expectFromChild(init.channel(), SyncType::kHooks));
    trace::mark("init paused for hooks");
    if (callbacks.runHooks) TRY(callbacks.runHooks(init));
    TRY(init.start());
    trace::mark("create hooks done");
  }
  if (reports.consoleFd) {
    UniqueFd master;
    TRY(launch::expectFromChild(init.channel(), SyncType::kConsoleFd, &master));
    if (!callbacks.onConsoleFd) return Error::invalid("container init: a console fd nobody takes");
    TRY(callbacks.onConsoleFd(std::move(master)));
  }
  if (reports.seccompFd) {
    // The init goes on under its filter meanwhile; a syscall it notifies
    // waits until the agent has the fd and answers.
    UniqueFd notify;
    TRY(launch::expectFromChild(init.channel(), SyncType::kSeccompFd, &notify));
    if (!callbacks.onSeccompFd) return Error::invalid("container init: a seccomp fd nobody takes");
    TRY(callbacks.onSeccompFd(init.pid(), notify.get()));
  }
  return launch::expectFromChild(init.channel(), SyncType::kReady).context("container init");
}

}  // namespace

Status InitProcess::start() const {
  return sendGo(channel_.get());
}

Status InitProcess::confirmCreated() const {
  return sendSync(channel_.get(), SyncType::kCreated).context("tell the init create is done");
}

Result<InitProcess> launchInit(const LaunchPlan& plan, const InitWiring& wiring, int cgroupFd,
                               const LaunchCallbacks& callbacks) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
    return Error::fromErrno("create sync socket");
  }
  UniqueFd parentEnd(pair[0]);
  UniqueFd childEnd(pair[1]);

  Cloned cloned;
  {
    // (The helper for a joined user namespace, or a rootless runtime's,
    // joins the pid namespace itself.)
    bool helperJoins = plan.namespaces.userNsToJoin || plan.rootless;
    int pidNs = helperJoins ? -1 : plan.namespaces.pidNsToJoin.get();
    auto pidns = TRY(ns::PidNamespaceSwitch::enter(pidNs));
    cloned =
        TRY(cloneInit(plan, wiring, cgroupFd, cgroupFd >= 0 || callbacks.placeInCgroup != nullptr,
                      parentEnd.get(), childEnd.get()));
  }
  trace::mark("clone3 returned");
  childEnd.reset();
  InitProcess init(std::move(cloned.process), std::move(parentEnd));

  TRY(ns::writeIdMaps(plan.user, init.pid()));
  TRY(passMountSources(plan, init, cloned.waitsForGo));
  if (cloned.placeInCgroup) {
    if (!callbacks.placeInCgroup) return Error::invalid("container init: no way into its cgroup");
    TRY(callbacks.placeInCgroup(init.pid()));
  }
  // Before any hook runs (runc's order too); the init does not touch them.
  TRY(ns::moveNetDevices(plan.netDevices, plan.namespaces, init.pid()));
  if (cloned.waitsForGo) TRY(init.start());
  SyncMessage ready = TRY(converseUntilReady(plan, init, callbacks));
  for (int i = 0; i < kChildPhases; ++i) trace::markAt(kChildPhaseNames[i], ready.phaseNs[i]);
  trace::mark("ready received");
  return init;
}

}  // namespace sangja
