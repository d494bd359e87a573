// The rootfs bind of a container without a mount namespace of its own
// (namespaces/host_rootfs_bind.h), tied to the container's directory:
// recorded there before it is attached, detached from that record.
#pragma once

#include <string>

#include "base/result.h"
#include "namespaces/host_rootfs_bind.h"
#include "runtime/lifecycle/state_store.h"

namespace sangja {

// create: binds rootfs privately on itself, recorded in dir first.
[[nodiscard]] Result<mnt::MountId> bindRootfsRecordedIn(const ContainerDir& dir,
                                                        const std::string& rootfs);

// delete, a failed create, delete --force of a create killed half-way: the
// recorded bind goes, with all mounted below it. None recorded: nothing to do.
// Covered by another mount, it is left, with a warning.
[[nodiscard]] Status detachRecordedRootfsBind(const ContainerDir& dir);

}  // namespace sangja
