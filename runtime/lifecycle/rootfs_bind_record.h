// What `create` writes into the container's directory about the bind of a
// rootfs that has no mount namespace of its own (namespaces/host_rootfs_bind.h),
// before that bind is attached: `delete`, and `delete --force` of a create
// killed half-way, detach it from it. Pure code.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "namespaces/host_rootfs_bind.h"

namespace sangja {

inline constexpr const char* kRootfsBindRecord = "rootfs-bind";

struct RootfsBindRecord {
  std::string rootfs;  // absolute host path
  mnt::MountId mount;
};

// "rootfs\nlegacy unique\n".
std::string formatRootfsBindRecord(const RootfsBindRecord& record);
// nullopt for text that is not a record (a torn write).
std::optional<RootfsBindRecord> parseRootfsBindRecord(std::string_view text);

}  // namespace sangja
