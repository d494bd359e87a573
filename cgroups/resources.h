// linux.resources -> cgroup v2 interface files.
//
// The translation is pure: translateResources() turns a spec::Resources plus a
// few facts about the target cgroup (which controllers it has, which optional
// files exist) into an ordered list of {file, value} writes, validating every
// field before anything is written. applyWrites() then performs them against an
// open cgroup directory fd, and probeCgroup() gathers the facts from one.
//
// The rules follow runc's fs2 driver (and crun's cgroup-resources.c where the
// two agree); the places where sangja picks one of them, or neither, are noted
// in resources.cc next to the code.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "spec/config.h"

namespace sangja::cgroups {

// One write(2) to a file of the cgroup directory.
struct CgroupWrite {
  std::string file;   // "memory.max"
  std::string value;  // "1048576" (no trailing newline)
  bool operator==(const CgroupWrite&) const = default;
};

// The controllers a cgroup has (its cgroup.controllers), sorted, no duplicates.
class ControllerSet {
 public:
  ControllerSet() = default;
  ControllerSet(std::initializer_list<std::string_view> names);

  bool has(std::string_view name) const;
  void add(std::string_view name);
  const std::vector<std::string>& names() const { return names_; }
  bool operator==(const ControllerSet&) const = default;

 private:
  std::vector<std::string> names_;
};

// Parses the content of a cgroup.controllers file ("cpuset cpu io memory\n").
ControllerSet parseControllers(std::string_view cgroupControllersFile);

// What translateResources needs to know about the target cgroup.
struct CgroupFacts {
  ControllerSet controllers;
  // io.bfq.weight exists (the BFQ scheduler is loaded): blockIO weights go
  // there unconverted instead of to io.weight.
  bool ioBfqWeight = false;
  // hugetlb.<size>.rsvd.max files exist (Linux 5.7+): hugepage limits are
  // written to them too.
  bool hugetlbRsvd = false;
  // memory.swap.max exists (swap accounting is on). Without it a swap of
  // "max" or "0" is dropped silently (as runc does) and any other swap value is
  // an error.
  bool memorySwapMax = true;
};

// Reads cgroup.controllers of the open cgroup directory and checks which of
// the optional files above exist.
Result<CgroupFacts> probeCgroup(int cgroupDirFd);

// Every write the resources need, in a safe order (pids, memory, io, cpu,
// cpuset, hugetlb, rdma, then unified, which thus overrides the typed fields).
// Errors name the field: `linux.resources.memory.swap: ...`; a needed
// controller that is missing gives
// `linux.resources.memory: the memory controller is not available in this cgroup`.
// linux.resources.devices is not handled here (that is the eBPF program).
Result<std::vector<CgroupWrite>> translateResources(const spec::Resources& r,
                                                    const CgroupFacts& facts);

// The controllers the resources need, sorted: the ones to enable in the
// parents' cgroup.subtree_control. Never includes the "cgroup" core files.
std::vector<std::string> controllersNeeded(const spec::Resources& r);

// Performs the writes in order against an open cgroup directory (openat
// O_WRONLY|O_TRUNC|O_CLOEXEC|O_NOFOLLOW, never creating a file). Consecutive
// writes to the same file share one open fd. An error names the value and
// the file: `write "1048576" to memory.max: No such file or directory`.
Status applyWrites(int cgroupDirFd, const std::vector<CgroupWrite>& writes);

// memory.checkBeforeUpdate (an `update`-time check, as runc does it): with the
// flag set, a positive limit or memory+swap limit at or below the cgroup's
// current usage (memory.current) is rejected. Without the flag, always OK.
Status checkMemoryBeforeUpdate(const spec::Memory& m, uint64_t currentUsage);

// cpu.shares (cgroup v1, [2, 262144], default 1024) to cpu.weight (v2,
// [1, 10000], default 100): runc's and crun's quadratic fit in log2 space.
// 0 stays 0 ("unset").
uint64_t cpuSharesToWeight(uint64_t shares);

// The limits in force that an update merges with (runc merges with the
// cgroup's current resources).
struct CurrentLimits {
  std::optional<int64_t> memoryLimit;  // -1: unlimited
  std::optional<uint64_t> cpuPeriod;
  bool operator==(const CurrentLimits&) const = default;
};

// From the v2 files' text: memory.max ("max" or bytes) and cpu.max
// ("QUOTA PERIOD"); empty or unreadable text leaves the field empty.
CurrentLimits parseCurrentLimits(std::string_view memoryMax, std::string_view cpuMax);

// An update names only what changes; fields that only make sense together
// take their partner from the limits in force: swap without a memory limit
// gets the current one, a quota without a period the current period.
spec::Resources mergeWithCurrent(spec::Resources update, const CurrentLimits& current);

// blkio.weight ([10, 1000]) to io.weight ([1, 10000]): runc's linear map.
// 0 stays 0 ("unset"); values outside [10, 1000] are clamped to the ends.
uint64_t blkioWeightToIoWeight(uint16_t weight);

}  // namespace sangja::cgroups
