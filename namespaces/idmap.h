// Idmapped bind mounts (mounts[].uidMappings/gidMappings, idmap, ridmap).
//
// Idmapping a mount needs privilege over the source's filesystem, which
// the init no longer has inside a user namespace. So the parent makes each
// idmapped bind before the clone: a detached copy of the source
// (open_tree), idmapped with mount_setattr(MOUNT_ATTR_IDMAP) and a user
// namespace holding the mount's maps, its attributes set. The init inherits
// the fds and only attaches the trees (move_mount).
//
// The maps read as a user namespace's: a file owned by containerID on disk
// shows as hostID through the mount (and then as the container's user
// namespace maps that hostID).
#pragma once

#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "namespaces/mount.h"
#include "namespaces/user.h"

namespace sangja::ns {

// Parent side. Sets preparedTree of every idmapped step in rootfs and
// returns the fds, to be kept open until the init is cloned. Mounts without
// maps of their own take the container's: containerUser's maps, or the
// user namespace joined by path (joinedUserNsFd).
Result<std::vector<UniqueFd>> prepareIdmappedMounts(mnt::RootfsPlan& rootfs,
                                                    const UserPlan& containerUser,
                                                    int joinedUserNsFd);

}  // namespace sangja::ns
