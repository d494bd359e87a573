#include "runtime/lifecycle/features.h"

#include <seccomp.h>

#include <string>
#include <vector>

#include "namespaces/features.h"
#include "namespaces/mount_options.h"
#include "runtime/process/seccomp.h"
#include "spec/config.h"

namespace sangja {

namespace {

nlohmann::json capabilities() {
  std::vector<std::string> names;
  for (int cap = 0; cap <= spec::kLastCapability; ++cap) {
    names.emplace_back(spec::capabilityName(cap));
  }
  return names;
}

nlohmann::json seccompSection() {
  seccomp::Features f = seccomp::features();
  return {{"enabled", true},
          {"actions", f.actions},
          {"operators", f.operators},
          {"archs", f.archs},
          {"knownFlags", f.knownFlags},
          {"supportedFlags", seccomp::supportedFlags()}};
}

std::string libseccompVersion() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

}  // namespace

nlohmann::json featuresDocument() {
  ns::NamespaceFeatures namespaces = ns::namespaceFeatures();
  nlohmann::json linux = {
      {"namespaces", namespaces.namespaces},
      {"capabilities", capabilities()},
      // cgroupfs v2 and v1 (hybrid and legacy hosts) and the systemd driver.
      {"cgroup",
       {{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}, {"rdma", true}}},
      {"seccomp", seccompSection()},
      // Process labels are applied when the host enables the LSM (and
      // refused otherwise); SELinux mount labels are not supported.
      {"apparmor", {{"enabled", true}}},
      {"selinux", {{"enabled", true}}},
      {"intelRdt", {{"enabled", false}}},
      {"mountExtensions", {{"idmap", {{"enabled", namespaces.idmapMounts}}}}},
      {"netDevices", {{"enabled", namespaces.netDevices}}},
  };
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.3.0"},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", mnt::knownMountOptions()},
      {"linux", std::move(linux)},
      {"annotations",
       {{"io.github.seccomp.libseccomp.version", libseccompVersion()},
        {"org.opencontainers.runc.checkpoint.enabled", "false"}}},
  };
}

}  // namespace sangja
