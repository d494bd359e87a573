// exec: a new process in a live container, through the CLI only, as
// containerd's shim and users drive it (runc's flags). Every test also runs
// against runc (SANGJA_RUNTIME=/usr/sbin/runc).
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/integration/console_socket.h"
#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;

constexpr unsigned kHostBase = 100000;

json idMap(unsigned inside, unsigned outside, unsigned size) {
  return {{"containerID", inside}, {"hostID", outside}, {"size", size}};
}

class ExecTest : public ContainerTest {
 protected:
  // A running container whose init sleeps.
  void startSleeper() {
    b.setArgs({"sleep", "1000"});
    RunResult c = b.create();
    ASSERT_TRUE(c.ok()) << c;
    RunResult s = b.start();
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_TRUE(b.waitStatus("running"));
  }
  RunResult exec(const std::vector<std::string>& flagsIdAndCmd) {
    std::vector<std::string> args{"exec"};
    args.insert(args.end(), flagsIdAndCmd.begin(), flagsIdAndCmd.end());
    return b.rt(args);
  }
  RunResult execSh(const std::string& script, std::vector<std::string> flags = {}) {
    flags.insert(flags.end(), {b.id(), "sh", "-c", script});
    return exec(flags);
  }
  // The one-line refusal every failed exec must give, leaving no process.
  void expectRefused(const RunResult& r, const std::string& phrase) {
    EXPECT_NE(r.status, 0) << r;
    EXPECT_TRUE(contains(r.err, phrase)) << r;
    EXPECT_EQ(nonBlankLines(r.err).size(), 1u) << r;
  }
  void addNamespace(const std::string& type) {
    b.config["linux"]["namespaces"].push_back({{"type", type}});
  }
  // The namespace links of a host pid.
  static std::string nsLink(pid_t pid, const std::string& name) {
    char buf[128];
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
  // Every /proc/self/ns link as the exec'd process sees it, compared with
  // the init's as the host sees them.
  void expectSameNamespacesAsInit(const std::vector<std::string>& names) {
    pid_t init = b.pid();
    ASSERT_GT(init, 0);
    std::string script;
    for (const std::string& n : names) script += "readlink /proc/self/ns/" + n + "; ";
    RunResult r = execSh(script);
    ASSERT_TRUE(r.ok()) << r;
    std::vector<std::string> lines = splitLines(r.out);
    ASSERT_EQ(lines.size(), names.size()) << r;
    for (size_t i = 0; i < names.size(); ++i) {
      std::string theirs = nsLink(init, names[i] == "time" ? "time_for_children" : names[i]);
      EXPECT_EQ(lines[i], theirs) << names[i];
      EXPECT_NE(lines[i], nsLink(::getpid(), names[i])) << names[i] << " is the host's";
    }
  }
  static uint64_t statusHex(const std::string& status, const std::string& field) {
    for (const std::string& line : splitLines(status)) {
      if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1), 0, 16);
    }
    return ~0ull;
  }
  static std::string statusField(const std::string& status, const std::string& field) {
    for (const std::string& line : splitLines(status)) {
      if (line.rfind(field + ":", 0) == 0) {
        std::string v = line.substr(field.size() + 1);
        return v.substr(v.find_first_not_of(" \t"));
      }
    }
    return "";
  }
};

TEST_F(ExecTest, RunsInTheContainersRootUtsAndPidNamespace) {
  writeFile(b.rootfs() + "/marker", "inside the rootfs\n");
  b.config["hostname"] = "exec-host";
  startSleeper();
  RunResult r = execSh("cat /marker; hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$");
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r;
  EXPECT_EQ(lines[0], "inside the rootfs");
  EXPECT_EQ(lines[1], "exec-host");
  EXPECT_EQ(lines[2], "sleep 1000 ") << "pid 1 is the container's init";
  EXPECT_NE(lines[3], "1");
  EXPECT_LT(std::stoi(lines[3]), 100) << "a pid of the container's pid namespace";
}

TEST_F(ExecTest, JoinsEveryNamespaceOfTheInit) {
  addNamespace("cgroup");
  startSleeper();
  expectSameNamespacesAsInit({"ipc", "uts", "net", "pid", "mnt", "cgroup"});
}

TEST_F(ExecTest, JoinsUserAndTimeNamespaces) {
  SKIP_FOR_PEER("time namespaces need runc 1.2 or later");
  addNamespace("user");
  addNamespace("time");
  b.config["linux"]["uidMappings"] = json::array({idMap(0, kHostBase, 65536)});
  b.config["linux"]["gidMappings"] = json::array({idMap(0, kHostBase, 65536)});
  b.config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 864000}, {"nanosecs", 0}}}};
  RunResult own = host("chown -R " + std::to_string(kHostBase) + ":" + std::to_string(kHostBase) +
                       " '" + b.rootfs() + "' && chmod 0711 '" + b.base() + "' '" +
                       b.base().substr(0, b.base().rfind('/')) + "'");
  ASSERT_TRUE(own.ok()) << own;
  startSleeper();
  expectSameNamespacesAsInit({"user", "time", "ipc", "uts", "net", "pid", "mnt"});
  RunResult r = execSh("cat /proc/uptime; cat /proc/self/uid_map; id -u");
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r;
  EXPECT_GT(std::stod(lines[0]), 864000) << "the container's boottime offset";
  EXPECT_TRUE(contains(lines[1], std::to_string(kHostBase))) << r;
  EXPECT_EQ(lines[2], "0");
}

TEST_F(ExecTest, ExecIntoACreatedContainer) {
  writeFile(b.rootfs() + "/marker", "created\n");
  b.setArgs({"sleep", "1000"});
  addNamespace("cgroup");
  ASSERT_TRUE(b.create().ok());
  ASSERT_EQ(b.status(), "created");
  RunResult r = execSh("cat /marker; hostname");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "created\nsangja\n");
  expectSameNamespacesAsInit({"ipc", "uts", "net", "pid", "mnt", "cgroup"});
  EXPECT_EQ(b.status(), "created") << "exec does not start the container";
}

TEST_F(ExecTest, ExitStatusPassesThrough) {
  startSleeper();
  EXPECT_EQ(execSh("exit 7").status, 7);
  EXPECT_EQ(execSh("exit 0").status, 0);
  EXPECT_EQ(execSh("kill -9 $$").status, 128 + 9);
  EXPECT_EQ(execSh("kill -TERM $$").status, 128 + 15);
  EXPECT_EQ(b.status(), "running") << "the container outlives its exec'd processes";
}

// A runtime failure exits 255 (runc's convention), never a status the
// program could have returned; the error is one line naming the cause.
TEST_F(ExecTest, FailureToRunExitsWith255) {
  startSleeper();
  RunResult missing = b.rt({"exec", b.id(), "nosuchbin"});
  EXPECT_EQ(missing.status, 255) << missing;
  EXPECT_TRUE(contains(missing.err, "executable file not found")) << missing;
  RunResult denied = b.rt({"exec", b.id(), "/etc/passwd"});
  EXPECT_EQ(denied.status, 255) << denied;
  EXPECT_TRUE(containsNoCase(denied.err, "permission denied")) << denied;
  RunResult noContainer = b.rt({"exec", b.id() + "-none", "true"});
  EXPECT_EQ(noContainer.status, 255) << noContainer;
  EXPECT_TRUE(contains(noContainer.err, "does not exist")) << noContainer;
  EXPECT_EQ(execSh("exit 1").status, 1);
  for (const RunResult* r : {&missing, &denied, &noContainer}) {
    EXPECT_EQ(nonBlankLines(r->err).size(), 1u) << *r;
  }
}

TEST_F(ExecTest, SignalsToTheRuntimeReachTheProcess) {
  startSleeper();
  auto p = b.spawn({"exec", b.id(), "sh", "-c",
                    "trap 'echo got-term; exit 3' TERM; "
                    "echo ready; while :; do sleep 0.05; done"});
  ASSERT_TRUE(waitUntil([&] { return contains(p->out(), "ready"); })) << p->err();
  ::kill(p->pid(), SIGTERM);
  RunResult r = p->wait();
  EXPECT_EQ(r.status, 3) << r;
  EXPECT_TRUE(contains(r.out, "got-term")) << r;
}

TEST_F(ExecTest, EnvCwdUserAndAdditionalGids) {
  b.config["process"]["env"] = {"PATH=/usr/bin:/bin", "KEEP=1", "OVER=old"};
  startSleeper();
  RunResult r = execSh("echo $KEEP $OVER $NEW; pwd; id -u; id -g; id -G",
                       {"--env", "OVER=new", "--env", "NEW=x", "--cwd", "/tmp", "--user",
                        "1000:1001", "--additional-gids", "5", "--additional-gids", "7"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1 new x\n/tmp\n1000\n1001\n1001 5 7\n") << r;
}

TEST_F(ExecTest, UserWithoutGidKeepsTheConfigsGid) {
  b.config["process"]["user"] = {{"uid", 0}, {"gid", 33}};
  startSleeper();
  RunResult r = execSh("id -u; id -g", {"-u", "1000"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1000\n33\n") << r;
}

TEST_F(ExecTest, CapAddsToTheContainersSet) {
  startSleeper();
  constexpr uint64_t kNetAdmin = 1ull << 12;
  RunResult plain = execSh("cat /proc/self/status");
  ASSERT_TRUE(plain.ok()) << plain;
  EXPECT_EQ(statusHex(plain.out, "CapEff") & kNetAdmin, 0u) << "not in runc spec's defaults";
  RunResult added = execSh("cat /proc/self/status", {"--cap", "CAP_NET_ADMIN"});
  ASSERT_TRUE(added.ok()) << added;
  uint64_t eff = statusHex(added.out, "CapEff");
  EXPECT_NE(eff & kNetAdmin, 0u) << added.out;
  EXPECT_NE(statusHex(added.out, "CapBnd") & kNetAdmin, 0u);
  EXPECT_EQ(eff & ~kNetAdmin, statusHex(plain.out, "CapEff")) << "the rest stays as configured";
}

// --apparmor: the exec'd process runs confined by the profile, while the
// container's init is not (runs in the AppArmor-enabled qemu guest).
TEST_F(ExecTest, ApparmorFlagConfinesTheProcess) {
  if (std::string why = appArmorUnavailable(); !why.empty()) GTEST_SKIP() << why;
  AppArmorTestProfile profile(b.id(), b.tmp());
  ASSERT_TRUE(profile.loaded());
  b.config["root"]["readonly"] = false;
  startSleeper();
  RunResult r = execSh(
      "cat /proc/self/attr/current; cat /proc/1/attr/current; touch /tmp/allowed && echo allowed; "
      "touch /tmp/denied-by-apparmor 2>/dev/null && echo written || echo denied",
      {"--apparmor", profile.name()});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, profile.name() + " (enforce)\nunconfined\nallowed\ndenied\n") << r;
}

TEST_F(ExecTest, NoNewPrivsFlag) {
  b.config["process"]["noNewPrivileges"] = false;
  startSleeper();
  RunResult plain = execSh("cat /proc/self/status");
  ASSERT_TRUE(plain.ok()) << plain;
  EXPECT_EQ(statusField(plain.out, "NoNewPrivs"), "0");
  RunResult nnp = execSh("cat /proc/self/status", {"--no-new-privs"});
  ASSERT_TRUE(nnp.ok()) << nnp;
  EXPECT_EQ(statusField(nnp.out, "NoNewPrivs"), "1");
}

TEST_F(ExecTest, ProcessFileWithRlimitsEnvAndArgs) {
  startSleeper();
  json p = b.config["process"];
  p["args"] = {"sh", "-c",
               "grep -E 'open files|core file' /proc/self/limits | tr -s ' ' | sed 's/ $//'; echo "
               "$FROM_FILE; "
               "pwd"};
  p["env"] = {"PATH=/bin:/usr/bin", "FROM_FILE=yes"};
  p["cwd"] = "/etc";
  p["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 123}, {"hard", 456}},
                  {{"type", "RLIMIT_CORE"}, {"soft", 4096}, {"hard", 8192}}};
  std::string file = b.tmp() + "/process.json";
  writeFile(file, p.dump());
  RunResult r = exec({"--process", file, b.id()});
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r;
  EXPECT_EQ(lines[0], "Max core file size 4096 8192 bytes");
  // runc 1.1 sets NOFILE from its parent with prlimit, racing Go's own
  // NOFILE handling in its child (runc#4195): the soft limit is sometimes
  // the hard one there.
  if (!runtimeIsPeer()) {
    EXPECT_EQ(lines[1], "Max open files 123 456 files");
  }
  EXPECT_TRUE(contains(lines[1], " 456 files")) << r;
  EXPECT_EQ(lines[2], "yes");
  EXPECT_EQ(lines[3], "/etc");
}

// process.execCPUAffinity: the exec'd process ends on its final CPUs
// (the last CPU we may use; the initial ones are the first).
TEST_F(ExecTest, ExecCpuAffinityFinalIsTheProcessesCpus) {
  cpu_set_t mine;
  ASSERT_EQ(::sched_getaffinity(0, sizeof mine, &mine), 0);
  int first = -1, last = -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &mine)) continue;
    if (first < 0) first = cpu;
    last = cpu;
  }
  ASSERT_GE(first, 0);
  startSleeper();
  json p = b.config["process"];
  p["args"] = {"sh", "-c", "grep Cpus_allowed_list /proc/self/status"};
  p["execCPUAffinity"] = {{"initial", std::to_string(first)}, {"final", std::to_string(last)}};
  std::string file = b.tmp() + "/process.json";
  writeFile(file, p.dump());
  RunResult r = exec({"--process", file, b.id()});
  ASSERT_TRUE(r.ok()) << r;
  std::string want = "Cpus_allowed_list:\t" + std::to_string(last) + "\n";
  if (r.out != want) SKIP_FOR_PEER("execCPUAffinity came with runc 1.2");
  EXPECT_EQ(r.out, want) << r;
}

TEST_F(ExecTest, BadProcessFileIsRefusedNamingIt) {
  startSleeper();
  std::string file = b.tmp() + "/broken.json";
  writeFile(file, "{\"args\": [\"sh\"");
  // runc 1.1 says "unexpected EOF" without the file's name.
  std::string named = runtimeIsPeer() ? "" : "broken.json";
  RunResult r = exec({"--process", file, b.id()});
  expectRefused(r, named);
  RunResult missing = exec({"--process", b.tmp() + "/absent.json", b.id()});
  expectRefused(missing, "absent.json");
  // Short flag forms (runc 1.1 refuses a long and a short one together).
  RunResult shortForms = execSh("echo $A; id -G", {"-e", "A=1", "-u", "5:6", "-g", "9"});
  ASSERT_TRUE(shortForms.ok()) << shortForms;
  EXPECT_EQ(shortForms.out, "1\n6 9\n");
}

TEST_F(ExecTest, ContainersSeccompAppliesToTheProcess) {
  b.config["root"]["readonly"] = false;
  b.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  startSleeper();
  RunResult r = execSh("mkdir /tmp/d; echo rc=$?; touch /tmp/f && echo touched");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "rc=1\ntouched\n") << r;
  EXPECT_TRUE(contains(r.err, "Operation not permitted")) << r;
  EXPECT_FALSE(pathExists(b.rootfs() + "/tmp/d"));
}

// CVE-2019-5736 through exec: a `#!/proc/self/exe` program must not run
// the host's runtime inside the container. The image has the runtime's
// libraries, so it WOULD run there: sangja-unguarded (no exec guard) shows
// that it does, else the set-up is broken; the runtime under test must not.
TEST_F(ExecTest, ProcSelfExeScriptDoesNotRunTheRuntime) {
  SKIP_FOR_PEER("the unguarded build reads sangja's state, not the peer's");
  copyLibraries(runtimePath(), b.rootfs());
  copyLibraries(SANGJA_UNGUARDED_BINARY, b.rootfs());
  writeFile(b.rootfs() + "/evil", "#!/proc/self/exe --version\n");
  ASSERT_EQ(::chmod((b.rootfs() + "/evil").c_str(), 0755), 0);
  startSleeper();
  RunResult unguarded =
      runCommand({SANGJA_UNGUARDED_BINARY, "--root", b.stateRoot(), "exec", b.id(), "/evil"});
  ASSERT_TRUE(contains(unguarded.out, "sangja version"))
      << "set-up broken: the unguarded runtime did not run itself in the container; " << unguarded;
  RunResult r = exec({b.id(), "/evil"});
  EXPECT_NE(r.status, 0) << r;
  EXPECT_FALSE(contains(r.out, " version ")) << "the runtime ran in the container: " << r;
  EXPECT_EQ(b.status(), "running");
}

TEST_F(ExecTest, DetachWritesThePidFileAndLeavesTheProcessRunning) {
  startSleeper();
  std::string pidFile = b.tmp() + "/exec.pid";
  RunResult r = exec({"--detach", "--pid-file", pidFile, b.id(), "sleep", "1000"});
  ASSERT_TRUE(r.ok()) << r;
  std::string text = readFile(pidFile);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.find_first_not_of("0123456789"), std::string::npos) << "no newline: " << text;
  pid_t pid = std::stoi(text);
  EXPECT_TRUE(processAlive(pid));
  EXPECT_NE(pid, b.pid());
  // In the container's cgroup in every hierarchy (each v1 one too).
  EXPECT_EQ(readFile("/proc/" + std::to_string(pid) + "/cgroup"),
            readFile("/proc/" + std::to_string(b.pid()) + "/cgroup"));
  // (runc returns just before its child's last exec.)
  std::string cmdline = "/proc/" + std::to_string(pid) + "/cmdline";
  EXPECT_TRUE(waitUntil([&] {
    return readFile(cmdline) == std::string(
                                    "sleep\0"
                                    "1000\0",
                                    11);
  })) << readFile(cmdline);
  // It goes with the container.
  ASSERT_TRUE(b.del(true).ok());
  EXPECT_TRUE(waitUntil([&] { return !processAlive(pid); }));
}

// containerd's `ctr task exec -t`: --tty --detach --console-socket; the
// master of a pty from the container's own devpts arrives in one message,
// and a shell behind it answers; its exit status reaches us (the subreaper).
TEST_F(ExecTest, TtyToConsoleSocketGivesAShellOnTheContainersPty) {
  startSleeper();
  SubreaperScope reaper;
  ConsoleSocket sock(b.tmp() + "/exec-console.sock");
  std::string pidFile = b.tmp() + "/exec.pid";
  RunResult r = exec(
      {"--tty", "--detach", "--console-socket", sock.path(), "--pid-file", pidFile, b.id(), "sh"});
  ASSERT_TRUE(r.ok()) << r;
  ConsoleSocket::Received got = sock.receive();
  ASSERT_GE(got.master, 0) << "no pty master came";
  EXPECT_EQ(got.fds, 1);
  EXPECT_FALSE(got.moreAfter) << "exactly one message";
  pid_t pid = std::stoi(readFile(pidFile));
  std::string input = "tty; readlink /proc/1/ns/pid; echo $((6*7)); exit 4\n";
  EXPECT_EQ(::write(got.master, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  std::string out = readPty(got.master);
  ::close(got.master);
  int status = waitChild(pid);
  bool onContainerPty = false;
  for (const std::string& line : splitLines(out)) {
    onContainerPty = onContainerPty || line.rfind("/dev/pts/", 0) == 0;
  }
  EXPECT_TRUE(onContainerPty) << out;
  EXPECT_TRUE(contains(out, nsLink(b.pid(), "pid"))) << "in the container's pid ns: " << out;
  EXPECT_TRUE(contains(out, "\n42\n")) << out;
  EXPECT_TRUE(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 4) << status;
}

// exec -t in the foreground from a terminal: the runtime proxies it (size
// copied before the process runs, settings given back) and returns the
// process's exit status.
TEST_F(ExecTest, TtyInTheForegroundProxiesTheCallersTerminal) {
  startSleeper();
  PtyRun r = runOnPty({runtimePath(), "--root", b.stateRoot(), "exec", "-t", b.id(), "sh", "-c",
                       "stty size; read line; echo \"got-$line\"; exit 6"},
                      b.tag(), "typed\n", 41, 123);
  EXPECT_TRUE(contains(r.out, "got-typed\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "41 123\n")) << r.out;
  EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 6) << r.status << "\n" << r.out;
  EXPECT_TRUE(r.settingsRestored) << "terminal settings not restored";
}

// runc's combinations: a detached tty needs a socket; a socket needs both.
TEST_F(ExecTest, ConsoleFlagsThatDoNotFitAreRefused) {
  startSleeper();
  expectRefused(exec({"--tty", "--detach", b.id(), "true"}), "console socket");
  expectRefused(exec({"--detach", "--console-socket", b.tmp() + "/s", b.id(), "true"}),
                "console socket");
  expectRefused(exec({"--tty", "--console-socket", b.tmp() + "/s", b.id(), "true"}),
                "console socket");
}

TEST_F(ExecTest, PreserveFdsPassesTwoMore) {
  startSleeper();
  std::string in = b.tmp() + "/in", out = b.tmp() + "/out";
  writeFile(in, "from fd 3\n");
  RunResult r = host(
      "'" + runtimePath() + "' --root '" + b.stateRoot() + "' exec --preserve-fds 2 " + b.id() +
      " sh -c 'read line <&3; echo \"$line+\" >&4; ls /proc/self/fd' 3<" + in + " 4>" + out);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(readFile(out), "from fd 3+\n");
  // Without the flag they stay behind.
  RunResult closed = host("'" + runtimePath() + "' --root '" + b.stateRoot() + "' exec " + b.id() +
                          " sh -c 'echo x >&4' 4>>" + out);
  EXPECT_NE(closed.status, 0) << closed;
  EXPECT_EQ(readFile(out), "from fd 3+\n");
}

TEST_F(ExecTest, CgroupFlagPutsTheProcessInASubCgroup) {
  startSleeper();
  // The sub-cgroup in every hierarchy the container's cgroup is in (each
  // v1 one and the v2 one on this hybrid host; the v2 one in the guest).
  std::vector<std::string> subs, want;
  for (const std::string& line :
       splitLines(readFile("/proc/" + std::to_string(b.pid()) + "/cgroup"))) {
    size_t first = line.find(':'), second = line.find(':', first + 1);
    std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    std::string dir = controllers.empty() ? unifiedRoot()
                      : controllers.rfind("name=", 0) == 0
                          ? "/sys/fs/cgroup/" + controllers.substr(5)
                          : controllerDir(controllers.substr(0, controllers.find(',')), "");
    // A hierarchy the runtime does not use (runc 1.1 and misc) keeps the
    // container at its root: exec joins nothing there.
    if (path == "/") {
      want.push_back(line);
      continue;
    }
    subs.push_back(dir + path + "/sub");
    want.push_back(line + "/sub");
    ASSERT_EQ(::mkdir(subs.back().c_str(), 0755), 0) << subs.back();
    // A v1 cpuset cgroup takes no process until it has CPUs and nodes.
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
      if (pathExists(subs.back() + "/" + f) && readFile(subs.back() + "/" + f) == "\n") {
        ASSERT_TRUE(writeExisting(subs.back() + "/" + f, readFile(dir + path + "/" + f)));
      }
    }
  }
  RunResult r = execSh("cat /proc/self/cgroup", {"--cgroup", "sub"});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(splitLines(r.out), want) << r;
  RunResult missing = execSh("true", {"--cgroup", "nothere"});
  expectRefused(missing, "nothere");
  RunResult escape = execSh("true", {"--cgroup", "../x"});
  expectRefused(escape, "sub cgroup path");
  for (const std::string& sub : subs) ::rmdir(sub.c_str());
}

TEST_F(ExecTest, PausedIsRefusedUnlessIgnorePaused) {
  startSleeper();
  ASSERT_TRUE(b.rt({"pause", b.id()}).ok());
  RunResult refused = execSh("echo ran");
  expectRefused(refused, "cannot exec in a paused container (use --ignore-paused to override)");
  EXPECT_EQ(refused.out, "");
  // Allowed, but it runs only once the container is resumed.
  auto p = b.spawn({"exec", "--ignore-paused", b.id(), "echo", "ok"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(p->exited()) << "ran in a frozen cgroup";
  ASSERT_TRUE(b.rt({"resume", b.id()}).ok());
  RunResult r = p->wait();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "ok\n");
}

TEST_F(ExecTest, StoppedContainerIsRefused) {
  b.setArgs({"true"});
  ASSERT_TRUE(b.create().ok());
  ASSERT_TRUE(b.start().ok());
  ASSERT_TRUE(b.waitStatus("stopped"));
  RunResult r = execSh("echo ran");
  expectRefused(r, "cannot exec in a stopped container");
  EXPECT_EQ(r.out, "");
}

TEST_F(ExecTest, UnknownContainerAndMissingCommandAreRefused) {
  RunResult r = b.rt({"exec", "no-such-container-" + b.id(), "true"});
  expectRefused(r, "does not exist");
  startSleeper();
  RunResult noCmd = b.rt({"exec", b.id()});
  EXPECT_NE(noCmd.status, 0) << noCmd;
  EXPECT_FALSE(noCmd.err.empty());
}

}  // namespace
}  // namespace sangja::it
