// Container statistics from the cgroup v2 files, in runc's types.Stats JSON
// shape (what `events --stats` prints and containerd's shim parses).
// Files of controllers the cgroup does not have are skipped, as runc does.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"

namespace sangja::cgroups {

// Reads stats from the cgroup directory dir (a real cgroup, or any
// directory holding files of the same names).
Result<nlohmann::ordered_json> readStats(const std::string& dir);

// The same shape from cgroup v1 files; dirs maps each mounted controller
// ("cpu", "cpuacct", "memory", "pids", "blkio", "hugetlb") to the cgroup's
// directory in its hierarchy. A controller not in dirs is left out.
Result<nlohmann::ordered_json> readStatsV1(const std::map<std::string, std::string>& dirs);

// memory.events "oom_kill" count; 0 when the file is absent.
uint64_t oomKillCount(const std::string& dir);

}  // namespace sangja::cgroups
