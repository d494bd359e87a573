// The container process: what it runs and as whom. Built in the parent from
// config.json; applied by the container init just before execve.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/c_string_array.h"
#include "base/result.h"
#include "base/sync_channel.h"
#include "runtime/process/capabilities.h"
#include "spec/config.h"

namespace sangja {

struct RlimitSetting {
  int resource;
  rlimit value;
  std::string name;
};

struct ProcessPlan {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<std::string> searchPath;  // $PATH of the container, for a bare args[0]
  std::string cwd;                      // absolute, inside the container
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  bool keepGroups = false;  // setgroups is denied (unprivileged user namespace)
  std::optional<mode_t> umask;
  std::vector<RlimitSetting> rlimits;
  std::optional<CapabilitySets> caps;  // absent: leave capabilities alone
  bool noNewPrivileges = false;
  std::string oomScoreAdj;  // decimal, empty: leave alone

  // args and env as execve takes them, made last by planProcess.
  CStringArray argv;
  CStringArray envp;
};

// Pure: an environment where a name given twice keeps its last value, at
// the place of its last mention (what runc and Go's os/exec do).
std::vector<std::string> keepLastOfEachName(const std::vector<std::string>& env);

// Parent side: config.json's process to a plan. HOME is added from the
// rootfs's /etc/passwd when the config does not set it, as runc does.
Result<ProcessPlan> planProcess(const spec::Process& process, int rootfsFd);

namespace child {

// Child side, in this order: before the rootfs is set up (host /proc).
void writeOomScoreAdj(const ProcessPlan& plan, const ChildChannel& channel);
// After the rootfs: limits, identity and capabilities, no_new_privs.
void applyRlimits(const ProcessPlan& plan, const ChildChannel& channel);
void applyIdentity(const ProcessPlan& plan, const ChildChannel& channel);
void applyNoNewPrivileges(const ProcessPlan& plan, const ChildChannel& channel);
// The cwd: first as the runtime's root (false: refused, try again), then,
// if that was refused, as the container's user.
bool enterCwdBeforeIdentity(const ProcessPlan& plan, const ChildChannel& channel);
void enterCwdAfterIdentity(const ProcessPlan& plan, bool entered, const ChildChannel& channel);
// Finds args[0] in the container's PATH; pathBuf holds the result.
const char* resolveExecutable(const ProcessPlan& plan, char* pathBuf, size_t size,
                              const ChildChannel& channel);

}  // namespace child

}  // namespace sangja
