#include "runtime/lifecycle/cgroup_record.h"

#include <vector>

namespace sangja {

std::string formatCgroupRecord(const CgroupRecord& record) {
  std::string out = record.path + "\n" + record.createdFrom + "\n";
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
  if (lines.size() < 2 || lines.size() > 3 || lines[0].empty()) return std::nullopt;
  if (lines.size() == 3 && lines[2] != "free") return std::nullopt;
  return CgroupRecord{std::string(lines[0]), std::string(lines[1]), lines.size() == 3};
}

}  // namespace sangja
