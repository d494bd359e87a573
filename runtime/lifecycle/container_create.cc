// create and run.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <ctime>

#include "base/file.h"
#include "base/log.h"
#include "base/trace.h"
#include "cgroups/cgroup_manager.h"
#include "cgroups/delegation.h"
#include "cgroups/systemd_name.h"
#include "runtime/launch/launch_plan.h"
#include "runtime/launch/protocol.h"
#include "runtime/lifecycle/cgroup_record.h"
#include "runtime/lifecycle/container.h"
#include "runtime/lifecycle/hooks.h"
#include "runtime/lifecycle/pidfd_socket.h"
#include "runtime/lifecycle/rootfs_bind.h"
#include "runtime/lifecycle/rootless.h"
#include "runtime/lifecycle/socket_activation.h"
#include "runtime/lifecycle/state_store.h"
#include "runtime/lifecycle/status.h"
#include "runtime/lifecycle/supervise.h"
#include "runtime/process/console.h"
#include "runtime/process/console_proxy.h"
#include "runtime/process/seccomp_cache.h"
#include "spec/state.h"

namespace sangja {

namespace {

enum class StartMode {
  kOnStart,  // created: the init waits on the exec fifo for `start`
  kNow,      // run: the init waits for our kGo
};

// Undoes a half-made container unless dismissed: its cgroup, its state
// directory, then the poststop hooks run as after any destroyed container
// (runtime-spec lifecycle steps 12-13). (The init itself is killed by
// InitProcess.)
class CreateRollback {
 public:
  ~CreateRollback() {
    if (cgroup_ != nullptr) log::bestEffort("create: undo", cgroup_->destroy());
    if (dir_ != nullptr) {
      log::bestEffort("create: undo", detachRecordedRootfsBind(*dir_));
      log::bestEffort("create: undo", dir_->remove());
    }
    if (hooks_ != nullptr) hooks::runPoststop(*hooks_, *hookState_);
  }
  void track(ContainerDir* dir) { dir_ = dir; }
  void track(cgroups::CgroupManager* cgroup) { cgroup_ = cgroup; }
  void track(const spec::Hooks* hooks, const spec::State* state) {
    hooks_ = hooks;
    hookState_ = state;
  }
  void dismiss() {
    dir_ = nullptr;
    cgroup_ = nullptr;
    hooks_ = nullptr;
  }

 private:
  ContainerDir* dir_ = nullptr;
  cgroups::CgroupManager* cgroup_ = nullptr;
  const spec::Hooks* hooks_ = nullptr;
  const spec::State* hookState_ = nullptr;
};

Result<std::string> absoluteBundle(const std::string& bundle) {
  std::string path = bundle.empty() ? "." : bundle;
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return Error::fromErrno("bundle " + path);
  return std::string(real);
}

std::string nowRfc3339() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return spec::formatRfc3339Nano(ts);
}

Result<UniqueFd> makeExecFifo(const ContainerDir& dir) {
  if (::mkfifoat(dir.fd(), kExecFifo, 0600) < 0) return Error::fromErrno("create exec fifo");
  // Opened now, inherited by the init: it polls it until `start` writes.
  return openAt(dir.fd(), kExecFifo, O_RDONLY | O_NONBLOCK);
}

// Sockets systemd handed us go on to the container (socket_activation.h);
// returns how many, to be kept open ahead of --preserve-fds.
int passSocketActivation(spec::Config& config) {
  int n = socketActivationFds(::getenv("LISTEN_FDS"), ::getenv("LISTEN_PID"), ::getpid());
  if (n > 0) addSocketActivationEnv(config.process->env, n);
  return n;
}

struct Created {
  InitProcess init;
  std::string cgroupPath;
  // For run's startContainer and poststart hooks.
  spec::Hooks hooks;
  spec::State hookState;
  UniqueFd cgroupDir;
  // process.terminal without a console socket: run's end of the pty.
  UniqueFd consoleMaster;
};

// The container's cgroup: its path from linux.cgroupsPath (a systemd
// scope's under --systemd-cgroup; where the caller may make one when
// rootless), the host's mode, the driver.
Result<cgroups::CgroupRef> cgroupRefFor(const spec::Config& config, const std::string& id,
                                        const RuntimeOptions& rt) {
  std::string cgroupsPath = config.linux ? config.linux->cgroupsPath : std::string();
  if (rt.rootless) {
    if (rt.systemdCgroup) return cgroups::userSystemdCgroup(cgroupsPath, id);
    std::vector<std::string> needed;
    if (config.linux && config.linux->resources) {
      needed = cgroups::controllersNeeded(*config.linux->resources);
    }
    cgroups::DelegationFacts facts = TRY(cgroups::probeDelegation(cgroupsPath, id));
    return cgroups::decideRootlessCgroup(cgroupsPath, needed, facts);
  }
  cgroups::CgroupRef ref;
  if (rt.systemdCgroup) {
    ref.path = TRY(cgroups::parseSystemdCgroupsPath(cgroupsPath, id)).path;
    ref.driver = cgroups::CgroupDriver::kSystemd;
  } else {
    ref.path = TRY(cgroups::resolveCgroupPath(cgroupsPath, id));
  }
  ref.mode = TRY(cgroups::hostCgroupMode());
  return ref;
}

// The container's cgroup in the v2 hierarchy (launch_plan.h: InitOptions):
// without one of its own (driver none) the init stays in ours.
Result<std::string> cgroup2DirFor(const cgroups::CgroupRef& ref) {
  if (ref.mode != cgroups::CgroupMode::kUnified) return std::string();
  if (ref.driver != cgroups::CgroupDriver::kNone) return ref.path;
  return cgroups::ownCgroup2Path(TRY(readFile("/proc/self/cgroup")));
}

// The resources a cgroup is given: a rootless container's device rules
// are the user namespace's business (it cannot open a device its user
// could not, and a device program needs real root), as under runc.
spec::Resources resourcesToApply(const spec::Resources& resources, const RuntimeOptions& rt) {
  spec::Resources out = resources;
  if (rt.rootless && !out.devices.empty()) {
    log::debug("rootless: linux.resources.devices left to the user namespace");
    out.devices.clear();
  }
  return out;
}

// detached: nobody stays to hold a terminal (create, run --detach).
Result<Created> create(const RuntimeOptions& rt, const CreateOptions& opts, StartMode mode,
                       bool detached) {
  TRY(validateContainerId(opts.id));
  std::string bundle = TRY(absoluteBundle(opts.bundle));
  spec::Config config = TRY(spec::loadConfig(bundle));
  trace::mark("config parsed");
  bool noProcess = !config.process;
  if (noProcess && mode == StartMode::kNow) {
    return Error::invalid(
        "config.json: process: required to run a container (create takes a "
        "config without one; start does not)");
  }
  // Without a process the init waits like any other and `start` refuses.
  if (noProcess) config.process.emplace().cwd = "/";
  TRY(console::checkConsoleFlags(config.process && config.process->terminal, detached,
                                 !opts.consoleSocket.empty()));
  int preserveFds = opts.preserveFds + passSocketActivation(config);
  cgroups::CgroupRef cgroupRef = TRY(cgroupRefFor(config, opts.id, rt));
  if (rt.rootless) {
    TRY(checkRootlessConfig(
        config, RootlessFacts{::geteuid() == 0, cgroupRef.driver != cgroups::CgroupDriver::kNone,
                              callersOomScoreAdj()}));
  }
  const std::string& cgroupPath = cgroupRef.path;
  const LaunchPlan plan =
      TRY(planInit(config, InitOptions{bundle, opts.noPivot, hooks::hasCreateHooks(config.hooks),
                                       ProcessOptions{preserveFds, opts.noNewKeyring ? "" : opts.id,
                                                      rt.root + "/" + seccomp::kCacheDirName},
                                       TRY(cgroups::hostCgroupView(cgroupRef)), rt.rootless,
                                       TRY(cgroup2DirFor(cgroupRef))}));
  trace::mark("launch plan built");
  auto cgroup = TRY(rt.openCgroup(cgroupRef));
  StateStore store = TRY(StateStore::open(rt.root));
  console::MasterRoute consoleRoute = TRY(console::MasterRoute::open(opts.consoleSocket));
  PidfdRoute pidfdRoute = TRY(PidfdRoute::open(opts.pidfdSocket));

  // What every hook reads on stdin, bar status and pid.
  spec::State hookState;
  hookState.id = opts.id;
  hookState.bundle = bundle;
  hookState.annotations = config.annotations;

  // Nothing exists yet; from here on, a failure removes what was made.
  // (Declared before the rollback, so they outlive it.)
  std::optional<ContainerDir> stateDir;
  CreateRollback rollback;
  if (!config.hooks.poststop.empty()) rollback.track(&config.hooks, &hookState);
  ContainerDir& dir = stateDir.emplace(TRY(store.create(opts.id)));
  rollback.track(&dir);
  // Host directories: the init drops them at once (see InitWiring).
  InitWiring wiring;
  wiring.closeFirst = {store.fd(), dir.fd()};
  hooks::giveStartContainerHooksTheProcessEnv(config.hooks, plan.process.env);
  TRY(hooks::saveHooks(dir.fd(), config.hooks));
  if (!plan.rootfs.ownMountNamespace) {
    TRY(bindRootfsRecordedIn(dir, plan.rootfs.rootfs));
    trace::mark("rootfs bound in the runtime's mount namespace");
  }
  UniqueFd fifo;
  if (mode == StartMode::kOnStart) {
    fifo = TRY(makeExecFifo(dir));
    wiring.execFifoFd = fifo.get();
  }
  // Recorded before it exists and again once it is known to be free, so a
  // create killed at any point leaves delete --force what to remove.
  // One small pwrite each time (a SIGKILL cannot tear it; the second text
  // is longer, so nothing of the first is left), no rename on the hot path.
  CgroupRecord record{cgroupRef, false};
  UniqueFd recordFd = TRY(dir.createEntry(kCgroupRecord));
  TRY(dir.rewriteEntry(recordFd.get(), formatCgroupRecord(record), kCgroupRecord));
  trace::mark("cgroup recorded");
  TRY(cgroup->create());
  rollback.track(cgroup.get());
  record.cgroup.createdFrom = cgroup->createdFrom();
  record.cgroup.madeSlice = cgroup->madeSlice();
  record.verifiedFree = true;
  TRY(dir.rewriteEntry(recordFd.get(), formatCgroupRecord(record), kCgroupRecord));
  recordFd.reset();
  if (config.linux && config.linux->resources) {
    TRY(cgroup->applyResources(resourcesToApply(*config.linux->resources, rt), false));
  }
  UniqueFd cgroupDir = TRY(cgroup->openDir(""));  // invalid on v1: attached
  if (cgroupDir) wiring.closeFirst.push_back(cgroupDir.get());
  trace::mark("state dir and cgroup made");
  LaunchCallbacks callbacks;
  callbacks.placeInCgroup = [&](pid_t pid) { return cgroup->attach(pid, ""); };
  // A seccomp listener gets the init's notify fd during create, with the
  // state as it is then ("creating").
  callbacks.onSeccompFd = [&](pid_t pid, int notifyFd) {
    spec::State creating{.id = opts.id,
                         .status = spec::Status::kCreating,
                         .pid = pid,
                         .bundle = bundle,
                         .annotations = config.annotations};
    return seccomp::sendToListener(plan.seccomp, creating, notifyFd);
  };
  // prestart, createRuntime, createContainer: the init waits before pivot_root.
  callbacks.runHooks = [&](const InitProcess& paused) -> Status {
    for (hooks::Phase phase : hooks::kCreatePhases) {
      TRY(hooks::runPhase(config.hooks, phase, hookState, paused.pid(), cgroupDir.get(),
                          plan.rootfs.rootfs));
    }
    return {};
  };
  // The pty's master, before the init reports ready.
  callbacks.onConsoleFd = [&](UniqueFd master) { return consoleRoute.deliver(std::move(master)); };
  InitProcess init = TRY(launchInit(plan, wiring, cgroupDir.get(), callbacks));
  TRY(pidfdRoute.deliver(init.pidfd()));

  spec::StoredState state;
  state.id = opts.id;
  state.bundle = bundle;
  state.rootfs = plan.rootfs.rootfs;
  state.pid = init.pid();
  state.pidStartTime = liveProcessStartTime(init.pid()).value_or(0);
  state.created = nowRfc3339();
  state.cgroupPath = cgroupPath;
  state.cgroupCreatedFrom = cgroup->createdFrom();
  state.cgroupMode = cgroups::cgroupModeName(cgroupRef.mode);
  if (cgroupRef.driver != cgroups::CgroupDriver::kCgroupfs) {
    state.cgroupDriver = cgroups::cgroupDriverName(cgroupRef.driver);
    state.cgroupMadeSlice = cgroup->madeSlice();
  }
  state.annotations = config.annotations;
  state.noNewKeyring = opts.noNewKeyring;
  state.noProcess = noProcess;
  TRY(dir.writeState(spec::toJson(state)));
  trace::mark("state written");
  if (!opts.pidFile.empty()) TRY(writePidFile(opts.pidFile, init.pid()));
  trace::mark("pid file written");
  rollback.dismiss();
  seccomp::keepInCache(plan.seccomp);  // a filter compiled now, for the next container
  return Created{std::move(init),      cgroupPath,           std::move(config.hooks),
                 std::move(hookState), std::move(cgroupDir), consoleRoute.takeKept()};
}

// run's half of start: startContainer hooks in the container, exec, then
// poststart hooks once the user's program runs.
Status startCreated(Created& c) {
  TRY(hooks::runPhase(c.hooks, hooks::Phase::kStartContainer, c.hookState, c.init.pid(),
                      c.cgroupDir.get()));
  TRY(c.init.start());
  if (c.hooks.poststart.empty()) return {};
  TRY(launch::waitForExec(c.init.channel()));
  return hooks::runPhase(c.hooks, hooks::Phase::kPoststart, c.hookState, c.init.pid());
}

// The container's cgroup and state go once `run` has its exit status.
void removeAfterRun(const RuntimeOptions& rt, const std::string& id) {
  if (Status st = deleteContainer(rt, id, true); !st.ok()) {
    log::warning("run: remove the container after it exited: " + st.error().message());
  }
}

}  // namespace

// The state is written: the init may outlive us now. Best effort: if it
// cannot be told, it is gone already (killed, or started and exec'd), and
// state reports that in its own way.
void letTheInitOutliveUs(Created& created) {
  if (Status st = created.init.confirmCreated(); !st.ok()) {
    log::debug("create: " + st.error().message() + " (the init is gone already)");
  }
  created.init.release();  // reparented, it waits for start
}

Status createContainer(const RuntimeOptions& rt, const CreateOptions& opts) {
  Created created = TRY(create(rt, opts, StartMode::kOnStart, true));
  letTheInitOutliveUs(created);
  return {};
}

Result<int> runContainer(const RuntimeOptions& rt, const CreateOptions& opts, bool detach) {
  // Blocked before the clone so that none is lost; the init unblocks them
  // just before exec.
  sigset_t signals = forwardedSignals();
  sigset_t previous;
  ::sigprocmask(SIG_BLOCK, &signals, &previous);
  Result<Created> created = create(rt, opts, StartMode::kNow, detach);
  if (!created.ok()) {
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    return std::move(created).takeError();
  }
  InitProcess& init = created->init;
  // process.terminal: the user's terminal talks to the container's pty
  // (raw mode until the proxy goes, whatever the path out).
  Result<std::optional<console::TerminalProxy>> terminal =
      attachCallersTerminal(std::move(created->consoleMaster));
  Status st = terminal.ok() ? Status{} : Status(std::move(terminal).takeError());
  if (st.ok()) st = startCreated(*created);
  if (!st.ok()) {
    init.killAndReap();
    removeAfterRun(rt, opts.id);
    return std::move(st).takeError();
  }
  trace::mark("init released to exec");
  if (detach) {
    init.release();
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    return 0;
  }
  Result<int> status = superviseInForeground(init, *terminal, signals);
  trace::mark("container exited");
  if (!opts.keep) removeAfterRun(rt, opts.id);
  return status;
}

}  // namespace sangja
