// The client's end of --console-socket, as containerd's shim has it: a
// listening unix socket that receives the container's pty master in one
// SCM_RIGHTS message, and the talk through that master.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

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

// A runtime command run with a terminal the test makes as its controlling
// terminal and stdio (as a user at a shell would run it): `input` is typed
// into it, everything shown is collected until the command exits.
struct PtyRun {
  std::string out;                // what the terminal showed, \r dropped
  int status = -1;                // wait status, -1 if it did not finish (then killed)
  bool settingsRestored = false;  // termios as before, once it exited
};

inline PtyRun runOnPty(std::vector<std::string> argv, const std::string& tag,
                       const std::string& input, unsigned short rows, unsigned short cols) {
  PtyRun result;
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
    ADD_FAILURE() << "posix_openpt: " << std::strerror(errno);
    if (master >= 0) ::close(master);
    return result;
  }
  int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  winsize size{};
  size.ws_row = rows;
  size.ws_col = cols;
  termios before{};
  if (slave < 0 || ::ioctl(slave, TIOCSWINSZ, &size) != 0 || ::tcgetattr(slave, &before) != 0) {
    ADD_FAILURE() << "pty slave: " << std::strerror(errno);
    ::close(master);
    if (slave >= 0) ::close(slave);
    return result;
  }
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::string tagVar = "SANGJA_IT_TAG=" + tag;
  std::vector<char*> cenv;
  for (char** e = environ; *e != nullptr; ++e) cenv.push_back(*e);
  cenv.push_back(tagVar.data());
  cenv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    // The runtime in a session of its own, the test's pty its terminal.
    if (::setsid() < 0 || ::ioctl(slave, TIOCSCTTY, 0) < 0) ::_exit(126);
    if (::dup2(slave, 0) < 0 || ::dup2(slave, 1) < 0 || ::dup2(slave, 2) < 0) ::_exit(126);
    ::execve(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  if (pid > 0 && !input.empty()) {
    EXPECT_EQ(::write(master, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  }
  auto end = std::chrono::steady_clock::now() + kTimeout;
  while (pid > 0 && std::chrono::steady_clock::now() < end) {
    result.out += readPty(master, std::chrono::milliseconds(100));
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      result.out += readPty(master, std::chrono::milliseconds(200));
      result.status = status;
      break;
    }
  }
  if (pid > 0 && result.status == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ADD_FAILURE() << "the command did not finish; output so far: " << result.out;
  }
  termios after{};
  result.settingsRestored = ::tcgetattr(slave, &after) == 0 && after.c_lflag == before.c_lflag &&
                            after.c_iflag == before.c_iflag && after.c_oflag == before.c_oflag &&
                            after.c_cflag == before.c_cflag;
  ::close(slave);
  ::close(master);
  return result;
}

}  // namespace sangja::it
