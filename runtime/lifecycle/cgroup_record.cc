#include "runtime/lifecycle/cgroup_record.h"

#include <vector>

namespace sangja {

std::string formatCgroupRecord(const CgroupRecord& record) {
  const cgroups::CgroupRef& c = record.cgroup;
  std::string out = c.path + "\n" + c.createdFrom + "\n" + cgroups::cgroupModeName(c.mode) + "\n" +
                    cgroups::cgroupDriverName(c.driver) + "\n" + c.madeSlice + "\n";
  if (record.verifiedFree) out += "free\n";
  return out;
}

std::optional<CgroupRecord> parseCgroupRecord(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    if (eol == std::string_view::npos) return std::nullopt;  // torn write
    lines.push_back(text.substr(0, eol));
    text.remove_prefix(eol + 1);
  }
  // "free" comes last, once verified.
  bool free = !lines.empty() && lines.back() == "free";
  if (free) lines.pop_back();
  // Three lines were written before the driver was recorded (cgroupfs).
  if (lines.size() != 3 && lines.size() != 5) return std::nullopt;
  CgroupRecord record;
  record.verifiedFree = free;
  record.cgroup.path = lines[0];
  record.cgroup.createdFrom = lines[1];
  std::optional<cgroups::CgroupMode> mode = cgroups::cgroupModeFromName(lines[2]);
  if (!mode) return std::nullopt;
  record.cgroup.mode = *mode;
  if (lines.size() == 5) {
    std::optional<cgroups::CgroupDriver> driver = cgroups::cgroupDriverFromName(lines[3]);
    if (!driver) return std::nullopt;
    record.cgroup.driver = *driver;
    record.cgroup.madeSlice = lines[4];
  }
  // Only the none driver has no path.
  if (record.cgroup.path.empty() != (record.cgroup.driver == cgroups::CgroupDriver::kNone)) {
    return std::nullopt;
  }
  return record;
}

Result<cgroups::CgroupRef> cgroupRefOf(const spec::StoredState& state) {
  cgroups::CgroupRef ref;
  ref.path = state.cgroupPath;
  ref.createdFrom = state.cgroupCreatedFrom;
  if (!state.cgroupMode.empty()) {
    std::optional<cgroups::CgroupMode> mode = cgroups::cgroupModeFromName(state.cgroupMode);
    if (!mode) {
      return Error::invalid("state.json: cgroupMode \"" + state.cgroupMode +
                            "\" is none of unified, hybrid, legacy");
    }
    ref.mode = *mode;
  }
  if (!state.cgroupDriver.empty()) {
    std::optional<cgroups::CgroupDriver> driver = cgroups::cgroupDriverFromName(state.cgroupDriver);
    if (!driver) {
      return Error::invalid("state.json: cgroupDriver \"" + state.cgroupDriver +
                            "\" is none of cgroupfs, systemd, systemd-user, none");
    }
    ref.driver = *driver;
  }
  ref.madeSlice = state.cgroupMadeSlice;
  if (ref.path.empty() != (ref.driver == cgroups::CgroupDriver::kNone)) {
    return Error::invalid("state.json: cgroupPath \"" + ref.path + "\" with cgroupDriver \"" +
                          cgroups::cgroupDriverName(ref.driver) +
                          "\": only the none driver has no path");
  }
  return ref;
}

}  // namespace sangja
