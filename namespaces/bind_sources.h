// Bind sources the container's root may not look up itself. In a user
// namespace it resolves paths as its host uid: a source below a directory
// only the host's root may search (a 0700 /root, a volume store) is out of
// its reach, though the config names it, and runc mounts it. So the runtime
// opens each bind source for it, after the clone and before the init goes
// on, in the init's own mount namespace (through its root, RESOLVE_IN_ROOT,
// so that absolute symlinks stay there too). The mount such an fd names is
// the init's copy of the host's, whose flags the user namespace has locked:
// the clone the init makes from it keeps them (ro, nosuid, nodev, noexec).
// Parent side.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "namespaces/mount.h"

namespace sangja::ns {

struct OpenedSource {
  int32_t index;  // in plan.mounts
  UniqueFd fd;    // O_PATH
};

// Every bind the init makes itself (not a prepared tree), for the first
// mnt::kMaxParentOpenedSources mounts. A source we cannot open is left to
// the init: an earlier mount of the config may make it, and if not, its
// own lookup fails with a clear error.
[[nodiscard]] Result<std::vector<OpenedSource>> openBindSourcesInInit(const mnt::RootfsPlan& plan,
                                                                      pid_t init);

}  // namespace sangja::ns
