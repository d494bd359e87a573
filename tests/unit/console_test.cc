#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <future>
#include <string>

#include "base/unique_fd.h"
#include "runtime/process/console.h"
#include "runtime/process/console_proxy.h"

namespace sangja::console {
namespace {

// ---- runc's flag rules ----

TEST(ConsoleFlagsTest, TerminalWithoutSocketWhenDetachedIsRefused) {
  Status st = checkConsoleFlags(/*terminal=*/true, /*detached=*/true, /*socket=*/false);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "cannot allocate tty if sangja will detach without setting console socket");
}

TEST(ConsoleFlagsTest, SocketWithoutTerminalOrWithoutDetachIsRefused) {
  for (auto [terminal, detached] : {std::pair{false, true}, {false, false}, {true, false}}) {
    Status st = checkConsoleFlags(terminal, detached, /*socket=*/true);
    ASSERT_FALSE(st.ok()) << terminal << detached;
    EXPECT_EQ(st.error().message(),
              "cannot use console socket if sangja will not detach or allocate tty");
  }
}

TEST(ConsoleFlagsTest, AcceptedCombinations) {
  EXPECT_TRUE(checkConsoleFlags(true, true, true).ok());     // create --console-socket
  EXPECT_TRUE(checkConsoleFlags(true, false, false).ok());   // run: proxied
  EXPECT_TRUE(checkConsoleFlags(false, true, false).ok());   // create, no tty
  EXPECT_TRUE(checkConsoleFlags(false, false, false).ok());  // run, no tty
}

// ---- the plan ----

TEST(ConsolePlanTest, NoTerminalNoConsole) {
  spec::Process p;
  p.consoleSize = spec::Box{10, 20};
  ConsolePlan plan = *planConsole(p, true);
  EXPECT_FALSE(plan.enabled);
  EXPECT_FALSE(plan.mountDevConsole);
}

TEST(ConsolePlanTest, TerminalWithSize) {
  spec::Process p;
  p.terminal = true;
  p.consoleSize = spec::Box{24, 80};
  ConsolePlan plan = *planConsole(p, true);
  EXPECT_TRUE(plan.enabled);
  EXPECT_TRUE(plan.mountDevConsole);
  EXPECT_EQ(plan.rows, 24);
  EXPECT_EQ(plan.cols, 80);
  ConsolePlan forExec = *planConsole(p, false);
  EXPECT_TRUE(forExec.enabled);
  EXPECT_FALSE(forExec.mountDevConsole);
}

TEST(ConsolePlanTest, TerminalWithoutSizeKeepsTheKernelDefault) {
  spec::Process p;
  p.terminal = true;
  ConsolePlan plan = *planConsole(p, true);
  EXPECT_EQ(plan.rows, 0);
  EXPECT_EQ(plan.cols, 0);
}

TEST(ConsolePlanTest, OversizedConsoleNamesTheField) {
  spec::Process p;
  p.terminal = true;
  p.consoleSize = spec::Box{70000, 80};
  Result<ConsolePlan> r = planConsole(p, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("process.consoleSize.height"), std::string::npos);
  p.consoleSize = spec::Box{24, 1u << 20};
  r = planConsole(p, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("process.consoleSize.width"), std::string::npos);
}

TEST(ConsolePlanTest, PtyName) {
  EXPECT_EQ(ptyName(0), "/dev/pts/0");
  EXPECT_EQ(ptyName(17), "/dev/pts/17");
}

// ---- run's proxy, between two ptys (no root needed) ----

struct Pty {
  UniqueFd master;
  UniqueFd slave;
};

Pty openPty() {
  Pty p;
  p.master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!p.master || ::grantpt(p.master.get()) < 0 || ::unlockpt(p.master.get()) < 0) return {};
  p.slave.reset(::open(::ptsname(p.master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
  return p;
}

std::string readFor(int fd, const std::string& want) {
  std::string got;
  for (int i = 0; i < 100 && got.find(want) == std::string::npos; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST(TerminalProxyTest, CopiesBothWaysSizesAndRestoresTheTerminal) {
  Pty container = openPty();  // the container's pty: master to the proxy
  Pty user = openPty();       // the user's terminal: the proxy's stdin
  ASSERT_TRUE(container.slave && user.slave);
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  UniqueFd outRead(out[0]), outWrite(out[1]);
  winsize size{};
  size.ws_row = 37;
  size.ws_col = 123;
  ASSERT_EQ(::ioctl(user.slave.get(), TIOCSWINSZ, &size), 0);
  termios before;
  ASSERT_EQ(::tcgetattr(user.slave.get(), &before), 0);
  ASSERT_TRUE(before.c_lflag & ICANON);

  // The proxy runs in its own thread, which alone blocks SIGUSR1: that is
  // the "container exited" signal here.
  std::promise<pthread_t> self;
  std::future<Result<int>> done = std::async(std::launch::async, [&]() -> Result<int> {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGWINCH);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    Result<TerminalProxy> proxy =
        TerminalProxy::attach(std::move(container.master), user.slave.get(), outWrite.get());
    self.set_value(pthread_self());
    if (!proxy.ok()) return std::move(proxy).takeError();
    return proxy->pump(set, [](int sig) -> std::optional<int> {
      return sig == SIGUSR1 ? std::optional<int>(7) : std::nullopt;
    });
  });
  pthread_t thread = self.get_future().get();

  // Raw mode on the user's terminal, its size on the container's pty.
  termios raw;
  ASSERT_EQ(::tcgetattr(user.slave.get(), &raw), 0);
  EXPECT_FALSE(raw.c_lflag & (ICANON | ECHO));
  winsize copied{};
  ASSERT_EQ(::ioctl(container.slave.get(), TIOCGWINSZ, &copied), 0);
  EXPECT_EQ(copied.ws_row, 37);
  EXPECT_EQ(copied.ws_col, 123);

  // Keys typed reach the container; its output reaches stdout.
  ASSERT_EQ(::write(user.master.get(), "typed\n", 6), 6);
  EXPECT_NE(readFor(container.slave.get(), "typed").find("typed"), std::string::npos);
  ASSERT_EQ(::write(container.slave.get(), "printed\n", 8), 8);
  EXPECT_NE(readFor(outRead.get(), "printed").find("printed"), std::string::npos);

  // A new window size follows on SIGWINCH.
  size.ws_row = 50;
  ASSERT_EQ(::ioctl(user.slave.get(), TIOCSWINSZ, &size), 0);
  pthread_kill(thread, SIGWINCH);
  for (int i = 0; i < 100 && copied.ws_row != 50; ++i) {
    ::usleep(10000);
    ASSERT_EQ(::ioctl(container.slave.get(), TIOCGWINSZ, &copied), 0);
  }
  EXPECT_EQ(copied.ws_row, 50);

  pthread_kill(thread, SIGUSR1);
  Result<int> status = done.get();
  ASSERT_TRUE(status.ok()) << status.error().message();
  EXPECT_EQ(*status, 7);
  termios after;
  ASSERT_EQ(::tcgetattr(user.slave.get(), &after), 0);
  EXPECT_EQ(after.c_lflag, before.c_lflag);
  EXPECT_EQ(after.c_iflag, before.c_iflag);
  EXPECT_EQ(after.c_oflag, before.c_oflag);
}

}  // namespace
}  // namespace sangja::console
