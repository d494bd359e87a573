// Owns an fd for the length of a step on the child side (between clone and
// exec): closes it, nothing else — no allocation, no error reporting.
#pragma once

#include <unistd.h>

namespace sangja {

class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  void swap(ScopedFd& other) {
    int fd = fd_;
    fd_ = other.fd_;
    other.fd_ = fd;
  }

 private:
  int fd_;
};

}  // namespace sangja
