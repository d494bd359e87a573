// Which cgroup hierarchies a host mounts, and so which driver serves it:
//   unified  cgroup2 only (at /sys/fs/cgroup)
//   hybrid   v1 controllers under /sys/fs/cgroup/<ctrl> plus a cgroup2
//            mount (systemd's layout: /sys/fs/cgroup/unified)
//   legacy   v1 controllers only
// Read from mountinfo, so that unit tests can give recorded hosts. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sangja::cgroups {

enum class CgroupMode { kUnified, kHybrid, kLegacy };
const char* cgroupModeName(CgroupMode mode);  // "unified", "hybrid", "legacy"
std::optional<CgroupMode> cgroupModeFromName(std::string_view name);

// One mounted v1 hierarchy.
struct V1Hierarchy {
  std::string mountPoint;  // "/sys/fs/cgroup/memory"
  std::string root;        // the part of the hierarchy mounted ("/" on the host)
  // Its controllers, joint ones together ("cpu", "cpuacct"), and a named
  // hierarchy as "name=systemd".
  std::vector<std::string> controllers;
  bool operator==(const V1Hierarchy&) const = default;
};

struct CgroupLayout {
  CgroupMode mode = CgroupMode::kUnified;
  std::string v2Mount;          // "" when legacy
  std::vector<V1Hierarchy> v1;  // empty when unified
  // The v1 hierarchy holding controller (or "name=systemd"); null if none.
  const V1Hierarchy* hierarchyOf(std::string_view controller) const;
};

// What a container's "cgroup" mount shows on a v1 host: a tmpfs with one
// directory per hierarchy (its mount point's name: "memory", "systemd",
// "unified"), each a bind of the container's own cgroup there, as runc
// does; never the host's whole tree.
struct CgroupViewBind {
  std::string source;  // "/sys/fs/cgroup/memory/sangja/ID"
  std::string name;    // "memory", "cpu,cpuacct"
  // A joint hierarchy's controllers, each a symlink to name as on the host
  // ("cpu" -> "cpu,cpuacct"); empty otherwise.
  std::vector<std::string> aliases;
  bool operator==(const CgroupViewBind&) const = default;
};
std::vector<CgroupViewBind> containerCgroupView(const CgroupLayout& layout,
                                                const std::string& cgroupPath);

// The layout under /sys/fs/cgroup from mountinfo's text (cgroup mounts
// elsewhere, such as a container's view, are not the host's). A host with
// none is an error naming /sys/fs/cgroup.
Result<CgroupLayout> parseCgroupLayout(std::string_view mountinfo);

}  // namespace sangja::cgroups
