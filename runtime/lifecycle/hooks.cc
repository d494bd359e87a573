#include "runtime/lifecycle/hooks.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/c_string_array.h"
#include "base/child_steps.h"
#include "base/close_fds.h"
#include "base/file.h"
#include "base/fixed_text.h"
#include "base/log.h"
#include "base/signal_dispositions.h"
#include "base/spawn.h"
#include "base/text.h"
#include "namespaces/namespaces.h"
#include "namespaces/user.h"
#include "runtime/launch/init_join.h"

namespace sangja::hooks {

// ---- pure part ----

std::string_view phaseName(Phase phase) {
  switch (phase) {
    case Phase::kPrestart:
      return "prestart";
    case Phase::kCreateRuntime:
      return "createRuntime";
    case Phase::kCreateContainer:
      return "createContainer";
    case Phase::kStartContainer:
      return "startContainer";
    case Phase::kPoststart:
      return "poststart";
    case Phase::kPoststop:
      return "poststop";
  }
  return "?";
}

spec::Status stateStatus(Phase phase) {
  switch (phase) {
    case Phase::kPrestart:
    case Phase::kCreateRuntime:
    case Phase::kCreateContainer:
      return spec::Status::kCreating;  // create has not finished
    case Phase::kStartContainer:
      return spec::Status::kCreated;  // the user's program has not run yet
    case Phase::kPoststart:
      return spec::Status::kRunning;
    case Phase::kPoststop:
      return spec::Status::kStopped;
  }
  return spec::Status::kStopped;  // not reached: every phase is named above
}

bool runsInContainer(Phase phase) {
  return phase == Phase::kCreateContainer || phase == Phase::kStartContainer;
}

const std::vector<spec::Hook>& hooksOf(const spec::Hooks& hooks, Phase phase) {
  switch (phase) {
    case Phase::kPrestart:
      return hooks.prestart;
    case Phase::kCreateRuntime:
      return hooks.createRuntime;
    case Phase::kCreateContainer:
      return hooks.createContainer;
    case Phase::kStartContainer:
      return hooks.startContainer;
    case Phase::kPoststart:
      return hooks.poststart;
    case Phase::kPoststop:
      return hooks.poststop;
  }
  return hooks.poststop;
}

bool hasCreateHooks(const spec::Hooks& hooks) {
  for (Phase p : kCreatePhases) {
    if (!hooksOf(hooks, p).empty()) return true;
  }
  return false;
}

Command commandFor(const spec::Hook& hook) {
  Command c;
  c.path = hook.path;
  c.argv = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  c.env = hook.env;
  c.timeoutSeconds = hook.timeout.value_or(0);
  return c;
}

std::string stateJson(Phase phase, spec::State base, int pid) {
  base.status = stateStatus(phase);
  base.pid = phase == Phase::kPoststop ? 0 : pid;
  return spec::toJson(base);
}

std::string describeWaitStatus(int waitStatus) {
  if (WIFEXITED(waitStatus)) return "exit status " + std::to_string(WEXITSTATUS(waitStatus));
  if (WIFSIGNALED(waitStatus)) {
    int sig = WTERMSIG(waitStatus);
    const char* abbrev = sigabbrev_np(sig);
    std::string text = "killed by signal " + std::to_string(sig);
    if (abbrev != nullptr) text += std::string(" (") + abbrev + ")";
    return text;
  }
  return "wait status " + std::to_string(waitStatus);
}

std::string outputTail(std::string_view output, size_t maxBytes) {
  output = withoutSurroundingBlanks(output);
  bool cut = output.size() > maxBytes;
  if (cut) output = output.substr(output.size() - maxBytes);
  std::string out = cut ? "..." : "";
  bool inBreak = false;
  for (char c : output) {
    if (c == '\n' || c == '\r') {
      inBreak = true;
      continue;
    }
    if (inBreak) out += "; ";
    inBreak = false;
    out += c;
  }
  return out;
}

namespace {

std::string hookName(Phase phase, const std::string& path) {
  return std::string(phaseName(phase)) + " hook " + path;
}

}  // namespace

std::string failureMessage(Phase phase, const std::string& path, std::string_view why,
                           std::string_view output) {
  std::string msg = hookName(phase, path) + " failed: " + std::string(why);
  std::string tail = outputTail(output);
  if (!tail.empty()) msg += ": " + tail;
  return msg;
}

std::string timeoutMessage(Phase phase, const std::string& path, int seconds) {
  return hookName(phase, path) + " timed out after " + std::to_string(seconds) + "s";
}

Result<int> innermostPid(std::string_view procStatus) {
  size_t at = 0;
  for (;;) {
    size_t end = procStatus.find('\n', at);
    std::string_view line =
        procStatus.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (line.starts_with("NSpid:")) {
      line.remove_prefix(6);
      line = withoutTrailingBlanks(line);
      size_t sep = line.find_last_of(" \t");
      std::string_view last = sep == std::string_view::npos ? line : line.substr(sep + 1);
      int pid = 0;
      for (char c : last) {
        if (c < '0' || c > '9' || pid > INT_MAX / 10) return Error::invalid("bad NSpid line");
        pid = pid * 10 + (c - '0');
      }
      if (pid <= 0) return Error::invalid("bad NSpid line");
      return pid;
    }
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return Error::invalid("no NSpid line in /proc/PID/status", ENOENT);
}

namespace {

using json = nlohmann::json;

// The phases start and delete need.
constexpr Phase kStoredPhases[] = {Phase::kStartContainer, Phase::kPoststart, Phase::kPoststop};

std::vector<spec::Hook>& mutableHooksOf(spec::Hooks& hooks, Phase phase) {
  return const_cast<std::vector<spec::Hook>&>(hooksOf(hooks, phase));
}

}  // namespace

std::string storedHooksJson(const spec::Hooks& hooks) {
  json doc = json::object();
  for (Phase phase : kStoredPhases) {
    const std::vector<spec::Hook>& list = hooksOf(hooks, phase);
    if (list.empty()) continue;
    json arr = json::array();
    for (const spec::Hook& h : list) {
      json j = {{"path", h.path}};
      if (!h.args.empty()) j["args"] = h.args;
      if (!h.env.empty()) j["env"] = h.env;
      if (h.timeout) j["timeout"] = *h.timeout;
      arr.push_back(std::move(j));
    }
    doc[std::string(phaseName(phase))] = std::move(arr);
  }
  return doc.dump();
}

Result<spec::Hooks> parseStoredHooks(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object()) return Error::invalid(std::string(kHooksFile) + ": not a JSON object");
  spec::Hooks hooks;
  try {
    for (Phase phase : kStoredPhases) {
      auto it = doc.find(std::string(phaseName(phase)));
      if (it == doc.end()) continue;
      for (const json& j : *it) {
        spec::Hook h;
        h.path = j.at("path").get<std::string>();
        if (j.contains("args")) h.args = j["args"].get<std::vector<std::string>>();
        if (j.contains("env")) h.env = j["env"].get<std::vector<std::string>>();
        if (j.contains("timeout")) h.timeout = j["timeout"].get<int>();
        mutableHooksOf(hooks, phase).push_back(std::move(h));
      }
    }
  } catch (const json::exception& e) {
    return Error::invalid(std::string(kHooksFile) + ": " + e.what());
  }
  return hooks;
}

Status saveHooks(int dirfd, const spec::Hooks& hooks) {
  bool any = false;
  for (Phase phase : kStoredPhases) any = any || !hooksOf(hooks, phase).empty();
  if (!any) return {};
  return writeFileAtomic(dirfd, kHooksFile, storedHooksJson(hooks), 0600);
}

Result<spec::Hooks> loadHooks(int dirfd) {
  int fd = ::openat(dirfd, kHooksFile, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return spec::Hooks{};
    return Error::fromErrno(std::string("open ") + kHooksFile);
  }
  UniqueFd owned(fd);
  std::string text = TRY(readFd(owned.get(), kHooksFile));
  return parseStoredHooks(text);
}

// ---- processes ----

namespace {

const char* nsName(int type) {
  switch (type) {
    case CLONE_NEWIPC:
      return "ipc";
    case CLONE_NEWUTS:
      return "uts";
    case CLONE_NEWNET:
      return "net";
    case CLONE_NEWCGROUP:
      return "cgroup";
    case CLONE_NEWTIME:
      return "time";
    case CLONE_NEWNS:
      return "mnt";
    case CLONE_NEWUSER:
      return "user";
  }
  return "?";
}

// Everything the hook's child side uses, built before the clone.
struct ChildPlan {
  const char* path;
  char* const* argv;
  char* const* envp;
  int stdinFd;
  int outputFd;
  const ContainerJoin* join;
  const char* cwd;          // nullptr: stay
  uint64_t signalsToReset;  // base/signal_dispositions.h
  // A helper joined the container's user (and pid) namespace and cloned us
  // there: the user namespace is ours already (setns to it again is EINVAL).
  bool inUserNs = false;
};

// ---- Child side: between clone and execve. No allocation, no locks. ----

namespace child {

[[noreturn]] void childFail(int err, const char* what, const char* detail) {
  FixedText<512> msg("sangja: ");
  msg.append(what)
      .append(" ")
      .append(detail)
      .append(": ")
      .append(strerrordesc_np(err))
      .append("\n");
  ssize_t ignored = ::write(2, msg.c_str(), msg.size());
  (void)ignored;
  ::_exit(127);
}

[[noreturn]] void hookChild(const ChildPlan& p) {
  // Moved above 2 first: a pipe end may itself be 0, 1 or 2.
  int in = ::fcntl(p.stdinFd, F_DUPFD_CLOEXEC, 3);
  int out = ::fcntl(p.outputFd, F_DUPFD_CLOEXEC, 3);
  if (in < 0 || out < 0 || ::dup2(out, 2) < 0 || ::dup2(out, 1) < 0 || ::dup2(in, 0) < 0) {
    ::_exit(127);
  }
  // Its own process group, so a timeout kills what it started too.
  ::setpgid(0, 0);
  if (p.join != nullptr) {
    bool joinedUser = false;
    for (const ContainerJoin::Ns& ns : p.join->namespaces()) {
      joinedUser = joinedUser || ns.type == CLONE_NEWUSER;
      if (ns.type == CLONE_NEWUSER && p.inUserNs) continue;
      if (::setns(ns.fd.get(), ns.type) < 0) childFail(errno, "join namespace", nsName(ns.type));
    }
    // Root of the container's user namespace when it maps one; the
    // runtime's uid may have no name there.
    if (joinedUser) {
      // EINVAL: uid 0 is not mapped there; the hook keeps the ids it joined with.
      int err = sangja::child::setIdentity(0, 0, nullptr, -1);
      if (err != 0 && err != EINVAL)
        childFail(err, "become root in", "the container's user namespace");
    }
    if (int err = sangja::child::enterInitRoot(p.join->root()); err != 0) {
      childFail(err, "enter the root of", "the container init");
    }
  }
  if (p.cwd != nullptr && ::chdir(p.cwd) < 0) childFail(errno, "enter", p.cwd);
  if (int err = sangja::child::resetSignals(p.signalsToReset); err != 0)
    childFail(err, "reset signals for", p.path);
  // Only stdin, stdout and stderr reach the hook.
  if (int err = closeFdsExcept(3, nullptr, 0); err != 0) childFail(err, "close fds for", p.path);
  ::execve(p.path, p.argv, p.envp);
  childFail(errno, "exec", p.path);
}

void hookMain(void* plan) {
  hookChild(*static_cast<const ChildPlan*>(plan));
}

[[noreturn]] void hookFromHelper(const void* plan) {
  hookChild(*static_cast<const ChildPlan*>(plan));
}

}  // namespace child

// ---- Parent side. ----

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> makePipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return Error::fromErrno("pipe");
  return Pipe{UniqueFd(p[0]), UniqueFd(p[1])};
}

// The state goes into the pipe before the hook exists: it never blocks us,
// and a hook that does not read its stdin cannot hurt us (no SIGPIPE).
Result<UniqueFd> stdinWithState(std::string_view state) {
  Pipe p = TRY(makePipe());
  if (state.size() > 65536 &&
      ::fcntl(p.write.get(), F_SETPIPE_SZ,
              static_cast<int>(std::min<size_t>(state.size(), INT_MAX))) < 0) {
    return Error::fromErrno("the state (" + std::to_string(state.size()) +
                            " bytes) does not fit in the hook's stdin pipe");
  }
  TRY(writeAll(p.write.get(), state, "hook stdin"));
  return std::move(p.read);
}

// A runtime without real root may enter the container's pid namespace
// only from inside its user namespace, and could not come back: a helper
// joins both and clones the hook as our child (ns::cloneInUserNamespace),
// which we then place in the container's cgroup.
Result<ChildProcess> cloneHookThroughUserNs(const ChildPlan& plan) {
  ChildPlan inside = plan;
  inside.inUserNs = true;
  pid_t pid = TRY(ns::cloneInUserNamespace(plan.join->userNs(), plan.join->pidNs(), 0,
                                           child::hookFromHelper, &inside)
                      .context("clone hook process"));
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    int err = errno;
    ::kill(pid, SIGKILL);
    return Error::fromErrno(err, "clone hook process: pidfd_open");
  }
  ChildProcess child(pid, std::move(pidfd));
  if (plan.join->cgroupFd() >= 0) {
    // The fd another hook would be cloned into (CLONE_INTO_CGROUP).
    Status placed = [&]() -> Status {
      UniqueFd procs = TRY(openAt(plan.join->cgroupFd(), "cgroup.procs", O_WRONLY));
      return writeAll(procs.get(), std::to_string(pid), "cgroup.procs");
    }();
    if (!placed.ok()) {
      child.killAndReap();
      return placed.error().wrap("place the hook in the container's cgroup");
    }
  }
  return child;
}

// In the container's pid namespace and straight in its cgroup when the
// hook joins it.
Result<ChildProcess> cloneHook(const ChildPlan& plan) {
  if (plan.join != nullptr && plan.join->userNs() >= 0 && ::geteuid() != 0) {
    return cloneHookThroughUserNs(plan);
  }
  auto pidns = TRY(ns::PidNamespaceSwitch::enter(plan.join != nullptr ? plan.join->pidNs() : -1));
  SpawnOptions options;
  options.cgroupFd = plan.join != nullptr ? plan.join->cgroupFd() : -1;
  Spawned hook = TRY(
      spawn(options, child::hookMain, const_cast<ChildPlan*>(&plan)).context("clone hook process"));
  if (options.cgroupFd >= 0 && !hook.inCgroup) {
    return Error::invalid("clone hook process: this kernel cannot clone into a cgroup", ENOSYS);
  }
  if (hook.child.pidfd() < 0) {
    return Error::invalid("clone hook process: this kernel gives no pidfd", ENOSYS);
  }
  return std::move(hook.child);
}

// The hook and its process group, if it made one yet.
void killHook(ChildProcess& child) {
  ::kill(-child.pid(), SIGKILL);
  child.killAndReap();
}

// Keeps the last kKeep bytes of what the hook writes.
class OutputTail {
 public:
  static constexpr size_t kKeep = 8192;
  void add(const char* data, size_t n) {
    text_.append(data, n);
    if (text_.size() > 2 * kKeep) text_.erase(0, text_.size() - kKeep);
  }
  // Reads what is there now; false at EOF or error.
  bool readFrom(int fd) {
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) return false;
    add(buf, static_cast<size_t>(n));
    return true;
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace

Result<ContainerJoin> ContainerJoin::open(pid_t initPid, int cgroupFd) {
  InitNamespaces init = TRY(openInitNamespaces(initPid, -1));
  ContainerJoin join;
  join.cgroupFd_ = cgroupFd;
  for (InitNamespaces::Ns& ns : init.others) join.ns_.push_back(Ns{std::move(ns.fd), ns.type});
  // Root joins the user namespace last: first, it would take away our
  // rights over namespaces the host's user namespace owns. A rootless
  // runtime has rights over the others only once it is in there.
  if (init.user) {
    Ns user{std::move(init.user), CLONE_NEWUSER};
    if (::geteuid() == 0) {
      join.ns_.push_back(std::move(user));
    } else {
      join.ns_.insert(join.ns_.begin(), std::move(user));
    }
  }
  join.pidNs_ = std::move(init.pid);
  join.root_ = std::move(init.root);
  return join;
}

Status runHook(const spec::Hook& hook, Phase phase, std::string_view state,
               const ContainerJoin* join, const std::string& cwd) {
  std::string name = hookName(phase, hook.path);
  Command cmd = commandFor(hook);
  CStringArray argv(cmd.argv);
  CStringArray envp(cmd.env);
  UniqueFd in = TRY_CTX(stdinWithState(state), name);
  Pipe out = TRY_CTX(makePipe(), name);
  ChildProcess child = TRY_CTX(
      cloneHook(ChildPlan{cmd.path.c_str(), argv.data(), envp.data(), in.get(), out.write.get(),
                          join, cwd.empty() ? nullptr : cwd.c_str(), signalsNotAtDefault()}),
      name);
  in.reset();
  out.write.reset();

  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  if (cmd.timeoutSeconds > 0) deadline = Clock::now() + std::chrono::seconds(cmd.timeoutSeconds);
  OutputTail output;
  bool exited = false;
  while (!exited) {
    int waitMs = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      waitMs = static_cast<int>(std::max<long long>(left, 0));
    }
    struct pollfd fds[2] = {{child.pidfd(), POLLIN, 0}, {out.read.get(), POLLIN, 0}};
    int r = ::poll(fds, out.read ? 2 : 1, waitMs);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int err = errno;
      killHook(child);
      return Error::fromErrno(err, "wait for " + name);
    }
    if (r == 0) {
      killHook(child);
      return Error::invalid(timeoutMessage(phase, hook.path, cmd.timeoutSeconds), ETIMEDOUT);
    }
    if (out.read && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
        !output.readFrom(out.read.get())) {
      out.read.reset();  // EOF: only the exit is left to wait for
    }
    exited = (fds[0].revents & POLLIN) != 0;
  }
  // What it wrote before exiting; something it left running may hold the
  // pipe open, so no waiting for EOF.
  if (out.read) {
    ::fcntl(out.read.get(), F_SETFL, O_NONBLOCK);
    while (output.readFrom(out.read.get())) {
    }
  }
  int status = TRY_CTX(child.wait(), name);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return Error::invalid(
      failureMessage(phase, hook.path, describeWaitStatus(status), output.text()));
}

Status runPhase(const spec::Hooks& hooks, Phase phase, const spec::State& base, pid_t initPid,
                int cgroupFd, const std::string& rootfs) {
  const std::vector<spec::Hook>& list = hooksOf(hooks, phase);
  if (list.empty()) return {};
  int pid = initPid;
  std::optional<ContainerJoin> join;
  if (runsInContainer(phase)) {
    std::string ctx = std::string(phaseName(phase)) + " hooks";
    join = TRY_CTX(ContainerJoin::open(initPid, cgroupFd), ctx);
    std::string status = TRY_CTX(readFile("/proc/" + std::to_string(initPid) + "/status"), ctx);
    pid = TRY_CTX(innermostPid(status), ctx);
  }
  std::string state = stateJson(phase, base, pid);
  const std::string& cwd = phase == Phase::kCreateContainer ? rootfs : std::string();
  for (const spec::Hook& hook : list) {
    TRY(runHook(hook, phase, state, join ? &*join : nullptr, cwd));
  }
  return {};
}

void giveStartContainerHooksTheProcessEnv(spec::Hooks& hooks, const std::vector<std::string>& env) {
  for (spec::Hook& hook : mutableHooksOf(hooks, Phase::kStartContainer)) {
    if (hook.env.empty()) hook.env = env;
  }
}

void runPoststop(const spec::Hooks& hooks, const spec::State& base) {
  std::string state = stateJson(Phase::kPoststop, base, 0);
  for (const spec::Hook& hook : hooks.poststop) {
    Status st = runHook(hook, Phase::kPoststop, state);
    if (!st.ok()) log::warning(st.error().message());
  }
}

}  // namespace sangja::hooks
