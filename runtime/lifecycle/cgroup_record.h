// What `create` writes into the container's directory about its cgroup
// before the state exists, so that `delete --force` can undo a create that
// was killed half-way: without it the cgroup (and, for a moment, the init
// in it) would have no record anywhere. Pure code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sangja {

inline constexpr const char* kCgroupRecord = "cgroup";

struct CgroupRecord {
  std::string path;         // as in the state: "/sangja/ID"
  std::string createdFrom;  // the topmost directory create made ("" if none)
  // create() found it free (or made it): every process in it is the
  // container's. Until then it may be somebody else's and is never killed.
  bool verifiedFree = false;
};

// "path\ncreatedFrom\nfree\n" (the last line only once verified).
std::string formatCgroupRecord(const CgroupRecord& record);
// nullopt for text that is not a record.
std::optional<CgroupRecord> parseCgroupRecord(std::string_view text);

}  // namespace sangja
