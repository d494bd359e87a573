#include "runtime/process/console_proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace sangja::console {

namespace {

// Writes all of data to a blocking fd; false when it cannot take more.
bool writeAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<TerminalProxy> TerminalProxy::attach(UniqueFd master, int in, int out) {
  int flags = ::fcntl(master.get(), F_GETFL);
  if (flags < 0 || ::fcntl(master.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
    return Error::fromErrno("terminal: pty master non-blocking");
  }
  // "\n" reaches the caller as "\n", as runc's foreground runs give it:
  // the caller's own terminal adds any CR it wants.
  termios pty;
  if (::tcgetattr(master.get(), &pty) == 0) {
    pty.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
    if (::tcsetattr(master.get(), TCSANOW, &pty) < 0) {
      return Error::fromErrno("terminal: clear onlcr on the pty");
    }
  }
  TerminalProxy proxy(std::move(master), in, out);
  termios tio;
  if (::isatty(in) && ::tcgetattr(in, &tio) == 0) {
    proxy.saved_ = tio;
    ::cfmakeraw(&tio);
    if (::tcsetattr(in, TCSANOW, &tio) < 0) {
      proxy.saved_.reset();
      return Error::fromErrno("terminal: raw mode for stdin");
    }
    proxy.copySize();
  }
  return proxy;
}

TerminalProxy::TerminalProxy(TerminalProxy&& other) noexcept
    : master_(std::move(other.master_)),
      in_(other.in_),
      out_(other.out_),
      saved_(std::exchange(other.saved_, std::nullopt)) {}

void TerminalProxy::restore() {
  if (!saved_) return;
  ::tcsetattr(in_, TCSANOW, &*saved_);
  saved_.reset();
}

void TerminalProxy::copySize() const {
  winsize ws{};
  if (::ioctl(in_, TIOCGWINSZ, &ws) == 0) ::ioctl(master_.get(), TIOCSWINSZ, &ws);
}

bool TerminalProxy::copyOutput() {
  char buf[8192];
  ssize_t n;
  do n = ::read(master_.get(), buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return true;
  if (n <= 0) return false;  // EIO: every slave fd is closed
  // A stdout that takes no more loses the output; the container goes on.
  (void)writeAll(out_, buf, static_cast<size_t>(n));
  return true;
}

// After the exit: what is buffered in the pty now, and no more (a process
// left outside a pid namespace could keep writing).
void TerminalProxy::drainOutput() {
  for (int i = 0; i < 256; ++i) {
    pollfd p{master_.get(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) return;
    if (!copyOutput()) return;
  }
}

Result<int> TerminalProxy::pump(const sigset_t& signals,
                                const std::function<std::optional<int>(int sig)>& onSignal) {
  UniqueFd sigfd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) return Error::fromErrno("terminal: signalfd");
  char pending[4096];  // read from in, not yet taken by the master
  size_t pendingOff = 0, pendingLen = 0;
  bool inOpen = true, masterOpen = true;
  for (;;) {
    pollfd fds[3] = {{sigfd.get(), POLLIN, 0}, {-1, POLLIN, 0}, {-1, 0, 0}};
    if (inOpen && pendingLen == 0) fds[1].fd = in_;
    if (masterOpen) {
      fds[2].fd = master_.get();
      fds[2].events = static_cast<short>(POLLIN | (pendingLen > 0 ? POLLOUT : 0));
    }
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return Error::fromErrno("terminal: poll");
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      while (::read(sigfd.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH) {
          copySize();
          continue;
        }
        if (std::optional<int> done = onSignal(sig)) {
          drainOutput();
          return *done;
        }
      }
    }
    if (fds[1].revents != 0) {
      ssize_t n = ::read(in_, pending, sizeof pending);
      if (n > 0) {
        pendingOff = 0;
        pendingLen = static_cast<size_t>(n);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        inOpen = false;  // end of input: the container's pty stays open
      }
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!copyOutput()) masterOpen = false;
    }
    if (masterOpen && pendingLen > 0) {
      ssize_t n = ::write(master_.get(), pending + pendingOff, pendingLen);
      if (n > 0) {
        pendingOff += static_cast<size_t>(n);
        pendingLen -= static_cast<size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        pendingLen = 0;  // the container's side is gone
      }
    }
    if (!masterOpen) pendingLen = 0;
  }
}

}  // namespace sangja::console
