#include "namespaces/copy_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/scoped_fd.h"

namespace sangja::mnt {

namespace {

// An image's tree is shallow; a deeper one is refused, not a stack overflow.
constexpr int kMaxDepth = 64;

char gFailedAt[NAME_MAX + 1];

int failAt(const char* name, int err) {
  size_t n = ::strnlen(name, sizeof gFailedAt - 1);
  std::memcpy(gFailedAt, name, n);
  gFailedAt[n] = '\0';
  return err;
}

int copyFileData(int src, int dst) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(src, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return 0;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(dst, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return errno;
      off += w;
    }
  }
}

int copyEntry(int from, int to, const char* name, const struct stat& st, int depth);

int copyDirectory(int from, int to, int depth) {
  if (depth > kMaxDepth) return ELOOP;
  // getdents64 on a dup'd fd: the caller's offset stays untouched.
  ScopedFd dir(::openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return errno;
  alignas(8) char buf[4096];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir.get(), buf, sizeof buf);
    if (n < 0) return errno;
    if (n == 0) return 0;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      const char* name = d->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      struct stat st;
      if (::fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return failAt(name, errno);
      if (int err = copyEntry(from, to, name, st, depth); err != 0) return err;
    }
  }
}

int copyEntry(int from, int to, const char* name, const struct stat& st, int depth) {
  mode_t perms = st.st_mode & 07777;
  if (S_ISDIR(st.st_mode)) {
    if (::mkdirat(to, name, 0700) < 0) return failAt(name, errno);
    ScopedFd src(::openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    ScopedFd dst(::openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (src.get() < 0 || dst.get() < 0) return failAt(name, errno);
    if (int err = copyDirectory(src.get(), dst.get(), depth + 1); err != 0) return err;
    if (::fchown(dst.get(), st.st_uid, st.st_gid) < 0 || ::fchmod(dst.get(), perms) < 0) {
      return failAt(name, errno);
    }
    return 0;
  }
  if (S_ISREG(st.st_mode)) {
    ScopedFd src(::openat(from, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (src.get() < 0) return failAt(name, errno);
    ScopedFd dst(::openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (dst.get() < 0) return failAt(name, errno);
    if (int err = copyFileData(src.get(), dst.get()); err != 0) return failAt(name, err);
    if (::fchown(dst.get(), st.st_uid, st.st_gid) < 0 || ::fchmod(dst.get(), perms) < 0) {
      return failAt(name, errno);
    }
    return 0;
  }
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = ::readlinkat(from, name, target, sizeof target - 1);
    if (n < 0) return failAt(name, errno);
    target[n] = '\0';
    if (::symlinkat(target, to, name) < 0) return failAt(name, errno);
    if (::fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) {
      return failAt(name, errno);
    }
    return 0;
  }
  // fifo, socket, device node
  if (::mknodat(to, name, st.st_mode, st.st_rdev) < 0) return failAt(name, errno);
  if (::fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
      ::fchmodat(to, name, perms, 0) < 0) {
    return failAt(name, errno);
  }
  return 0;
}

}  // namespace

int copyTree(int from, int to, const char** failedAt) {
  gFailedAt[0] = '\0';
  int err = copyDirectory(from, to, 0);
  *failedAt = gFailedAt;
  return err;
}

}  // namespace sangja::mnt
