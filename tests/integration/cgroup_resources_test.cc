// linux.resources and update on the host's real cgroups: the v1
// controllers of a hybrid or legacy host (this machine; the legacy qemu
// guest) or the v2 hierarchy (the v2 guest). Each test asserts what must
// happen with the controllers the host has: the limit in the cgroup's
// files, or a clear error naming the missing controller and nothing left
// behind. A test whose controller the host lacks says so and skips; every
// one runs in at least one of the CI's machines.

#include <unistd.h>

#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;

#define NEEDS_CONTROLLER(name)                                                              \
  do {                                                                                      \
    if (!hostHasController(name))                                                           \
      GTEST_SKIP() << "NOT RUN HERE: needs the " name " controller, which this "            \
                   << hostCgroupMode() << " cgroup host lacks; it runs in the qemu guests"; \
  } while (0)

class CgroupResourcesTest : public ContainerTest {
 protected:
  // A long-running container in a cgroup whose path we know.
  std::string cgroupPath() const { return "/" + b.id(); }
  // The container's file of controller: "memory", "memory.max".
  std::string file(const std::string& controller, const std::string& name) const {
    return controllerDir(controller, cgroupPath()) + "/" + name;
  }
  void useKnownCgroup() { b.config["linux"]["cgroupsPath"] = cgroupPath(); }
  RunResult startSleeper() {
    useKnownCgroup();
    b.setArgs({"sleep", "1000"});
    RunResult r = b.create();
    if (r.ok()) r = b.start();
    return r;
  }
  RunResult updateWithJson(const json& resources) {
    return runCommand({"sh", "-c", "printf '%s' \"$0\" | \"$@\"", resources.dump(), runtimePath(),
                       "--root", b.stateRoot(), "update", "--resources", "-", b.id()});
  }
};

TEST_F(CgroupResourcesTest, MemoryLimitIsSetOrTheMissingControllerIsNamed) {
  b.config["linux"]["resources"]["memory"] = {{"limit", 64 * 1024 * 1024}};
  RunResult r = startSleeper();
  if (hostHasController("memory")) {
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(readFile(file("memory", v1Host() ? "memory.limit_in_bytes" : "memory.max")),
              "67108864\n");
  } else {
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "the memory controller is not available")) << r;
    EXPECT_TRUE(contains(b.state().err, "does not exist"));
  }
}

TEST_F(CgroupResourcesTest, HugetlbLimitIsSet) {
  NEEDS_CONTROLLER("hugetlb");
  b.config["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "2MB"}, {"limit", 4194304}}};
  RunResult r = startSleeper();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(readFile(file("hugetlb", v1Host() ? "hugetlb.2MB.limit_in_bytes" : "hugetlb.2MB.max")),
            "4194304\n");
}

// A limit the host cannot enforce is refused by name, never dropped.
TEST_F(CgroupResourcesTest, HugetlbWithoutTheControllerIsRefusedByName) {
  if (hostHasController("hugetlb")) GTEST_SKIP() << "NOT FOR THIS HOST: it has hugetlb";
  SKIP_FOR_PEER("runc skips a limit whose v1 controller is not mounted");
  b.config["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "2MB"}, {"limit", 4194304}}};
  RunResult r = startSleeper();
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(contains(r.err, "linux.resources.hugepageLimits: the hugetlb controller is not"))
      << r;
  EXPECT_TRUE(contains(b.state().err, "does not exist"));
}

TEST_F(CgroupResourcesTest, UpdateTakesResourcesJsonOnStdin) {
  NEEDS_CONTROLLER("pids");
  ASSERT_TRUE(startSleeper().ok());
  RunResult r = updateWithJson({{"pids", {{"limit", 33}}}});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(readFile(file("pids", "pids.max")), "33\n");
}

TEST_F(CgroupResourcesTest, UpdatePidsLimitFlag) {
  ASSERT_TRUE(startSleeper().ok());
  RunResult r = b.rt({"update", "--pids-limit", "42", b.id()});
  if (hostHasController("pids")) {
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(readFile(file("pids", "pids.max")), "42\n");
  } else {
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "the pids controller is not available")) << r;
  }
}

// runc's v1 order: raising memory above memory+swap writes memsw first,
// lowering it writes memory first; either way both hold afterwards.
TEST_F(CgroupResourcesTest, UpdateMemoryAndSwapInEitherDirection) {
  NEEDS_CONTROLLER("memory");
  b.config["linux"]["resources"]["memory"] = {{"limit", 32 << 20}, {"swap", 64 << 20}};
  ASSERT_TRUE(startSleeper().ok());
  std::string limit = file("memory", v1Host() ? "memory.limit_in_bytes" : "memory.max");
  ASSERT_EQ(readFile(limit), std::to_string(32 << 20) + "\n");
  RunResult up = b.rt({"update", "--memory", std::to_string(128 << 20), "--memory-swap",
                       std::to_string(256 << 20), b.id()});
  ASSERT_TRUE(up.ok()) << up;
  EXPECT_EQ(readFile(limit), std::to_string(128 << 20) + "\n");
  RunResult down = b.rt({"update", "--memory", std::to_string(16 << 20), "--memory-swap",
                         std::to_string(24 << 20), b.id()});
  ASSERT_TRUE(down.ok()) << down;
  EXPECT_EQ(readFile(limit), std::to_string(16 << 20) + "\n");
  if (v1Host() && pathExists(file("memory", "memory.memsw.limit_in_bytes"))) {
    EXPECT_EQ(readFile(file("memory", "memory.memsw.limit_in_bytes")),
              std::to_string(24 << 20) + "\n");
  }
}

TEST_F(CgroupResourcesTest, UpdateOfStoppedContainerSaysNotRunning) {
  b.setArgs({"true"});
  ASSERT_TRUE(b.create().ok());
  ASSERT_TRUE(b.start().ok());
  ASSERT_TRUE(b.waitStatus("stopped"));
  RunResult r = b.rt({"update", "--pids-limit", "5", b.id()});
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(contains(r.err, "container not running")) << r;
}

TEST_F(CgroupResourcesTest, PidsLimitStopsAForkBomb) {
  NEEDS_CONTROLLER("pids");
  b.config["linux"]["resources"]["pids"] = {{"limit", 20}};
  useKnownCgroup();
  b.setArgs({"sh", "-c",
             "n=0; while [ $n -lt 60 ]; do sleep 30 & n=$((n+1)); done 2>/dev/null; "
             "exec sleep 1000"});
  ASSERT_TRUE(b.create().ok());
  ASSERT_TRUE(b.start().ok());
  // pids.events counts the forks the limit refused (v1 and v2 alike).
  EXPECT_TRUE(waitUntil([&] { return !contains(readFile(file("pids", "pids.events")), "max 0"); },
                        milliseconds(20000)))
      << readFile(file("pids", "pids.events"));
  EXPECT_LE(std::stoi(readFile(file("pids", "pids.current"))), 20);
}

TEST_F(CgroupResourcesTest, ProcessOverTheMemoryLimitIsOomKilledAndEventsReportsIt) {
  NEEDS_CONTROLLER("memory");
  b.config["linux"]["resources"]["memory"] = {{"limit", 32 * 1024 * 1024},
                                              {"swap", 32 * 1024 * 1024}};
  useKnownCgroup();
  // pid 1 sleeps; a background shell doubles a string until the kernel
  // OOM-kills it (the largest process in the cgroup), once events watches.
  b.setArgs({"sh", "-c", "(sleep 2; x=a; while :; do x=$x$x; done) & exec sleep 1000"});
  ASSERT_TRUE(b.create().ok());
  ASSERT_TRUE(b.start().ok());
  // The interval is longer than the wait: the oom event must come from
  // the kernel's notification, not from a stats poll.
  auto events = b.spawn({"events", "--interval", "100s", b.id()});
  EXPECT_TRUE(waitUntil([&] { return contains(events->out(), "\"oom\""); }, milliseconds(60000)))
      << events->out() << events->err();
  // runc reports the v1 notification itself, which comes a moment before
  // the kernel counts the kill.
  std::string counter = file("memory", v1Host() ? "memory.oom_control" : "memory.events");
  EXPECT_TRUE(
      waitUntil([&] { return contains(readFile(counter), "oom_kill 1"); }, milliseconds(5000)))
      << readFile(counter);
  EXPECT_EQ(b.status(), "running") << "the OOM killer should have picked the hog, not pid 1";
}

TEST_F(CgroupResourcesTest, NestedCgroupsPathIsMadeAndItsNewParentsRemoved) {
  if (v1Host()) SKIP_FOR_PEER("runc's v1 driver leaves the parents it made");
  std::string top = "/" + b.id();
  b.config["linux"]["cgroupsPath"] = top + "/group/leaf";
  b.setArgs({"sleep", "1000"});
  ASSERT_TRUE(b.create().ok());
  for (const char* c : {"memory", "pids", "cpu", "freezer", "devices"}) {
    if (hostHasController(c)) {
      EXPECT_EQ(cgroupOf(b.pid(), c), top + "/group/leaf") << c;
    }
  }
  ASSERT_TRUE(b.del(/*force=*/true).ok());
  for (const char* c : {"memory", "pids", "cpu", "freezer", "devices"}) {
    if (hostHasController(c)) {
      EXPECT_FALSE(pathExists(controllerDir(c, top))) << "a parent made for the container was left";
    }
  }
}

// On a v1 host a "cgroup" mount shows the container's own cgroup in each
// hierarchy (runc's view), not the host's tree.
TEST_F(CgroupResourcesTest, TheCgroupMountShowsTheContainersOwnCgroupsOnV1) {
  if (!v1Host()) GTEST_SKIP() << "NOT FOR THIS HOST: a unified host mounts cgroup2";
  b.config["linux"]["resources"]["pids"] = {{"limit", 77}};
  RunResult r = b.run({"sh", "-c",
                       "ls /sys/fs/cgroup; echo ---; cat /sys/fs/cgroup/pids/pids.max; "
                       "wc -l < /sys/fs/cgroup/memory/cgroup.procs; echo ---; "
                       "touch /sys/fs/cgroup/x 2>&1 || true"});
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> parts;
  for (size_t at = 0, next; at <= r.out.size(); at = next + 4) {
    next = r.out.find("---\n", at);
    if (next == std::string::npos) next = r.out.size();
    parts.push_back(r.out.substr(at, next - at));
  }
  ASSERT_EQ(parts.size(), 3u) << r;
  for (const char* c : {"memory", "pids", "cpu", "freezer", "devices"}) {
    if (hostHasController(c)) {
      EXPECT_TRUE(contains(parts[0], c)) << c << " missing: " << r;
    }
  }
  std::vector<std::string> values = splitLines(parts[1]);
  ASSERT_EQ(values.size(), 2u) << r;
  EXPECT_EQ(values[0], "77") << "the container's own pids cgroup";
  EXPECT_LE(std::stoi(values[1]), 3) << "the host's root cgroup is in view: " << r;
  EXPECT_FALSE(parts[2].empty()) << "the view is writable: " << r;
}

// Mounting cgroup2 from the host's cgroup namespace re-applies the
// hierarchy's root flags; a container must not clear the host's nsdelegate
// or memory_recursiveprot (they exist on v2-only hosts such as the guest).
TEST_F(CgroupResourcesTest, CgroupMountKeepsTheHostsRootFlags) {
  if (hostCgroupMode() == "legacy")
    GTEST_SKIP() << "NOT FOR THIS HOST: a legacy host has no cgroup2";
  auto superOptions = [] {
    for (const std::string& line : splitLines(readFile("/proc/self/mountinfo"))) {
      if (line.find(" " + unifiedRoot() + " ") != std::string::npos &&
          line.find(" - cgroup2 ") != std::string::npos) {
        return line.substr(line.rfind(' ') + 1);
      }
    }
    return std::string();
  };
  std::string before = superOptions();
  ASSERT_FALSE(before.empty());
  RunResult r = b.run({"true"});  // the default config mounts cgroup2, no cgroup namespace
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(superOptions(), before);
}

TEST_F(CgroupResourcesTest, CpusetPinsTheContainer) {
  NEEDS_CONTROLLER("cpuset");
  b.config["linux"]["resources"]["cpu"] = {{"cpus", "0"}, {"mems", "0"}};
  RunResult r = b.run({"grep", "^Cpus_allowed_list", "/proc/self/status"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "Cpus_allowed_list:\t0\n");
}

TEST_F(CgroupResourcesTest, CpuMaxHoldsABusyLoopNearItsQuota) {
  NEEDS_CONTROLLER("cpu");
  // 20% of one CPU: 20 ms in every 100 ms period.
  b.config["linux"]["resources"]["cpu"] = {{"quota", 20000}, {"period", 100000}};
  useKnownCgroup();
  b.setArgs({"sh", "-c", "while :; do :; done"});
  ASSERT_TRUE(b.create().ok());
  ASSERT_TRUE(b.start().ok());
  if (v1Host()) {
    EXPECT_EQ(readFile(file("cpu", "cpu.cfs_quota_us")), "20000\n");
    EXPECT_EQ(readFile(file("cpu", "cpu.cfs_period_us")), "100000\n");
  } else {
    EXPECT_EQ(readFile(file("cpu", "cpu.max")), "20000 100000\n");
  }
  // CPU time used in microseconds: cpuacct.usage (ns) on v1.
  auto usage = [&]() -> uint64_t {
    if (v1Host()) return std::stoull(readFile(file("cpuacct", "cpuacct.usage"))) / 1000;
    std::string stat = readFile(file("cpu", "cpu.stat"));
    return std::stoull(stat.substr(stat.find("usage_usec ") + 11));
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past start-up
  uint64_t before = usage();
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  uint64_t used = usage() - before;
  auto wall =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  double share = static_cast<double>(used) / static_cast<double>(wall);
  RecordProperty("cpu_share", std::to_string(share));
  // Unthrottled it would be ~1.0; generous bounds for an emulated machine.
  EXPECT_LT(share, 0.35) << used << " us of CPU in " << wall << " us";
  EXPECT_GT(share, 0.05) << used << " us of CPU in " << wall << " us";
  EXPECT_NE(readFile(file("cpu", "cpu.stat")).find("nr_throttled"), std::string::npos);
}

// A loop device stands in for a disk (the guest has none): the throttle
// fields of blockIO become io.max lines for its major:minor (v2), or
// blkio.throttle.* lines (v1).
TEST_F(CgroupResourcesTest, BlockIoThrottleIsWrittenToIoMax) {
  if (v1Host()) {
    NEEDS_CONTROLLER("blkio");
  } else {
    NEEDS_CONTROLLER("io");
  }
  RunResult loop = host("f=" + b.tmp() + "/disk.img && truncate -s 8M $f && losetup -f --show $f");
  ASSERT_TRUE(loop.ok()) << loop;
  std::string dev = splitLines(loop.out).at(0);
  struct LoopGuard {
    std::string dev;
    ~LoopGuard() { host("losetup -d " + dev); }
  } guard{dev};
  RunResult numbers = host("stat -c '%t %T' " + dev);
  ASSERT_TRUE(numbers.ok()) << numbers;
  unsigned major = 0, minor = 0;
  ASSERT_EQ(std::sscanf(numbers.out.c_str(), "%x %x", &major, &minor), 2) << numbers;

  b.config["linux"]["resources"]["blockIO"] = {
      {"throttleReadBpsDevice", {{{"major", major}, {"minor", minor}, {"rate", 1048576}}}},
      {"throttleWriteIOPSDevice", {{{"major", major}, {"minor", minor}, {"rate", 100}}}}};
  ASSERT_TRUE(startSleeper().ok());
  std::string device = std::to_string(major) + ":" + std::to_string(minor);
  if (v1Host()) {
    EXPECT_EQ(readFile(file("blkio", "blkio.throttle.read_bps_device")), device + " 1048576\n");
    EXPECT_EQ(readFile(file("blkio", "blkio.throttle.write_iops_device")), device + " 100\n");
  } else {
    std::string want = device + " rbps=1048576 wbps=max riops=max wiops=100";
    EXPECT_TRUE(contains(readFile(file("io", "io.max")), want))
        << "io.max: " << readFile(file("io", "io.max")) << "want: " << want;
  }

  // update rewrites the line.
  if (runtimeIsPeer()) return;  // runc's update takes only blockIO.weight
  json update = {
      {"blockIO",
       {{"throttleReadBpsDevice", {{{"major", major}, {"minor", minor}, {"rate", 2097152}}}}}}};
  RunResult r = updateWithJson(update);
  ASSERT_TRUE(r.ok()) << r;
  if (v1Host()) {
    EXPECT_EQ(readFile(file("blkio", "blkio.throttle.read_bps_device")), device + " 2097152\n");
  } else {
    EXPECT_TRUE(contains(readFile(file("io", "io.max")), " rbps=2097152 "))
        << readFile(file("io", "io.max"));
  }
}

// A soft-RoCE device on a veth pair stands in for RDMA hardware.
TEST_F(CgroupResourcesTest, RdmaLimitIsWrittenToRdmaMax) {
  NEEDS_CONTROLLER("rdma");
  std::string veth = "rv" + std::to_string(::getpid() % 100000);
  std::string rdmaDev = "rxe" + std::to_string(::getpid() % 100000);
  RunResult setup =
      host("ip link add " + veth + "a type veth peer name " + veth + "b && ip link set " + veth +
           "a up && rdma link add " + rdmaDev + " type rxe netdev " + veth + "a");
  struct DeviceGuard {
    std::string veth, rdmaDev;
    ~DeviceGuard() { host("rdma link delete " + rdmaDev + "; ip link del " + veth + "a"); }
  } guard{veth, rdmaDev};
  ASSERT_TRUE(setup.ok()) << "cannot make a soft-RoCE device (rdma_rxe on a veth): " << setup;

  b.config["linux"]["resources"]["rdma"] = {{rdmaDev, {{"hcaHandles", 2}, {"hcaObjects", 2000}}}};
  ASSERT_TRUE(startSleeper().ok());
  EXPECT_TRUE(
      contains(readFile(file("rdma", "rdma.max")), rdmaDev + " hca_handle=2 hca_object=2000"))
      << readFile(file("rdma", "rdma.max"));
}

}  // namespace
}  // namespace sangja::it
