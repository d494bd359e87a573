// linux.resources -> systemd unit properties, following runc's systemd
// driver where it has a rule (CPU quota rounding, shares, device entries).
#include "cgroups/systemd_properties.h"

#include <charconv>

#include "base/cpu_list.h"
#include "cgroups/resources.h"

namespace sangja::cgroups {

namespace {

constexpr uint64_t kUsecPerSec = 1000000;
// systemd stores a CPU quota as a percentage of one CPU: 10 ms per second.
constexpr uint64_t kQuotaGranularityUsec = 10000;
constexpr uint64_t kDefaultCpuPeriodUsec = 100000;

uint64_t limitValue(int64_t v) {
  return v < 0 ? kUnitInfinity : static_cast<uint64_t>(v);
}

class PropertyList {
 public:
  void add(std::string name, UnitValue value) {
    props_.push_back(UnitProperty{std::move(name), std::move(value)});
  }
  std::vector<UnitProperty> take() { return std::move(props_); }

 private:
  std::vector<UnitProperty> props_;
};

Status addMemory(const spec::Memory& m, CgroupMode mode, PropertyList& out) {
  bool v2 = mode == CgroupMode::kUnified;
  if (m.limit && *m.limit != 0) out.add(v2 ? "MemoryMax" : "MemoryLimit", limitValue(*m.limit));
  if (v2 && m.reservation && *m.reservation != 0) {
    out.add("MemoryLow", limitValue(*m.reservation));
  }
  // The spec's swap is memory+swap; v2's memory.swap.max is swap alone.
  if (v2 && m.swap && *m.swap != 0) {
    if (*m.swap < 0) {
      out.add("MemorySwapMax", kUnitInfinity);
    } else if (m.limit && *m.limit > 0) {
      if (*m.swap < *m.limit) {
        return Error::invalid("linux.resources.memory.swap: " + std::to_string(*m.swap) +
                              " is below linux.resources.memory.limit " + std::to_string(*m.limit) +
                              " (swap counts memory and swap)");
      }
      out.add("MemorySwapMax", static_cast<uint64_t>(*m.swap - *m.limit));
    }
    // A swap limit without a memory limit: the files' translation decides.
  }
  return {};
}

void addCpuQuota(const spec::Cpu& c, PropertyList& out) {
  bool quotaSet = c.quota && *c.quota != 0;
  if (c.period && *c.period != 0) out.add("CPUQuotaPeriodUSec", *c.period);
  if (!quotaSet) return;
  if (*c.quota < 0) {
    out.add("CPUQuotaPerSecUSec", kUnitInfinity);
    return;
  }
  uint64_t period = c.period && *c.period != 0 ? *c.period : kDefaultCpuPeriodUsec;
  uint64_t perSec = static_cast<uint64_t>(*c.quota) * kUsecPerSec / period;
  if (perSec % kQuotaGranularityUsec != 0) {
    perSec = (perSec / kQuotaGranularityUsec + 1) * kQuotaGranularityUsec;
  }
  out.add("CPUQuotaPerSecUSec", perSec);
}

Status addCpu(const spec::Cpu& c, CgroupMode mode, PropertyList& out) {
  bool v2 = mode == CgroupMode::kUnified;
  if (c.shares && *c.shares != 0) {
    out.add(v2 ? "CPUWeight" : "CPUShares", v2 ? cpuSharesToWeight(*c.shares) : *c.shares);
  }
  addCpuQuota(c, out);
  // systemd has cpuset properties on cgroup v2 only.
  if (v2 && !c.cpus.empty()) {
    out.add("AllowedCPUs", TRY(cpuMaskOf(c.cpus, "linux.resources.cpu.cpus")));
  }
  if (v2 && !c.mems.empty()) {
    out.add("AllowedMemoryNodes", TRY(cpuMaskOf(c.mems, "linux.resources.cpu.mems")));
  }
  return {};
}

// "rwm" as DeviceAllow wants it, in that order.
std::string accessText(unsigned access) {
  std::string s;
  if (access & kDevAccessRead) s += 'r';
  if (access & kDevAccessWrite) s += 'w';
  if (access & kDevAccessMknod) s += 'm';
  return s;
}

// The DeviceAllow entries of one allow rule of one type ('c' or 'b').
void addAllowEntries(const DeviceRule& rule, char type, const DeviceMajors& majors,
                     DeviceAllowList& out) {
  std::string kind = type == 'c' ? "char" : "block";
  std::string access = accessText(rule.access);
  if (!rule.major) {
    out.emplace_back(kind + "-*", access);
    return;
  }
  if (rule.minor) {
    out.emplace_back(
        "/dev/" + kind + "/" + std::to_string(*rule.major) + ":" + std::to_string(*rule.minor),
        access);
    return;
  }
  const std::map<int64_t, std::string>& names = type == 'c' ? majors.character : majors.block;
  auto name = names.find(*rule.major);
  out.emplace_back(kind + "-" + (name == names.end() ? std::string("*") : name->second), access);
}

}  // namespace

Result<std::vector<uint8_t>> cpuMaskOf(std::string_view list, std::string_view where) {
  std::vector<uint8_t> mask;
  for (unsigned cpu : TRY(parseCpuList(list, where))) {
    if (mask.size() <= cpu / 8) mask.resize(cpu / 8 + 1, 0);
    mask[cpu / 8] |= static_cast<uint8_t>(1u << (cpu % 8));
  }
  return mask;
}

DeviceMajors parseProcDevices(std::string_view text) {
  DeviceMajors out;
  std::map<int64_t, std::string>* section = nullptr;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line == "Character devices:") {
      section = &out.character;
    } else if (line == "Block devices:") {
      section = &out.block;
    } else if (section != nullptr) {
      size_t start = line.find_first_not_of(' ');
      if (start == std::string_view::npos) continue;
      line.remove_prefix(start);
      int64_t major = 0;
      auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), major);
      if (ec != std::errc() || end == line.data() + line.size() || *end != ' ') continue;
      std::string_view name = line.substr(static_cast<size_t>(end - line.data()) + 1);
      // The first driver of a major names it (a major may be listed twice).
      if (!name.empty()) section->emplace(major, std::string(name));
    }
  }
  return out;
}

std::vector<UnitProperty> devicePropertiesFor(const std::vector<DeviceRule>& rules,
                                              const DeviceMajors& majors) {
  PropertyList out;
  for (const DeviceRule& rule : rules) {
    bool everyDevice = rule.type == 'a' && !rule.major && !rule.minor;
    if (rule.allow && everyDevice && rule.access == kDevAccessAll) {
      out.add("DevicePolicy", std::string("auto"));
      out.add("DeviceAllow", DeviceAllowList{});
      return out.take();
    }
  }
  DeviceAllowList allow;
  for (const DeviceRule& rule : rules) {
    if (!rule.allow || rule.access == 0) continue;
    if (rule.type == 'a' || rule.type == 'c') addAllowEntries(rule, 'c', majors, allow);
    if (rule.type == 'a' || rule.type == 'b') addAllowEntries(rule, 'b', majors, allow);
  }
  out.add("DevicePolicy", std::string("strict"));
  out.add("DeviceAllow", std::move(allow));
  return out.take();
}

Result<std::vector<UnitProperty>> unitPropertiesFor(const spec::Resources& r,
                                                    const UnitHostFacts& host) {
  PropertyList out;
  bool v2 = host.mode == CgroupMode::kUnified;
  if (r.memory) TRY(addMemory(*r.memory, host.mode, out));
  if (r.cpu) TRY(addCpu(*r.cpu, host.mode, out));
  if (r.pids && r.pids->limit && *r.pids->limit != 0) {
    out.add("TasksMax", limitValue(*r.pids->limit));
  }
  if (r.blockIO && r.blockIO->weight && *r.blockIO->weight != 0) {
    uint16_t w = *r.blockIO->weight;
    out.add(v2 ? "IOWeight" : "BlockIOWeight", v2 ? blkioWeightToIoWeight(w) : uint64_t{w});
  }
  std::vector<UnitProperty> props = out.take();
  // As the files' driver: no rules, no device program (an update that
  // names no devices leaves them as they are).
  if (r.devices.empty()) return props;
  for (UnitProperty& p : devicePropertiesFor(TRY(effectiveDeviceRules(r)), host.majors)) {
    props.push_back(std::move(p));
  }
  return props;
}

}  // namespace sangja::cgroups
