// linux.resources -> cgroup v1 files (cgroups/resources_v1.h), pure.
#include "cgroups/resources_v1.h"

#include <gtest/gtest.h>

namespace sangja::cgroups {
namespace {

using Writes = std::vector<V1Write>;

V1Facts allMounted() {
  V1Facts f;
  f.mounted = {"blkio",   "cpu",    "cpuacct", "cpuset",   "devices", "freezer",
               "hugetlb", "memory", "net_cls", "net_prio", "pids",    "rdma"};
  return f;
}

Writes translate(const spec::Resources& r, const V1Facts& facts = allMounted()) {
  Result<Writes> w = translateResourcesV1(r, facts);
  EXPECT_TRUE(w.ok()) << w.error().message();
  return w.ok() ? *w : Writes{};
}

std::string error(const spec::Resources& r, const V1Facts& facts = allMounted()) {
  Result<Writes> w = translateResourcesV1(r, facts);
  EXPECT_FALSE(w.ok());
  return w.ok() ? "" : w.error().message();
}

spec::Resources memory(int64_t limit, int64_t swap) {
  spec::Resources r;
  r.memory.emplace();
  if (limit != 0) r.memory->limit = limit;
  if (swap != 0) r.memory->swap = swap;
  return r;
}

TEST(ResourcesV1, NothingAskedWritesNothing) {
  EXPECT_TRUE(translate(spec::Resources{}).empty());
  EXPECT_TRUE(translate(spec::Resources{}, V1Facts{}).empty()) << "not even a controller check";
}

// The kernel keeps memory <= memory+swap at every step.
TEST(ResourcesV1, RaisingMemoryAndSwapWritesSwapFirst) {
  V1Facts f = allMounted();
  f.currentMemoryLimit = 1 << 30;
  EXPECT_EQ(translate(memory(2LL << 30, 3LL << 30), f),
            (Writes{{"memory", "memory.memsw.limit_in_bytes", "3221225472"},
                    {"memory", "memory.limit_in_bytes", "2147483648"}}));
}

TEST(ResourcesV1, LoweringMemoryAndSwapWritesMemoryFirst) {
  V1Facts f = allMounted();
  f.currentMemoryLimit = 4LL << 30;
  EXPECT_EQ(translate(memory(512 << 20, 1 << 30), f),
            (Writes{{"memory", "memory.limit_in_bytes", "536870912"},
                    {"memory", "memory.memsw.limit_in_bytes", "1073741824"}}));
  f.currentMemoryLimit.reset();
  EXPECT_EQ(translate(memory(512 << 20, 1 << 30), f)[0].file, "memory.limit_in_bytes")
      << "the current limit unknown: memory first";
}

TEST(ResourcesV1, UnlimitedMemoryMakesSwapUnlimitedToo) {
  EXPECT_EQ(translate(memory(-1, 0)), (Writes{{"memory", "memory.memsw.limit_in_bytes", "-1"},
                                              {"memory", "memory.limit_in_bytes", "-1"}}));
  V1Facts noSwapAccounting = allMounted();
  noSwapAccounting.memsw = false;
  EXPECT_EQ(translate(memory(-1, 0), noSwapAccounting),
            (Writes{{"memory", "memory.limit_in_bytes", "-1"}}));
}

TEST(ResourcesV1, SwapWithoutSwapAccountingIsRefusedUnlessUnlimited) {
  V1Facts f = allMounted();
  f.memsw = false;
  EXPECT_EQ(error(memory(1 << 20, 2 << 20), f),
            "linux.resources.memory.swap: swap accounting is not available (no "
            "memory.memsw.limit_in_bytes)");
  EXPECT_EQ(translate(memory(1 << 20, -1), f),
            (Writes{{"memory", "memory.limit_in_bytes", "1048576"}}));
}

TEST(ResourcesV1, SwapBelowTheMemoryLimitIsRefused) {
  EXPECT_EQ(error(memory(2 << 20, 1 << 20)),
            "linux.resources.memory.swap: 1048576 is below memory.limit 2097152 (swap is the "
            "memory+swap limit)");
}

TEST(ResourcesV1, TheOtherMemoryFields) {
  spec::Resources r;
  r.memory.emplace();
  r.memory->reservation = 1000;
  r.memory->kernel = 2000;
  r.memory->kernelTCP = 3000;
  r.memory->swappiness = 60;
  r.memory->disableOOMKiller = true;
  V1Facts f = allMounted();
  EXPECT_EQ(translate(r, f), (Writes{{"memory", "memory.soft_limit_in_bytes", "1000"},
                                     {"memory", "memory.swappiness", "60"},
                                     {"memory", "memory.oom_control", "1"}}))
      << "no kmem files: the deprecated kernel limits are not written";
  f.kmem = f.kmemTcp = true;
  Writes w = translate(r, f);
  ASSERT_EQ(w.size(), 5u);
  EXPECT_EQ(w[1], (V1Write{"memory", "memory.kmem.limit_in_bytes", "2000"}));
  EXPECT_EQ(w[2], (V1Write{"memory", "memory.kmem.tcp.limit_in_bytes", "3000"}));
  r.memory->swappiness = 101;
  EXPECT_EQ(error(r), "linux.resources.memory.swappiness: 101 is above 100");
}

TEST(ResourcesV1, CpuPeriodBeforeQuota) {
  spec::Resources r;
  r.cpu.emplace();
  r.cpu->shares = 512;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  EXPECT_EQ(translate(r), (Writes{{"cpu", "cpu.shares", "512"},
                                  {"cpu", "cpu.cfs_period_us", "100000"},
                                  {"cpu", "cpu.cfs_quota_us", "50000"}}));
  r.cpu->quota = -1;
  EXPECT_EQ(translate(r).back(), (V1Write{"cpu", "cpu.cfs_quota_us", "-1"}));
}

TEST(ResourcesV1, CpuFilesTheKernelMayLackAreNamed) {
  spec::Resources r;
  r.cpu.emplace();
  r.cpu->burst = 1000;
  EXPECT_EQ(error(r), "linux.resources.cpu.burst: this host has no cpu.cfs_burst_us (Linux 5.14+)");
  r.cpu->burst.reset();
  r.cpu->realtimePeriod = 1000000;
  r.cpu->realtimeRuntime = 950000;
  EXPECT_EQ(error(r),
            "linux.resources.cpu.realtimePeriod: this host has no cpu.rt_period_us (a kernel with "
            "CONFIG_RT_GROUP_SCHED)");
  V1Facts f = allMounted();
  f.realtime = true;
  EXPECT_EQ(translate(r, f), (Writes{{"cpu", "cpu.rt_period_us", "1000000"},
                                     {"cpu", "cpu.rt_runtime_us", "950000"}}));
}

TEST(ResourcesV1, CpusetGoesToItsOwnHierarchy) {
  spec::Resources r;
  r.cpu.emplace();
  r.cpu->cpus = "0-1";
  r.cpu->mems = "0";
  EXPECT_EQ(translate(r),
            (Writes{{"cpuset", "cpuset.cpus", "0-1"}, {"cpuset", "cpuset.mems", "0"}}));
}

TEST(ResourcesV1, BlkioWeightsAndThrottles) {
  spec::Resources r;
  r.blockIO.emplace();
  r.blockIO->weight = 300;
  spec::WeightDevice wd;
  wd.major = 8;
  wd.minor = 0;
  wd.weight = 500;
  r.blockIO->weightDevice = {wd};
  r.blockIO->throttleReadBpsDevice = {spec::ThrottleDevice{8, 0, 1048576}};
  r.blockIO->throttleWriteIOPSDevice = {spec::ThrottleDevice{8, 16, 100}};
  EXPECT_EQ(translate(r), (Writes{{"blkio", "blkio.weight", "300"},
                                  {"blkio", "blkio.weight_device", "8:0 500"},
                                  {"blkio", "blkio.throttle.read_bps_device", "8:0 1048576"},
                                  {"blkio", "blkio.throttle.write_iops_device", "8:16 100"}}));
  V1Facts bfq = allMounted();
  bfq.bfqWeight = true;
  Writes w = translate(r, bfq);
  EXPECT_EQ(w[0].file, "blkio.bfq.weight");
  EXPECT_EQ(w[1].file, "blkio.bfq.weight_device");
  r.blockIO->leafWeight = 200;
  EXPECT_EQ(error(r),
            "linux.resources.blockIO.leafWeight: this host has no blkio.leaf_weight (CFQ)");
}

TEST(ResourcesV1, PidsFollowTheSpec) {
  spec::Resources r;
  r.pids.emplace().limit = -1;
  EXPECT_EQ(translate(r), (Writes{{"pids", "pids.max", "max"}}));
  r.pids->limit = 0;
  EXPECT_EQ(translate(r), (Writes{{"pids", "pids.max", "0"}}));
  V1Facts noPids = allMounted();
  noPids.mounted = {"memory"};
  r.pids->limit = -1;
  EXPECT_TRUE(translate(r, noPids).empty()) << "no limit asked, nothing to limit with";
  r.pids->limit = 100;
  EXPECT_EQ(error(r, noPids),
            "linux.resources.pids: the pids controller is not mounted on this host (cgroup v1)");
}

TEST(ResourcesV1, HugetlbNetworkAndRdma) {
  spec::Resources r;
  r.hugepageLimits = {spec::HugepageLimit{"2MB", 4194304}};
  r.network.emplace();
  r.network->classID = 0x100001;
  r.network->priorities = {spec::InterfacePriority{"eth0", 5}};
  r.rdma["mlx5_1"] = spec::Rdma{3, std::nullopt};
  V1Facts f = allMounted();
  f.hugetlbRsvd = true;
  EXPECT_EQ(translate(r, f), (Writes{{"hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304"},
                                     {"hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes", "4194304"},
                                     {"net_cls", "net_cls.classid", "1048577"},
                                     {"net_prio", "net_prio.ifpriomap", "eth0 5"},
                                     {"rdma", "rdma.max", "mlx5_1 hca_handle=3"}}));
  r.network->priorities = {spec::InterfacePriority{"eth0 7", 5}};
  EXPECT_EQ(error(r, f),
            "linux.resources.network.priorities[0].name: \"eth0 7\" is not an interface name");
}

TEST(ResourcesV1, UnifiedNeedsCgroupV2) {
  spec::Resources r;
  r.unified["memory.high"] = "1000";
  EXPECT_EQ(error(r),
            "linux.resources.unified: needs cgroup v2; this host's controllers are cgroup v1");
}

TEST(ResourcesV1, DeviceRulesDenyAllThenEachRuleInOrder) {
  std::vector<DeviceRule> rules = {
      {false, 'a', std::nullopt, std::nullopt, kDevAccessAll},
      {true, 'c', 1, 3, kDevAccessRead | kDevAccessWrite | kDevAccessMknod},
      {true, 'c', 136, std::nullopt, kDevAccessRead | kDevAccessWrite},
      {false, 'b', std::nullopt, std::nullopt, kDevAccessMknod},
  };
  EXPECT_EQ(deviceRulesV1(rules), (Writes{{"devices", "devices.deny", "a"},
                                          {"devices", "devices.allow", "c 1:3 rwm"},
                                          {"devices", "devices.allow", "c 136:* rw"},
                                          {"devices", "devices.deny", "b *:* m"}}));
}

TEST(ResourcesV1, DeviceRulesWithoutADenyAllStillStartFromOne) {
  std::vector<DeviceRule> rules = {{true, 'c', 5, 1, kDevAccessRead}};
  EXPECT_EQ(deviceRulesV1(rules),
            (Writes{{"devices", "devices.deny", "a"}, {"devices", "devices.allow", "c 5:1 r"}}));
}

TEST(ResourcesV1, DeviceRulesStartingWithAllowAllAllowEverything) {
  std::vector<DeviceRule> rules = {{true, 'a', std::nullopt, std::nullopt, kDevAccessAll},
                                   {false, 'c', 10, 200, kDevAccessAll}};
  EXPECT_EQ(deviceRulesV1(rules), (Writes{{"devices", "devices.allow", "a"},
                                          {"devices", "devices.deny", "c 10:200 rwm"}}));
}

}  // namespace
}  // namespace sangja::cgroups
