#include "cgroups/resources_v1.h"

#include "cgroups/resource_fields.h"

namespace sangja::cgroups {

namespace {

using namespace fields;  // NOLINT: the helpers every emitter uses

struct Writer {
  std::vector<V1Write>& out;
  std::string controller;
  void operator()(std::string file, std::string value) {
    out.push_back({controller, std::move(file), std::move(value)});
  }
};

Status requireMounted(const V1Facts& facts, std::string_view field, std::string_view controller) {
  if (facts.mounted.has(controller)) return {};
  return fieldError(
      field,
      "the " + std::string(controller) + " controller is not mounted on this host (cgroup v1)",
      ENOENT);
}

// A file this kernel or configuration does not have.
Error missingFile(std::string_view field, std::string_view file) {
  return fieldError(field, "this host has no " + std::string(file), ENOTSUP);
}

// v1 takes -1 for "unlimited" as it is.
std::string bytes(int64_t v) {
  return num(v);
}

Status emitPids(const spec::Resources& r, const V1Facts& facts, std::vector<V1Write>& out) {
  if (!r.pids || !r.pids->limit) return {};
  int64_t limit = *r.pids->limit;
  if (limit < 0 && !facts.mounted.has("pids")) return {};  // nothing asked, nothing to ask with
  TRY(requireMounted(facts, "pids", "pids"));
  // As on v2: -1 is "max", 0 a real limit (runtime-spec 1.3.0).
  Writer{out, "pids"}("pids.max", limit < 0 ? std::string("max") : num(limit));
  return {};
}

Status emitMemory(const spec::Memory& m, const V1Facts& facts, std::vector<V1Write>& out) {
  TRY(checkBytes(m.limit, "memory.limit"));
  TRY(checkBytes(m.reservation, "memory.reservation"));
  TRY(checkBytes(m.swap, "memory.swap"));
  if (m.swappiness && *m.swappiness > 100) {
    return fieldError("memory.swappiness", num(*m.swappiness) + " is above 100");
  }
  int64_t limit = m.limit.value_or(0);
  int64_t swap = m.swap.value_or(0);  // v1's memsw: memory+swap, as the spec's
  if (limit > 0 && swap > 0 && swap < limit) {
    return fieldError("memory.swap", num(swap) + " is below memory.limit " + num(limit) +
                                         " (swap is the memory+swap limit)");
  }
  bool any = limit != 0 || swap != 0 || m.reservation.value_or(0) != 0 || m.kernel || m.kernelTCP ||
             m.swappiness || m.disableOOMKiller.value_or(false);
  if (!any) return {};
  TRY(requireMounted(facts, "memory", "memory"));
  Writer w{out, "memory"};
  // Unlimited memory and no swap given: swap unlimited too (runc).
  if (limit == -1 && swap == 0 && facts.memsw) swap = -1;
  if (swap != 0 && !facts.memsw) {
    if (swap != -1) {
      return fieldError("memory.swap",
                        "swap accounting is not available (no memory.memsw.limit_in_bytes)");
    }
    swap = 0;  // unlimited is what there is
  }
  // The kernel keeps memory <= memory+swap at every step: raising both
  // writes memsw first, lowering them the memory limit first (runc).
  bool swapFirst = limit != 0 && swap != 0 &&
                   (swap == -1 || (facts.currentMemoryLimit && *facts.currentMemoryLimit >= 0 &&
                                   *facts.currentMemoryLimit < swap));
  if (swapFirst) w("memory.memsw.limit_in_bytes", bytes(swap));
  if (limit != 0) w("memory.limit_in_bytes", bytes(limit));
  if (swap != 0 && !swapFirst) w("memory.memsw.limit_in_bytes", bytes(swap));
  if (int64_t soft = m.reservation.value_or(0); soft != 0) {
    w("memory.soft_limit_in_bytes", bytes(soft));
  }
  // Kernel memory limits: written where the kernel still has the files,
  // ignored where it dropped them (as runc does; they are deprecated).
  if (m.kernel && facts.kmem) w("memory.kmem.limit_in_bytes", bytes(*m.kernel));
  if (m.kernelTCP && facts.kmemTcp) w("memory.kmem.tcp.limit_in_bytes", bytes(*m.kernelTCP));
  if (m.swappiness) w("memory.swappiness", num(*m.swappiness));
  if (m.disableOOMKiller.value_or(false)) w("memory.oom_control", "1");
  return {};
}

Status emitCpu(const spec::Cpu& c, const V1Facts& facts, std::vector<V1Write>& out) {
  int64_t quota = c.quota.value_or(0);
  uint64_t period = c.period.value_or(0);
  if (c.burst && quota > 0 && *c.burst > static_cast<uint64_t>(quota)) {
    return fieldError("cpu.burst", num(*c.burst) + " is larger than cpu.quota " + num(quota));
  }
  bool any = c.shares.value_or(0) != 0 || quota != 0 || period != 0 || c.burst || c.idle ||
             c.realtimePeriod.value_or(0) != 0 || c.realtimeRuntime.value_or(0) != 0;
  if (!any) return {};
  TRY(requireMounted(facts, "cpu", "cpu"));
  Writer w{out, "cpu"};
  if (uint64_t shares = c.shares.value_or(0); shares != 0) w("cpu.shares", num(shares));
  // The period first: a quota is checked against the period in force.
  if (period != 0) w("cpu.cfs_period_us", num(period));
  if (quota != 0) w("cpu.cfs_quota_us", num(quota));
  if (c.burst) {
    if (!facts.cfsBurst) return missingFile("cpu.burst", "cpu.cfs_burst_us (Linux 5.14+)");
    w("cpu.cfs_burst_us", num(*c.burst));
  }
  uint64_t rtPeriod = c.realtimePeriod.value_or(0);
  int64_t rtRuntime = c.realtimeRuntime.value_or(0);
  if (rtPeriod != 0 || rtRuntime != 0) {
    if (!facts.realtime) {
      return missingFile(rtPeriod != 0 ? "cpu.realtimePeriod" : "cpu.realtimeRuntime",
                         "cpu.rt_period_us (a kernel with CONFIG_RT_GROUP_SCHED)");
    }
    if (rtPeriod != 0) w("cpu.rt_period_us", num(rtPeriod));
    if (rtRuntime != 0) w("cpu.rt_runtime_us", num(rtRuntime));
  }
  if (c.idle) {
    if (!facts.cpuIdle) return missingFile("cpu.idle", "cpu.idle (Linux 5.15+)");
    w("cpu.idle", num(*c.idle));
  }
  return {};
}

Status emitCpuset(const spec::Cpu& c, const V1Facts& facts, std::vector<V1Write>& out) {
  if (c.cpus.empty() && c.mems.empty()) return {};
  TRY(requireMounted(facts, c.cpus.empty() ? "cpu.mems" : "cpu.cpus", "cpuset"));
  Writer w{out, "cpuset"};
  if (!c.cpus.empty()) w("cpuset.cpus", c.cpus);
  if (!c.mems.empty()) w("cpuset.mems", c.mems);
  return {};
}

Status emitBlkio(const spec::BlockIo& b, const V1Facts& facts, std::vector<V1Write>& out) {
  bool any = b.weight.value_or(0) != 0 || b.leafWeight.value_or(0) != 0 ||
             !b.weightDevice.empty() || !b.throttleReadBpsDevice.empty() ||
             !b.throttleWriteBpsDevice.empty() || !b.throttleReadIOPSDevice.empty() ||
             !b.throttleWriteIOPSDevice.empty();
  if (!any) return {};
  TRY(requireMounted(facts, "blockIO", "blkio"));
  Writer w{out, "blkio"};
  std::string weightFile = facts.bfqWeight ? "blkio.bfq.weight" : "blkio.weight";
  if (uint16_t weight = b.weight.value_or(0); weight != 0) w(weightFile, num(uint64_t{weight}));
  if (uint16_t leaf = b.leafWeight.value_or(0); leaf != 0) {
    if (!facts.leafWeight) return missingFile("blockIO.leafWeight", "blkio.leaf_weight (CFQ)");
    w("blkio.leaf_weight", num(uint64_t{leaf}));
  }
  for (size_t i = 0; i < b.weightDevice.size(); ++i) {
    const spec::WeightDevice& d = b.weightDevice[i];
    if (uint16_t weight = d.weight.value_or(0); weight != 0) {
      w(weightFile + "_device", device(d.major, d.minor) + " " + num(uint64_t{weight}));
    }
    if (uint16_t leaf = d.leafWeight.value_or(0); leaf != 0) {
      if (!facts.leafWeight) {
        return missingFile("blockIO.weightDevice[" + std::to_string(i) + "].leafWeight",
                           "blkio.leaf_weight_device (CFQ)");
      }
      w("blkio.leaf_weight_device", device(d.major, d.minor) + " " + num(uint64_t{leaf}));
    }
  }
  auto throttle = [&](const std::vector<spec::ThrottleDevice>& list, const char* file) {
    for (const spec::ThrottleDevice& d : list) {
      w(file, device(d.major, d.minor) + " " + num(d.rate));
    }
  };
  throttle(b.throttleReadBpsDevice, "blkio.throttle.read_bps_device");
  throttle(b.throttleWriteBpsDevice, "blkio.throttle.write_bps_device");
  throttle(b.throttleReadIOPSDevice, "blkio.throttle.read_iops_device");
  throttle(b.throttleWriteIOPSDevice, "blkio.throttle.write_iops_device");
  return {};
}

Status emitHugetlb(const std::vector<spec::HugepageLimit>& limits, const V1Facts& facts,
                   std::vector<V1Write>& out) {
  if (limits.empty()) return {};
  TRY(requireMounted(facts, "hugepageLimits", "hugetlb"));
  Writer w{out, "hugetlb"};
  for (const spec::HugepageLimit& h : limits) {
    std::string prefix = "hugetlb." + h.pageSize;
    w(prefix + ".limit_in_bytes", num(h.limit));
    if (facts.hugetlbRsvd) w(prefix + ".rsvd.limit_in_bytes", num(h.limit));
  }
  return {};
}

Status emitNetwork(const spec::Network& n, const V1Facts& facts, std::vector<V1Write>& out) {
  if (uint32_t classId = n.classID.value_or(0); classId != 0) {
    TRY(requireMounted(facts, "network.classID", "net_cls"));
    Writer{out, "net_cls"}("net_cls.classid", num(uint64_t{classId}));
  }
  if (!n.priorities.empty()) {
    TRY(requireMounted(facts, "network.priorities", "net_prio"));
    Writer w{out, "net_prio"};
    for (size_t i = 0; i < n.priorities.size(); ++i) {
      const spec::InterfacePriority& p = n.priorities[i];
      // One "NAME PRIORITY" line: a name with a blank would split it.
      if (p.name.empty() || p.name.find_first_of(" \t\n") != std::string::npos) {
        return fieldError("network.priorities[" + std::to_string(i) + "].name",
                          quoted(p.name) + " is not an interface name");
      }
      w("net_prio.ifpriomap", p.name + " " + num(uint64_t{p.priority}));
    }
  }
  return {};
}

Status emitRdma(const std::map<std::string, spec::Rdma>& rdma, const V1Facts& facts,
                std::vector<V1Write>& out) {
  if (rdma.empty()) return {};
  TRY(requireMounted(facts, "rdma", "rdma"));
  Writer w{out, "rdma"};
  for (const auto& [name, limits] : rdma) w("rdma.max", rdmaLine(name, limits));
  return {};
}

// "c 1:3 rwm", "b *:* r", "a".
std::string deviceLine(const DeviceRule& rule) {
  if (rule.type == 'a' && !rule.major && !rule.minor && rule.access == kDevAccessAll) return "a";
  std::string line(1, rule.type);
  line += ' ';
  line += rule.major ? num(*rule.major) : std::string("*");
  line += ':';
  line += rule.minor ? num(*rule.minor) : std::string("*");
  line += ' ';
  if (rule.access & kDevAccessRead) line += 'r';
  if (rule.access & kDevAccessWrite) line += 'w';
  if (rule.access & kDevAccessMknod) line += 'm';
  return line;
}

}  // namespace

std::vector<V1Write> deviceRulesV1(const std::vector<DeviceRule>& rules) {
  std::vector<V1Write> out;
  // A first rule about every device is that first write.
  bool firstIsAll = !rules.empty() && deviceLine(rules.front()) == "a";
  bool allowAll = firstIsAll && rules.front().allow;
  out.push_back({"devices", allowAll ? "devices.allow" : "devices.deny", "a"});
  for (size_t i = firstIsAll ? 1 : 0; i < rules.size(); ++i) {
    const DeviceRule& rule = rules[i];
    out.push_back({"devices", rule.allow ? "devices.allow" : "devices.deny", deviceLine(rule)});
  }
  return out;
}

Result<std::vector<V1Write>> translateResourcesV1(const spec::Resources& r, const V1Facts& facts) {
  if (!r.unified.empty()) {
    return Error::invalid(
        "linux.resources.unified: needs cgroup v2; this host's controllers are cgroup v1", ENOTSUP);
  }
  TRY(checkHugepagesAndRdma(r));
  std::vector<V1Write> out;
  TRY(emitPids(r, facts, out));
  if (r.memory) TRY(emitMemory(*r.memory, facts, out));
  if (r.cpu) TRY(emitCpu(*r.cpu, facts, out));
  if (r.cpu) TRY(emitCpuset(*r.cpu, facts, out));
  if (r.blockIO) TRY(emitBlkio(*r.blockIO, facts, out));
  TRY(emitHugetlb(r.hugepageLimits, facts, out));
  if (r.network) TRY(emitNetwork(*r.network, facts, out));
  TRY(emitRdma(r.rdma, facts, out));
  return out;
}

}  // namespace sangja::cgroups
