#include "runtime/launch/launch_plan.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/trace.h"
#include "cgroups/cgroup_manager.h"
#include "namespaces/mount_plan.h"

namespace sangja {

namespace {

// A uts namespace joined by path that is our own would make the
// container's hostname the host's.
bool joinsOurOwnUts(const ns::NamespacePlan& namespaces) {
  struct stat ours, joined;
  if (::stat("/proc/self/ns/uts", &ours) < 0) return false;
  for (const ns::Join& j : namespaces.joins) {
    if (j.type == CLONE_NEWUTS && ::fstat(j.fd.get(), &joined) == 0 &&
        joined.st_ino == ours.st_ino && joined.st_dev == ours.st_dev) {
      return true;
    }
  }
  return false;
}

Status checkNamespaceNeeds(const spec::Config& config, const ns::NamespacePlan& namespaces) {
  // Without one the container mounts in the runtime's mount namespace,
  // which a user namespace's root may not do.
  if (!namespaces.has(CLONE_NEWNS) && namespaces.has(CLONE_NEWUSER)) {
    return Error::invalid(
        "linux.namespaces: a user namespace needs a mount namespace too (the container's mounts "
        "would be made in the runtime's, which its root does not own)");
  }
  // Its own uts namespace, new or joined by path (runc sets it there too).
  if (!config.hostname.empty() && !namespaces.has(CLONE_NEWUTS)) {
    return Error::invalid("hostname: setting it needs the container's own uts namespace");
  }
  if (!config.domainname.empty() && !namespaces.has(CLONE_NEWUTS)) {
    return Error::invalid("domainname: setting it needs the container's own uts namespace");
  }
  if ((!config.hostname.empty() || !config.domainname.empty()) && joinsOurOwnUts(namespaces)) {
    return Error::invalid(
        "linux.namespaces: the uts namespace joined by path is the runtime's own; setting "
        "hostname or domainname there would rename the host");
  }
  return {};
}

bool mountsCgroup2(const spec::Config& config) {
  for (const spec::Mount& m : config.mounts) {
    if (m.type == "cgroup" || m.type == "cgroup2") return true;
  }
  return false;
}

// Mounting cgroup2 from the host's cgroup namespace re-applies the
// hierarchy's root flags: without the host's own flags, a container would
// clear nsdelegate or memory_recursiveprot for the whole host.
std::string hostCgroup2Flags() {
  Result<std::string> mount = cgroups::findCgroup2Mount();
  if (!mount.ok()) return "";
  return cgroups::hostCgroup2Flags(readFile("/proc/self/mountinfo").valueOr(""), *mount);
}

}  // namespace

Result<LaunchPlan> buildLaunchPlan(const spec::Config& config, const LaunchOptions& options) {
  LaunchPlan plan;
  static const std::vector<spec::Namespace> kNoNamespaces;
  plan.namespaces =
      TRY(ns::planNamespaces(config.linux ? config.linux->namespaces : kNoNamespaces));
  TRY(checkNamespaceNeeds(config, plan.namespaces));
  plan.user = TRY(ns::planUser(config, plan.namespaces));
  plan.time = TRY(ns::planTimeNamespace(config, plan.namespaces));
  plan.uts = ns::UtsPlan{config.hostname, config.domainname};
  if (config.linux) {
    plan.netDevices = TRY(ns::planNetDevices(config.linux->netDevices, plan.namespaces));
    TRY(ns::checkNetDevicesOnHost(plan.netDevices, plan.namespaces));
  }
  mnt::RootfsOptions rootfsOptions{options.bundle, options.noPivot, ""};
  if (!plan.namespaces.hasNew(CLONE_NEWCGROUP) && mountsCgroup2(config)) {
    rootfsOptions.cgroup2Flags = hostCgroup2Flags();
  }
  rootfsOptions.userNamespace = plan.namespaces.has(CLONE_NEWUSER);
  rootfsOptions.ownMountNamespace = plan.namespaces.has(CLONE_NEWNS);
  if (rootfsOptions.userNamespace) {
    rootfsOptions.cgroup2Mount = cgroups::findCgroup2Mount().valueOr("");
  }
  plan.rootfs = TRY(mnt::planRootfs(config, rootfsOptions));
  UniqueFd rootfs = TRY(openFile(plan.rootfs.rootfs, O_PATH | O_DIRECTORY));
  plan.console = TRY(console::planConsole(*config.process, true));
  plan.process = TRY(planProcess(*config.process, rootfs.get()));
  plan.process.keepGroups = plan.user.denySetgroups;
  bool wantsRdt = config.linux && config.linux->intelRdt;
  plan.attrs = TRY(planProcessAttrs(config, wantsLsm(config) ? LsmSupport::probe() : LsmSupport{},
                                    wantsRdt && hostHasResctrl()));
  if (config.linux && config.linux->seccomp) {
    plan.seccomp =
        TRY(seccomp::planProgram(*config.linux->seccomp, plan.process, options.seccompCacheDir));
    trace::mark(plan.seccomp.fromCache ? "seccomp filter from cache" : "seccomp filter compiled");
  }
  // Before the clone: the runtime turns non-dumpable here.
  plan.execGuard = TRY(
      prepareExecGuard(config.linux && config.linux->seccomp ? &*config.linux->seccomp : nullptr));
  plan.preserveFds = options.preserveFds;
  plan.sessionKeyring = options.sessionKeyring;
  return plan;
}

}  // namespace sangja
