// What the v1 and v2 cgroupfs drivers do alike: path components, the
// cgroup.procs list, signalling every process, removing a cgroup and the
// parents create made. Internal to cgroups/.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sangja::cgroups::fs {

// The cgroup every container goes under without linux.cgroupsPath.
inline constexpr std::string_view kDefaultParent = "/sangja";

// "/a//b/" -> {"a", "b"}.
std::vector<std::string> components(const std::string& path);

// cgroup.procs' text -> pids.
std::vector<pid_t> parsePids(std::string_view text);

// sig to each pid; one already gone is skipped.
Status signalEach(const std::vector<pid_t>& pids, int sig);

// Removes root+path (waiting a moment while dying processes hold it), then
// each parent create made (up to createdFrom) that is empty now, and the
// default parent when empty.
Status removeCgroup(const std::string& root, const std::string& path,
                    const std::string& createdFrom);

}  // namespace sangja::cgroups::fs
