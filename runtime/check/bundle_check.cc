#include "runtime/check/bundle_check.h"

#include <algorithm>
#include <functional>

#include "cgroups/resources.h"
#include "cgroups/resources_v1.h"
#include "runtime/process/seccomp.h"

namespace sangja::check {

namespace {

using Problems = std::vector<BundleProblem>;

std::string uidText(const HostFacts& h) {
  return "uid " + std::to_string(h.uid);
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// /proc/self/ns's name for a namespace type.
std::string_view procNsName(spec::NamespaceType type) {
  switch (type) {
    case spec::NamespaceType::Network:
      return "net";
    case spec::NamespaceType::Mount:
      return "mnt";
    default:
      return spec::namespaceTypeName(type);
  }
}

bool newUserNamespace(const spec::Config& config) {
  const spec::Namespace* user =
      config.linux ? config.linux->findNamespace(spec::NamespaceType::User) : nullptr;
  return user != nullptr && !user->path;
}

void checkNamespaces(const spec::Config& config, const HostFacts& host, Problems& out) {
  const std::vector<spec::Namespace> none;
  const std::vector<spec::Namespace>& namespaces = config.linux ? config.linux->namespaces : none;
  for (size_t i = 0; i < namespaces.size(); ++i) {
    const spec::Namespace& ns = namespaces[i];
    std::string path = "linux.namespaces[" + std::to_string(i) + "]";
    std::string_view kind = procNsName(ns.type);
    // An empty list: proc/self/ns could not be read, so nothing is claimed.
    if (!host.namespaceKinds.empty() && !host.hasNamespaceKind(kind)) {
      out.push_back({path, std::string(spec::namespaceTypeName(ns.type)) +
                               " namespaces are not available on this kernel"});
      continue;
    }
    if (ns.type == spec::NamespaceType::User && !ns.path) {
      UsernsVerdict verdict = userNamespacesFor(host);
      if (!verdict.allowed) {
        out.push_back(
            {path, "user namespaces are not allowed for " + uidText(host) + ": " + verdict.reason});
      }
    }
  }
  if (host.uid != 0 &&
      !config.linux.value_or(spec::Linux{}).hasNamespace(spec::NamespaceType::User)) {
    out.push_back({"linux.namespaces",
                   "without a user namespace only root can create a container, "
                   "and this is " +
                       uidText(host)});
  }
  if (config.linux && !config.linux->timeOffsets.empty() && !host.namespaceKinds.empty() &&
      !host.hasNamespaceKind("time")) {
    out.push_back({"linux.timeOffsets", "time namespaces are not available on this kernel"});
  }
}

std::string rangeText(uint64_t start, uint64_t count) {
  return std::to_string(start) + "-" + std::to_string(start + count - 1);
}

// A caller other than root maps its own id alone, or ranges of its
// subordinate ids through the setuid helper.
void checkIdMappings(const std::vector<spec::IdMapping>& mappings, const char* field,
                     const char* idKind, uint32_t ownId, const std::vector<IdRange>& subIds,
                     const char* subFile, const IdMapHelper& helper, Problems& out) {
  for (size_t i = 0; i < mappings.size(); ++i) {
    const spec::IdMapping& m = mappings[i];
    std::string path = std::string(field) + "[" + std::to_string(i) + "]";
    if (m.size == 1 && m.hostID == ownId) continue;
    uint64_t end = uint64_t{m.hostID} + m.size;
    bool inside = std::any_of(subIds.begin(), subIds.end(), [&](const IdRange& r) {
      return m.hostID >= r.start && end <= uint64_t{r.start} + r.count;
    });
    std::string who = std::string(idKind) + " " + std::to_string(ownId);
    if (subIds.empty()) {
      out.push_back({path, who + " has no range in " + subFile});
    } else if (!inside) {
      std::string ranges;
      for (const IdRange& r : subIds)
        ranges += (ranges.empty() ? "" : ", ") + rangeText(r.start, r.count);
      out.push_back({path, "host ids " + rangeText(m.hostID, m.size) + " are outside " + who +
                               "'s ranges in " + subFile + " (" + ranges + ")"});
    } else if (!helper.usable()) {
      std::string name =
          std::string(field).find("uid") != std::string::npos ? "newuidmap" : "newgidmap";
      out.push_back({path, "mapping more than " + who + " itself needs " + name +
                               (helper.path.empty() ? ", which is not installed"
                                                    : " (" + helper.path +
                                                          "), which is neither setuid root nor "
                                                          "has file capabilities")});
    }
  }
}

void checkMounts(const spec::Config& config, const HostFacts& host, Problems& out) {
  for (size_t i = 0; i < config.mounts.size(); ++i) {
    const spec::Mount& m = config.mounts[i];
    bool idmapped = !m.uidMappings.empty() || !m.gidMappings.empty() ||
                    contains(m.options, "idmap") || contains(m.options, "ridmap");
    // Unknown (not probed) makes no claim.
    if (idmapped && host.kernel.idmappedMounts.isNo()) {
      out.push_back({"mounts[" + std::to_string(i) + "]",
                     "idmapped mounts are not available: " + host.kernel.idmappedMounts.detail});
    }
  }
}

// A translator's "linux.resources.memory.swap: why" as a host problem.
BundleProblem splitFieldError(const std::string& message) {
  BundleProblem p = problemFromCreateError(message);
  p.source = "host";
  return p;
}

bool anyLimit(const spec::Resources& r) {
  return r != spec::Resources{};
}

// One Resources per field group, so that every refused group is reported,
// not only the first.
std::vector<spec::Resources> resourceGroups(const spec::Resources& r) {
  std::vector<spec::Resources> groups;
  auto add = [&](const std::function<void(spec::Resources&)>& set) {
    spec::Resources one;
    set(one);
    if (anyLimit(one)) groups.push_back(std::move(one));
  };
  add([&](spec::Resources& o) { o.memory = r.memory; });
  add([&](spec::Resources& o) { o.cpu = r.cpu; });
  add([&](spec::Resources& o) { o.pids = r.pids; });
  add([&](spec::Resources& o) { o.blockIO = r.blockIO; });
  add([&](spec::Resources& o) { o.hugepageLimits = r.hugepageLimits; });
  add([&](spec::Resources& o) { o.network = r.network; });
  add([&](spec::Resources& o) { o.rdma = r.rdma; });
  add([&](spec::Resources& o) { o.unified = r.unified; });
  return groups;
}

void checkResources(const spec::Resources& r, const HostFacts& host, Problems& out) {
  if (!anyLimit(r)) return;
  if (!host.cgroupLayout) {
    out.push_back({"linux.resources", host.cgroupError});
    return;
  }
  const cgroups::CgroupLayout& layout = *host.cgroupLayout;
  bool unified = layout.mode == cgroups::CgroupMode::kUnified;
  std::optional<Delegation> delegation = delegatedCgroup(host);
  if (host.uid != 0 && (!unified || !delegation)) {
    std::string why = unified ? "no cgroup is delegated to " + uidText(host)
                              : "this host's controllers are cgroup v1 (" +
                                    std::string(cgroups::cgroupModeName(layout.mode)) +
                                    "), which cannot be delegated to " + uidText(host);
    out.push_back({"linux.resources", why + " and limits are set"});
    return;
  }
  for (const spec::Resources& group : resourceGroups(r)) {
    // The translators create's drivers use, with this host's facts.
    std::optional<Error> refused;
    if (unified) {
      cgroups::CgroupFacts facts;
      for (const std::string& c : delegation->controllers) facts.controllers.add(c);
      facts.memorySwapMax = host.cgroup2SwapAccounting;
      auto writes = cgroups::translateResources(group, facts);
      if (!writes.ok()) refused = writes.error();
    } else {
      auto writes = cgroups::translateResourcesV1(group, host.v1);
      if (!writes.ok()) refused = writes.error();
    }
    if (refused) out.push_back(splitFieldError(refused->message()));
  }
  if (r.devices.empty()) return;
  if (unified && host.kernel.bpfDeviceFilter.isNo()) {
    out.push_back({"linux.resources.devices",
                   "device rules need a BPF cgroup device program, which this kernel refuses: " +
                       host.kernel.bpfDeviceFilter.detail});
  } else if (!unified && !layout.hierarchyOf("devices")) {
    out.push_back({"linux.resources.devices", "the devices controller is not mounted (cgroup v1)"});
  }
}

void checkLsm(const spec::Config& config, const HostFacts& host, Problems& out) {
  if (!config.process) return;
  if (!config.process->apparmorProfile.empty() && !host.apparmorEnabled) {
    out.push_back({"process.apparmorProfile", "AppArmor is not enabled"});
  }
  if (!config.process->selinuxLabel.empty() && host.selinuxMode.empty()) {
    out.push_back({"process.selinuxLabel", "SELinux is not enabled"});
  }
}

void checkSeccomp(const spec::Seccomp& s, const HostFacts& host, Problems& out) {
  const KernelProbes& k = host.kernel;
  if (k.seccomp.isNo()) {
    out.push_back(
        {"linux.seccomp", "seccomp is not available in this kernel: " + k.seccomp.detail});
    return;
  }
  if (!k.seccomp.isYes()) return;
  const std::vector<std::string> known = seccomp::features().actions;
  auto checkAction = [&](const std::string& action, const std::string& path) {
    // A name create does not know is create's error, not the host's.
    if (contains(known, action) && !contains(k.seccompActions, action)) {
      out.push_back({path, action + " is not supported by this kernel"});
    }
  };
  checkAction(s.defaultAction, "linux.seccomp.defaultAction");
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    checkAction(s.syscalls[i].action, "linux.seccomp.syscalls[" + std::to_string(i) + "].action");
  }
  const std::vector<std::string> knownFlags = seccomp::features().knownFlags;
  for (size_t i = 0; i < s.flags.size(); ++i) {
    if (contains(knownFlags, s.flags[i]) && !contains(k.seccompFlags, s.flags[i])) {
      out.push_back({"linux.seccomp.flags[" + std::to_string(i) + "]",
                     s.flags[i] + " is not supported by this kernel"});
    }
  }
}

// Whether text is a JSON path of config.json ("linux.namespaces[2].type").
bool looksLikeJsonPath(std::string_view text) {
  static constexpr std::string_view kTop[] = {"ociVersion", "root",        "mounts",
                                              "process",    "hostname",    "domainname",
                                              "hooks",      "annotations", "linux"};
  if (text.find(' ') != std::string_view::npos) return false;
  for (std::string_view top : kTop) {
    if (text.starts_with(top) &&
        (text.size() == top.size() || text[top.size()] == '.' || text[top.size()] == '[')) {
      return true;
    }
  }
  return false;
}

}  // namespace

BundleProblem problemFromCreateError(const std::string& message) {
  std::string_view rest = message;
  if (rest.starts_with("config.json: ")) rest.remove_prefix(13);
  size_t colon = rest.find(": ");
  if (colon != std::string_view::npos && looksLikeJsonPath(rest.substr(0, colon))) {
    return {std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 2)), "create"};
  }
  return {"", std::string(rest), "create"};
}

std::vector<BundleProblem> checkBundle(const spec::Config& config, const HostFacts& host) {
  Problems out;
  checkMounts(config, host, out);
  checkLsm(config, host, out);
  checkNamespaces(config, host, out);
  if (host.uid != 0 && newUserNamespace(config)) {
    checkIdMappings(config.linux->uidMappings, "linux.uidMappings", "uid", host.uid, host.subuid,
                    "/etc/subuid", host.newuidmap, out);
    checkIdMappings(config.linux->gidMappings, "linux.gidMappings", "gid", host.gid, host.subgid,
                    "/etc/subgid", host.newgidmap, out);
  }
  if (config.linux && config.linux->resources) checkResources(*config.linux->resources, host, out);
  if (config.linux && config.linux->seccomp) checkSeccomp(*config.linux->seccomp, host, out);
  return out;
}

}  // namespace sangja::check
