// Building the RootfsPlan from config.json: parent side, before any fork.
// It only reads the host (stat of bind sources, realpath of the rootfs), so
// unit tests cover it without root.
#pragma once

#include <string>

#include "base/result.h"
#include "cgroups/layout.h"
#include "namespaces/mount.h"
#include "spec/config.h"

namespace sangja::mnt {

struct RootfsOptions {
  std::string bundle;  // absolute bundle directory
  bool noPivot = false;
  // Added to the data of every cgroup2 mount (the host's root flags, when
  // the container shares the host's cgroup namespace); see
  // cgroups::hostCgroup2Flags.
  std::string cgroup2Flags;
  // The container has a user namespace (new or joined): devices are bound
  // from the host, and sysfs/cgroup2 may fall back to binds.
  bool userNamespace = false;
  // The runtime itself lacks real root (rootless, in its caller's user
  // namespace): the same, even when the container has no user namespace.
  bool runtimeRootless = false;
  // What that fallback binds for cgroup2: the container's own cgroup
  // directory in the host's cgroup2 mount (or the whole mount).
  std::string cgroup2Mount{};
  // On a cgroup v1 host: what a "cgroup" mount shows (the container's own
  // cgroup in each hierarchy); empty on a v2 host, where it is cgroup2.
  std::vector<cgroups::CgroupViewBind> cgroupV1View{};
  bool ownMountNamespace = true;  // see RootfsPlan
};

Result<RootfsPlan> planRootfs(const spec::Config& config, const RootfsOptions& options);

// The /proc/sys path for a namespaced sysctl key, or an error when the key
// is not namespaced by one of the container's own namespaces (writing it
// would change the host).
Result<std::string> sysctlProcPath(const std::string& key, bool netNs, bool ipcNs, bool utsNs);

}  // namespace sangja::mnt
