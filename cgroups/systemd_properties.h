// linux.resources -> systemd unit properties (StartTransientUnit,
// SetUnitProperties), for the settings systemd owns on a unit's cgroup:
// systemd writes those files itself whenever it realizes the unit again (a
// daemon-reload, another property change), so a limit written only to the
// file would be undone. The files are still written after (runc does the
// same), which also covers what has no property. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"
#include "cgroups/device_filter.h"
#include "cgroups/layout.h"
#include "spec/config.h"

namespace sangja::cgroups {

// systemd's "infinity" for a uint64 property.
inline constexpr uint64_t kUnitInfinity = UINT64_MAX;

// DeviceAllow's a(ss): {"/dev/char/1:3" or "char-pts", "rwm"}.
using DeviceAllowList = std::vector<std::pair<std::string, std::string>>;

// The D-Bus types these properties take: b, t, s, ay (CPU and node masks),
// au (PIDs) and a(ss).
using UnitValue = std::variant<bool, uint64_t, std::string, std::vector<uint8_t>,
                               std::vector<uint32_t>, DeviceAllowList>;

struct UnitProperty {
  std::string name;
  UnitValue value;
  bool operator==(const UnitProperty&) const = default;
};

// Driver names by major number, from /proc/devices: DeviceAllow spells
// "every minor of major M" as "char-NAME".
struct DeviceMajors {
  std::map<int64_t, std::string> character;
  std::map<int64_t, std::string> block;
  bool operator==(const DeviceMajors&) const = default;
};
DeviceMajors parseProcDevices(std::string_view text);

// What the translation needs to know about the host.
struct UnitHostFacts {
  CgroupMode mode = CgroupMode::kUnified;
  DeviceMajors majors;
};

// The properties for the resources (cgroup v2 names on a unified host; v1's
// CPUShares, MemoryLimit, BlockIOWeight otherwise), only for fields that are
// set, and the device policy when there are device rules. Errors name the
// field.
// CPU: shares -> CPUWeight (cpuSharesToWeight); quota/period ->
// CPUQuotaPerSecUSec = quota * 1e6 / period rounded up to a multiple of
// 10 ms (systemd keeps the quota as a percentage; rounding down would
// lower the limit), period 100 ms when only a quota is given, -1 infinity;
// CPUQuotaPeriodUSec when a period is given.
Result<std::vector<UnitProperty>> unitPropertiesFor(const spec::Resources& r,
                                                    const UnitHostFacts& host);

// DevicePolicy and DeviceAllow for the effective device rules: "auto" (no
// restriction) when a rule allows every device, else "strict" with one entry
// per allow rule. systemd cannot express a deny inside an allowed range, so
// deny rules are left out: systemd's program then allows a superset of ours,
// and ours (attached beside it) decides. A major whose driver name is not
// known is widened to every device of its type, for the same reason.
std::vector<UnitProperty> devicePropertiesFor(const std::vector<DeviceRule>& rules,
                                              const DeviceMajors& majors);

// "0-2,5" -> the byte mask AllowedCPUs and AllowedMemoryNodes take (bit n of
// byte n / 8 is CPU n); "" -> {}.
Result<std::vector<uint8_t>> cpuMaskOf(std::string_view list, std::string_view where);

}  // namespace sangja::cgroups
