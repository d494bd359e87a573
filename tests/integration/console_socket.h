// The client's end of --console-socket, as containerd's shim has it: a
// listening unix socket that receives the container's pty master in one
// SCM_RIGHTS message, and the talk through that master.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "tests/integration/harness.h"

namespace sangja::it {

class ConsoleSocket {
 public:
  explicit ConsoleSocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(fd_, 4) < 0) {
      ADD_FAILURE() << "console socket " << path << ": " << std::strerror(errno);
    }
  }
  ~ConsoleSocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  ConsoleSocket(const ConsoleSocket&) = delete;
  ConsoleSocket& operator=(const ConsoleSocket&) = delete;

  const std::string& path() const { return path_; }

  struct Received {
    int master = -1;  // the caller owns it
    int fds = 0;      // how many fds came (one expected)
    std::string name;
    bool moreAfter = false;  // the runtime sent a second message
  };

  // Accepts the runtime's connection (made during create) and reads its one
  // message; master is -1 if nothing came.
  Received receive() const {
    Received r;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return r;
    int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return r;
    char name[4096];
    iovec iov{name, sizeof name};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
    if (n > 0) r.name.assign(name, static_cast<size_t>(n));
    for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm != nullptr; cm = CMSG_NXTHDR(&mh, cm)) {
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
        if (r.master < 0)
          r.master = fd;
        else
          ::close(fd);
        ++r.fds;
      }
    }
    // The runtime has closed its end by now (create returned): EOF.
    char more;
    r.moreAfter = ::recv(conn, &more, 1, MSG_DONTWAIT) > 0;
    ::close(conn);
    return r;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// Everything the pty gives until the container side is gone (EIO) or the
// time is up; carriage returns dropped.
inline std::string readPty(int master, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  std::string out;
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[1024];
    ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\r') out += buf[i];
    }
  }
  return out;
}

// While alive, this process reaps orphans (as containerd's shim does), so a
// created container's init comes to it when create exits.
class SubreaperScope {
 public:
  SubreaperScope() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~SubreaperScope() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
  SubreaperScope(const SubreaperScope&) = delete;
  SubreaperScope& operator=(const SubreaperScope&) = delete;
};

// The wait status of our child pid, or -1 after the limit.
inline int waitChild(pid_t pid, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return -1;
    ::usleep(10000);
  }
  return -1;
}

}  // namespace sangja::it
