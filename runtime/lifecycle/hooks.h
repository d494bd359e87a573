// OCI hooks (runtime-spec v1.3.0 config.md "POSIX-platform Hooks").
//
// Who runs what, and where:
//   create: prestart, createRuntime (runtime namespace), createContainer
//           (container namespaces), while the init is paused after its
//           mounts and before pivot_root;
//   start:  startContainer (container namespaces, path resolved in the
//           container) while the init still waits on the exec fifo, then
//           poststart (runtime namespace) once the init has exec'd;
//   delete: poststop (runtime namespace) after the container is gone.
//
// Design: every hook is started by the runtime process (create, start or
// delete), never by the container init. For the container-namespace phases
// the hook process joins the init's namespaces (and its cgroup) between its
// clone and its execve. So the init needs no hook code at all (it only
// pauses once, for create's hooks), one runner enforces timeouts and
// collects output for every phase, and a failure is seen by the very
// command that must fail with it (start learns a startContainer failure
// directly instead of through a dead init). The init of a created
// container is blocked on the exec fifo after pivot_root, so a
// startContainer hook that joins its mount namespace lands in the
// container's root, as the spec wants; before pivot_root (createContainer)
// the same join lands in the runtime's root.
//
// The pure part (which hooks, argv/envp, the state on stdin, error text) is
// separate from the process part (clone, setns, pipes, timeout).
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "spec/config.h"
#include "spec/state.h"

namespace sangja::hooks {

enum class Phase {
  kPrestart,
  kCreateRuntime,
  kCreateContainer,
  kStartContainer,
  kPoststart,
  kPoststop,
};

// The phases create runs, in the spec's order.
inline constexpr std::array<Phase, 3> kCreatePhases = {Phase::kPrestart, Phase::kCreateRuntime,
                                                       Phase::kCreateContainer};

// Its name in config.json ("createRuntime").
std::string_view phaseName(Phase phase);
// The container status the state on the hook's stdin carries: "creating"
// for create's phases, "created" for startContainer, "running" for
// poststart, "stopped" for poststop.
spec::Status stateStatus(Phase phase);
// createContainer and startContainer run in the container's namespaces;
// the others in the runtime's.
bool runsInContainer(Phase phase);
const std::vector<spec::Hook>& hooksOf(const spec::Hooks& hooks, Phase phase);
// Whether create must pause the init for hooks (any of kCreatePhases).
bool hasCreateHooks(const spec::Hooks& hooks);

// What is executed: path, argv (args, or {path} when args is absent, as
// execv callers and runc do) and exactly the hook's env.
struct Command {
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  int timeoutSeconds = 0;  // 0: none
};
Command commandFor(const spec::Hook& hook);

// The state document for a hook of phase: base with the phase's status and
// pid (the init's pid as the hook sees it; none for poststop).
std::string stateJson(Phase phase, spec::State base, int pid);

// "exit status 3", "killed by signal 9 (KILL)".
std::string describeWaitStatus(int waitStatus);
// The last part of a hook's output for an error message: at most maxBytes,
// trimmed, lines joined with "; ", "..." in front when cut.
std::string outputTail(std::string_view output, size_t maxBytes = 400);
// "createRuntime hook /path failed: exit status 3: <output tail>".
std::string failureMessage(Phase phase, const std::string& path, std::string_view why,
                           std::string_view output);
// "createRuntime hook /path timed out after 2s".
std::string timeoutMessage(Phase phase, const std::string& path, int seconds);

// The pid in the innermost pid namespace, from /proc/PID/status's NSpid
// line (the last field): what a hook in the container sees.
Result<int> innermostPid(std::string_view procStatus);

// The hooks `start` and `delete` need, kept in the state directory at
// create time (config.json may change afterwards; it must not matter).
// Only startContainer, poststart and poststop are kept.
std::string storedHooksJson(const spec::Hooks& hooks);
Result<spec::Hooks> parseStoredHooks(std::string_view json);
inline constexpr const char* kHooksFile = "hooks.json";
// Writes kHooksFile into dirfd when there is anything to keep.
Status saveHooks(int dirfd, const spec::Hooks& hooks);
// kHooksFile of dirfd; no file: no hooks.
Result<spec::Hooks> loadHooks(int dirfd);

// ---- processes ----

// The namespaces (and cgroup) of a container's init that a hook joins:
// /proc/PID/ns/* fds of every namespace that differs from ours, opened in
// the runtime (runtime/launch/init_join.h); the hook process setns()es into them before its execve.
// Plain ns fds rather than one setns(pidfd, flags): we open them anyway to
// leave out namespaces the container shares with us (joining one's own
// user namespace is EINVAL), they work on any kernel, and the order is
// ours: the user namespace last, while we still have the host's rights
// over the others. The pid namespace is entered by the runtime around the
// clone (it only applies to children), so the hook is inside it.
class ContainerJoin {
 public:
  // cgroupFd: the container's cgroup v2 directory (the hook is cloned into
  // it), or -1.
  static Result<ContainerJoin> open(pid_t initPid, int cgroupFd);

  struct Ns {
    UniqueFd fd;
    int type;  // CLONE_NEW*
  };
  const std::vector<Ns>& namespaces() const { return ns_; }
  int pidNs() const { return pidNs_.get(); }  // -1: same as ours
  // The container's user namespace among namespaces(), or -1.
  int userNs() const {
    for (const Ns& ns : ns_) {
      if (ns.type == CLONE_NEWUSER) return ns.fd.get();
    }
    return -1;
  }
  int cgroupFd() const { return cgroupFd_; }
  // The init's root directory: setns(CLONE_NEWNS) puts the joiner at the
  // namespace's root, which is not the init's when it runs chrooted
  // (--no-pivot, or a runtime started in a chroot).
  int root() const { return root_.get(); }

 private:
  std::vector<Ns> ns_;  // user namespace last
  UniqueFd pidNs_;
  UniqueFd root_;
  int cgroupFd_ = -1;
};

// Runs one hook with state on its stdin, its stdout and stderr collected,
// killed at its timeout. join: enter a container's namespaces first
// (nullptr: stay in ours). The error is failureMessage/timeoutMessage.
// cwd: where it starts, resolved after the join (empty: where it lands).
Status runHook(const spec::Hook& hook, Phase phase, std::string_view state,
               const ContainerJoin* join = nullptr, const std::string& cwd = {});

// Runs every hook of phase in order, stopping at the first failure. base:
// ociVersion, id, bundle and annotations of the container; initPid: the
// init's pid as the runtime sees it (0 for poststop); cgroupFd: the
// container's cgroup for the container-namespace phases (-1: none);
// rootfs: the container's root as the paused init sees it, createContainer's
// working directory (runc's too: a hook's `touch ./x` lands in the rootfs).
Status runPhase(const spec::Hooks& hooks, Phase phase, const spec::State& base, pid_t initPid,
                int cgroupFd = -1, const std::string& rootfs = {});

// startContainer hooks without an env of their own get the container
// process's (runc does the same; a hook there acts for the process).
void giveStartContainerHooksTheProcessEnv(spec::Hooks& hooks, const std::vector<std::string>& env);

// poststop: a failure is a warning (logged), the next hook still runs.
void runPoststop(const spec::Hooks& hooks, const spec::State& base);

}  // namespace sangja::hooks
