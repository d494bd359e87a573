#include "base/close_fds.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace sangja {

namespace {

bool isKept(int fd, const int* keep, size_t nKeep) {
  for (size_t i = 0; i < nKeep; ++i) {
    if (keep[i] == fd) return true;
  }
  return false;
}

// The smallest kept fd that is >= from, or -1.
long nextKept(unsigned from, const int* keep, size_t nKeep) {
  long best = -1;
  for (size_t i = 0; i < nKeep; ++i) {
    if (keep[i] < 0 || static_cast<unsigned>(keep[i]) < from) continue;
    if (best < 0 || keep[i] < best) best = keep[i];
  }
  return best;
}

// Without close_range: read /proc/self/fd in batches, closing as we go (the
// kernel lists the fd table afresh for each batch, so closing is safe).
int closeByProcListing(unsigned from, const int* keep, size_t nKeep) {
  int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return errno;
  alignas(8) char buf[4096];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n < 0) {
      int err = errno;
      ::close(dir);
      return err;
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      auto* entry = reinterpret_cast<struct dirent64*>(buf + off);
      off += entry->d_reclen;
      const char* name = entry->d_name;
      if (name[0] < '0' || name[0] > '9') continue;
      long fd = 0;
      for (; *name >= '0' && *name <= '9'; ++name) fd = fd * 10 + (*name - '0');
      if (fd == dir || fd < static_cast<long>(from) || isKept(static_cast<int>(fd), keep, nKeep)) {
        continue;
      }
      ::close(static_cast<int>(fd));
    }
  }
  ::close(dir);
  return 0;
}

}  // namespace

size_t fdRangesToClose(unsigned from, const int* keep, size_t nKeep, FdRange* out) {
  size_t n = 0;
  unsigned next = from;
  for (;;) {
    long kept = nextKept(next, keep, nKeep);
    if (kept < 0) {
      out[n++] = {next, UINT_MAX};
      return n;
    }
    if (static_cast<unsigned>(kept) > next) out[n++] = {next, static_cast<unsigned>(kept) - 1};
    if (static_cast<unsigned>(kept) == UINT_MAX) return n;
    next = static_cast<unsigned>(kept) + 1;
  }
}

int closeFdsExcept(unsigned from, const int* keep, size_t nKeep) {
  FdRange ranges[8];
  if (nKeep + 1 > sizeof ranges / sizeof ranges[0]) return EINVAL;
  size_t n = fdRangesToClose(from, keep, nKeep, ranges);
  for (size_t i = 0; i < n; ++i) {
    if (::syscall(SYS_close_range, ranges[i].first, ranges[i].last, 0) < 0) {
      return closeByProcListing(from, keep, nKeep);
    }
  }
  return 0;
}

}  // namespace sangja
