// config.json -> LaunchPlan: every decision made, every path resolved and
// every string built before the clone. Two builders, one per kind of
// process; a plan is complete when its builder returns (argv and envp
// included) and is only read after that.
#pragma once

#include <string>

#include "base/result.h"
#include "cgroups/layout.h"
#include "runtime/launch/init_join.h"
#include "runtime/launch/launcher.h"
#include "spec/config.h"

namespace sangja {

// What both kinds of process take from the command line.
struct ProcessOptions {
  int preserveFds = 0;
  std::string sessionKeyring;   // empty: --no-new-keyring
  std::string seccompCacheDir;  // compiled filters (seccomp_cache.h); empty: no cache
};

struct InitOptions {
  std::string bundle;  // absolute
  bool noPivot = false;
  // create's hooks run while the init waits before pivot_root.
  bool pauseForHooks = false;
  ProcessOptions process;
  // A "cgroup" mount on a v1 host (cgroups::hostCgroupView).
  std::vector<cgroups::CgroupViewBind> cgroupV1View{};
  // --rootless: no device nodes, sysfs or cgroup2 of the runtime's own.
  bool rootless = false;
  // The container's cgroup in the v2 hierarchy of a unified host
  // ("/sangja/ID"; the caller's own when it has none): what a cgroup2 mount
  // the kernel refuses in a user namespace falls back to binding, as runc's
  // does (empty: the whole hierarchy).
  std::string cgroup2Dir{};
};

// A new container's init, from the whole config (its process is required).
[[nodiscard]] Result<LaunchPlan> planInit(const spec::Config& config, const InitOptions& options);

// A process exec'd into a live container: it joins its init's namespaces
// and root (taken over from `init`). linux: the container's (for seccomp
// and labels), null if it has none.
[[nodiscard]] Result<LaunchPlan> planExec(const spec::Process& process, const spec::Linux* linux,
                                          InitNamespaces init, const ProcessOptions& options);

}  // namespace sangja
