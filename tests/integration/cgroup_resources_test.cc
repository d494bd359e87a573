// linux.resources and update on the real cgroup v2 hierarchy. Each test
// asserts what must happen with the controllers this kernel has: the limit
// in the cgroup's files, or a clear error naming the missing controller and
// nothing left behind. Tests that need a controller to do their job run in
// the cgroup v2 guest (tests/vm); on the hybrid host they say so and skip.

#include <unistd.h>

#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;

bool rootHas(const std::string& controller) {
  for (const std::string& line : splitLines(readFile(unifiedRoot() + "/cgroup.controllers"))) {
    std::istringstream words(line);
    for (std::string w; words >> w;) {
      if (w == controller) return true;
    }
  }
  return false;
}

#define NEEDS_CONTROLLER(name)                                                             \
  do {                                                                                     \
    if (!rootHas(name))                                                                    \
      GTEST_SKIP() << "NOT RUN HERE: needs the " name                                      \
                   << " controller, which this host's v2 hierarchy lacks; it runs in the " \
                      "cgroup v2 guest (tests/vm)";                                        \
  } while (0)

class CgroupResourcesTest : public ContainerTest {
 protected:
  // A long-running container in a cgroup whose path we know.
  std::string cgroupPath() const { return "/" + b.id(); }
  std::string cgroupDir() const { return unifiedRoot() + cgroupPath(); }
  void useKnownCgroup() { b.config["linux"]["cgroupsPath"] = cgroupPath(); }
  RunResult startSleeper() {
    useKnownCgroup();
    b.setArgs({"sleep", "1000"});
    RunResult r = b.create();
    if (r.ok()) r = b.start();
    return r;
  }
};

TEST_F(CgroupResourcesTest, MemoryLimitIsSetOrTheMissingControllerIsNamed) {
  b.config["linux"]["resources"]["memory"] = {{"limit", 64 * 1024 * 1024}};
  RunResult r = startSleeper();
  if (rootHas("memory")) {
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(readFile(cgroupDir() + "/memory.max"), "67108864\n");
  } else {
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "the memory controller is not available")) << r;
    EXPECT_FALSE(pathExists(cgroupDir())) << "cgroup left behind";
    EXPECT_TRUE(contains(b.state().err, "does not exist"));
  }
}

TEST_F(CgroupResourcesTest, HugetlbLimitIsSet) {
  NEEDS_CONTROLLER("hugetlb");
  b.config["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "2MB"}, {"limit", 4194304}}};
  RunResult r = startSleeper();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(readFile(cgroupDir() + "/hugetlb.2MB.max"), "4194304\n");
}

TEST_F(CgroupResourcesTest, UpdateTakesResourcesJsonOnStdin) {
  NEEDS_CONTROLLER("hugetlb");
  ASSERT_TRUE(startSleeper().ok());
  std::string json = R"({"hugepageLimits":[{"pageSize":"2MB","limit":2097152}]})";
  RunResult r = runCommand({"sh", "-c", "printf '%s' \"$0\" | \"$@\"", json, runtimePath(),
                            "--root", b.stateRoot(), "update", "--resources", "-", b.id()});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(readFile(cgroupDir() + "/hugetlb.2MB.max"), "2097152\n");
}

TEST_F(CgroupResourcesTest, UpdatePidsLimitFlag) {
  ASSERT_TRUE(startSleeper().ok());
  RunResult r = b.rt({"update", "--pids-limit", "42", b.id()});
  if (rootHas("pids")) {
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(readFile(cgroupDir() + "/pids.max"), "42\n");
  } else {
    EXPECT_NE(r.status, 0);
    EXPECT_TRUE(contains(r.err, "the pids controller is not available")) << r;
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
  // pids.events counts the forks the limit refused.
  EXPECT_TRUE(waitUntil([&] { return !contains(readFile(cgroupDir() + "/pids.events"), "max 0"); },
                        milliseconds(20000)))
      << readFile(cgroupDir() + "/pids.events");
  EXPECT_LE(std::stoi(readFile(cgroupDir() + "/pids.current")), 20);
}

TEST_F(CgroupResourcesTest, ProcessOverMemoryMaxIsOomKilledAndEventsReportsIt) {
  NEEDS_CONTROLLER("memory");
  b.config["linux"]["resources"]["memory"] = {{"limit", 32 * 1024 * 1024},
                                              {"swap", 32 * 1024 * 1024}};
  useKnownCgroup();
  // pid 1 sleeps; a background shell doubles a string until the kernel
  // OOM-kills it (the largest process in the cgroup), once events watches.
  b.setArgs({"sh", "-c", "(sleep 2; x=a; while :; do x=$x$x; done) & exec sleep 1000"});
  ASSERT_TRUE(b.create().ok());
  ASSERT_TRUE(b.start().ok());
  auto events = b.spawn({"events", "--interval", "10s", b.id()});
  EXPECT_TRUE(waitUntil([&] { return contains(events->out(), "\"oom\""); }, milliseconds(60000)))
      << events->out() << events->err();
  EXPECT_NE(readFile(cgroupDir() + "/memory.events").find("oom_kill 1"), std::string::npos);
  EXPECT_EQ(b.status(), "running") << "the OOM killer should have picked the hog, not pid 1";
}

TEST_F(CgroupResourcesTest, NestedCgroupsPathIsMadeAndItsNewParentsRemoved) {
  std::string top = "/" + b.id();
  b.config["linux"]["cgroupsPath"] = top + "/group/leaf";
  b.setArgs({"sleep", "1000"});
  ASSERT_TRUE(b.create().ok());
  EXPECT_EQ(unifiedCgroupOf(b.pid()), top + "/group/leaf");
  ASSERT_TRUE(b.del(/*force=*/true).ok());
  EXPECT_FALSE(pathExists(unifiedRoot() + top)) << "a parent made for the container was left";
}

// Mounting cgroup2 from the host's cgroup namespace re-applies the
// hierarchy's root flags; a container must not clear the host's nsdelegate
// or memory_recursiveprot (they exist on v2-only hosts such as the guest).
TEST_F(CgroupResourcesTest, CgroupMountKeepsTheHostsRootFlags) {
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
  EXPECT_EQ(readFile(cgroupDir() + "/cpu.max"), "20000 100000\n");
  auto usage = [&] {
    std::string stat = readFile(cgroupDir() + "/cpu.stat");
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
  EXPECT_NE(readFile(cgroupDir() + "/cpu.stat").find("nr_throttled"), std::string::npos);
}

// A loop device stands in for a disk (the guest has none): the throttle
// fields of blockIO become io.max lines for its major:minor.
TEST_F(CgroupResourcesTest, BlockIoThrottleIsWrittenToIoMax) {
  NEEDS_CONTROLLER("io");
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
  std::string want = std::to_string(major) + ":" + std::to_string(minor) +
                     " rbps=1048576 wbps=max riops=max wiops=100";
  EXPECT_TRUE(contains(readFile(cgroupDir() + "/io.max"), want))
      << "io.max: " << readFile(cgroupDir() + "/io.max") << "want: " << want;

  // update rewrites the line.
  json update = {
      {"blockIO",
       {{"throttleReadBpsDevice", {{{"major", major}, {"minor", minor}, {"rate", 2097152}}}}}}};
  RunResult r = runCommand({"sh", "-c", "printf '%s' \"$0\" | \"$@\"", update.dump(), runtimePath(),
                            "--root", b.stateRoot(), "update", "--resources", "-", b.id()});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(readFile(cgroupDir() + "/io.max"), " rbps=2097152 "))
      << readFile(cgroupDir() + "/io.max");
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
      contains(readFile(cgroupDir() + "/rdma.max"), rdmaDev + " hca_handle=2 hca_object=2000"))
      << readFile(cgroupDir() + "/rdma.max");
}

}  // namespace
}  // namespace sangja::it
