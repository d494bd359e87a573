#include "runtime/lifecycle/cgroup_record.h"

#include <vector>

namespace sangja {

std::string formatCgroupRecord(const CgroupRecord& record) {
  std::string out = record.cgroup.path + "\n" + record.cgroup.createdFrom + "\n" +
                    cgroups::cgroupModeName(record.cgroup.mode) + "\n";
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
  if (lines.size() < 3 || lines.size() > 4 || lines[0].empty()) return std::nullopt;
  if (lines.size() == 4 && lines[3] != "free") return std::nullopt;
  std::optional<cgroups::CgroupMode> mode = cgroups::cgroupModeFromName(lines[2]);
  if (!mode) return std::nullopt;
  return CgroupRecord{{std::string(lines[0]), std::string(lines[1]), *mode}, lines.size() == 4};
}

Result<cgroups::CgroupRef> cgroupRefOf(const spec::StoredState& state) {
  cgroups::CgroupRef ref{state.cgroupPath, state.cgroupCreatedFrom, cgroups::CgroupMode::kUnified};
  if (state.cgroupMode.empty()) return ref;
  std::optional<cgroups::CgroupMode> mode = cgroups::cgroupModeFromName(state.cgroupMode);
  if (!mode) {
    return Error::invalid("state.json: cgroupMode \"" + state.cgroupMode +
                          "\" is none of unified, hybrid, legacy");
  }
  ref.mode = *mode;
  return ref;
}

}  // namespace sangja
