// OCI hooks (runtime-spec v1.3.0 config.md "POSIX-platform Hooks"): each
// phase runs once, in order, at its moment, in its namespace, with the
// state on stdin, exactly its args and env, killed at its timeout; failures
// fail the right operation and leave nothing behind.
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;
using std::chrono::steady_clock;

class HooksTest : public ContainerTest {
 protected:
  std::string logPath() const { return b.tmp() + "/log"; }
  std::vector<std::string> logLines() const { return splitLines(readFile(logPath())); }

  // An executable script on the host.
  std::string hostScript(const std::string& name, const std::string& body) {
    std::string path = b.tmp() + "/" + name;
    writeFile(path, "#!/bin/sh\n" + body);
    ::chmod(path.c_str(), 0755);
    return path;
  }

  // A host hook that appends "<phase> <status> <pid>" (pid "none" when the
  // state has none) to the log and keeps its stdin in state.<phase>.
  // poststart also records the comm of the pid it was given.
  json logger(const std::string& phase) {
    std::string dir = b.tmp();
    std::string path = hostScript("logger.sh",
                                  "state=$(cat)\n"
                                  "printf '%s' \"$state\" > " +
                                      dir +
                                      "/state.$1\n"
                                      "status=$(printf '%s' \"$state\" | sed -n "
                                      "'s/.*\"status\":\"\\([a-z]*\\)\".*/\\1/p')\n"
                                      "pid=$(printf '%s' \"$state\" | sed -n "
                                      "'s/.*\"pid\":\\([0-9]*\\).*/\\1/p')\n"
                                      "echo \"$1 $status ${pid:-none}\" >> " +
                                      dir +
                                      "/log\n"
                                      "if [ \"$1\" = poststart ]; then cat /proc/$pid/comm > " +
                                      dir +
                                      "/poststart.comm; fi\n"
                                      "readlink /proc/self/ns/mnt > " +
                                      dir + "/mnt.$1\n");
    return {{"path", path}, {"args", {"logger.sh", phase}}};
  }

  // A hook whose path exists only in the container's rootfs (busybox sh).
  // It logs like logger() to the host's log through a bind mount of tmp()
  // at /hooklog.
  json containerLogger(const std::string& phase) {
    ::mkdir((b.rootfs() + "/hooks").c_str(), 0755);
    writeFile(b.rootfs() + "/hooks/in-container.sh",
              "#!/bin/sh\n"
              "state=$(cat)\n"
              "status=$(echo \"$state\" | sed -n 's/.*\"status\":\"\\([a-z]*\\)\".*/\\1/p')\n"
              "pid=$(echo \"$state\" | sed -n 's/.*\"pid\":\\([0-9]*\\).*/\\1/p')\n"
              "echo \"$1 $status ${pid:-none}\" >> /hooklog/log\n"
              "readlink /proc/self/ns/mnt > /hooklog/mnt.$1\n");
    ::chmod((b.rootfs() + "/hooks/in-container.sh").c_str(), 0755);
    ::mkdir((b.rootfs() + "/hooklog").c_str(), 0755);
    b.config["mounts"].push_back({{"destination", "/hooklog"},
                                  {"type", "bind"},
                                  {"source", b.tmp()},
                                  {"options", {"rbind", "rw"}}});
    return {{"path", "/hooks/in-container.sh"}, {"args", {"in-container.sh", phase}}};
  }

  void addHook(const std::string& phase, const json& hook) {
    b.config["hooks"][phase].push_back(hook);
  }

  // A hook that fails with exit status 3 and says why on stderr. A
  // startContainer hook's path is in the container's rootfs.
  json failing(const std::string& phase) {
    std::string body = "#!/bin/sh\necho 'broken " + phase + " hook' >&2\nexit 3\n";
    if (phase == "startContainer") {
      ::mkdir((b.rootfs() + "/hooks").c_str(), 0755);
      writeFile(b.rootfs() + "/hooks/fail.sh", body);
      ::chmod((b.rootfs() + "/hooks/fail.sh").c_str(), 0755);
      return {{"path", "/hooks/fail.sh"}};
    }
    return {{"path", hostScript("fail-" + phase + ".sh", body.substr(10))}};
  }

  // One logging hook in every phase (startContainer's inside the rootfs).
  void addEveryHook() {
    addHook("prestart", logger("prestart"));
    addHook("createRuntime", logger("createRuntime"));
    addHook("createContainer", logger("createContainer"));
    addHook("startContainer", containerLogger("startContainer"));
    addHook("poststart", logger("poststart"));
    addHook("poststop", logger("poststop"));
  }

  void createSleeper(const std::vector<std::string>& flags = {}) {
    b.setArgs({"sleep", "1000"});
    RunResult r = b.create(flags);
    ASSERT_TRUE(r.ok()) << r;
  }

  // The container's mount namespace, as the host sees it.
  std::string containerMountNs() {
    pid_t pid = b.pid();
    if (pid <= 0) return "";
    char buf[64] = {};
    ssize_t n =
        ::readlink(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  // Nothing of the container is left: no state, no process (the harness's
  // leftover checks look for processes, cgroups and mounts too).
  void expectGone() {
    EXPECT_FALSE(b.state().ok()) << "the container still has state after a failed create";
    EXPECT_FALSE(pathExists(b.stateRoot() + "/" + b.id())) << "state directory left behind";
    EXPECT_TRUE(taggedProcesses(b.tag()).empty()) << "container processes left behind";
  }
};

TEST_F(HooksTest, CreateHooksRunInOrderOnceEach) {
  addHook("prestart", logger("prestart"));
  addHook("createRuntime", logger("createRuntime"));
  addHook("createContainer", logger("createContainer"));
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  std::string pid = std::to_string(b.pid());
  // Runtime-namespace hooks see the host pid; container ones the pid in
  // the container's pid namespace.
  EXPECT_EQ(logLines(),
            (std::vector<std::string>{"prestart creating " + pid, "createRuntime creating " + pid,
                                      "createContainer creating 1"}));
  RunResult r = b.start();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(logLines().size(), 3u) << readFile(logPath());
}

TEST_F(HooksTest, EveryHookRunsOnceInLifecycleOrder) {
  SKIP_FOR_PEER("runc 1.1.5 runs poststart hooks at the end of create, with status created");
  addEveryHook();
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  std::string pid = std::to_string(b.pid());
  EXPECT_EQ(logLines().size(), 3u) << readFile(logPath());

  RunResult r = b.start();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(logLines(),
            (std::vector<std::string>{"prestart creating " + pid, "createRuntime creating " + pid,
                                      "createContainer creating 1", "startContainer created 1",
                                      "poststart running " + pid}));
  // poststart runs once the user's program has replaced the init.
  EXPECT_EQ(trimmed(readFile(b.tmp() + "/poststart.comm")), "sleep");

  r = b.kill("KILL");
  ASSERT_TRUE(r.ok()) << r;
  ASSERT_TRUE(b.waitStatus("stopped")) << b.state();
  EXPECT_EQ(logLines().size(), 5u) << "poststop ran before delete";
  r = b.del();
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = logLines();
  ASSERT_EQ(lines.size(), 6u) << readFile(logPath());
  EXPECT_EQ(lines[5], "poststop stopped none");
}

TEST_F(HooksTest, StateOnStdinNamesTheContainer) {
  b.config["annotations"] = {{"org.example.hooks", "yes"}};
  addHook("createRuntime", logger("createRuntime"));
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  json st = json::parse(readFile(b.tmp() + "/state.createRuntime"), nullptr, false);
  ASSERT_TRUE(st.is_object()) << readFile(b.tmp() + "/state.createRuntime");
  EXPECT_EQ(st.value("id", ""), b.id());
  EXPECT_EQ(st.value("bundle", ""), b.dir());
  EXPECT_EQ(st.value("status", ""), "creating");
  EXPECT_EQ(st.value("pid", 0), b.pid());
  EXPECT_TRUE(st.contains("ociVersion")) << st.dump();
  EXPECT_EQ(st["annotations"].value("org.example.hooks", ""), "yes") << st.dump();
}

TEST_F(HooksTest, CreateContainerRunsInTheContainerMountNamespaceWithTheHostRoot) {
  std::string marker = hostScript("host-only-marker", "");
  std::string path =
      hostScript("cc.sh", "readlink /proc/self/ns/mnt > " + b.tmp() +
                              "/cc.mnt\n"
                              "if [ -e " +
                              marker + " ]; then echo host > " + b.tmp() +
                              "/cc.root; else echo other > " + b.tmp() + "/cc.root; fi\n");
  addHook("createContainer", {{"path", path}});
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  std::string containerNs = containerMountNs();
  ASSERT_FALSE(containerNs.empty());
  char own[64] = {};
  ASSERT_GT(::readlink("/proc/self/ns/mnt", own, sizeof own - 1), 0);
  ASSERT_NE(containerNs, own);
  EXPECT_EQ(trimmed(readFile(b.tmp() + "/cc.mnt")), containerNs);
  EXPECT_EQ(trimmed(readFile(b.tmp() + "/cc.root")), "host");
}

// Its working directory is the container's rootfs, as runc gives it: a
// relative path in the hook lands there, not in the host's `/`.
TEST_F(HooksTest, CreateContainerStartsInTheRootfs) {
  b.config["root"]["readonly"] = false;
  std::string path = hostScript("cc-cwd.sh", "pwd > " + b.tmp() +
                                                 "/cc.cwd\n"
                                                 "touch ./created-by-hook\n");
  addHook("createContainer", {{"path", path}});
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  EXPECT_EQ(trimmed(readFile(b.tmp() + "/cc.cwd")), b.rootfs());
  EXPECT_TRUE(pathExists(b.rootfs() + "/created-by-hook"));
  EXPECT_FALSE(pathExists("/created-by-hook")) << "the hook wrote into the host's /";
  ::unlink("/created-by-hook");
}

// Without an env of its own, a startContainer hook sees the container
// process's environment (runc); with one, exactly that.
TEST_F(HooksTest, StartContainerHookGetsTheProcessEnv) {
  b.config["process"]["env"] = {"PATH=/usr/bin:/bin", "ONE=two", "ONE=three"};
  ::mkdir((b.rootfs() + "/hooks").c_str(), 0755);
  writeFile(b.rootfs() + "/hooks/env.sh",
            "#!/bin/sh\necho \"$1 [$ONE] [$HOME] [$OWN]\" >> /hooklog/env\n");
  ::chmod((b.rootfs() + "/hooks/env.sh").c_str(), 0755);
  (void)containerLogger("startContainer");  // the /hooklog bind mount
  addHook("startContainer", {{"path", "/hooks/env.sh"}, {"args", {"env.sh", "inherited"}}});
  addHook("startContainer",
          {{"path", "/hooks/env.sh"}, {"args", {"env.sh", "own"}}, {"env", {"OWN=1"}}});
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  RunResult r = b.start();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(readFile(b.tmp() + "/env"), "inherited [three] [/root] []\nown [] [] [1]\n");
}

TEST_F(HooksTest, StartContainerPathResolvesInTheContainer) {
  ASSERT_FALSE(pathExists("/hooks/in-container.sh")) << "the host has the container's hook path";
  addHook("startContainer", containerLogger("startContainer"));
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  EXPECT_TRUE(logLines().empty()) << "startContainer ran at create: " << readFile(logPath());
  std::string containerNs = containerMountNs();
  RunResult r = b.start();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(logLines(), std::vector<std::string>{"startContainer created 1"});
  EXPECT_EQ(trimmed(readFile(b.tmp() + "/mnt.startContainer")), containerNs);
}

// With --no-pivot the rootfs is moved over / and the init chrooted into it;
// the hook must land in the rootfs too. (A runtime that itself runs in a
// chroot, as in the qemu guest, needs the hook to take the init's root.)
TEST_F(HooksTest, StartContainerPathResolvesInTheContainerWithNoPivot) {
  addHook("startContainer", containerLogger("startContainer"));
  ASSERT_NO_FATAL_FAILURE(createSleeper({"--no-pivot"}));
  RunResult r = b.start();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(logLines(), std::vector<std::string>{"startContainer created 1"});
}

TEST_F(HooksTest, HooksKeptFromCreateTime) {
  addHook("startContainer", containerLogger("startContainer"));
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  // config.json changes after create must not affect the container.
  b.config.erase("hooks");
  writeFile(b.dir() + "/config.json", b.config.dump(2));
  RunResult r = b.start();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(logLines(), std::vector<std::string>{"startContainer created 1"});
}

TEST_F(HooksTest, ArgsPassedExactlyWithArgvZero) {
  std::string out = b.tmp() + "/args";
  // sh -c with no operands: $0 is argv[0].
  addHook("createRuntime",
          {{"path", "/bin/sh"}, {"args", {"my-hook-name", "-c", "echo \"$0\" > " + out}}});
  addHook("createRuntime",
          {{"path", "/bin/sh"},
           {"args", {"sh", "-c", "printf '%s|' \"$0\" \"$@\" >> " + out, "zero", "a b", "c"}}});
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  EXPECT_EQ(readFile(out), "my-hook-name\nzero|a b|c|");
}

TEST_F(HooksTest, EnvIsExactlyTheHooks) {
  SKIP_FOR_PEER("runc 1.1.5 (Go os/exec) adds PWD to a hook's env");
  std::string out = b.tmp() + "/env";
  // dash leaves its initial environment block as it got it.
  addHook("prestart", {{"path", "/bin/sh"},
                       {"args", {"sh", "-c", "tr '\\0' '\\n' < /proc/$$/environ > " + out}},
                       {"env", {"HOOK_A=1", "HOOK_B=two words"}}});
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  EXPECT_EQ(readFile(out), "HOOK_A=1\nHOOK_B=two words\n");
}

TEST_F(HooksTest, SlowHookIsKilledAtItsTimeoutAndCreateFails) {
  addHook("createRuntime", {{"path", "/bin/sleep"}, {"args", {"sleep", "10"}}, {"timeout", 1}});
  b.setArgs({"sleep", "1000"});
  auto start = steady_clock::now();
  RunResult r = b.create();
  auto took = steady_clock::now() - start;
  EXPECT_FALSE(r.ok()) << r;
  EXPECT_TRUE(containsNoCase(r.err, "timed out") || containsNoCase(r.err, "timeout")) << r;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(5)) << "create did not stop the hook at its timeout";
  if (!runtimeIsPeer()) {
    EXPECT_TRUE(contains(r.err, "createRuntime hook /bin/sleep timed out after 1s")) << r;
  }
  expectGone();
}

TEST_F(HooksTest, FailingCreateRuntimeFailsCreateAndLeavesNothing) {
  addHook("prestart", logger("prestart"));
  addHook("createRuntime", failing("createRuntime"));
  addHook("createContainer", logger("createContainer"));
  addHook("poststop", logger("poststop"));
  b.setArgs({"sleep", "1000"});
  RunResult r = b.create();
  EXPECT_FALSE(r.ok()) << r;
  EXPECT_TRUE(contains(r.err, "exit status 3")) << r;
  EXPECT_TRUE(contains(r.err, "broken createRuntime hook")) << r;
  expectGone();
  // Destroyed like any container: poststop runs (lifecycle steps 12-13).
  // createContainer never ran.
  std::vector<std::string> lines = logLines();
  ASSERT_EQ(lines.size(), 2u) << readFile(logPath());
  EXPECT_TRUE(lines[0].starts_with("prestart creating ")) << lines[0];
  EXPECT_EQ(lines[1], "poststop stopped none");
}

TEST_F(HooksTest, FailingCreateContainerFailsCreateAndLeavesNothing) {
  addHook("createContainer", failing("createContainer"));
  b.setArgs({"sleep", "1000"});
  RunResult r = b.create();
  EXPECT_FALSE(r.ok()) << r;
  EXPECT_TRUE(contains(r.err, "broken createContainer hook")) << r;
  expectGone();
}

TEST_F(HooksTest, FailingStartContainerFailsStartAndStopsTheContainer) {
  SKIP_FOR_PEER("runc 1.1.5's start succeeds when a startContainer hook fails (its init exits)");
  addHook("startContainer", failing("startContainer"));
  addHook("poststart", logger("poststart"));
  b.config["root"]["readonly"] = false;
  b.setArgs({"sh", "-c", "touch /ran; sleep 1000"});
  RunResult r = b.create();
  ASSERT_TRUE(r.ok()) << r;
  r = b.start();
  EXPECT_FALSE(r.ok()) << r;
  EXPECT_TRUE(contains(r.err, "startContainer hook")) << r;
  EXPECT_TRUE(contains(r.err, "broken startContainer hook")) << r;
  EXPECT_TRUE(b.waitStatus("stopped")) << b.state();
  EXPECT_FALSE(pathExists(b.rootfs() + "/ran")) << "the user's program ran";
  EXPECT_TRUE(logLines().empty()) << "poststart ran: " << readFile(logPath());
  r = b.del();
  EXPECT_TRUE(r.ok()) << r;
}

TEST_F(HooksTest, FailingPoststartFailsStartAndStopsTheContainer) {
  SKIP_FOR_PEER("runc 1.1.5 runs poststart hooks at the end of create, not start");
  addHook("poststart", failing("poststart"));
  addHook("poststop", logger("poststop"));
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  RunResult r = b.start();
  EXPECT_FALSE(r.ok()) << r;
  EXPECT_TRUE(contains(r.err, "poststart hook")) << r;
  EXPECT_TRUE(contains(r.err, "exit status 3")) << r;
  EXPECT_TRUE(b.waitStatus("stopped")) << b.state();
  EXPECT_TRUE(logLines().empty()) << readFile(logPath());
  r = b.del();
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(logLines(), std::vector<std::string>{"poststop stopped none"});
}

TEST_F(HooksTest, FailingPoststopIsAWarningAndDeleteSucceeds) {
  SKIP_FOR_PEER("runc 1.1.5's delete fails when a poststop hook fails; the spec says warn");
  addHook("poststop", failing("poststop"));
  addHook("poststop", logger("poststop"));
  ASSERT_NO_FATAL_FAILURE(createSleeper());
  RunResult r = b.del(true);
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.err, "poststop hook")) << r;
  EXPECT_TRUE(contains(r.err, "broken poststop hook")) << r;
  EXPECT_FALSE(b.state().ok()) << "delete left the container";
  // The next hook still ran.
  EXPECT_EQ(logLines(), std::vector<std::string>{"poststop stopped none"});
}

TEST_F(HooksTest, PoststopRunsAfterRun) {
  addHook("createRuntime", logger("createRuntime"));
  addHook("poststop", logger("poststop"));
  RunResult r = b.sh("exit 7");
  EXPECT_EQ(r.status, 7) << r;
  std::vector<std::string> lines = logLines();
  ASSERT_EQ(lines.size(), 2u) << readFile(logPath());
  EXPECT_TRUE(lines[0].starts_with("createRuntime creating ")) << lines[0];
  EXPECT_EQ(lines[1], "poststop stopped none");
  EXPECT_FALSE(b.state().ok()) << "run left the container";
}

TEST_F(HooksTest, RunRunsEveryHookInOrder) {
  SKIP_FOR_PEER("runc 1.1.5 runs poststart hooks before startContainer");
  addEveryHook();
  RunResult r = b.run({"sleep", "0.2"});
  EXPECT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = logLines();
  ASSERT_EQ(lines.size(), 6u) << readFile(logPath());
  std::string pid = lines[0].substr(std::string("prestart creating ").size());
  EXPECT_EQ(lines,
            (std::vector<std::string>{"prestart creating " + pid, "createRuntime creating " + pid,
                                      "createContainer creating 1", "startContainer created 1",
                                      "poststart running " + pid, "poststop stopped none"}));
  EXPECT_EQ(trimmed(readFile(b.tmp() + "/poststart.comm")), "sleep");
}

TEST_F(HooksTest, FailingStartContainerFailsRunAndLeavesNothing) {
  addHook("startContainer", failing("startContainer"));
  addHook("poststop", logger("poststop"));
  b.config["root"]["readonly"] = false;
  RunResult r = b.sh("touch /ran");
  EXPECT_FALSE(r.ok()) << r;
  EXPECT_TRUE(contains(r.err, "broken startContainer hook")) << r;
  EXPECT_FALSE(pathExists(b.rootfs() + "/ran")) << "the user's program ran";
  expectGone();
  EXPECT_EQ(logLines(), std::vector<std::string>{"poststop stopped none"});
}

}  // namespace
}  // namespace sangja::it
