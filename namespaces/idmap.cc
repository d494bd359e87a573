#include "namespaces/idmap.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>

#include <map>
#include <string>

namespace sangja::ns {

namespace {

Status setAttrs(int tree, const mnt::AttrChange& change, bool recursive, const std::string& what) {
  if (change.empty()) return {};
  struct mount_attr attr {};
  attr.attr_set = change.set;
  attr.attr_clr = change.clear;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (::mount_setattr(tree, "", flags, &attr, sizeof attr) < 0) {
    return Error::fromErrno("set mount attributes on " + what);
  }
  return {};
}

}  // namespace

Result<std::vector<UniqueFd>> prepareIdmappedMounts(mnt::RootfsPlan& rootfs,
                                                    const UserPlan& containerUser,
                                                    int joinedUserNsFd) {
  std::vector<UniqueFd> trees;
  std::map<std::string, UniqueFd> usernsByMaps;  // one throwaway namespace per distinct maps
  for (mnt::MountStep& m : rootfs.mounts) {
    if (!m.idmap) continue;
    std::string what = "idmapped mount of " + m.source + " on /" + m.target;
    const std::string& uidMap = m.idmap->uidMap.empty() ? containerUser.uidMap : m.idmap->uidMap;
    const std::string& gidMap = m.idmap->uidMap.empty() ? containerUser.gidMap : m.idmap->gidMap;
    int userns = joinedUserNsFd;
    if (!uidMap.empty()) {
      UniqueFd& fd = usernsByMaps[uidMap + "/" + gidMap];
      if (!fd) fd = TRY(makeUserNamespace(uidMap, gidMap).context(what));
      userns = fd.get();
    }
    if (userns < 0) return Error::invalid(what + ": no maps to idmap it with");

    unsigned cloneFlags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
    if (m.options.recursiveBind()) cloneFlags |= AT_RECURSIVE;
    UniqueFd tree(::open_tree(AT_FDCWD, m.source.c_str(), cloneFlags));
    if (!tree) return Error::fromErrno(what + ": open_tree");
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(userns);
    unsigned flags = AT_EMPTY_PATH | (m.idmap->recursive ? AT_RECURSIVE : 0);
    if (::mount_setattr(tree.get(), "", flags, &attr, sizeof attr) < 0) {
      int err = errno;
      std::string hint = err == EINVAL ? " (does the filesystem support idmapped mounts?)" : "";
      return Error::fromErrno(err, what + hint);
    }
    TRY(setAttrs(tree.get(), m.options.attrs, false, what));
    TRY(setAttrs(tree.get(), m.options.recursiveAttrs, true, what));
    m.preparedTree = tree.get();
    trees.push_back(std::move(tree));
  }
  return trees;
}

}  // namespace sangja::ns
