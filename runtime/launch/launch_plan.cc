#include "runtime/launch/launch_plan.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/signal_dispositions.h"
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

// setgroups(2) denied in the joined user namespace: the additional groups
// stay as they are (the init's rule, namespaces/user.h).
bool setgroupsDenied(int procDir) {
  Result<std::string> text = readFileAt(procDir, "setgroups");
  return text.ok() && text->starts_with("deny");
}

struct ProcessPart {
  int rootFd;            // where HOME is looked up in /etc/passwd
  bool keepGroups;       // setgroups is denied
  bool mountDevConsole;  // a new container's /dev/console
  bool wantsRdt;         // linux.intelRdt applies (the init only)
};

// What init and exec plans share, last: the process and its attributes,
// its seccomp filter and the exec guard, whose argv is the plan's final
// step.
Status planProcessPart(LaunchPlan& plan, const spec::Process& process, const spec::Linux* linux,
                       const ProcessPart& part, const ProcessOptions& options) {
  plan.console = TRY(console::planConsole(process, part.mountDevConsole));
  plan.process = TRY(planProcess(process, part.rootFd));
  plan.process.keepGroups = part.keepGroups;
  plan.attrs = TRY(planProcessAttrs(process, linux,
                                    wantsLsm(process, linux) ? LsmSupport::probe() : LsmSupport{},
                                    part.wantsRdt && hostHasResctrl()));
  const spec::Seccomp* seccomp = linux && linux->seccomp ? &*linux->seccomp : nullptr;
  if (seccomp) {
    plan.seccomp = TRY(seccomp::planProgram(*seccomp, plan.process, options.seccompCacheDir));
    trace::mark(plan.seccomp.fromCache ? "seccomp filter from cache" : "seccomp filter compiled");
  }
  // Before the clone: the runtime turns non-dumpable here.
  plan.execGuard = TRY(prepareExecGuard(seccomp));
  plan.execGuard.prepareArgv(plan.process.argv.data());
  plan.signalsToReset = signalsNotAtDefault();
  plan.preserveFds = options.preserveFds;
  plan.sessionKeyring = options.sessionKeyring;
  return {};
}

}  // namespace

Result<LaunchPlan> planInit(const spec::Config& config, const InitOptions& options) {
  LaunchPlan plan;
  const spec::Linux* linux = config.linux ? &*config.linux : nullptr;
  static const std::vector<spec::Namespace> kNoNamespaces;
  plan.namespaces = TRY(ns::planNamespaces(linux ? linux->namespaces : kNoNamespaces));
  TRY(checkNamespaceNeeds(config, plan.namespaces));
  plan.user = TRY(ns::planUser(config, plan.namespaces));
  plan.time = TRY(ns::planTimeNamespace(config, plan.namespaces));
  plan.uts = ns::UtsPlan{config.hostname, config.domainname};
  if (linux) {
    plan.netDevices = TRY(ns::planNetDevices(linux->netDevices, plan.namespaces));
    TRY(ns::checkNetDevicesOnHost(plan.netDevices, plan.namespaces));
  }
  mnt::RootfsOptions rootfsOptions{options.bundle, options.noPivot, ""};
  if (!plan.namespaces.hasNew(CLONE_NEWCGROUP) && mountsCgroup2(config)) {
    rootfsOptions.cgroup2Flags = hostCgroup2Flags();
  }
  rootfsOptions.cgroupV1View = options.cgroupV1View;
  rootfsOptions.userNamespace = plan.namespaces.has(CLONE_NEWUSER);
  rootfsOptions.runtimeRootless = options.rootless;
  rootfsOptions.ownMountNamespace = plan.namespaces.has(CLONE_NEWNS);
  if (rootfsOptions.userNamespace || rootfsOptions.runtimeRootless) {
    std::string mount = cgroups::findCgroup2Mount().valueOr("");
    std::string dir = options.cgroup2Dir == "/" ? "" : options.cgroup2Dir;
    if (!mount.empty()) rootfsOptions.cgroup2Mount = mount + dir;
  }
  plan.rootfs = TRY(mnt::planRootfs(config, rootfsOptions));
  plan.pauseForHooks = options.pauseForHooks;
  plan.rootless = options.rootless;
  UniqueFd rootfs = TRY(openFile(plan.rootfs.rootfs, O_PATH | O_DIRECTORY));
  TRY(planProcessPart(
      plan, *config.process, linux,
      ProcessPart{rootfs.get(), plan.user.denySetgroups, true, linux && linux->intelRdt},
      options.process));
  return plan;
}

Result<LaunchPlan> planExec(const spec::Process& process, const spec::Linux* linux,
                            InitNamespaces init, const ProcessOptions& options) {
  LaunchPlan plan;
  for (InitNamespaces::Ns& ns : init.others) {
    plan.namespaces.joins.push_back(ns::Join{
        ns.type, std::string("the container's ") + ns.name + " namespace", std::move(ns.fd)});
  }
  plan.namespaces.userNsToJoin = std::move(init.user);
  plan.namespaces.pidNsToJoin = std::move(init.pid);
  plan.joinRoot = std::move(init.root);
  bool keepGroups = plan.namespaces.userNsToJoin && setgroupsDenied(init.procDir.get());
  TRY(planProcessPart(plan, process, linux,
                      ProcessPart{plan.joinRoot.get(), keepGroups, false, false}, options));
  if (const auto& affinity = process.execCPUAffinity; affinity && !affinity->final.empty()) {
    plan.attrs.finalCpuAffinity =
        TRY(planCpuAffinity(affinity->final, "process.execCPUAffinity.final"));
  }
  return plan;
}

}  // namespace sangja
