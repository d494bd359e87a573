#include "runtime/process/console.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "base/fd_passing.h"
#include "base/scoped_fd.h"
#include "namespaces/in_root.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace sangja::console {

Status checkConsoleFlags(bool terminal, bool detached, bool hasConsoleSocket) {
  if (detached && terminal && !hasConsoleSocket) {
    return Error::invalid(
        "cannot allocate tty if sangja will detach without setting console socket");
  }
  if ((!detached || !terminal) && hasConsoleSocket) {
    return Error::invalid("cannot use console socket if sangja will not detach or allocate tty");
  }
  return {};
}

Result<ConsolePlan> planConsole(const spec::Process& process, bool mountDevConsole) {
  ConsolePlan plan;
  if (!process.terminal) return plan;
  plan.enabled = true;
  plan.mountDevConsole = mountDevConsole;
  plan.uid = process.user.uid;
  if (process.consoleSize) {
    constexpr uint64_t kMax = UINT16_MAX;
    if (process.consoleSize->height > kMax) {
      return Error::invalid("process.consoleSize.height: at most 65535");
    }
    if (process.consoleSize->width > kMax) {
      return Error::invalid("process.consoleSize.width: at most 65535");
    }
    plan.rows = static_cast<uint16_t>(process.consoleSize->height);
    plan.cols = static_cast<uint16_t>(process.consoleSize->width);
  }
  return plan;
}

std::string ptyName(int ptyNumber) {
  return "/dev/pts/" + std::to_string(ptyNumber);
}

// ---- Child side. ----

namespace {

// "dev/pts/N" into buf, without allocating.
void slavePath(int n, char* buf, size_t size) {
  constexpr char kPrefix[] = "dev/pts/";
  char digits[12];
  int len = 0;
  unsigned v = static_cast<unsigned>(n);
  do {
    digits[len++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && len < static_cast<int>(sizeof digits));
  size_t pos = 0;
  for (size_t i = 0; kPrefix[i] != '\0' && pos + 1 < size; ++i) buf[pos++] = kPrefix[i];
  while (len > 0 && pos + 1 < size) buf[pos++] = digits[--len];
  buf[pos] = '\0';
}

int openMaster(int root, const ChildChannel& ch) {
  constexpr int kFlags = O_RDWR | O_NOCTTY | O_CLOEXEC;
  int fd = mnt::openInRoot(root, "dev/pts/ptmx", kFlags, mnt::Create::kNone);
  if (fd == -ENOENT) fd = mnt::openInRoot(root, "dev/ptmx", kFlags, mnt::Create::kNone);
  if (fd < 0) ch.fail(-fd, "process.terminal: open the container's /dev/pts/ptmx");
  return fd;
}

// The slave through the master: no path to get wrong (TIOCGPTPEER, Linux
// 4.13); older kernels open /dev/pts/N of the same root.
int openSlave(int root, int master, const ChildChannel& ch) {
  int unlock = 0;
  if (::ioctl(master, TIOCSPTLCK, &unlock) < 0) ch.fail(errno, "process.terminal: unlock the pty");
  int fd = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0) return fd;
  if (errno != EINVAL && errno != ENOTTY) ch.fail(errno, "process.terminal: open the pty's slave");
  int n = -1;
  if (::ioctl(master, TIOCGPTN, &n) < 0) ch.fail(errno, "process.terminal: pty number");
  char path[32];
  slavePath(n, path, sizeof path);
  fd = mnt::openInRoot(root, path, O_RDWR | O_NOCTTY | O_CLOEXEC, mnt::Create::kNone);
  if (fd < 0) ch.fail(-fd, "process.terminal: open the pty's slave", path);
  return fd;
}

// /dev of the container, reached without any symlink.
int openDevDir(int root, const ChildChannel& ch) {
  struct open_how how {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    int fd = static_cast<int>(::syscall(SYS_openat2, root, "dev", &how, sizeof how));
    if (fd >= 0) return fd;
    if (errno == EAGAIN) continue;
    if (errno == ENOENT && attempt == 0 && (::mkdirat(root, "dev", 0755) == 0 || errno == EEXIST))
      continue;
    ch.fail(errno, errno == ELOOP ? "process.terminal: /dev in the container is a symlink"
                                  : "process.terminal: open /dev in the container");
  }
}

// CVE-2025-52565 class: what the image has at /dev/console is never
// followed. A symlink there is refused (it could point the mount at a
// procfs file and unmask it); a missing file is made; a file or device
// node is covered.
void mountDevConsole(int root, int slave, const ChildChannel& ch) {
  ScopedFd dev(openDevDir(root, ch));
  if (::mknodat(dev.get(), "console", S_IFREG | 0600, 0) < 0 && errno != EEXIST) {
    ch.fail(errno, "process.terminal: create /dev/console");
  }
  ScopedFd target(::openat(dev.get(), "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (target.get() < 0) ch.fail(errno, "process.terminal: open /dev/console");
  struct stat st;
  if (::fstat(target.get(), &st) < 0) ch.fail(errno, "process.terminal: stat /dev/console");
  if (S_ISLNK(st.st_mode)) {
    ch.fail(ELOOP,
            "process.terminal: /dev/console in the container is a symlink; refusing to mount the "
            "console through it");
  }
  if (S_ISDIR(st.st_mode)) ch.fail(EISDIR, "process.terminal: /dev/console is a directory");
  ScopedFd tree(::open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
  if (tree.get() < 0) ch.fail(errno, "process.terminal: bind the pty");
  if (::move_mount(tree.get(), "", target.get(), "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    ch.fail(errno, "process.terminal: bind the pty on /dev/console");
  }
}

}  // namespace

void child::setupConsole(const ConsolePlan& plan, const ChildChannel& ch) {
  if (!plan.enabled) return;
  ScopedFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) ch.fail(errno, "process.terminal: open /");
  ScopedFd master(openMaster(root.get(), ch));
  ScopedFd slave(openSlave(root.get(), master.get(), ch));
  if (plan.rows != 0 || plan.cols != 0) {
    struct winsize ws {};
    ws.ws_row = plan.rows;
    ws.ws_col = plan.cols;
    if (::ioctl(slave.get(), TIOCSWINSZ, &ws) < 0) ch.fail(errno, "process.consoleSize: set");
  }
  // The process's user owns its terminal; the group stays devpts's (tty),
  // as under runc.
  if (::fchown(slave.get(), plan.uid, static_cast<gid_t>(-1)) < 0) {
    ch.fail(errno, "process.terminal: give the pty to the process's user");
  }
  if (plan.mountDevConsole) mountDevConsole(root.get(), slave.get(), ch);
  if (!ch.sendFd(SyncType::kConsoleFd, master.get())) ::_exit(126);
  if (::setsid() < 0) ch.fail(errno, "process.terminal: setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) {
    ch.fail(errno, "process.terminal: make the pty the controlling terminal");
  }
  for (int fd = 0; fd < 3; ++fd) {
    if (::dup2(slave.get(), fd) < 0) ch.fail(errno, "process.terminal: pty as stdio");
  }
}

// ---- Parent side. ----

Result<UniqueFd> connectConsoleSocket(const std::string& path) {
  return connectUnixSocket(path, "console socket");
}

}  // namespace sangja::console

namespace sangja {

Result<UniqueFd> connectUnixSocket(const std::string& path, const std::string& purpose) {
  std::string what = "connect to " + purpose + " " + path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Error::invalid(what + ": path too long", ENAMETOOLONG);
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return Error::fromErrno(what);
  int r;
  do r = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  while (r < 0 && errno == EINTR);
  if (r < 0) return Error::fromErrno(what);
  return sock;
}

}  // namespace sangja

namespace sangja::console {

Status sendConsoleMaster(int socket, int master) {
  int n = -1;
  if (::ioctl(master, TIOCGPTN, &n) < 0) return Error::fromErrno("console: pty number");
  std::string name = ptyName(n);
  if (sendWithFd(socket, name.data(), name.size(), master) != static_cast<ssize_t>(name.size())) {
    return Error::fromErrno("send the pty master to the console socket");
  }
  return {};
}

Result<MasterRoute> MasterRoute::open(const std::string& consoleSocket) {
  MasterRoute route;
  route.path_ = consoleSocket;
  if (!consoleSocket.empty()) route.socket_ = TRY(connectConsoleSocket(consoleSocket));
  return route;
}

Status MasterRoute::deliver(UniqueFd master) {
  if (!socket_) {
    kept_ = std::move(master);
    return {};
  }
  return sendConsoleMaster(socket_.get(), master.get()).context("console socket " + path_);
}

}  // namespace sangja::console
