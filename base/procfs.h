// Opening files in /proc that the runtime writes to (sysctls, LSM
// attributes, oom_score_adj): the handle must really be on procfs, so that a
// rootfs or a mount cannot put another file in its place. Child-safe.
#pragma once

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>

namespace sangja {

// An fd for path on procfs, or -errno (-EXDEV: it is not on procfs).
inline int openVerifiedProc(const char* path, int flags) {
  int fd = ::open(path, flags | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return -errno;
  struct statfs fs;
  if (::fstatfs(fd, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
    ::close(fd);
    return -EXDEV;
  }
  return fd;
}

}  // namespace sangja
