#include "runtime/lifecycle/rootfs_bind_record.h"

#include <charconv>

namespace sangja {

namespace {

bool parseNumber(std::string_view text, uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

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
  if (!parseNumber(ids.substr(0, space), record.mount.legacy) ||
      !parseNumber(ids.substr(space + 1), record.mount.unique) || record.mount.legacy == 0) {
    return std::nullopt;
  }
  return record;
}

}  // namespace sangja
