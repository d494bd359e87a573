// Child side of the mount namespace. Runs between clone and exec: no
// allocation, no exceptions; every failure goes to channel.fail.
#include "namespaces/mount.h"

#include <fcntl.h>
#include <linux/limits.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "base/fixed_text.h"
#include "base/procfs.h"
#include "base/scoped_fd.h"
#include "namespaces/copy_tree.h"
#include "namespaces/in_root.h"

namespace sangja::mnt {

namespace {

struct Ctx {
  const RootfsPlan& plan;
  const ChildChannel& channel;
  int rootfd;
  const int* openedSources = nullptr;  // see setupRootfs
};

// The parent's fd for mount `index`'s source, or -1.
int openedSource(const Ctx& ctx, size_t index) {
  if (ctx.openedSources == nullptr || index >= kMaxParentOpenedSources) return -1;
  return ctx.openedSources[index];
}

// /proc and /sys hold the files the runtime and the kernel's own checks
// trust (masked paths, sysctls, the procfs "fully visible" rule). An image
// whose /proc or /sys is a symlink is refused rather than followed, even
// inside the rootfs (CVE-2019-19921 class; runc refuses it too).
void refuseSymlinkedProcOrSys(const Ctx& ctx, const std::string& path) {
  const char* p = path.c_str();
  while (*p == '/') ++p;
  for (const char* top : {"proc", "sys"}) {
    size_t n = std::strlen(top);
    if (std::strncmp(p, top, n) != 0 || (p[n] != '\0' && p[n] != '/')) continue;
    struct stat st;
    if (::fstatat(ctx.rootfd, top, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
      ctx.channel.fail(ELOOP, "mount target: the rootfs's",
                       top[0] == 'p' ? "/proc is a symlink" : "/sys is a symlink");
    }
  }
}

int openTarget(const Ctx& ctx, const std::string& path, Create create) {
  refuseSymlinkedProcOrSys(ctx, path);
  int fd = openInRoot(ctx.rootfd, path.c_str(), O_PATH, create);
  if (fd < 0) ctx.channel.fail(-fd, "resolve mount target", path);
  return fd;
}

void applyAttrs(const Ctx& ctx, int fd, const AttrChange& change, bool recursive,
                const std::string& what) {
  if (change.empty()) return;
  struct mount_attr attr {};
  attr.attr_set = change.set;
  attr.attr_clr = change.clear;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (::mount_setattr(fd, "", flags, &attr, sizeof attr) < 0) {
    // Inside a user namespace the flags of mounts it inherited are locked:
    // ro, nosuid, nodev and noexec stay set, the atime mode stays as it is.
    ctx.channel.fail(errno,
                     errno == EPERM && ctx.plan.userNamespace
                         ? "set mount attributes (a user namespace cannot clear flags the source "
                           "mount has, nor change its atime mode) on"
                         : "set mount attributes on",
                     what);
  }
}

void applyPropagation(const Ctx& ctx, int fd, unsigned long propagation, const std::string& what) {
  if (propagation == 0) return;
  if (::mount(nullptr, procFdPath(fd).c_str(), nullptr, propagation, nullptr) < 0) {
    ctx.channel.fail(errno, "set mount propagation on", what);
  }
}

// Binds: clone the source tree detached, set its attributes while nobody
// can see it, then attach it. No remount, no window with wrong flags.
// An idmapped bind arrives as a tree the runtime made, with its attributes
// set already.
void bindMount(const Ctx& ctx, const MountStep& m, size_t index) {
  ScopedFd cloned(-1);
  int tree = -1;
  if (m.idmap) {
    tree = openedSource(ctx, index);
    if (tree < 0)
      ctx.channel.fail(EINVAL, "idmapped mount: no tree from the runtime for", m.target);
  } else {
    unsigned cloneFlags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
    if (m.options.recursiveBind()) cloneFlags |= AT_RECURSIVE;
    int fd = ::open_tree(AT_FDCWD, m.source.c_str(), cloneFlags);
    // Out of our reach: the parent's lookup of the same path, made in this
    // mount namespace (so the host's flags stay locked on the copy).
    int opened = openedSource(ctx, index);
    if (fd < 0 && errno == EACCES && opened >= 0) {
      fd = ::open_tree(opened, "", cloneFlags | AT_EMPTY_PATH);
    }
    ScopedFd fresh(fd);
    if (fresh.get() < 0) {
      ctx.channel.fail(errno,
                       errno == EACCES && ctx.plan.userNamespace
                           ? "bind mount source (in a user namespace the container's root must be "
                             "able to reach it)"
                           : "bind mount source",
                       m.source);
    }
    applyAttrs(ctx, fresh.get(), m.options.attrs, false, m.target);
    applyAttrs(ctx, fresh.get(), m.options.recursiveAttrs, true, m.target);
    cloned.swap(fresh);
    tree = cloned.get();
  }
  // A bind of anything but a directory needs a file to land on.
  struct stat st;
  if (::fstat(tree, &st) < 0) ctx.channel.fail(errno, "bind mount source", m.source);
  ScopedFd target(
      openTarget(ctx, m.target, S_ISDIR(st.st_mode) ? Create::kDirectory : Create::kFile));
  if (::move_mount(tree, "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
      0) {
    ctx.channel.fail(errno, "bind mount on", m.target);
  }
  applyPropagation(ctx, tree, m.options.propagation, m.target);
}

// The mount(2) flags a fallback bind keeps, as attributes of the whole tree.
uint64_t lockingAttrs(unsigned long flags) {
  uint64_t attrs = 0;
  if (flags & MS_RDONLY) attrs |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) attrs |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) attrs |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) attrs |= MOUNT_ATTR_NOEXEC;
  return attrs;
}

// sysfs or cgroup2 refused in a user namespace (EPERM, or EBUSY: see
// filesystemMount): bind the host's instead.
void fallbackBindMount(const Ctx& ctx, const MountStep& m, int target) {
  ScopedFd tree(::open_tree(AT_FDCWD, m.fallbackBind.c_str(),
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (tree.get() < 0) ctx.channel.fail(errno, "bind mount source", m.fallbackBind);
  applyAttrs(ctx, tree.get(), AttrChange{lockingAttrs(m.options.flags), 0}, true, m.target);
  applyAttrs(ctx, tree.get(), m.options.recursiveAttrs, true, m.target);
  if (::move_mount(tree.get(), "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
      0) {
    ctx.channel.fail(errno, "bind mount on", m.target);
  }
  applyPropagation(ctx, tree.get(), m.options.propagation, m.target);
}

// EINVAL with filesystem options: name them, the kernel will not say which.
[[noreturn]] void failRefusedMount(const Ctx& ctx, const MountStep& m, int err) {
  if (err != EINVAL || m.options.data.empty()) ctx.channel.fail(err, "mount", m.target);
  FixedText<512> what;
  what.append(m.target).append(": ").append(m.fstype).append(" refused the options \"");
  what.append(m.options.data).append("\" (an unknown option, or a bad value)");
  ctx.channel.fail(err, "mount", what.view());
}

// tmpcopyup: the image's files under the target, into the fresh tmpfs.
void copyUp(const Ctx& ctx, const MountStep& m, int underneath) {
  ScopedFd mounted(openTarget(ctx, m.target, Create::kNone));
  ScopedFd into(::openat(mounted.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (into.get() < 0) ctx.channel.fail(errno, "tmpcopyup: open the new tmpfs at", m.target);
  const char* failedAt = "";
  if (int err = copyTree(underneath, into.get(), &failedAt); err != 0) {
    FixedText<512> what;
    what.append(m.target).append(" (at ").append(failedAt).append(")");
    ctx.channel.fail(err, "tmpcopyup: copy the image's files into", what.view());
  }
}

void filesystemMount(const Ctx& ctx, const MountStep& m) {
  {
    ScopedFd target(openTarget(ctx, m.target, Create::kDirectory));
    // The image's directory, still reachable once the tmpfs covers it.
    ScopedFd underneath(-1);
    if (m.options.copyUp) {
      ScopedFd dir(::openat(target.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (dir.get() < 0) ctx.channel.fail(errno, "tmpcopyup: open", m.target);
      underneath.swap(dir);
    }
    const char* data = m.options.data.empty() ? nullptr : m.options.data.c_str();
    if (::mount(m.source.c_str(), procFdPath(target.get()).c_str(), m.fstype.c_str(),
                m.options.flags, data) < 0) {
      // EBUSY: the same filesystem is mounted right there already (a /sys
      // rbind brought the host's cgroup2 along); bound, as runc does.
      if ((errno != EPERM && errno != EBUSY) || m.fallbackBind.empty()) {
        failRefusedMount(ctx, m, errno);
      }
      fallbackBindMount(ctx, m, target.get());
      return;
    }
    if (m.options.copyUp) copyUp(ctx, m, underneath.get());
  }
  if (m.options.recursiveAttrs.empty() && m.options.propagation == 0) return;
  // Reopen: the new mount now covers the path.
  ScopedFd mounted(openTarget(ctx, m.target, Create::kNone));
  applyAttrs(ctx, mounted.get(), m.options.recursiveAttrs, true, m.target);
  applyPropagation(ctx, mounted.get(), m.options.propagation, m.target);
}

// Opens the directory that will hold path (made if missing, resolved in the
// rootfs) and points name at the last component.
int openParentInRoot(const Ctx& ctx, const std::string& path, const char** name) {
  size_t slash = path.rfind('/');
  *name = path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
  char parent[PATH_MAX];
  size_t len = slash == std::string::npos ? 0 : slash;
  if (len >= sizeof parent) ctx.channel.fail(ENAMETOOLONG, "create", path);
  path.copy(parent, len);
  parent[len] = '\0';
  int fd = openInRoot(ctx.rootfd, parent, O_PATH | O_DIRECTORY, Create::kDirectory);
  if (fd < 0) ctx.channel.fail(-fd, "create directory for", path);
  return fd;
}

// Devices and symlinks mostly share one directory (/dev): its fd is kept
// for the next entry under the same parent instead of being resolved in
// the root again (two syscalls less for each of a dozen entries).
class ParentDirs {
 public:
  explicit ParentDirs(const Ctx& ctx) : ctx_(ctx) {}
  // The parent of path (made if missing); *name: its last component.
  int open(const std::string& path, const char** name) {
    size_t slash = path.rfind('/');
    std::string_view parent(path.data(), slash == std::string::npos ? 0 : slash);
    *name = path.c_str() + (slash == std::string::npos ? 0 : slash + 1);
    if (fd_.get() < 0 || parent != parent_) {
      ScopedFd fd(openParentInRoot(ctx_, path, name));
      fd_.swap(fd);
      parent_ = parent;  // the plan's own text, alive until exec
    }
    return fd_.get();
  }

 private:
  const Ctx& ctx_;
  ScopedFd fd_{-1};
  std::string_view parent_;
};

// In a user namespace: the host's device bound onto an empty file. What the
// image has at the path is covered, never opened or chowned.
void bindDevice(const Ctx& ctx, const DeviceNode& d, int dir, const char* name) {
  if (::mknodat(dir, name, S_IFREG | 0600, 0) < 0 && errno != EEXIST) {
    ctx.channel.fail(errno, "create mount point for device", d.path);
  }
  ScopedFd target(::openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (target.get() < 0) ctx.channel.fail(errno, "open mount point for device", d.path);
  struct stat st;
  if (::fstat(target.get(), &st) < 0) ctx.channel.fail(errno, "stat", d.path);
  if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) {
    ctx.channel.fail(EEXIST, "bind device: something else is already at", d.path);
  }
  ScopedFd tree(::open_tree(AT_FDCWD, d.hostPath.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (tree.get() < 0) ctx.channel.fail(errno, "bind device from the host's", d.hostPath);
  if (::move_mount(tree.get(), "", target.get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    ctx.channel.fail(errno, "bind device on", d.path);
  }
}

void makeDevice(const Ctx& ctx, ParentDirs& parents, const DeviceNode& d) {
  const char* name;
  int dir = parents.open(d.path, &name);
  if (!d.hostPath.empty()) {
    bindDevice(ctx, d, dir, name);
    return;
  }
  if (::mknodat(dir, name, d.mode, d.dev) < 0) {
    // Something is already there (a rootfs with its own /dev). It is never
    // replaced or chowned: it may be reachable from the host.
    if (errno != EEXIST) ctx.channel.fail(errno, "create device", d.path);
    struct stat st;
    if (::fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      ctx.channel.fail(errno, "create device", d.path);
    }
    if ((st.st_mode & S_IFMT) != (d.mode & S_IFMT) || st.st_rdev != d.dev) {
      ctx.channel.fail(EEXIST, "create device: something else is already at", d.path);
    }
    return;
  }
  if ((d.uid != 0 || d.gid != 0) && ::fchownat(dir, name, d.uid, d.gid, AT_SYMLINK_NOFOLLOW) < 0) {
    ctx.channel.fail(errno, "chown device", d.path);
  }
}

void makeSymlink(const Ctx& ctx, ParentDirs& parents, const Symlink& link) {
  const char* name;
  int dir = parents.open(link.path, &name);
  if (::symlinkat(link.target.c_str(), dir, name) < 0 && errno != EEXIST) {
    ctx.channel.fail(errno, "create symlink", link.path);
  }
}

// Masked: a directory gets an empty read-only tmpfs, a file /dev/null.
void maskPath(const Ctx& ctx, const std::string& path) {
  int fd = openInRoot(ctx.rootfd, path.c_str(), O_PATH, Create::kNone);
  if (fd == -ENOENT) return;
  if (fd < 0) ctx.channel.fail(-fd, "resolve masked path", path);
  ScopedFd target(fd);
  struct stat st;
  if (::fstat(fd, &st) < 0) ctx.channel.fail(errno, "stat masked path", path);
  int r = S_ISDIR(st.st_mode)
              ? ::mount("tmpfs", procFdPath(fd).c_str(), "tmpfs", MS_RDONLY, nullptr)
              : ::mount("/dev/null", procFdPath(fd).c_str(), nullptr, MS_BIND, nullptr);
  if (r < 0) ctx.channel.fail(errno, "mask path", path);
}

void makeReadonly(const Ctx& ctx, const std::string& path) {
  int fd = openInRoot(ctx.rootfd, path.c_str(), O_PATH, Create::kNone);
  if (fd == -ENOENT) return;
  if (fd < 0) ctx.channel.fail(-fd, "resolve read-only path", path);
  ScopedFd target(fd);
  ScopedFd tree(
      ::open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
  if (tree.get() < 0) ctx.channel.fail(errno, "bind read-only path", path);
  applyAttrs(ctx, tree.get(), AttrChange{MOUNT_ATTR_RDONLY, 0}, true, path);
  if (::move_mount(tree.get(), "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    ctx.channel.fail(errno, "bind read-only path", path);
  }
}

// Namespaced sysctls follow the writer's namespaces, so the host's /proc
// (still visible before pivot_root) serves, and the container's read-only
// /proc/sys does not get in the way.
void writeSysctl(const Ctx& ctx, const Sysctl& s) {
  ScopedFd fd(openVerifiedProc(s.procPath.c_str(), O_WRONLY));
  if (fd.get() < 0) ctx.channel.fail(-fd.get(), "open sysctl", s.procPath);
  if (::write(fd.get(), s.value.data(), s.value.size()) < 0) {
    ctx.channel.fail(errno, "write sysctl", s.procPath);
  }
}

// A mountinfo mount point with its octal escapes (\040 for a space) undone,
// into out (capacity n). False when it does not fit.
bool unescapeMountPoint(const char* in, size_t len, char* out, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < len; ++i) {
    char c = in[i];
    if (c == '\\' && i + 3 < len && in[i + 1] >= '0' && in[i + 1] <= '3' && in[i + 2] >= '0' &&
        in[i + 2] <= '7' && in[i + 3] >= '0' && in[i + 3] <= '7') {
      c = static_cast<char>((in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 + (in[i + 3] - '0'));
      i += 3;
    }
    if (o + 1 >= n) return false;
    out[o++] = c;
  }
  out[o] = '\0';
  return true;
}

// Whether path is dir or below it.
bool isWithin(const char* path, const std::string& dir) {
  size_t n = dir.size();
  return std::strncmp(path, dir.c_str(), n) == 0 && (path[n] == '\0' || path[n] == '/');
}

// One mountinfo line: a procfs or sysfs mount outside the rootfs is
// detached (or, if it will not go, covered by an empty read-only tmpfs).
// Returns whether it acted.
bool hideIfHostProcOrSys(const Ctx& ctx, const char* line, size_t len) {
  // id parent dev root point options [optional...] - fstype source super
  const char* fields[5] = {};
  size_t lens[5] = {};
  size_t f = 0, i = 0;
  while (f < 5 && i < len) {
    size_t start = i;
    while (i < len && line[i] != ' ') ++i;
    fields[f] = line + start;
    lens[f++] = i - start;
    ++i;
  }
  const char* sep = nullptr;
  for (size_t k = i; k + 2 < len; ++k) {
    if (line[k] == '-' && line[k - 1] == ' ' && line[k + 1] == ' ') {
      sep = line + k + 2;
      break;
    }
  }
  if (f < 5 || sep == nullptr) return false;
  size_t rest = len - static_cast<size_t>(sep - line);
  bool proc = rest > 5 && std::strncmp(sep, "proc ", 5) == 0;
  bool sys = rest > 6 && std::strncmp(sep, "sysfs ", 6) == 0;
  if (!proc && !sys) return false;
  char point[PATH_MAX];
  if (!unescapeMountPoint(fields[4], lens[4], point, sizeof point)) return false;
  if (isWithin(point, ctx.plan.rootfs)) return false;
  if (::umount2(point, MNT_DETACH) == 0) return true;
  if (::mount("tmpfs", point, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0) {
    ctx.channel.fail(errno, "--no-pivot: hide the host's filesystem at", point);
  }
  return false;
}

// --no-pivot: without pivot_root the old root's mounts stay in this mount
// namespace under the chroot. The host's procfs and sysfs there are fully
// visible to the kernel's mount_too_revealing check, so a user namespace in
// the container could mount an unmasked procfs. They go first (runc does
// the same). Read with one fd, rewound per pass: /proc itself goes too.
void hideHostProcAndSys(const Ctx& ctx) {
  ScopedFd info(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC));
  if (info.get() < 0) ctx.channel.fail(errno, "--no-pivot: read /proc/self/mountinfo");
  char buf[8192];
  for (int pass = 0; pass < 8; ++pass) {
    if (::lseek(info.get(), 0, SEEK_SET) < 0)
      ctx.channel.fail(errno, "--no-pivot: rewind mountinfo");
    bool acted = false;
    size_t have = 0;
    for (;;) {
      ssize_t n = ::read(info.get(), buf + have, sizeof buf - have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) ctx.channel.fail(errno, "--no-pivot: read /proc/self/mountinfo");
      have += static_cast<size_t>(n);
      size_t start = 0;
      for (size_t k = 0; k < have; ++k) {
        if (buf[k] != '\n') continue;
        acted |= hideIfHostProcOrSys(ctx, buf + start, k - start);
        start = k + 1;
      }
      if (start == 0 && have == sizeof buf) ctx.channel.fail(E2BIG, "--no-pivot: a mountinfo line");
      std::memmove(buf, buf + start, have - start);
      have -= start;
      if (n == 0) break;
    }
    if (!acted) return;
  }
}

void enterRoot(const Ctx& ctx) {
  if (::fchdir(ctx.rootfd) < 0) ctx.channel.fail(errno, "chdir to rootfs", ctx.plan.rootfs);
  if (!ctx.plan.ownMountNamespace) {
    // The host's mounts stay as they are: only this process's root moves.
    if (::chroot(".") < 0) ctx.channel.fail(errno, "chroot to rootfs");
  } else if (ctx.plan.noPivot) {
    hideHostProcAndSys(ctx);
    if (::mount(".", "/", nullptr, MS_MOVE, nullptr) < 0)
      ctx.channel.fail(errno, "move rootfs to /");
    if (::chroot(".") < 0) ctx.channel.fail(errno, "chroot to rootfs");
  } else {
    // pivot_root(".", ".") stacks the old root on the new one; detaching it
    // leaves only the rootfs, with no directory for put_old needed.
    if (::syscall(SYS_pivot_root, ".", ".") < 0)
      ctx.channel.fail(errno, "pivot_root", ctx.plan.rootfs);
    if (::umount2(".", MNT_DETACH) < 0) ctx.channel.fail(errno, "detach old root");
  }
  if (::chdir("/") < 0) ctx.channel.fail(errno, "chdir to /");
}

// In the container's own mount namespace: nothing mounted may propagate
// back to the host, and pivot_root needs the rootfs to be a mount point.
void makeRootfsAMountPoint(const RootfsPlan& plan, const ChildChannel& channel) {
  if (::mount(nullptr, "/", nullptr, plan.rootPropagation, nullptr) < 0) {
    channel.fail(errno, "set propagation of /");
  }
  if (::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
    channel.fail(errno,
                 errno == EACCES && plan.userNamespace
                     ? "bind rootfs (in a user namespace the container's root must be able to "
                       "reach it)"
                     : "bind rootfs",
                 plan.rootfs);
  }
}

}  // namespace

void child::finishRootfs(const RootfsPlan& plan, const ChildChannel& channel) {
  ScopedFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) channel.fail(errno, "open / to finish the rootfs");
  Ctx ctx{plan, channel, root.get()};
  for (const MountStep& m : plan.mounts) {
    if (!m.readonlyAfterSetup) continue;
    ScopedFd mounted(openTarget(ctx, m.target, Create::kNone));
    applyAttrs(ctx, mounted.get(), AttrChange{MOUNT_ATTR_RDONLY, 0}, false, m.target);
  }
  if (plan.readonlyRoot) {
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof attr) < 0) {
      channel.fail(errno, "make root read-only");
    }
  }
  if (plan.finalPropagation != 0 &&
      ::mount(nullptr, "/", nullptr, plan.finalPropagation, nullptr) < 0) {
    channel.fail(errno, "set rootfs propagation");
  }
}

void child::setupRootfs(const RootfsPlan& plan, const ChildChannel& channel,
                        const int* openedSources, void (*beforeEnterRoot)(const ChildChannel&)) {
  if (plan.ownMountNamespace) makeRootfsAMountPoint(plan, channel);
  ScopedFd root(::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) channel.fail(errno, "open rootfs", plan.rootfs);
  Ctx ctx{plan, channel, root.get(), openedSources};

  for (size_t i = 0; i < plan.mounts.size(); ++i) {
    const MountStep& m = plan.mounts[i];
    if (m.options.bind())
      bindMount(ctx, m, i);
    else
      filesystemMount(ctx, m);
  }
  {
    ParentDirs parents(ctx);
    for (const DeviceNode& d : plan.devices) makeDevice(ctx, parents, d);
    for (const Symlink& s : plan.symlinks) makeSymlink(ctx, parents, s);
  }
  if (!plan.cwd.empty()) {
    int cwd = openInRoot(ctx.rootfd, plan.cwd.c_str(), O_PATH, Create::kDirectory);
    if (cwd < 0) channel.fail(-cwd, "create cwd", plan.cwd);
    ::close(cwd);
  }
  for (const std::string& p : plan.maskedPaths) maskPath(ctx, p);
  for (const std::string& p : plan.readonlyPaths) makeReadonly(ctx, p);
  for (const Sysctl& s : plan.sysctls) writeSysctl(ctx, s);
  if (beforeEnterRoot != nullptr) beforeEnterRoot(channel);
  enterRoot(ctx);
}

}  // namespace sangja::mnt
