// What `create` writes into the container's directory about its cgroup
// before the state exists, so that `delete --force` can undo a create that
// was killed half-way: without it the cgroup (and, for a moment, the init
// in it) would have no record anywhere. Pure code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "cgroups/cgroup_manager.h"
#include "spec/state.h"

namespace sangja {

inline constexpr const char* kCgroupRecord = "cgroup";

struct CgroupRecord {
  // As in the state: its path ("/sangja/ID"), the topmost directory create
  // made ("" if none), the host's mode that chose the driver.
  cgroups::CgroupRef cgroup;
  // create() found it free (or made it): every process in it is the
  // container's. Until then it may be somebody else's and is never killed.
  bool verifiedFree = false;
};

// "path\ncreatedFrom\nmode\ndriver\nmadeSlice\nfree\n" (the last line only
// once verified; records of an older sangja lack driver and madeSlice).
std::string formatCgroupRecord(const CgroupRecord& record);
// nullopt for text that is not a record.
std::optional<CgroupRecord> parseCgroupRecord(std::string_view text);

// The cgroup a stored state names. A state without a mode was written
// before the v1 driver existed, when every cgroup was v2's: unified; one
// without a driver, before the systemd driver: cgroupfs.
Result<cgroups::CgroupRef> cgroupRefOf(const spec::StoredState& state);

}  // namespace sangja
