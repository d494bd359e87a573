#include "namespaces/host_rootfs_bind.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "base/file.h"
#include "base/fixed_text.h"
#include "base/mountinfo.h"

namespace sangja::mnt {

namespace {

// Not in Debian 12's headers yet (Linux 6.8).
constexpr unsigned kStatxMntIdUnique = 0x4000U;

Result<MountId> mountIdOf(int fd) {
  struct statx stx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0 ||
      !(stx.stx_mask & STATX_MNT_ID)) {
    return Error::fromErrno(errno == 0 ? ENOSYS : errno, "statx mount id");
  }
  MountId id{stx.stx_mnt_id, 0};
  struct statx unique {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, kStatxMntIdUnique, &unique) == 0 &&
      (unique.stx_mask & kStatxMntIdUnique)) {
    id.unique = unique.stx_mnt_id;
  }
  return id;
}

bool sameMount(const MountId& a, const MountId& b) {
  if (a.unique != 0 && b.unique != 0) return a.unique == b.unique;
  return a.legacy == b.legacy;
}

const MountinfoEntry* findEntry(const std::vector<MountinfoEntry>& mounts, uint64_t id) {
  for (const MountinfoEntry& m : mounts) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

Status detachMount(int fd, const std::string& rootfs) {
  if (::umount2(procFdPath(fd).c_str(), MNT_DETACH) < 0) {
    return Error::fromErrno("detach the mount at " + rootfs);
  }
  return {};
}

Status makePrivate(int tree, const std::string& rootfs) {
  struct mount_attr attr {};
  attr.propagation = MS_PRIVATE;
  if (::mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) {
    return Error::fromErrno("make the bind of rootfs " + rootfs + " private");
  }
  return {};
}

}  // namespace

Result<MountId> bindRootfsPrivately(const std::string& rootfs,
                                    const std::function<Status(const MountId&)>& record) {
  UniqueFd target = TRY(openFile(rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW).context("rootfs"));
  int tree = ::open_tree(target.get(), "",
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree < 0) return Error::fromErrno("copy the rootfs mount " + rootfs);
  UniqueFd copy(tree);
  // A copy of a shared mount joins its peer group, and one attached below a
  // shared mount is made shared: private before and after the attach, and
  // before the init can mount anything below it.
  TRY(makePrivate(copy.get(), rootfs));
  MountId id = TRY(mountIdOf(copy.get()).context("the copy of rootfs " + rootfs));
  TRY(record(id));
  if (::move_mount(copy.get(), "", target.get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    return Error::fromErrno("bind the rootfs on itself at " + rootfs);
  }
  TRY(makePrivate(copy.get(), rootfs));
  return id;
}

Result<Detached> detachRootfsBind(const std::string& rootfs, const MountId& ours) {
  int fd = ::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)) {
    // A mount point cannot be removed or replaced while mounted on (in this
    // namespace): nothing of ours is there.
    return Detached::kAlreadyGone;
  }
  if (fd < 0) return Error::fromErrno("open " + rootfs);
  UniqueFd top(fd);
  if (sameMount(TRY(mountIdOf(top.get()).context(rootfs)), ours)) {
    TRY(detachMount(top.get(), rootfs));
    return Detached::kDone;
  }
  // Another mount over ours (a second container on the same rootfs, or one
  // the container made) may be somebody's: never detached for them.
  std::vector<MountinfoEntry> mounts = parseMountinfo(TRY(readFile("/proc/self/mountinfo")));
  const MountinfoEntry* ourEntry = findEntry(mounts, ours.legacy);
  if (ourEntry == nullptr || ourEntry->mountPoint != rootfs) return Detached::kAlreadyGone;
  return Detached::kCovered;
}

}  // namespace sangja::mnt
