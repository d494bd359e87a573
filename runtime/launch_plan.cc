#include "runtime/launch_plan.h"

#include <fcntl.h>

#include "base/file.h"
#include "namespaces/mount_plan.h"

namespace sangja {

namespace {

Status checkProcess(const spec::Process& process) {
  if (process.terminal) {
    return Error::invalid("process.terminal: terminals are not supported yet; set it to false",
                          ENOTSUP);
  }
  return {};
}

Status checkNamespaceNeeds(const spec::Config& config, const ns::NamespacePlan& namespaces) {
  if (!namespaces.has(CLONE_NEWNS)) {
    return Error::invalid("linux.namespaces: a mount namespace is required");
  }
  if (!config.hostname.empty() && !namespaces.hasNew(CLONE_NEWUTS)) {
    return Error::invalid("hostname: setting it needs the container's own uts namespace");
  }
  if (!config.domainname.empty() && !namespaces.hasNew(CLONE_NEWUTS)) {
    return Error::invalid("domainname: setting it needs the container's own uts namespace");
  }
  return {};
}

}  // namespace

Result<LaunchPlan> buildLaunchPlan(const spec::Config& config, const LaunchOptions& options) {
  LaunchPlan plan;
  static const std::vector<spec::Namespace> kNoNamespaces;
  plan.namespaces =
      TRY(ns::planNamespaces(config.linux ? config.linux->namespaces : kNoNamespaces));
  TRY(checkNamespaceNeeds(config, plan.namespaces));
  plan.uts = ns::UtsPlan{config.hostname, config.domainname};
  plan.rootfs = TRY(mnt::planRootfs(config, mnt::RootfsOptions{options.bundle, options.noPivot}));
  UniqueFd rootfs = TRY(openFile(plan.rootfs.rootfs, O_PATH | O_DIRECTORY));
  TRY(checkProcess(*config.process));
  plan.process = TRY(planProcess(*config.process, rootfs.get()));
  plan.preserveFds = options.preserveFds;
  plan.sessionKeyring = options.sessionKeyring;
  return plan;
}

}  // namespace sangja
