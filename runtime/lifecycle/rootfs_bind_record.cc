#include "runtime/lifecycle/rootfs_bind_record.h"

#include "base/numbers.h"

namespace sangja {

std::string formatRootfsBindRecord(const RootfsBindRecord& record) {
  return record.rootfs + "\n" + std::to_string(record.mount.legacy) + " " +
         std::to_string(record.mount.unique) + "\n";
}

// The ids are the last line: a path may hold newlines of its own.
std::optional<RootfsBindRecord> parseRootfsBindRecord(std::string_view text) {
  if (text.empty() || text.back() != '\n') return std::nullopt;
  text.remove_suffix(1);
  size_t eol = text.rfind('\n');
  if (eol == std::string_view::npos || eol == 0 || text[0] != '/') return std::nullopt;
  std::string_view ids = text.substr(eol + 1);
  size_t space = ids.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  RootfsBindRecord record{std::string(text.substr(0, eol)), {}};
  if (!parseWhole(ids.substr(0, space), record.mount.legacy) ||
      !parseWhole(ids.substr(space + 1), record.mount.unique) || record.mount.legacy == 0) {
    return std::nullopt;
  }
  return record;
}

}  // namespace sangja
