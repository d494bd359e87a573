// `exec`: a new process in a live container (runc's exec, as containerd's
// shim drives it). The process model is create's (runtime/launch/launcher.h) with
// a different plan: instead of new namespaces and a rootfs, the process
// joins every namespace of the container's init (runtime/launch/init_join.h; the
// user namespace first, the pid namespace around the clone) and enters the
// init's root; it is cloned straight into the container's cgroup (or a
// sub-cgroup of it, --cgroup). It gets its own identity, capabilities,
// rlimits, no_new_privs, LSM label, env and cwd, the container's
// linux.seccomp, and its last exec goes through the exec guard
// (CVE-2019-5736 applies to exec too). No exec fifo: it execs on kGo, right
// after it reports ready.
//
// The pure part (flags to a process, runc's merging with the container's
// process, --user and --cgroup parsing) is separate from
// the launch, for unit tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "runtime/lifecycle/container.h"
#include "spec/config.h"

namespace sangja::exec {

// --user "UID[:GID]".
struct UserSpec {
  uint32_t uid = 0;
  std::optional<uint32_t> gid;
};
Result<UserSpec> parseUser(std::string_view text);

// The inline form (runc's getProcess): the container's process with args
// replaced and the flags on top: cwd, apparmor and label replaced, env
// appended, each --cap added to the bounding, effective and permitted sets
// (and ambient when the process has inheritable ones), --user replacing
// uid (and gid), --additional-gids appended, terminal = --tty,
// no_new_privs when given.
Result<spec::Process> inlineProcess(const spec::Process& container, const ExecFlags& flags);

// A --process file's process with what it leaves out taken from the
// container's process, as runc does: capabilities, rlimits, the AppArmor
// profile, the SELinux label, scheduler, I/O priority, CPU affinity and
// umask.
spec::Process withContainerDefaults(spec::Process process, const spec::Process& container);

// What every exec'd process goes through: args and an absolute cwd
// required, env made of K=V with later keys winning (runc's prepareEnv),
// and the attributes that belong to the init alone (oomScoreAdj) dropped.
Result<spec::Process> finishProcess(spec::Process process);

// --cgroup values to a sub-cgroup path relative to the container's cgroup
// (v2: one hierarchy): "path", or "ctrl[,ctrl]:path" entries that all name
// the same path. "" when none is given. ".." and empty controllers are
// refused; leading slashes and "." dropped.
Result<std::string> subCgroupPath(const std::vector<std::string>& args);

}  // namespace sangja::exec
