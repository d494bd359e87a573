// Idmapped bind mounts (mounts[].uidMappings/gidMappings, idmap, ridmap).
//
// Idmapping a mount needs privilege over the source's filesystem, which
// the init no longer has inside a user namespace. So the runtime makes
// each idmapped tree for it, once the init is cloned and while it waits
// for kGo: a helper joins the init's mount namespace, clones the source
// there (open_tree), idmaps the detached copy (mount_setattr
// MOUNT_ATTR_IDMAP, with a user namespace holding the mount's maps) and
// sets its attributes. The init gets each tree as a kMountSource and only
// attaches it (move_mount).
//
// Why in the init's mount namespace: there the user namespace has locked
// the flags of the host's mounts (ro, nosuid, nodev, noexec), and a clone
// keeps the locks. A tree cloned in the host's namespace would carry the
// flags unlocked, and the container's root could remount a bind of a
// read-only host mount writable.
//
// The maps read as a user namespace's: a file owned by containerID on disk
// shows as hostID through the mount (and then as the container's user
// namespace maps that hostID).
#pragma once

#include <sys/types.h>

#include <vector>

#include "base/result.h"
#include "namespaces/bind_sources.h"
#include "namespaces/mount.h"

namespace sangja::ns {

// Parent side: the tree of every idmapped mount of rootfs, by mount index,
// made in the mount namespace of init (which waits for kGo). Mounts
// without maps of their own take the init's user namespace.
[[nodiscard]] Result<std::vector<OpenedSource>> makeIdmappedTrees(const mnt::RootfsPlan& rootfs,
                                                                  pid_t init);

}  // namespace sangja::ns
