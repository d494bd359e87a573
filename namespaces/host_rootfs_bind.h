// A container without a mount namespace of its own inherits the runtime's
// (runtime-spec), yet its config still mounts /proc, /dev and the rest. They
// all go below one bind of the rootfs on itself, made private while it is
// still detached, so that nothing mounted below it reaches the host or any
// namespace that receives the host's mounts. The runtime makes that bind
// before the clone and detaches it, with everything below, on delete or a
// failed create. It is known by its mount id: a mount somebody else put at
// the path is never touched. Parent side.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"

namespace sangja::mnt {

struct MountId {
  uint64_t legacy = 0;  // stx_mnt_id, as in mountinfo (reused once freed)
  uint64_t unique = 0;  // STATX_MNT_ID_UNIQUE (Linux >= 6.8, never reused); 0 if unknown
};

// Makes the private copy of rootfs (recursive), calls record with its id
// while it is still detached (a runtime killed after the attach leaves the
// record behind for delete --force), then attaches it over rootfs.
[[nodiscard]] Result<MountId> bindRootfsPrivately(
    const std::string& rootfs, const std::function<Status(const MountId&)>& record);

enum class Detached {
  kDone,         // ours, detached with everything below it
  kAlreadyGone,  // not mounted any more
  kCovered,      // still mounted, under a mount that may be somebody else's: left
};

// Detaches the bind `ours` that bindRootfsPrivately made at rootfs. The
// mount at the path is detached only if it is that one.
[[nodiscard]] Result<Detached> detachRootfsBind(const std::string& rootfs, const MountId& ours);

}  // namespace sangja::mnt
