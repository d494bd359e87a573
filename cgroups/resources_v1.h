// linux.resources -> cgroup v1 interface files, for the v1 and hybrid
// driver: each write names the controller whose hierarchy holds the file.
// Pure, like translateResources (resources.h): the spec's values and a few
// facts about the host's hierarchies in, an ordered list of writes out, every
// field validated before anything is written. The rules follow runc's fs
// driver; where sangja differs it says so next to the code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cgroups/device_filter.h"
#include "cgroups/resources.h"
#include "spec/config.h"

namespace sangja::cgroups {

struct V1Write {
  std::string controller;  // "memory": the hierarchy that holds the file
  std::string file;        // "memory.limit_in_bytes"
  std::string value;
  bool operator==(const V1Write&) const = default;
};

// What the v1 translation needs to know about the host and the cgroup.
struct V1Facts {
  ControllerSet mounted;     // the v1 controllers the host mounts
  bool memsw = true;         // memory.memsw.limit_in_bytes (swap accounting)
  bool kmem = false;         // memory.kmem.limit_in_bytes
  bool kmemTcp = false;      // memory.kmem.tcp.limit_in_bytes
  bool cfsBurst = false;     // cpu.cfs_burst_us (5.14+)
  bool cpuIdle = false;      // cpu.idle (5.15+)
  bool realtime = false;     // cpu.rt_period_us / cpu.rt_runtime_us (CONFIG_RT_GROUP_SCHED)
  bool bfqWeight = false;    // blkio.bfq.weight instead of blkio.weight
  bool leafWeight = false;   // blkio.leaf_weight (CFQ)
  bool hugetlbRsvd = false;  // hugetlb.<size>.rsvd.limit_in_bytes
  // memory.limit_in_bytes now: with both a memory and a swap limit, which
  // is written first depends on it (the kernel keeps memory <= memory+swap
  // at every step). Unknown: memory first.
  std::optional<int64_t> currentMemoryLimit;
};

// Every write, in runc's order (pids, memory, cpu, cpuset, blkio, hugetlb,
// net_cls, net_prio, rdma). linux.resources.unified is refused (v2 only);
// devices are the driver's (devices.allow/deny).
Result<std::vector<V1Write>> translateResourcesV1(const spec::Resources& r, const V1Facts& facts);

// The device rules (effectiveDeviceRules, device_filter.h) as devices.deny
// and devices.allow lines: everything denied first (or allowed, when the
// first rule allows every device), then each rule in order, so a later
// rule overrides an earlier one for the same devices.
std::vector<V1Write> deviceRulesV1(const std::vector<DeviceRule>& rules);

}  // namespace sangja::cgroups
