// Descriptors handed to the container on purpose: --preserve-fds N and
// systemd socket activation (LISTEN_FDS/LISTEN_PID), as runc passes them.
#include <gtest/gtest.h>

#include "harness.h"

namespace sangja::it {
namespace {

class FdPassingTest : public ContainerTest {
 protected:
  // Runs the runtime from a shell that first opens `redirections` (fd 3 and
  // up) and exports `env`, so the fds are the runtime's own, as a
  // supervisor would hand them over. $$ is the runtime's pid after exec.
  RunResult runFromShell(const std::string& redirections, const std::string& env,
                         const std::vector<std::string>& flags) {
    b.write();
    std::string cmd = "exec " + redirections + "; " + env + " exec '" + runtimePath() +
                      "' --root '" + b.stateRoot() + "' run --bundle '" + b.dir() + "'";
    for (const std::string& f : flags) cmd += " " + f;
    cmd += " " + b.id();
    return host(cmd);
  }
};

// The container reads fd 3, writes fd 4, and fd 5 (not preserved) is closed.
TEST_F(FdPassingTest, PreserveFdsPassesExactlyThoseFds) {
  writeFile(b.tmp() + "/in", "from-host\n");
  b.setArgs({"sh", "-c",
             "read l <&3; echo \"read $l\"; echo to-host >&4; "
             "[ -e /proc/$$/fd/5 ] && echo leaked5 || echo no5"});
  RunResult r =
      runFromShell("3<'" + b.tmp() + "/in' 4>'" + b.tmp() + "/out' 5<'" + b.tmp() + "/in'", "",
                   {"--preserve-fds", "2"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(nonBlankLines(r.out), (std::vector<std::string>{"read from-host", "no5"})) << r;
  EXPECT_EQ(readFile(b.tmp() + "/out"), "to-host\n");
}

// LISTEN_FDS=2 for the runtime's own pid: fds 3 and 4 reach the container,
// then the --preserve-fds one (5); the container is told LISTEN_FDS=2 and
// LISTEN_PID=1.
TEST_F(FdPassingTest, SocketActivationFdsComeFirstThenPreserved) {
  writeFile(b.tmp() + "/a", "sock-a\n");
  writeFile(b.tmp() + "/b", "sock-b\n");
  writeFile(b.tmp() + "/c", "extra-c\n");
  b.setArgs({"sh", "-c",
             "echo \"env $LISTEN_FDS $LISTEN_PID\"; read a <&3; read b <&4; read c <&5; "
             "echo \"$a $b $c\"; [ -e /proc/$$/fd/6 ] && echo leaked6 || echo no6"});
  RunResult r = runFromShell(
      "3<'" + b.tmp() + "/a' 4<'" + b.tmp() + "/b' 5<'" + b.tmp() + "/c' 6<'" + b.tmp() + "/a'",
      "LISTEN_FDS=2 LISTEN_PID=$$", {"--preserve-fds", "1"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(nonBlankLines(r.out),
            (std::vector<std::string>{"env 2 1", "sock-a sock-b extra-c", "no6"}))
      << r;
}

// LISTEN_PID names another process: the variables are not ours, nothing is
// passed and the container's environment does not claim sockets.
TEST_F(FdPassingTest, SocketActivationForAnotherPidPassesNothing) {
  writeFile(b.tmp() + "/a", "sock-a\n");
  b.setArgs(
      {"sh", "-c", "echo \"env [$LISTEN_FDS]\"; [ -e /proc/$$/fd/3 ] && echo has3 || echo no3"});
  RunResult r = runFromShell("3<'" + b.tmp() + "/a'", "LISTEN_FDS=1 LISTEN_PID=1", {});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(nonBlankLines(r.out), (std::vector<std::string>{"env []", "no3"})) << r;
}

}  // namespace
}  // namespace sangja::it
