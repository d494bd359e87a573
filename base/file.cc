#include "base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sangja {

Result<UniqueFd> openFile(const std::string& path, int flags, mode_t mode) {
  return openAt(AT_FDCWD, path, flags, mode);
}

Result<UniqueFd> openAt(int dirfd, const std::string& path, int flags, mode_t mode) {
  int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return Error::fromErrno("open " + path);
  return UniqueFd(fd);
}

Result<std::string> readFd(int fd, const std::string& what) {
  return readFdBounded(fd, what, std::string().max_size());
}

Result<std::string> readFdBounded(int fd, const std::string& what, size_t limit) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::fromErrno("read " + what);
    }
    if (n == 0) break;
    if (static_cast<size_t>(n) > limit - out.size()) {
      return Error::invalid(what + ": larger than the limit of " + std::to_string(limit) + " bytes",
                            EFBIG);
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> readDocumentFile(const std::string& path, size_t limit) {
  UniqueFd fd = TRY(openFile(path, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return Error::fromErrno("stat " + path);
  if (!S_ISREG(st.st_mode)) return Error::invalid(path + ": not a regular file", EINVAL);
  if (static_cast<uint64_t>(st.st_size) > limit) {
    return Error::invalid(path + ": larger than the limit of " + std::to_string(limit) + " bytes",
                          EFBIG);
  }
  return readFdBounded(fd.get(), path, limit);
}

Result<std::string> readFile(const std::string& path) {
  return readFileAt(AT_FDCWD, path);
}

Result<std::string> readFileAt(int dirfd, const std::string& path) {
  UniqueFd fd = TRY(openAt(dirfd, path, O_RDONLY));
  return readFd(fd.get(), path);
}

Result<std::string> readRegularFileAt(int dirfd, const std::string& path) {
  // A fifo put in its place reads as empty instead of blocking us forever;
  // a symlink is refused (ELOOP).
  UniqueFd fd = TRY(openAt(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW));
  std::string out(4096, '\0');
  size_t used = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::fromErrno("read " + path);
    }
    used += static_cast<size_t>(n);
    if (used < out.size()) break;  // short (or empty): the end
    out.resize(out.size() * 2);
  }
  out.resize(used);
  return out;
}

Status writeAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::fromErrno("write " + what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status writeFileAtomic(int dirfd, const std::string& name, std::string_view data, mode_t mode) {
  std::string tmp = "." + name + ".tmp";
  UniqueFd fd = TRY(openAt(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
  if (Status st = writeAll(fd.get(), data, tmp); !st.ok()) {
    ::unlinkat(dirfd, tmp.c_str(), 0);
    return st;
  }
  fd.reset();
  if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) < 0) {
    Error err = Error::fromErrno("rename " + tmp + " to " + name);
    ::unlinkat(dirfd, tmp.c_str(), 0);
    return err;
  }
  return {};
}

Status writePidFile(const std::string& path, int pid) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  UniqueFd dirfd = TRY(openFile(dir, O_PATH | O_DIRECTORY).context("pid file"));
  return writeFileAtomic(dirfd.get(), name, std::to_string(pid)).context("pid file " + path);
}

Status writeExisting(const std::string& path, std::string_view data) {
  UniqueFd fd = TRY(openFile(path, O_WRONLY | O_TRUNC));
  return writeAll(fd.get(), data, path);
}

}  // namespace sangja
