// process.terminal: the pty a container gets, through --console-socket (as
// containerd's shim receives it) and through `run` holding the user's
// terminal; runc's errors for the flags that do not fit.

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/console_socket.h"
#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

bool hasLine(const std::string& text, const std::string& line) {
  for (const std::string& l : splitLines(text)) {
    if (l == line) return true;
  }
  return false;
}

class TerminalTest : public ContainerTest {
 protected:
  void SetUp() override {
    b.config["process"]["terminal"] = true;
    b.config["process"]["consoleSize"] = {{"height", 33}, {"width", 111}};
    b.setArgs({"sh"});
  }

  struct Session {
    std::string out;  // what the pty showed, \r dropped
    int exitStatus = -1;
  };

  // create --console-socket with an interactive sh, start, type `input`
  // into the master, read it all back, reap the init (we are its
  // subreaper) for its exit status.
  Session typeIntoContainer(const std::string& input) {
    Session s;
    SubreaperScope reaper;
    ConsoleSocket sock(b.tmp() + "/console.sock");
    RunResult c = b.create({"--console-socket", sock.path()});
    EXPECT_TRUE(c.ok()) << c;
    if (!c.ok()) return s;
    ConsoleSocket::Received got = sock.receive();
    EXPECT_EQ(got.fds, 1) << "one fd, the pty master";
    EXPECT_FALSE(got.name.empty()) << "a name with the master";
    EXPECT_FALSE(got.moreAfter) << "exactly one message";
    if (got.master < 0) return s;
    EXPECT_TRUE(::isatty(got.master));
    pid_t pid = b.pid();
    EXPECT_GT(pid, 0);
    RunResult st = b.start();
    EXPECT_TRUE(st.ok()) << st;
    EXPECT_EQ(::write(got.master, input.data(), input.size()), static_cast<ssize_t>(input.size()));
    s.out = readPty(got.master);
    ::close(got.master);
    int status = waitChild(pid);
    EXPECT_NE(status, -1) << "the container did not exit";
    if (status != -1 && WIFEXITED(status)) s.exitStatus = WEXITSTATUS(status);
    EXPECT_TRUE(b.waitStatus("stopped")) << b.status();
    return s;
  }
};

// (a) ctr's receiver: the master arrives in one message, the shell behind
// it runs on the container's own /dev/pts/0 with consoleSize applied.
TEST_F(TerminalTest, ConsoleSocketGetsTheMasterOfAShell) {
  Session s = typeIntoContainer("tty; stty size; echo $((6*7)); exit 3\n");
  EXPECT_TRUE(hasLine(s.out, "/dev/pts/0")) << s.out;
  EXPECT_TRUE(hasLine(s.out, "33 111")) << s.out;
  EXPECT_TRUE(hasLine(s.out, "42")) << s.out;
  EXPECT_EQ(s.exitStatus, 3) << s.out;
}

// The pty is the process's user's (the group stays devpts's tty), as runc
// leaves it.
TEST_F(TerminalTest, PtyBelongsToTheProcesssUser) {
  b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  Session s = typeIntoContainer("stat -c owner=%u:%g $(tty); exit 0\n");
  EXPECT_TRUE(hasLine(s.out, "owner=1000:5")) << s.out;
  EXPECT_EQ(s.exitStatus, 0) << s.out;
}

// (b) /dev/console is the pty's slave: the same character device as stdin.
TEST_F(TerminalTest, DevConsoleIsTheSameDeviceAsStdin) {
  Session s = typeIntoContainer(
      "echo \"console=$(stat -c %F:%t:%T /dev/console)\"; "
      "echo \"stdin=$(stat -L -c %F:%t:%T /proc/self/fd/0)\"; exit 0\n");
  std::string console, stdinDev;
  for (const std::string& l : splitLines(s.out)) {
    if (l.rfind("console=", 0) == 0) console = l.substr(8);
    if (l.rfind("stdin=", 0) == 0) stdinDev = l.substr(6);
  }
  EXPECT_EQ(console.rfind("character special file:88:", 0), 0u) << s.out;  // major 136
  EXPECT_EQ(console, stdinDev) << s.out;
  EXPECT_EQ(s.exitStatus, 0) << s.out;
}

// A foreground run's pty writes "\n" as "\n" (onlcr off, as runc sets it
// for the terminal it proxies): the caller's terminal adds its own CR.
TEST_F(TerminalTest, RunsPtyKeepsNewlines) {
  b.config["process"].erase("consoleSize");
  b.setArgs({"sh", "-c", "stty -a | grep -o -- '-\\?onlcr'"});
  b.write();
  PtyRun r = runOnPty({runtimePath(), "--root", b.stateRoot(), "run", "--bundle", b.dir(), b.id()},
                      b.tag(), "", 24, 80);
  EXPECT_TRUE(hasLine(r.out, "-onlcr")) << r.out;
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.status << "\n" << r.out;
}

// (c) run without a socket, from a terminal the test makes: the runtime
// proxies it, copies its window size and gives its settings back.
TEST_F(TerminalTest, RunProxiesTheCallersTerminal) {
  b.config["process"].erase("consoleSize");
  b.setArgs({"sh", "-c", "read line; echo \"got-$line\"; stty size; tty; exit 5"});
  b.write();
  PtyRun r = runOnPty({runtimePath(), "--root", b.stateRoot(), "run", "--bundle", b.dir(), b.id()},
                      b.tag(), "hello\n", 29, 97);
  EXPECT_TRUE(hasLine(r.out, "got-hello")) << r.out;
  EXPECT_TRUE(hasLine(r.out, "29 97")) << r.out;
  EXPECT_TRUE(hasLine(r.out, "/dev/pts/0")) << r.out;
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 5) << r.status << "\n" << r.out;
  EXPECT_TRUE(r.settingsRestored) << "terminal settings not restored";
}

// (d) runc's errors (with our own name in them), and nothing left behind.
TEST_F(TerminalTest, CreateWithoutConsoleSocketIsRefused) {
  std::string skip = expectCleanCreateFailure(b, "will detach without setting console socket");
  if (!skip.empty()) GTEST_SKIP() << skip;
}

TEST_F(TerminalTest, RunDetachedWithoutConsoleSocketIsRefused) {
  b.write();
  HostSnapshot before = HostSnapshot::take();
  RunResult r = b.rt({"run", "--detach", "--bundle", b.dir(), b.id()});
  EXPECT_NE(r.status, 0) << r;
  EXPECT_TRUE(contains(r.err, "will detach without setting console socket")) << r;
  EXPECT_EQ(nonBlankLines(r.err).size(), 1u) << r;
  EXPECT_FALSE(b.state().ok()) << "state left behind";
  EXPECT_TRUE(taggedProcesses(b.tag()).empty());
  EXPECT_EQ(before.addedSettled(), "");
}

TEST_F(TerminalTest, ConsoleSocketWithoutTerminalIsRefused) {
  b.config["process"]["terminal"] = false;
  ConsoleSocket sock(b.tmp() + "/console.sock");
  std::string skip = expectCleanCreateFailure(b, "will not detach or allocate tty", nullptr,
                                              {"--console-socket", sock.path()});
  if (!skip.empty()) GTEST_SKIP() << skip;
}

TEST_F(TerminalTest, ConsoleSocketWithRunInTheForegroundIsRefused) {
  ConsoleSocket sock(b.tmp() + "/console.sock");
  b.write();
  RunResult r = b.rt({"run", "--console-socket", sock.path(), "--bundle", b.dir(), b.id()});
  EXPECT_NE(r.status, 0) << r;
  EXPECT_TRUE(contains(r.err, "will not detach or allocate tty")) << r;
  EXPECT_FALSE(b.state().ok()) << "state left behind";
}

TEST_F(TerminalTest, UnreachableConsoleSocketIsRefusedCleanly) {
  std::string path = b.tmp() + "/nobody-listens.sock";
  std::string skip = expectCleanCreateFailure(b, path, nullptr, {"--console-socket", path});
  if (!skip.empty()) GTEST_SKIP() << skip;
}

// A console socket that takes the connection but is a plain file now: the
// path exists, nobody listens.
TEST_F(TerminalTest, ConsoleSocketPathThatIsNoSocketIsRefusedCleanly) {
  std::string path = b.tmp() + "/not-a-socket";
  writeFile(path, "");
  std::string skip = expectCleanCreateFailure(b, path, nullptr, {"--console-socket", path});
  if (!skip.empty()) GTEST_SKIP() << skip;
}

}  // namespace
}  // namespace sangja::it
