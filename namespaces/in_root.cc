#include "namespaces/in_root.h"

#include <fcntl.h>
#include <linux/limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sangja::mnt {

namespace {

int openat2InRoot(int rootfd, const char* path, int flags) {
  struct open_how how {};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd;
  do fd = static_cast<int>(::syscall(SYS_openat2, rootfd, path, &how, sizeof how));
  while (fd < 0 && errno == EAGAIN);
  return fd < 0 ? -errno : fd;
}

// Makes the component name in dirfd; an existing one is fine.
int makeComponent(int dirfd, const char* name, bool asFile) {
  if (asFile) {
    int fd = ::openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::close(fd);
      return 0;
    }
  } else if (::mkdirat(dirfd, name, 0755) == 0) {
    return 0;
  }
  return errno == EEXIST ? 0 : -errno;
}

// As many symlinks as the kernel follows in one lookup.
constexpr int kMaxLinkHops = 40;

int openInRootFrom(int rootfd, const char* path, int flags, Create create, int hops);

// The dangling symlink `name` (in dirfd, reached as buf[0..start)) stands
// for the path still to make: its target (relative to its directory, or
// absolute in the root) followed by what comes after it (rest, may be
// empty). The walk starts over on that path, as the kernel would follow it.
int followDanglingLink(int rootfd, int dirfd, const char* name, const char* prefix,
                       size_t prefixLen, const char* rest, int flags, Create create, int hops) {
  if (hops >= kMaxLinkHops) return -ELOOP;
  char link[PATH_MAX];
  ssize_t n = ::readlinkat(dirfd, name, link, sizeof link - 1);
  if (n < 0) return -errno;
  link[n] = '\0';
  char next[PATH_MAX];
  size_t len = 0;
  auto put = [&](const char* s, size_t k) {
    if (len + k >= sizeof next) return false;
    std::memcpy(next + len, s, k);
    len += k;
    return true;
  };
  bool fits = (link[0] == '/' || put(prefix, prefixLen)) && put(link, static_cast<size_t>(n)) &&
              (*rest == '\0' || (put("/", 1) && put(rest, std::strlen(rest))));
  if (!fits) return -ENAMETOOLONG;
  next[len] = '\0';
  return openInRootFrom(rootfd, next, flags, create, hops + 1);
}

bool isSymlink(int dirfd, const char* name) {
  struct stat st;
  return ::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

int openInRootFrom(int rootfd, const char* path, int flags, Create create, int hops) {
  while (*path == '/') ++path;
  if (*path == '\0') path = ".";
  int fd = openat2InRoot(rootfd, path, flags);
  if (fd != -ENOENT || create == Create::kNone) return fd;

  // Walk the path, making what is missing. Each prefix is re-resolved in the
  // root, so a symlink met on the way is followed inside the rootfs only; a
  // dangling one (an image's /etc/resolv.conf -> /run/...) is made where it
  // points, inside the rootfs.
  char buf[PATH_MAX];
  size_t len = std::strlen(path);
  if (len >= sizeof buf) return -ENAMETOOLONG;
  std::memcpy(buf, path, len + 1);
  int parent = -1;
  size_t start = 0;
  while (start < len) {
    size_t end = start;
    while (end < len && buf[end] != '/') ++end;
    bool last = end >= len;
    if (end == start) {  // "//"
      start = end + 1;
      continue;
    }
    buf[end] = '\0';
    int next = openat2InRoot(rootfd, buf, O_PATH);
    int dirfd = parent >= 0 ? parent : rootfd;
    if (next == -ENOENT && isSymlink(dirfd, buf + start)) {
      int fd = followDanglingLink(rootfd, dirfd, buf + start, buf, start,
                                  last ? "" : path + end + 1, flags, create, hops);
      if (parent >= 0) ::close(parent);
      return fd;
    }
    if (next == -ENOENT) {
      int made = makeComponent(dirfd, buf + start, last && create == Create::kFile);
      if (made == 0)
        next = openat2InRoot(rootfd, buf, O_PATH);
      else
        next = made;
    }
    if (!last) buf[end] = '/';
    if (parent >= 0) ::close(parent);
    if (next < 0) return next;
    // The whole path, resolved as the last open below would: no need to
    // resolve it again.
    if (last && flags == O_PATH) return next;
    parent = next;
    start = end + 1;
  }
  if (parent >= 0) ::close(parent);
  return openat2InRoot(rootfd, path, flags);
}

}  // namespace

int openInRoot(int rootfd, const char* path, int flags, Create create) {
  return openInRootFrom(rootfd, path, flags, create, 0);
}

}  // namespace sangja::mnt
