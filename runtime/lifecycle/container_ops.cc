// start, state, kill, delete, list: operations on an existing container,
// each under the container directory's lock.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/dir_stream.h"
#include "base/file.h"
#include "base/log.h"
#include "base/trace.h"
#include "cgroups/cgroup_manager.h"
#include "runtime/lifecycle/cgroup_record.h"
#include "runtime/lifecycle/container.h"
#include "runtime/lifecycle/hooks.h"
#include "runtime/lifecycle/opened_container.h"
#include "runtime/lifecycle/rootfs_bind.h"
#include "runtime/lifecycle/state_store.h"
#include "runtime/lifecycle/status.h"

namespace sangja {

namespace {

Result<UniqueFd> openPidfd(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    if (errno == ESRCH) return Error::invalid("no such process", ESRCH);
    return Error::fromErrno("pidfd_open " + std::to_string(pid));
  }
  return UniqueFd(fd);
}

// Signals the init through a pidfd taken after its start time was checked,
// so a recycled pid is never hit.
Status signalInit(const spec::StoredState& state, int sig) {
  UniqueFd pidfd = TRY(openPidfd(state.pid));
  if (liveProcessStartTime(state.pid) != state.pidStartTime) {
    return Error::invalid("no such process", ESRCH);
  }
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) < 0) {
    if (errno == ESRCH) return Error::invalid("no such process", ESRCH);
    return Error::fromErrno("send signal " + std::to_string(sig));
  }
  return {};
}

// A container without a cgroup (rootless, none delegated) has its own pid
// namespace (checkRootlessConfig): every process in it is the
// container's. Each is signalled through a pidfd taken before its
// namespace is checked again, so a recycled pid is never hit.
Status signalPidNamespace(const spec::StoredState& state, int sig) {
  TRY(signalInit(state, sig));
  std::string initNs = "/proc/" + std::to_string(state.pid) + "/ns/pid";
  struct stat theirs;
  if (::stat(initNs.c_str(), &theirs) < 0) return {};  // gone with its namespace
  UniqueFd proc = TRY(openFile("/proc", O_RDONLY | O_DIRECTORY));
  DirStream entries = TRY(DirStream::open(proc.get(), "/proc"));
  auto inTheirs = [&](const std::string& pid) {
    struct stat st;
    std::string ns = "/proc/" + pid + "/ns/pid";
    return ::stat(ns.c_str(), &st) == 0 && st.st_dev == theirs.st_dev && st.st_ino == theirs.st_ino;
  };
  while (dirent* e = entries.next()) {
    std::string name = e->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == state.pid || !inTheirs(name)) continue;
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd || !inTheirs(name)) continue;  // gone, or someone else's now
    ::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0);
  }
  return {};
}

// Kills everything in the container and waits for the init to be gone.
Status killEverything(const OpenedContainer& c) {
  auto cgroup = TRY(c.cgroup());
  Result<UniqueFd> pidfd = openPidfd(c.state.pid);
  Status killed = cgroup->signalAll(SIGKILL);
  if (!pidfd.ok()) return killed;  // the init is gone already
  if (liveProcessStartTime(c.state.pid) == c.state.pidStartTime) {
    ::syscall(SYS_pidfd_send_signal, pidfd->get(), SIGKILL, nullptr, 0);
  } else {
    return killed;  // the pid is somebody else's now
  }
  // A pidfd polls readable once the process has exited.
  struct pollfd p {
    pidfd->get(), POLLIN, 0
  };
  int r;
  while ((r = ::poll(&p, 1, 10000)) < 0 && errno == EINTR) {
  }
  if (r <= 0) {
    return Error::invalid(
        "container init " + std::to_string(c.state.pid) + " still alive 10 s after SIGKILL",
        ETIMEDOUT);
  }
  return {};
}

// What a hook reads on stdin, bar status and pid.
spec::State hookState(const spec::StoredState& state) {
  spec::State s;
  s.id = state.id;
  s.bundle = state.bundle;
  s.annotations = state.annotations;
  return s;
}

Status runStartContainerHooks(const OpenedContainer& c, const spec::Hooks& hooks) {
  if (hooks.startContainer.empty()) return {};
  auto cgroup = TRY(c.cgroup());
  UniqueFd cgroupDir = TRY(cgroup->openDir(""));
  return hooks::runPhase(hooks, hooks::Phase::kStartContainer, hookState(c.state), c.state.pid,
                         cgroupDir.get());
}

// The init holds the only read end of the exec fifo, close-on-exec: once
// it is gone the user's program runs (or the init died trying).
void waitForExec(int fifoWriteEnd) {
  struct pollfd p {
    fifoWriteEnd, 0, 0
  };
  while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
}

// A failed startContainer or poststart hook stops the container; the hook's
// error is what start reports, so a failure to kill is only logged.
void stopAfterFailedHook(const OpenedContainer& c) {
  if (Status st = killEverything(c); !st.ok()) {
    log::warning("stop the container after a failed hook: " + st.error().message());
  }
}

}  // namespace

Result<OpenedContainer> openContainer(const RuntimeOptions& rt, const std::string& id) {
  Result<StateStore> opened = StateStore::openExisting(rt.root);
  if (!opened.ok() && opened.error().code() == ENOENT) {
    // What clients match on ("does not exist"), whichever part is missing.
    return Error::invalid("container \"" + id + "\" does not exist", ENOENT);
  }
  StateStore store = TRY(std::move(opened));
  ContainerDir dir = TRY(store.lookup(id));
  spec::StoredState state = TRY(loadState(dir));
  ContainerStatus status = containerStatus(dir, state, rt.openCgroup);
  return OpenedContainer{std::move(dir), std::move(state), status, rt.openCgroup};
}

Status startContainer(const RuntimeOptions& rt, const std::string& id) {
  OpenedContainer c = TRY(openContainer(rt, id));
  trace::mark("start: container opened");
  if (c.status != ContainerStatus::kCreated) {
    return Error::invalid("cannot start a container that is " + std::string(statusName(c.status)) +
                          " (only a created one)");
  }
  if (c.state.noProcess) {
    return Error::invalid("cannot start container " + id +
                          ": its config.json had no process (runtime-spec: required to start)");
  }
  spec::Hooks hooks = TRY(hooks::loadHooks(c.dir.fd()));
  // A failing startContainer or poststart hook stops the container.
  if (Status st = runStartContainerHooks(c, hooks); !st.ok()) {
    stopAfterFailedHook(c);
    return st;
  }
  int fd = ::openat(c.dir.fd(), kExecFifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENXIO) return Error::invalid("container not running: its init has exited", ESRCH);
    return Error::fromErrno("open exec fifo");
  }
  UniqueFd fifo(fd);
  trace::mark("start: fifo opened");
  TRY(writeAll(fifo.get(), "0", "exec fifo"));
  trace::mark("start: init released");
  if (::unlinkat(c.dir.fd(), kExecFifo, 0) < 0) return Error::fromErrno("remove exec fifo");
  if (hooks.poststart.empty()) return {};
  waitForExec(fifo.get());
  Status st = hooks::runPhase(hooks, hooks::Phase::kPoststart, hookState(c.state), c.state.pid);
  if (!st.ok()) stopAfterFailedHook(c);
  return st;
}

Result<std::string> containerStateJson(const RuntimeOptions& rt, const std::string& id) {
  OpenedContainer c = TRY(openContainer(rt, id));
  int pid = c.status == ContainerStatus::kStopped ? 0 : c.state.pid;
  return spec::renderStateJson(c.state, statusName(c.status), pid);
}

Status killContainer(const RuntimeOptions& rt, const std::string& id, int sig, bool all) {
  OpenedContainer c = TRY(openContainer(rt, id));
  if (all) {
    // A stopped init may leave processes behind when the container has no
    // pid namespace of its own (a pod sharing one, or the host's): --all
    // still reaches them, as runc does, so the cgroup can go.
    // Without a cgroup (rootless, none delegated): its pid namespace.
    if (c.state.cgroupDriver == cgroups::cgroupDriverName(cgroups::CgroupDriver::kNone)) {
      if (c.status == ContainerStatus::kStopped) return {};
      return signalPidNamespace(c.state, sig);
    }
    auto cgroup = TRY(c.cgroup());
    if (c.status == ContainerStatus::kStopped) {
      Result<std::vector<pid_t>> left = cgroup->pids();
      if (!left.ok() && left.error().code() == ENOENT) return {};  // gone with the init
      if (TRY(std::move(left)).empty()) return {};
    }
    return cgroup->signalAll(sig);
  }
  if (c.status == ContainerStatus::kStopped) return Error::invalid("container not running", ESRCH);
  return signalInit(c.state, sig);
}

// The cgroup a create killed half-way recorded: once verified free, all in
// it is that create's (the init, if it has not noticed yet that its creator
// died) and is killed, and what create made is removed even when the cgroup
// itself is gone (systemd drops a scope whose last process exited, not the
// slice made for it). Before that, a cgroupfs cgroup is only removed if
// empty, and a systemd unit of that name is never touched: it may be
// somebody else's.
Status destroyRecordedCgroup(const ContainerDir& dir, const cgroups::CgroupOpener& openCgroup) {
  Result<std::string> text = dir.readEntry(kCgroupRecord);
  if (!text.ok() && text.error().code() == ENOENT) return {};  // killed before the cgroup
  std::optional<CgroupRecord> record = parseCgroupRecord(TRY(std::move(text)));
  if (!record) return {};  // killed while writing it: the cgroup was not made yet
  auto cgroup = TRY(openCgroup(record->cgroup));
  Result<std::vector<pid_t>> pids = cgroup->pids();
  bool gone = !pids.ok() && pids.error().code() == ENOENT;
  if (!pids.ok() && !gone) return pids.error();
  if (!record->verifiedFree) {
    bool systemd = cgroups::isSystemdDriver(record->cgroup.driver);
    if (gone || systemd) return {};
    if (!pids->empty()) {
      log::warning("cgroup " + record->cgroup.path +
                   " holds processes that are not the container's: left");
      return {};
    }
  } else if (!gone && !pids->empty()) {
    TRY(cgroup->signalAll(SIGKILL));
  }
  return cgroup->destroy();
}

// delete --force of a directory with no usable state (its create was killed
// half-way): nothing else can remove it, and the id would stay taken.
Result<bool> removeIncompleteContainer(const RuntimeOptions& rt, const std::string& id) {
  Result<StateStore> opened = StateStore::openExisting(rt.root);
  if (!opened.ok() && opened.error().code() == ENOENT) return false;
  StateStore store = TRY(std::move(opened));
  return store.removeIncomplete(
      id, [](const ContainerDir& dir) { return !loadState(dir).ok(); },
      [&rt](const ContainerDir& dir) -> Status {
        TRY(destroyRecordedCgroup(dir, rt.openCgroup));
        return detachRecordedRootfsBind(dir);
      });
}

// Without a pid namespace of its own, a container's processes outlive its
// init (Kubernetes' shareProcessNamespace): they are still the container's,
// in its cgroup, and go with it, as under runc.
Status killWhatTheInitLeft(const cgroups::CgroupManager& cgroup) {
  Result<std::vector<pid_t>> left = cgroup.pids();
  if (!left.ok() && left.error().code() == ENOENT) return {};
  if (TRY(std::move(left)).empty()) return {};
  log::debug("delete: killing what is left in cgroup " + cgroup.path());
  return cgroup.signalAll(SIGKILL);
}

Status deleteContainer(const RuntimeOptions& rt, const std::string& id, bool force) {
  Result<OpenedContainer> opened = openContainer(rt, id);
  if (!opened.ok() && force) {
    if (TRY(removeIncompleteContainer(rt, id))) return {};
    // Nothing to delete is what --force wants (runc's answer too; the shim
    // runs it after every task).
    if (opened.error().code() == ENOENT) return {};
  }
  OpenedContainer c = TRY(std::move(opened));
  bool live = c.status == ContainerStatus::kRunning || c.status == ContainerStatus::kPaused;
  if (live && !force) {
    return Error::invalid("cannot delete container " + id +
                          " that is not stopped: " + statusName(c.status));
  }
  trace::mark("delete: container opened");
  if (c.status != ContainerStatus::kStopped) TRY(killEverything(c));
  trace::mark("delete: processes killed");
  Result<spec::Hooks> hooks = hooks::loadHooks(c.dir.fd());
  if (!hooks.ok()) log::warning("poststop hooks: " + hooks.error().message());
  auto cgroup = TRY(c.cgroup());
  TRY(killWhatTheInitLeft(*cgroup));
  TRY(cgroup->destroy());
  trace::mark("delete: cgroup removed");
  TRY(detachRecordedRootfsBind(c.dir));
  TRY(c.dir.remove());
  trace::mark("delete: state removed");
  // After the container is gone, before delete returns; a failure is a
  // warning (runtime-spec lifecycle step 13).
  if (hooks.ok()) hooks::runPoststop(*hooks, hookState(c.state));
  return {};
}

Result<std::vector<ContainerSummary>> listContainers(const RuntimeOptions& rt, ListDetail detail) {
  StateStore store = TRY(StateStore::openExisting(rt.root).context("list"));
  std::vector<ContainerSummary> out;
  // Without the directories' locks: a snapshot that never waits behind a
  // create's hooks, in a few syscalls per container (list is flat only as
  // far as that goes).
  for (const std::string& id : TRY(store.list())) {
    Result<std::optional<std::string>> json = store.readStateUnlocked(id);
    if (!json.ok()) {
      log::warning("list: " + json.error().message() + "; left out");
      continue;
    }
    if (!*json) continue;  // not yet created, or deleted meanwhile
    Result<spec::StoredState> state = spec::parseStoredState(**json);
    if (!state.ok()) {
      // As state and delete would refuse it; delete --force removes it.
      log::warning("list: container \"" + id + "\": " + state.error().message() + "; left out");
      continue;
    }
    if (detail == ListDetail::kIdsOnly) {
      ContainerSummary idOnly;
      idOnly.id = id;
      out.push_back(std::move(idOnly));
      continue;
    }
    ContainerStatus status = containerStatus(
        *state, [&] { return store.hasExecFifo(id); }, rt.openCgroup);
    bool stopped = status == ContainerStatus::kStopped;
    out.push_back(ContainerSummary{id, stopped ? 0 : state->pid, statusName(status), state->bundle,
                                   state->created, state->owner});
  }
  return out;
}

}  // namespace sangja
