#include "runtime/lifecycle/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "base/file.h"
#include "base/log.h"
#include "base/trace.h"
#include "cgroups/cgroup_manager.h"
#include "runtime/launch/init_join.h"
#include "runtime/launch/launch_plan.h"
#include "runtime/launch/launcher.h"
#include "runtime/lifecycle/opened_container.h"
#include "runtime/lifecycle/pidfd_socket.h"
#include "runtime/lifecycle/supervise.h"
#include "runtime/process/console.h"
#include "runtime/process/console_proxy.h"
#include "runtime/process/seccomp_cache.h"

namespace sangja {

namespace exec {

namespace {

Result<uint32_t> parseId(std::string_view text, std::string_view what) {
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return Error::invalid("bad " + std::string(what) + " \"" + std::string(text) +
                          "\": must be a number from 0 to 4294967295");
  }
  return v;
}

void addOnce(std::vector<std::string>& set, const std::string& cap) {
  if (std::find(set.begin(), set.end(), cap) == set.end()) set.push_back(cap);
}

}  // namespace

Result<UserSpec> parseUser(std::string_view text) {
  UserSpec user;
  size_t colon = text.find(':');
  user.uid = TRY(parseId(text.substr(0, colon), "uid"));
  if (colon != std::string_view::npos) user.gid = TRY(parseId(text.substr(colon + 1), "gid"));
  return user;
}

Result<spec::Process> inlineProcess(const spec::Process& container, const ExecFlags& flags) {
  if (flags.args.empty()) {
    return Error::invalid(
        "exec: no command given; usage: sangja exec [flags] <container-id> <command> [args...] "
        "or sangja exec --process FILE <container-id>");
  }
  spec::Process p = container;
  p.args = flags.args;
  if (!flags.cwd.empty()) p.cwd = flags.cwd;
  if (!flags.apparmorProfile.empty()) p.apparmorProfile = flags.apparmorProfile;
  if (!flags.processLabel.empty()) p.selinuxLabel = flags.processLabel;
  if (!flags.caps.empty() && p.capabilities) {
    spec::Capabilities& caps = *p.capabilities;
    bool ambientToo = !caps.inheritable.empty();  // ambient needs inheritable
    for (const std::string& cap : flags.caps) {
      addOnce(caps.bounding, cap);
      addOnce(caps.effective, cap);
      addOnce(caps.permitted, cap);
      if (ambientToo) addOnce(caps.ambient, cap);
    }
  }
  p.env.insert(p.env.end(), flags.env.begin(), flags.env.end());
  p.terminal = flags.tty;
  if (flags.noNewPrivileges) p.noNewPrivileges = *flags.noNewPrivileges;
  if (!flags.user.empty()) {
    UserSpec user = TRY(parseUser(flags.user));
    p.user.uid = user.uid;
    if (user.gid) p.user.gid = *user.gid;
  }
  for (const std::string& g : flags.extraGids) {
    if (!g.empty() && g[0] == '-') {
      return Error::invalid("additional-gids must be a positive number " + g);
    }
    p.user.additionalGids.push_back(TRY(parseId(g, "additional gid")));
  }
  return p;
}

spec::Process withContainerDefaults(spec::Process p, const spec::Process& container) {
  if (!p.capabilities) p.capabilities = container.capabilities;
  if (p.rlimits.empty()) p.rlimits = container.rlimits;
  if (p.apparmorProfile.empty()) p.apparmorProfile = container.apparmorProfile;
  if (p.selinuxLabel.empty()) p.selinuxLabel = container.selinuxLabel;
  if (!p.scheduler) p.scheduler = container.scheduler;
  if (!p.ioPriority) p.ioPriority = container.ioPriority;
  if (!p.execCPUAffinity) p.execCPUAffinity = container.execCPUAffinity;
  if (!p.user.umask) p.user.umask = container.user.umask;
  return p;
}

Result<spec::Process> finishProcess(spec::Process p) {
  if (p.args.empty()) return Error::invalid("process.args: must not be empty");
  if (p.cwd.empty() || p.cwd[0] != '/') {
    return Error::invalid("process.cwd: must be an absolute path, got \"" + p.cwd + "\"");
  }
  // Later values win, each at the place of its last occurrence.
  std::vector<std::string> env;
  std::set<std::string_view> seen;
  for (auto it = p.env.rbegin(); it != p.env.rend(); ++it) {
    size_t eq = it->find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error::invalid("process.env: \"" + *it + "\" is not NAME=VALUE");
    }
    if (!seen.insert(std::string_view(*it).substr(0, eq)).second) continue;
    env.push_back(*it);
  }
  std::reverse(env.begin(), env.end());
  p.env = std::move(env);
  // The container's OOM score is its init's; an exec'd process keeps the
  // runtime's, as with runc.
  p.oomScoreAdj.reset();
  return p;
}

Result<std::string> subCgroupPath(const std::vector<std::string>& args) {
  std::optional<std::string> path;
  for (const std::string& arg : args) {
    size_t colon = arg.find(':');
    std::string sub = arg;
    if (colon == std::string::npos) {
      if (args.size() != 1) {
        return Error::invalid("invalid --cgroup argument: " + arg +
                              " (missing <controller>: prefix)");
      }
    } else {
      std::string_view ctrls = std::string_view(arg).substr(0, colon);
      size_t start = 0;
      for (;;) {
        size_t comma = ctrls.find(',', start);
        if (ctrls.substr(start, comma - start).empty()) {
          return Error::invalid("invalid --cgroup argument: " + arg +
                                " (empty <controller> prefix)");
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      sub = arg.substr(colon + 1);
    }
    if (path && *path != sub) {
      return Error::invalid(
          "invalid --cgroup arguments: cgroup v2 has one hierarchy, so every controller must "
          "name the same sub-cgroup");
    }
    path = sub;
  }
  if (!path) return std::string();
  std::string out;
  size_t pos = 0;
  while (pos <= path->size()) {
    size_t slash = path->find('/', pos);
    if (slash == std::string::npos) slash = path->size();
    std::string_view part = std::string_view(*path).substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      return Error::invalid("bad sub cgroup path: " + *path + " (must stay in the container's)");
    }
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

}  // namespace exec

namespace {

Result<spec::Process> execProcess(const ExecOptions& opts, const spec::Process& container) {
  if (opts.processFile.empty()) return exec::inlineProcess(container, opts.flags);
  if (!opts.flags.args.empty()) {
    return Error::invalid("exec: a command and --process " + opts.processFile +
                          " exclude each other");
  }
  std::string text = TRY(readDocumentFile(opts.processFile).context("exec --process"));
  spec::Process p = TRY(spec::parseProcess(text, opts.processFile));
  return exec::withContainerDefaults(std::move(p), container);
}

// The init's pidfd, checked to be the init recorded in the state.
Result<UniqueFd> initPidfd(const spec::StoredState& state) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, state.pid, 0));
  if (fd < 0 && errno == ESRCH) return Error::invalid("cannot exec in a stopped container");
  if (fd < 0) return Error::fromErrno("pidfd_open " + std::to_string(state.pid));
  UniqueFd pidfd(fd);
  if (liveProcessStartTime(state.pid) != state.pidStartTime) {
    return Error::invalid("cannot exec in a stopped container");
  }
  return pidfd;
}

// The container as exec found it, its lock released: a paused container
// resumed while the process waits frozen (--ignore-paused) needs it. From
// here on the init's pidfd guards against its pid being reused.
struct Found {
  spec::StoredState state;
  ContainerStatus status;
  // Where the process goes: the container's cgroup, or --cgroup's
  // sub-cgroup of it (which must exist), cloned into through cgroupFd or
  // (without clone3's CLONE_INTO_CGROUP, or from a joined user namespace)
  // attached.
  std::unique_ptr<cgroups::CgroupManager> cgroup;
  std::string sub;
  UniqueFd cgroupFd;
};

Result<Found> findContainer(const RuntimeOptions& rt, const ExecOptions& opts) {
  OpenedContainer c = TRY(openContainer(rt, opts.id));
  if (c.status == ContainerStatus::kStopped) {
    return Error::invalid("cannot exec in a stopped container", ESRCH);
  }
  if (c.status == ContainerStatus::kPaused && !opts.ignorePaused) {
    return Error::invalid("cannot exec in a paused container (use --ignore-paused to override)");
  }
  std::string sub = TRY(exec::subCgroupPath(opts.cgroup));
  auto cgroup = TRY(c.cgroup());
  UniqueFd cgroupFd =
      TRY(cgroup->openDir(sub).context(sub.empty() ? "the container's cgroup" : "--cgroup " + sub));
  return Found{std::move(c.state), c.status, std::move(cgroup), std::move(sub),
               std::move(cgroupFd)};
}

// process.execCPUAffinity.initial: we, and so the process until it is in
// the cgroup and takes its final CPUs, run there.
Status runOnInitialCpus(const spec::Process& process) {
  if (!process.execCPUAffinity || process.execCPUAffinity->initial.empty()) return {};
  cpu_set_t set =
      TRY(planCpuAffinity(process.execCPUAffinity->initial, "process.execCPUAffinity.initial"));
  if (::sched_setaffinity(0, sizeof set, &set) < 0) {
    return Error::fromErrno("process.execCPUAffinity.initial: sched_setaffinity");
  }
  return {};
}

// A ready exec'd process (waiting for kGo), and with a terminal but no --console-socket,
// our end of its pty.
struct Launched {
  InitProcess proc;
  UniqueFd consoleMaster;
};

// The exec'd process joins the container's cgroup. Rootless, as under
// runc: when the caller may not move it there (the two cgroups share no
// ancestor the caller may write: it runs outside its delegated subtree),
// the process stays in the caller's cgroup, which is said; it is the
// caller's own process either way.
Status placeInContainerCgroup(const cgroups::CgroupManager& cgroup, std::string_view sub, pid_t pid,
                              bool rootless) {
  Status placed = cgroup.attach(pid, sub);
  if (placed.ok() || !rootless) return placed;
  int code = placed.error().code();
  if (code != EACCES && code != EPERM) return placed;
  log::warning(placed.error().message() + " (rootless: the process stays in the caller's cgroup)");
  return {};
}

// Everything up to a process ready to exec.
Result<Launched> launchExec(const RuntimeOptions& rt, const ExecOptions& opts) {
  Found c = TRY(findContainer(rt, opts));
  spec::Config config = TRY(spec::loadConfig(c.state.bundle));
  trace::mark("config parsed");
  // A config without a process (create allows it): the flags say it all.
  spec::Process fromConfig;
  fromConfig.cwd = "/";
  if (config.process) fromConfig = *config.process;
  spec::Process process = TRY(exec::finishProcess(TRY(execProcess(opts, fromConfig))));
  TRY(console::checkConsoleFlags(process.terminal, opts.detach, !opts.consoleSocket.empty()));
  console::MasterRoute consoleRoute = TRY(console::MasterRoute::open(opts.consoleSocket));
  PidfdRoute pidfdRoute = TRY(PidfdRoute::open(opts.pidfdSocket));
  UniqueFd pidfd = TRY(initPidfd(c.state));
  InitNamespaces init = TRY(openInitNamespaces(c.state.pid, pidfd.get()));
  LaunchPlan plan =
      TRY(planExec(process, config.linux ? &*config.linux : nullptr, std::move(init),
                   ProcessOptions{opts.preserveFds, c.state.noNewKeyring ? "" : opts.id,
                                  rt.root + "/" + seccomp::kCacheDirName}));
  plan.rootless = rt.rootless;
  TRY(runOnInitialCpus(process));
  trace::mark("exec plan built");

  LaunchCallbacks callbacks;
  callbacks.placeInCgroup = [&](pid_t pid) {
    return placeInContainerCgroup(*c.cgroup, c.sub, pid, rt.rootless);
  };
  callbacks.onSeccompFd = [&](pid_t pid, int notifyFd) {
    spec::State running{.id = opts.id,
                        .status = c.status,
                        .pid = pid,
                        .bundle = c.state.bundle,
                        .annotations = c.state.annotations};
    return seccomp::sendToListener(plan.seccomp, running, notifyFd);
  };
  callbacks.onConsoleFd = [&](UniqueFd master) { return consoleRoute.deliver(std::move(master)); };
  // Rootless: cloned where the caller is, then placed (or left) by the
  // callback; a clone into a cgroup the caller may not move into fails.
  InitProcess proc =
      TRY(launchInit(plan, InitWiring{}, rt.rootless ? -1 : c.cgroupFd.get(), callbacks));
  TRY(pidfdRoute.deliver(proc.pidfd()));
  seccomp::keepInCache(plan.seccomp);
  return Launched{std::move(proc), consoleRoute.takeKept()};
}

}  // namespace

Result<int> execInContainer(const RuntimeOptions& rt, const ExecOptions& opts) {
  if (opts.preserveFds < 0) return Error::invalid("--preserve-fds must not be negative");
  for (int fd = 3; fd < 3 + opts.preserveFds; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      return Error::fromErrno("unable to stat preserved-fd " + std::to_string(fd - 3) + " (of " +
                              std::to_string(opts.preserveFds) + ")");
    }
  }
  // Blocked before the clone so that none is lost; the process unblocks
  // them just before its exec.
  sigset_t signals = forwardedSignals();
  sigset_t previous;
  if (!opts.detach) ::sigprocmask(SIG_BLOCK, &signals, &previous);
  auto restore = [&] {
    if (!opts.detach) ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  };
  Result<Launched> launched = launchExec(rt, opts);
  if (!launched.ok()) {
    restore();
    return std::move(launched).takeError();
  }
  InitProcess& proc = launched->proc;
  Result<std::optional<console::TerminalProxy>> terminal =
      attachCallersTerminal(std::move(launched->consoleMaster));
  Status started = terminal.ok() ? proc.start() : Status(std::move(terminal).takeError());
  if (!started.ok()) {
    restore();
    return std::move(started).takeError();  // the process is killed with proc
  }
  trace::mark("exec process released");
  if (!opts.pidFile.empty()) {
    if (Status st = writePidFile(opts.pidFile, proc.pid()); !st.ok()) {
      restore();
      return std::move(st).takeError();  // the process is killed with proc
    }
  }
  if (opts.detach) {
    proc.release();
    return 0;
  }
  Result<int> status = superviseInForeground(proc, *terminal, signals);
  trace::mark("exec process exited");
  restore();
  return status;
}

}  // namespace sangja
