#include "namespaces/idmap.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>

#include "base/file.h"
#include "base/fixed_text.h"
#include "base/spawn.h"
#include "base/sync_channel.h"
#include "namespaces/user.h"

namespace sangja::ns {

namespace {

// One tree for the helper to make; every pointer into the parent's plan.
struct TreeJob {
  int32_t index;
  const char* source;
  const char* target;
  unsigned cloneFlags;  // OPEN_TREE_*, AT_RECURSIVE
  int userns;           // holds the maps
  bool recursiveIdmap;  // ridmap
  mnt::AttrChange attrs;
  mnt::AttrChange recursiveAttrs;
};

struct HelperArgs {
  int channel;  // the helper's end
  int mountNs;  // the init's
  bool userNamespace;
  const TreeJob* jobs;
  size_t count;
};

}  // namespace

namespace child {
namespace {

[[noreturn]] void failTree(const ChildChannel& ch, int err, const TreeJob& job,
                           std::string_view what) {
  FixedText<440> detail(job.source);
  detail.append(" on /").append(job.target).append(": ").append(what);
  ch.fail(err, "idmapped mount of", detail.view());
}

void setAttrs(const ChildChannel& ch, int tree, const mnt::AttrChange& change, bool recursive,
              const TreeJob& job, bool userNamespace) {
  if (change.empty()) return;
  struct mount_attr attr {};
  attr.attr_set = change.set;
  attr.attr_clr = change.clear;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (::mount_setattr(tree, "", flags, &attr, sizeof attr) < 0) {
    failTree(ch, errno, job,
             errno == EPERM && userNamespace
                 ? "set mount attributes (a user namespace cannot clear flags the source mount "
                   "has, nor change its atime mode)"
                 : "set mount attributes");
  }
}

// In the init's mount namespace: each tree cloned, idmapped, its attributes
// set, and sent; then kReady.
[[noreturn]] void makeTrees(void* p) {
  const auto* args = static_cast<const HelperArgs*>(p);
  ChildChannel ch(args->channel);
  if (::setns(args->mountNs, CLONE_NEWNS) < 0) {
    ch.fail(errno, "idmapped mounts: join the container's mount namespace");
  }
  for (size_t i = 0; i < args->count; ++i) {
    const TreeJob& job = args->jobs[i];
    int tree = ::open_tree(AT_FDCWD, job.source, job.cloneFlags);
    if (tree < 0) failTree(ch, errno, job, "open_tree");
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(job.userns);
    unsigned flags = AT_EMPTY_PATH | (job.recursiveIdmap ? AT_RECURSIVE : 0);
    if (::mount_setattr(tree, "", flags, &attr, sizeof attr) < 0) {
      failTree(ch, errno, job,
               errno == EINVAL ? "idmap (does the filesystem support idmapped mounts?)" : "idmap");
    }
    setAttrs(ch, tree, job.attrs, false, job, args->userNamespace);
    setAttrs(ch, tree, job.recursiveAttrs, true, job, args->userNamespace);
    if (!ch.sendMountSource(job.index, tree)) ::_exit(127);
    ::close(tree);
  }
  ch.send(SyncType::kReady);
  ::_exit(0);
}

}  // namespace
}  // namespace child

namespace {

// The user namespace of each distinct set of maps, made once; mounts
// without maps of their own take the init's.
class UserNamespaces {
 public:
  explicit UserNamespaces(pid_t init) : init_(init) {}

  Result<int> forMaps(const mnt::MountStep::Idmap& idmap) {
    if (idmap.uidMap.empty()) {
      if (!initNs_) {
        initNs_ = TRY(openFile("/proc/" + std::to_string(init_) + "/ns/user", O_RDONLY)
                          .context("the container's user namespace"));
      }
      return initNs_.get();
    }
    UniqueFd& fd = byMaps_[idmap.uidMap + "/" + idmap.gidMap];
    if (!fd) fd = TRY(makeUserNamespace(idmap.uidMap, idmap.gidMap));
    return fd.get();
  }

 private:
  pid_t init_;
  UniqueFd initNs_;
  std::map<std::string, UniqueFd> byMaps_;
};

// The helper's reports: a tree per job, then kReady.
Result<std::vector<OpenedSource>> collectTrees(int channel, size_t count) {
  std::vector<OpenedSource> trees;
  for (;;) {
    UniqueFd tree;
    SyncMessage msg = TRY(receiveSync(channel, &tree).context("idmapped mount helper"));
    if (msg.type == SyncType::kError) return errorFromChild(msg);
    if (msg.type == SyncType::kReady && trees.size() == count) return trees;
    if (msg.type != SyncType::kMountSource || !tree) {
      return Error::invalid("idmapped mount helper: unexpected message");
    }
    trees.push_back(OpenedSource{msg.index, std::move(tree)});
  }
}

}  // namespace

Result<std::vector<OpenedSource>> makeIdmappedTrees(const mnt::RootfsPlan& rootfs, pid_t init) {
  UserNamespaces userns(init);
  std::vector<TreeJob> jobs;
  for (size_t i = 0; i < rootfs.mounts.size(); ++i) {
    const mnt::MountStep& m = rootfs.mounts[i];
    if (!m.idmap) continue;
    unsigned cloneFlags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
    if (m.options.recursiveBind()) cloneFlags |= AT_RECURSIVE;
    int ns = TRY(userns.forMaps(*m.idmap).context("idmapped mount of " + m.source));
    jobs.push_back(TreeJob{static_cast<int32_t>(i), m.source.c_str(), m.target.c_str(), cloneFlags,
                           ns, m.idmap->recursive, m.options.attrs, m.options.recursiveAttrs});
  }
  if (jobs.empty()) return std::vector<OpenedSource>{};

  UniqueFd mountNs = TRY(openFile("/proc/" + std::to_string(init) + "/ns/mnt", O_RDONLY)
                             .context("the container's mount namespace"));
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
    return Error::fromErrno("idmapped mounts: create helper socket");
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  HelperArgs args{theirs.get(), mountNs.get(), rootfs.userNamespace, jobs.data(), jobs.size()};
  Spawned helper =
      TRY(spawn({}, child::makeTrees, &args).context("idmapped mounts: start the helper"));
  theirs.reset();
  Result<std::vector<OpenedSource>> trees = collectTrees(ours.get(), jobs.size());
  if (!trees.ok()) return trees;  // the helper's owner kills and reaps it
  TRY(helper.child.wait().context("idmapped mount helper"));
  return trees;
}

}  // namespace sangja::ns
