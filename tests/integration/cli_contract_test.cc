// The command line as containerd's shim (go-runc) sends it: global flags in
// Go's styles, --log with --log-format json, and the error phrases it parses.
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

#include "tests/integration/console_socket.h"
#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;

class CliContractTest : public ContainerTest {
 protected:
  std::string logPath() const { return b.tmp() + "/log.json"; }

  // Every line of the log file, parsed; a line that is not a JSON object
  // with level/msg/time fails the test.
  std::vector<json> logLines() {
    std::vector<json> lines;
    for (const std::string& line : nonBlankLines(readFile(logPath()))) {
      json j = json::parse(line, nullptr, false);
      EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
      if (!j.is_object()) continue;
      for (const char* key : {"level", "msg", "time"})
        EXPECT_TRUE(j.contains(key) && j[key].is_string()) << key << " missing in " << line;
      lines.push_back(j);
    }
    return lines;
  }
};

// containerd shows the last error line's msg: it must carry runc's phrase.
TEST_F(CliContractTest, JsonLogCarriesTheErrorWithRuncsPhrase) {
  RunResult r =
      b.rt({"--log", logPath(), "--log-format", "json", "state", "no-such-ctr"}, kQuickTimeout);
  EXPECT_NE(r.status, 0) << r;
  std::vector<json> lines = logLines();
  ASSERT_FALSE(lines.empty()) << "nothing logged; " << r;
  const json& last = lines.back();
  EXPECT_EQ(last["level"], "error");
  EXPECT_TRUE(contains(last["msg"].get<std::string>(), "does not exist")) << last.dump();
  EXPECT_TRUE(contains(last["time"].get<std::string>(), "T")) << "RFC 3339 time: " << last.dump();
}

// The log is appended to, never truncated: the shim keeps one per container.
TEST_F(CliContractTest, JsonLogIsAppended) {
  writeFile(logPath(), "{\"level\":\"info\",\"msg\":\"earlier\",\"time\":\"x\"}\n");
  b.rt({"--log", logPath(), "--log-format", "json", "kill", "no-such-ctr", "9"}, kQuickTimeout);
  std::vector<json> lines = logLines();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.front()["msg"], "earlier");
  EXPECT_EQ(lines.back()["level"], "error");
}

// go-runc's create: `--root R --log F --log-format json create --bundle B
// --pid-file P ID`, here in each of Go's flag styles.
TEST_F(CliContractTest, ShimStyleCreateInEveryFlagStyle) {
  b.setArgs({"true"});
  b.write();
  std::string pid = b.tmp() + "/pid";
  RunResult r =
      runCommand({runtimePath(), "-root=" + b.stateRoot(), "--log", logPath(), "-log-format=json",
                  "create", "-bundle", b.dir(), "--pid-file=" + pid, "--no-new-keyring", b.id()});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(b.status(), "created");
  EXPECT_EQ(readFile(pid), std::to_string(b.pid()));
  for (const json& line : logLines()) EXPECT_NE(line["level"], "error") << line.dump();
  EXPECT_TRUE(b.del(true).ok());
}

TEST_F(CliContractTest, RootlessFalseAndAutoAreAccepted) {
  for (const char* value : {"--rootless=false", "--rootless=auto"}) {
    RunResult r =
        runCommand({runtimePath(), value, "--root", b.stateRoot(), "list"}, kQuickTimeout);
    EXPECT_TRUE(r.ok()) << value << ": " << r;
  }
}

// A value that is none of runc's is refused, never ignored; nothing is made.
TEST_F(CliContractTest, ABadRootlessValueIsRefused) {
  b.setArgs({"true"});
  b.write();
  RunResult r = runCommand({runtimePath(), "--rootless=maybe", "--root", b.stateRoot(), "create",
                            "--bundle", b.dir(), b.id()},
                           kQuickTimeout);
  EXPECT_NE(r.status, 0) << r;
  EXPECT_EQ(b.status(), "") << "nothing may be created";
  if (!contains(r.err, "--rootless")) {
    SKIP_FOR_PEER("its error names the bad value, not the flag");
    ADD_FAILURE() << "the error must name --rootless: " << r;
  }
}

// Where systemd is not running, --systemd-cgroup is a clear error at once
// (not a wait on a bus nobody answers, nor a cgroupfs container under the
// caller's nose); the systemd guest (systemd_cgroup_test.cc) covers the rest.
TEST_F(CliContractTest, SystemdCgroupWithoutSystemdIsAClearError) {
  if (::access("/run/systemd/system", F_OK) == 0) {
    GTEST_SKIP() << "NOT FOR THIS HOST: systemd is running here";
  }
  b.setArgs({"true"});
  b.config["linux"]["cgroupsPath"] = "system.slice:sangja-test:" + b.id();
  b.write();
  RunResult r = runCommand({runtimePath(), "--systemd-cgroup", "--root", b.stateRoot(), "create",
                            "--bundle", b.dir(), b.id()},
                           kQuickTimeout);
  EXPECT_NE(r.status, 0) << r;
  EXPECT_EQ(nonBlankLines(r.err).size(), 1u) << r;
  EXPECT_TRUE(contains(r.err, "systemd")) << r;
  EXPECT_EQ(b.status(), "") << "nothing may be created";
}

// run --keep leaves the stopped container to `delete` (state still there).
TEST_F(CliContractTest, RunKeepLeavesTheStoppedContainer) {
  b.setArgs({"sh", "-c", "exit 7"});
  b.write();
  RunResult r = b.rt({"run", "--keep", "--bundle", b.dir(), b.id()});
  EXPECT_EQ(r.status, 7) << r;
  EXPECT_EQ(b.status(), "stopped");
  EXPECT_TRUE(b.del().ok());
  EXPECT_EQ(b.status(), "");
}

// A flag that is accepted must act: run's own flags are not create's.
TEST_F(CliContractTest, CreateRefusesRunsOwnFlags) {
  b.setArgs({"true"});
  b.write();
  for (const char* flag : {"--keep", "--detach", "--no-subreaper"}) {
    RunResult r = b.rt({"create", flag, "--bundle", b.dir(), b.id()}, kQuickTimeout);
    EXPECT_NE(r.status, 0) << r;
    EXPECT_TRUE(contains(r.err, std::string(flag).substr(1))) << r;
    EXPECT_EQ(b.status(), "") << flag << ": nothing may be created";
  }
}

// The pid a pidfd refers to, from /proc/self/fdinfo ("Pid:\t<n>").
pid_t pidOfPidfd(int fd) {
  for (const std::string& line : splitLines(readFile("/proc/self/fdinfo/" + std::to_string(fd)))) {
    if (line.rfind("Pid:", 0) == 0) return static_cast<pid_t>(std::stol(line.substr(4)));
  }
  return -1;
}

// --pidfd-socket (runc 1.2): create and exec hand a pidfd of their process
// to the caller's socket; it signals exactly that process.
TEST_F(CliContractTest, PidfdSocketGetsThePidfdOfTheInitAndOfAnExec) {
  SKIP_FOR_PEER("--pidfd-socket came with runc 1.2");
  b.setArgs({"sleep", "1000"});
  b.write();
  ConsoleSocket sock(b.tmp() + "/pidfd.sock");
  RunResult c = b.create({"--pidfd-socket", sock.path()});
  ASSERT_TRUE(c.ok()) << c;
  ConsoleSocket::Received init = sock.receive();
  ASSERT_GE(init.master, 0) << "no fd arrived";
  EXPECT_EQ(init.name, "pidfd");
  EXPECT_EQ(pidOfPidfd(init.master), b.pid());
  ASSERT_TRUE(b.start().ok());

  std::string pidFile = b.tmp() + "/exec.pid";
  RunResult e = b.rt({"exec", "-d", "--pid-file", pidFile, "--pidfd-socket", sock.path(), b.id(),
                      "sleep", "1000"});
  ASSERT_TRUE(e.ok()) << e;
  ConsoleSocket::Received exec = sock.receive();
  ASSERT_GE(exec.master, 0) << "no fd arrived for the exec";
  EXPECT_EQ(pidOfPidfd(exec.master), std::stoi(readFile(pidFile)));

  // The pidfd signals that process: the init goes, the container stops.
  EXPECT_EQ(::syscall(SYS_pidfd_send_signal, init.master, SIGKILL, nullptr, 0), 0);
  EXPECT_TRUE(b.waitStatus("stopped")) << b.status();
  ::close(init.master);
  ::close(exec.master);
}

TEST_F(CliContractTest, UnreachablePidfdSocketFailsCleanly) {
  SKIP_FOR_PEER("--pidfd-socket came with runc 1.2");
  b.setArgs({"true"});
  std::string skip =
      expectCleanCreateFailure(b, "--pidfd-socket", nullptr, {"--pidfd-socket", b.tmp() + "/none"});
  if (!skip.empty()) GTEST_SKIP() << skip;
}

// A mistyped --root is not made into a new, empty state root.
TEST_F(CliContractTest, MissingRootIsNotCreated) {
  SKIP_FOR_PEER("runc creates the root for list, state and the others");
  std::string missing = b.tmp() + "/no-such-root";
  RunResult list = runCommand({runtimePath(), "--root", missing, "list"}, kQuickTimeout);
  EXPECT_NE(list.status, 0) << list;
  EXPECT_TRUE(contains(list.err, "state root " + missing + " does not exist")) << list;
  RunResult state = runCommand({runtimePath(), "--root", missing, "state", "x"}, kQuickTimeout);
  EXPECT_NE(state.status, 0) << state;
  EXPECT_TRUE(contains(state.err, "container \"x\" does not exist")) << state;
  RunResult del =
      runCommand({runtimePath(), "--root", missing, "delete", "--force", "x"}, kQuickTimeout);
  EXPECT_TRUE(del.ok()) << del;
  EXPECT_FALSE(pathExists(missing));
}

// Every verb answers --help with its usage on stdout and status 0, and
// does nothing else.
TEST_F(CliContractTest, EveryVerbHasHelp) {
  for (const char* verb : {"create", "start", "run", "exec", "state", "kill", "delete", "list",
                           "spec", "pause", "resume", "ps", "events", "update", "features"}) {
    RunResult r =
        runCommand({runtimePath(), "--root", b.stateRoot(), verb, "--help"}, kQuickTimeout);
    EXPECT_TRUE(r.ok()) << r;
    EXPECT_TRUE(containsNoCase(r.out, std::string("usage"))) << r;
    EXPECT_TRUE(contains(r.out, verb)) << r;
  }
}

}  // namespace
}  // namespace sangja::it
