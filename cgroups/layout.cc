#include "cgroups/layout.h"

#include <algorithm>

#include "base/mountinfo.h"

namespace sangja::cgroups {

namespace {

constexpr std::string_view kCgroupRoot = "/sys/fs/cgroup";

// What a v1 mount's super options may name as controllers; the others
// ("rw", "xattr", "clone_children", "release_agent=...") are options.
constexpr std::string_view kV1Controllers[] = {
    "cpu",      "cpuacct", "cpuset",     "memory",  "devices", "freezer", "net_cls",
    "net_prio", "blkio",   "perf_event", "hugetlb", "pids",    "rdma",    "misc"};

bool underCgroupRoot(std::string_view point) {
  return point == kCgroupRoot ||
         (point.starts_with(kCgroupRoot) && point[kCgroupRoot.size()] == '/');
}

std::vector<std::string> v1Controllers(std::string_view superOptions) {
  std::vector<std::string> out;
  while (!superOptions.empty()) {
    size_t comma = superOptions.find(',');
    std::string_view option = superOptions.substr(0, comma);
    superOptions =
        comma == std::string_view::npos ? std::string_view{} : superOptions.substr(comma + 1);
    bool known = std::find(std::begin(kV1Controllers), std::end(kV1Controllers), option) !=
                 std::end(kV1Controllers);
    if (known || option.starts_with("name=")) out.emplace_back(option);
  }
  return out;
}

}  // namespace

const char* cgroupModeName(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::kUnified:
      return "unified";
    case CgroupMode::kHybrid:
      return "hybrid";
    case CgroupMode::kLegacy:
      return "legacy";
  }
  return "unknown";
}

std::optional<CgroupMode> cgroupModeFromName(std::string_view name) {
  for (CgroupMode mode : {CgroupMode::kUnified, CgroupMode::kHybrid, CgroupMode::kLegacy}) {
    if (name == cgroupModeName(mode)) return mode;
  }
  return std::nullopt;
}

const V1Hierarchy* CgroupLayout::hierarchyOf(std::string_view controller) const {
  for (const V1Hierarchy& h : v1) {
    if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end()) {
      return &h;
    }
  }
  return nullptr;
}

std::vector<CgroupViewBind> containerCgroupView(const CgroupLayout& layout,
                                                const std::string& cgroupPath) {
  std::vector<CgroupViewBind> out;
  auto add = [&](const std::string& mountPoint) -> CgroupViewBind& {
    return out.emplace_back(
        CgroupViewBind{mountPoint + cgroupPath, mountPoint.substr(mountPoint.rfind('/') + 1), {}});
  };
  for (const V1Hierarchy& h : layout.v1) {
    CgroupViewBind& bind = add(h.mountPoint);
    if (bind.name.find(',') == std::string::npos) continue;
    for (const std::string& c : h.controllers) {
      if (c != bind.name && !c.starts_with("name=")) bind.aliases.push_back(c);
    }
  }
  if (layout.mode == CgroupMode::kHybrid) add(layout.v2Mount);
  return out;
}

Result<CgroupLayout> parseCgroupLayout(std::string_view mountinfo) {
  CgroupLayout layout;
  for (const MountinfoEntry& m : parseMountinfo(mountinfo)) {
    if (!underCgroupRoot(m.mountPoint)) continue;
    if (m.fstype == "cgroup2") {
      layout.v2Mount = m.mountPoint;  // the last one mounted there is in view
    } else if (m.fstype == "cgroup") {
      std::vector<std::string> controllers = v1Controllers(m.superOptions);
      if (controllers.empty()) continue;
      // A later mount on the same point covers the earlier one.
      std::erase_if(layout.v1, [&](const V1Hierarchy& h) { return h.mountPoint == m.mountPoint; });
      layout.v1.push_back(V1Hierarchy{m.mountPoint, m.root, std::move(controllers)});
    }
  }
  if (layout.v1.empty() && layout.v2Mount.empty()) {
    return Error::invalid("no cgroup hierarchy is mounted under /sys/fs/cgroup", ENOENT);
  }
  if (layout.v1.empty()) {
    layout.mode = CgroupMode::kUnified;
  } else {
    layout.mode = layout.v2Mount.empty() ? CgroupMode::kLegacy : CgroupMode::kHybrid;
  }
  return layout;
}

}  // namespace sangja::cgroups
