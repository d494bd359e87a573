// linux.cgroupsPath under --systemd-cgroup: "slice:prefix:name" names a
// transient scope ("prefix-name.scope") in a slice, and the cgroup systemd
// gives it ("/system.slice/prefix-name.scope"). Pure.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace sangja::cgroups {

struct SystemdCgroupName {
  std::string slice;  // "system.slice"; "-.slice" is the root slice
  std::string scope;  // "docker-ID.scope"
  // The scope's cgroup, from the hierarchy root: "/system.slice/docker-ID.scope".
  std::string path;
  bool operator==(const SystemdCgroupName&) const = default;
};

// The slice of a scope whose cgroupsPath names none: the system manager's
// system.slice; a user's own systemd instance (rootless) has user.slice.
inline constexpr std::string_view kSystemDefaultSlice = "system.slice";
inline constexpr std::string_view kUserDefaultSlice = "user.slice";

// Parses cgroupsPath as runc does with --systemd-cgroup: an empty path is
// ":sangja:ID", an empty slice is defaultSlice, an empty prefix leaves just
// "name.scope". A path that is not three ':'-separated parts, a slice that
// is not a valid slice name, a unit name systemd would refuse, and a name
// ending in ".slice" (a container as a slice unit) are refused with an error
// naming linux.cgroupsPath.
Result<SystemdCgroupName> parseSystemdCgroupsPath(
    std::string_view cgroupsPath, std::string_view id,
    std::string_view defaultSlice = kSystemDefaultSlice);

// A slice's cgroup, its parents spelled by dashes: "a-b.slice" is
// "/a.slice/a-b.slice", "-.slice" is "/". Refuses what systemd would not
// take as a slice name ("a--b.slice", "-a.slice", "a/b.slice", no suffix).
Result<std::string> expandSlice(std::string_view slice);

// Whether systemd takes name as a unit name: 1 to 255 bytes of letters,
// digits, ":-_.\\" with a suffix after the last dot, not starting with a dot.
bool isValidUnitName(std::string_view name);

}  // namespace sangja::cgroups
