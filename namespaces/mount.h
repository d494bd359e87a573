// The mount namespace: a RootfsPlan is built in the parent from config.json
// (pure, unit-testable) and carried out by the container init before exec
// (child-side: no allocation, failures reported over the sync channel).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/sync_channel.h"
#include "namespaces/mount_options.h"

namespace sangja::mnt {

struct MountStep {
  std::string source;  // host path for binds (absolute), fs source otherwise
  std::string target;  // inside the rootfs, relative ("dev/pts")
  std::string fstype;  // empty for binds
  MountOptions options;
  // An idmapped bind: the maps of the user namespace it is idmapped with
  // (uid_map text); empty ones: the container's user namespace.
  struct Idmap {
    std::string uidMap;
    std::string gidMap;
    bool recursive = false;  // ridmap
  };
  // Its tree comes from the runtime (namespaces/idmap.h), attributes set;
  // the init only attaches it.
  std::optional<Idmap> idmap;
  // A filesystem a user namespace may not mount fresh (sysfs without its
  // own network namespace, cgroup2 without its own cgroup namespace): on
  // EPERM this host path is bind-mounted (recursively) instead, as crun does.
  std::string fallbackBind;
  // A read-only tmpfs (/dev, a tmpcopyup target): mounted writable so that
  // devices, mount points and copied files can be made in it, and turned
  // read-only with the root, at the end of the setup (as runc does).
  bool readonlyAfterSetup = false;
};

struct DeviceNode {
  std::string path;  // inside the rootfs, relative ("dev/null")
  mode_t mode;       // S_IFCHR/S_IFBLK/S_IFIFO | permissions
  dev_t dev;
  uid_t uid;
  gid_t gid;
  // In a user namespace no device can be made: the host's device at this
  // path is bind-mounted onto an empty file instead (never chowned).
  std::string hostPath;
};

struct Symlink {
  std::string target;
  std::string path;  // inside the rootfs, relative
};

struct Sysctl {
  std::string procPath;  // /proc/sys/net/ipv4/ip_forward
  std::string value;
};

struct RootfsPlan {
  std::string rootfs;                  // absolute host path
  unsigned long rootPropagation = 0;   // applied to "/" before anything else
  unsigned long finalPropagation = 0;  // rootfsPropagation, applied after pivot_root
  std::vector<MountStep> mounts;
  std::vector<DeviceNode> devices;
  std::vector<Symlink> symlinks;
  std::vector<std::string> maskedPaths;    // relative
  std::vector<std::string> readonlyPaths;  // relative
  std::vector<Sysctl> sysctls;
  std::string cwd;  // relative; created if missing
  bool readonlyRoot = false;
  bool noPivot = false;
  bool userNamespace = false;   // the init works inside a user namespace
  bool idmappedMounts = false;  // some mount has an idmap: the init waits for its tree
  // false: the container shares the runtime's mount namespace. The parent
  // has bound the rootfs on itself, private (host_rootfs_bind.h); the init
  // mounts below that bind and chroots, never pivot_root or MS_MOVE.
  bool ownMountNamespace = true;
};

// In a user namespace the container's root looks paths up as its host
// uid, so a bind source below a directory only the host's root may search
// is out of its reach. The parent opens such sources for it (see
// ns::openBindSourcesInInit), for the first this many mounts; idmapped
// binds (ns::makeIdmappedTrees) must be among them.
inline constexpr size_t kMaxParentOpenedSources = 256;

namespace child {

// Child side: builds the container's filesystem view and ends with the
// process's root at the rootfs. Exits through channel.fail on error.
// openedSources: kMaxParentOpenedSources fds (-1: none), by mount index:
// the tree of an idmapped bind, or the source of a bind the init may not
// look up itself (cloned from the fd).
// beforeEnterRoot, when set, is called once everything is mounted, just
// before pivot_root (create's hooks run there).
void setupRootfs(const RootfsPlan& plan, const ChildChannel& channel, const int* openedSources,
                 void (*beforeEnterRoot)(const ChildChannel&) = nullptr);
// Child side, after setupRootfs (and what must still write to the root,
// like /dev/console): the root turns read-only and gets its propagation.
void finishRootfs(const RootfsPlan& plan, const ChildChannel& channel);

}  // namespace child

}  // namespace sangja::mnt
