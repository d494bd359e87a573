// Runtime-spec points that real configs (runc's users, Podman, the OCI
// runtime-tools suite) rely on: hostname in a uts namespace joined by path,
// an empty namespace path, and the runtime's own uts namespace refused.
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;

class SpecPointsTest : public ContainerTest {
 protected:
  // Replaces the config's entry of `type` (or adds one).
  void setNamespace(const std::string& type, const json& entry) {
    json& list = b.config["linux"]["namespaces"];
    for (json& ns : list) {
      if (ns["type"] == type) {
        ns = entry;
        return;
      }
    }
    list.push_back(entry);
  }
};

// runtime-tools' linux_ns_path: hostname is set in the joined namespace.
TEST_F(SpecPointsTest, HostnameInAUtsNamespaceJoinedByPath) {
  Process holder({"unshare", "--uts", "sleep", "60"}, b.tmp());
  std::string nsPath = "/proc/" + std::to_string(holder.pid()) + "/ns/uts";
  char own[64] = {};
  ASSERT_GT(::readlink("/proc/self/ns/uts", own, sizeof own - 1), 0);
  ASSERT_TRUE(waitUntil([&] {
    char ns[64] = {};
    return ::readlink(nsPath.c_str(), ns, sizeof ns - 1) > 0 && std::string(ns) != own;
  })) << "the holder never got its own uts namespace";
  setNamespace("uts", {{"type", "uts"}, {"path", nsPath}});
  b.config["hostname"] = "joined-host";
  RunResult r = b.run({"hostname"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "joined-host\n");
  RunResult seen = host("nsenter -t " + std::to_string(holder.pid()) + " -u hostname");
  EXPECT_EQ(seen.out, "joined-host\n") << seen;
}

// Run in a throwaway uts namespace, so that a runtime that does it anyway
// renames only that.
TEST_F(SpecPointsTest, HostnameInTheRuntimesOwnUtsNamespaceIsRefused) {
  SKIP_FOR_PEER("runc sets the hostname of whatever uts namespace it is given");
  setNamespace("uts", {{"type", "uts"}, {"path", "/proc/self/ns/uts"}});
  b.config["hostname"] = "renamed";
  b.write();
  RunResult r =
      host("unshare --uts sh -c 'hostname before; " + runtimePath() + " --root " + b.stateRoot() +
           " run --bundle " + b.dir() + " " + b.id() + "; echo status=$?; hostname'");
  EXPECT_TRUE(contains(r.out, "status=1\nbefore\n")) << r;
  EXPECT_TRUE(contains(r.err,
                       "linux.namespaces: the uts namespace joined by path is the "
                       "runtime's own"))
      << r;
}

// `"path": ""` is how Go writes "no path": a new namespace.
TEST_F(SpecPointsTest, EmptyNamespacePathMeansANewOne) {
  setNamespace("uts", {{"type", "uts"}, {"path", ""}});
  b.config["hostname"] = "fresh";
  RunResult r = b.sh("hostname; readlink /proc/self/ns/uts");
  ASSERT_TRUE(r.ok()) << r;
  char own[64] = {};
  ASSERT_GT(::readlink("/proc/self/ns/uts", own, sizeof own - 1), 0);
  EXPECT_EQ(splitLines(r.out).at(0), "fresh");
  EXPECT_NE(splitLines(r.out).at(1), own);
}

// The caller's CPU affinity (a pinned shim, `taskset`) does not reach the
// container: it gets every CPU its cgroup allows.
TEST_F(SpecPointsTest, CallersCpuAffinityDoesNotLeakIn) {
  if (::sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "NOT RUN HERE: needs two CPUs";
  SKIP_FOR_PEER("runc 1.1.5 leaves the container on its caller's CPUs");
  b.setArgs({"grep", "Cpus_allowed_list", "/proc/self/status"});
  b.write();
  RunResult all = host("grep Cpus_allowed_list /proc/self/status");
  RunResult r = host("taskset -c 0 " + runtimePath() + " --root " + b.stateRoot() +
                     " run --bundle " + b.dir() + " " + b.id());
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, all.out) << r;
}

// runtime-spec: process is optional at create and required at start.
// Create works (the container is created, its init waits); start refuses,
// naming why, and the container stays for delete; run refuses up front.
TEST_F(SpecPointsTest, ProcessIsOptionalAtCreateAndRequiredAtStart) {
  SKIP_FOR_PEER("runc 1.1.5 refuses it at create (\"process property must not be empty\")");
  b.config.erase("process");
  writeFile(b.dir() + "/config.json", b.config.dump(2));  // write() would add a process
  RunResult run = b.rt({"run", "--bundle", b.dir(), b.id()});
  EXPECT_NE(run.status, 0) << run;
  EXPECT_TRUE(contains(run.err, "process")) << run;
  EXPECT_EQ(b.status(), "") << "run left a container";
  RunResult c = b.rt({"create", "--bundle", b.dir(), b.id()});
  ASSERT_TRUE(c.ok()) << c;
  EXPECT_EQ(b.status(), "created");
  RunResult s = b.start();
  EXPECT_NE(s.status, 0) << s;
  EXPECT_TRUE(contains(s.err, "no process")) << s;
  EXPECT_EQ(b.status(), "created");
  RunResult d = b.del(true);
  EXPECT_TRUE(d.ok()) << d;
  EXPECT_EQ(b.status(), "");
}

// A path listed twice is masked once: one mount on it, not two stacked.
TEST_F(SpecPointsTest, MaskedPathListedTwiceIsMaskedOnce) {
  SKIP_FOR_PEER("runc 1.1.5 stacks a second mask over the first");
  b.config["linux"]["maskedPaths"] = {"/proc/timer_list", "/proc/timer_list"};
  RunResult r = b.sh("grep -c ' /proc/timer_list ' /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1\n");
}

// Without a pid namespace of its own (a pod sharing one, or the host's),
// what the init started outlives it in the container's cgroup: kill --all
// reaches it after the init is gone, and delete takes it with the cgroup
// (containerd's shim does the first, then the second).
class NoOwnPidNamespaceTest : public SpecPointsTest {
 protected:
  void startInitThatLeavesAChild() {
    json& list = b.config["linux"]["namespaces"];
    json kept = json::array();
    for (const json& ns : list) {
      if (ns["type"] != "pid") kept.push_back(ns);
    }
    list = kept;
    b.setArgs({"sh", "-c", "sleep 1000 & echo started"});
    b.write();
    RunResult c = b.create();
    ASSERT_TRUE(c.ok()) << c;
    RunResult s = b.start();
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_TRUE(b.waitStatus("stopped")) << b.status();
    ASSERT_EQ(taggedProcesses(b.tag()).size(), 1u) << "the sleep should outlive the init";
  }
};

TEST_F(NoOwnPidNamespaceTest, KillAllReachesWhatTheStoppedInitLeft) {
  ASSERT_NO_FATAL_FAILURE(startInitThatLeavesAChild());
  RunResult k = b.kill("KILL", true);
  EXPECT_TRUE(k.ok()) << k;
  EXPECT_TRUE(waitUntil([&] { return taggedProcesses(b.tag()).empty(); }));
  RunResult d = b.del();
  EXPECT_TRUE(d.ok()) << d;
}

// ps works on a stopped container: it lists what the init left.
TEST_F(NoOwnPidNamespaceTest, PsOfTheStoppedContainerListsWhatIsLeft) {
  ASSERT_NO_FATAL_FAILURE(startInitThatLeavesAChild());
  RunResult ps = b.rt({"ps", "--format", "json", b.id()}, kQuickTimeout);
  ASSERT_TRUE(ps.ok()) << ps;
  json pids = json::parse(ps.out, nullptr, false);
  ASSERT_TRUE(pids.is_array()) << ps;
  std::vector<pid_t> left = taggedProcesses(b.tag());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(pids, json::array({left[0]})) << ps;
}

TEST_F(NoOwnPidNamespaceTest, DeleteTakesWhatTheInitLeft) {
  ASSERT_NO_FATAL_FAILURE(startInitThatLeavesAChild());
  RunResult d = b.del();
  EXPECT_TRUE(d.ok()) << d;
  EXPECT_TRUE(waitUntil([&] { return taggedProcesses(b.tag()).empty(); }));
  EXPECT_EQ(b.status(), "");
}

// runtime-spec: a config without a mount namespace shares the runtime's
// (runtime-tools' linux_ns_itype). Each case runs in a throwaway mount
// namespace where the bundle directory is shared with a peer, as the host's
// mounts are with other namespaces: what the container mounts must reach
// neither that namespace nor the peer, and nothing may be left behind.
class NoOwnMountNamespaceTest : public SpecPointsTest {
 protected:
  void SetUp() override {
    json& list = b.config["linux"]["namespaces"];
    json kept = json::array();
    for (const json& ns : list) {
      if (ns["type"] != "mount") kept.push_back(ns);
    }
    list = kept;
    // runc refuses masked and read-only paths without a mount namespace of
    // the container's own; without them it runs the same cases.
    if (runtimeIsPeer()) {
      b.config["linux"].erase("maskedPaths");
      b.config["linux"].erase("readonlyPaths");
    }
    b.setArgs({"sleep", "100"});
  }

  // Runs script (sh, with $R the runtime and $ROOT, $B, $ID, $TAG) in the
  // throwaway namespace after the shared bundle and its peer ($P) are made;
  // then prints whether the mount table is as it was.
  RunResult inThrowawayMountNamespace(const std::string& script) {
    b.write();
    std::string peer = b.tmp() + "/peer";
    std::string whole =
        "set -u; table() { awk '{print $5}' /proc/self/mountinfo | sort; }; "
        "mkdir -p \"$P\" && mount --bind \"$B\" \"$B\" && mount --make-shared \"$B\" && "
        "mount --bind \"$B\" \"$P\" || exit 90; table > \"$P.before\"; " +
        script +
        "; table > \"$P.after\"; if cmp -s \"$P.before\" \"$P.after\"; then echo table=same; "
        "else echo table=changed; diff \"$P.before\" \"$P.after\"; fi";
    return runCommand({"env", "R=" + runtimePath(), "ROOT=" + b.stateRoot(), "B=" + b.dir(),
                       "ID=" + b.id(), "TAG=" + b.tag(), "P=" + peer, "SANGJA_IT_TAG=" + b.tag(),
                       "unshare", "-m", "--propagation", "private", "sh", "-c", whole});
  }
};

TEST_F(NoOwnMountNamespaceTest, ContainerSharesItAndLeavesNothingMounted) {
  RunResult r = inThrowawayMountNamespace(
      "echo \"runtime=$(readlink /proc/self/ns/mnt)\"; "
      "\"$R\" --root \"$ROOT\" run -d --bundle \"$B\" \"$ID\"; echo \"run=$?\"; "
      "\"$R\" --root \"$ROOT\" exec \"$ID\" sh -c "
      "'echo \"container=$(readlink /proc/self/ns/mnt)\"; test -r /proc/1/status && echo proc=ok; "
      "test -c /dev/null && echo dev=ok; ls /'; echo \"exec=$?\"; "
      "mountpoint -q \"$B/rootfs/proc\" && echo bundle-has-proc; "
      "mountpoint -q \"$P/rootfs/proc\" && echo peer-has-proc; "
      "\"$R\" --root \"$ROOT\" delete --force \"$ID\"; echo \"delete=$?\"");
  if (runtimeIsPeer() && !contains(r.out, "run=0")) {
    GTEST_SKIP() << runtimeName() << " limitation: refuses it; " << r;
  }
  ASSERT_TRUE(contains(r.out, "run=0\n")) << r;
  std::string runtimeNs, containerNs;
  for (const std::string& line : splitLines(r.out)) {
    if (line.rfind("runtime=", 0) == 0) runtimeNs = line.substr(8);
    if (line.rfind("container=", 0) == 0) containerNs = line.substr(10);
  }
  EXPECT_FALSE(runtimeNs.empty()) << r;
  EXPECT_EQ(containerNs, runtimeNs) << r;
  EXPECT_TRUE(contains(r.out, "proc=ok\ndev=ok\n")) << r;
  EXPECT_TRUE(contains(r.out, "bundle-has-proc\n")) << "the container's /proc is mounted; " << r;
  EXPECT_TRUE(contains(r.out, "exec=0\n")) << r;
  EXPECT_TRUE(contains(r.out, "delete=0\n")) << r;
  EXPECT_FALSE(contains(r.out, "peer-has-proc")) << "a mount reached the peer; " << r;
  if (runtimeIsPeer() && !contains(r.out, "table=same")) {
    GTEST_SKIP() << runtimeName() << " limitation: leaves mounts behind; " << r;
  }
  EXPECT_TRUE(contains(r.out, "table=same\n")) << r;
}

// A second container on the same rootfs stacks its bind over the first's:
// deleting the first must not take the second's mounts (the first's bind,
// covered, is left with a warning rather than detached from under it).
TEST_F(NoOwnMountNamespaceTest, DeleteNeverDetachesAnotherContainersMounts) {
  RunResult r = inThrowawayMountNamespace(
      "\"$R\" --root \"$ROOT\" run -d --bundle \"$B\" \"$ID-a\" && "
      "\"$R\" --root \"$ROOT\" run -d --bundle \"$B\" \"$ID-b\" && echo both=ok; "
      "\"$R\" --root \"$ROOT\" delete --force \"$ID-a\"; echo \"delete-a=$?\"; "
      "\"$R\" --root \"$ROOT\" exec \"$ID-b\" sh -c 'test -r /proc/1/status && test -c "
      "/dev/null && echo b=ok'; "
      "\"$R\" --root \"$ROOT\" delete --force \"$ID-b\"; echo \"delete-b=$?\"");
  if (runtimeIsPeer() && !contains(r.out, "both=ok")) {
    GTEST_SKIP() << runtimeName() << " limitation: refuses it; " << r;
  }
  ASSERT_TRUE(contains(r.out, "both=ok\n")) << r;
  EXPECT_TRUE(contains(r.out, "delete-a=0\n")) << r;
  EXPECT_TRUE(contains(r.out, "b=ok\n")) << "the second container lost its mounts; " << r;
  EXPECT_TRUE(contains(r.out, "delete-b=0\n")) << r;
  SKIP_FOR_PEER("does not say what it leaves");
  EXPECT_TRUE(contains(r.err, "is covered by another mount")) << r;
}

// A create that fails half-way (the init has mounted /proc, /dev and /sys
// when it meets the bad mount) undoes its mounts with the rest.
TEST_F(NoOwnMountNamespaceTest, FailedCreateLeavesNothingMounted) {
  b.config["mounts"].push_back({{"destination", "/late"}, {"type", "nosuchfs"}, {"source", "x"}});
  RunResult r = inThrowawayMountNamespace(
      "\"$R\" --root \"$ROOT\" create --bundle \"$B\" \"$ID\"; echo \"create=$?\"; "
      "echo \"state=$(ls -A \"$ROOT\" | grep -v '^@' | tr '\\n' ' ')\"");
  EXPECT_FALSE(contains(r.out, "create=0")) << r;
  EXPECT_TRUE(contains(r.out, "state=\n")) << r;
  EXPECT_TRUE(contains(r.err, "late")) << "the error names the mount; " << r;
  if (runtimeIsPeer() && !contains(r.out, "table=same")) {
    GTEST_SKIP() << runtimeName() << " limitation: leaves mounts behind; " << r;
  }
  EXPECT_TRUE(contains(r.out, "table=same\n")) << r;
}

// The container's root could not mount in a mount namespace it does not own.
TEST_F(NoOwnMountNamespaceTest, UserNamespaceWithoutOneIsRefused) {
  b.config["linux"]["namespaces"].push_back({{"type", "user"}});
  b.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  b.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  RunResult r = inThrowawayMountNamespace(
      "\"$R\" --root \"$ROOT\" create --bundle \"$B\" \"$ID\"; echo \"create=$?\"");
  EXPECT_FALSE(contains(r.out, "create=0")) << r;
  EXPECT_TRUE(contains(r.out, "table=same\n")) << r;
  SKIP_FOR_PEER("words it otherwise");
  EXPECT_TRUE(contains(r.err, "linux.namespaces: a user namespace needs a mount namespace too"))
      << r;
}

}  // namespace
}  // namespace sangja::it
