// linux.resources -> cgroup v2 files: the pure translation field by field,
// the conversions, and applyWrites/probeCgroup against a temp directory
// standing in for a cgroup. No root, no real cgroupfs.
#include "cgroups/resources.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "tests/unit/temp_dir.h"

// The spec structs are built with designated initializers naming only the
// fields a test is about; the rest stay at their defaults (unset), which is
// the point, so GCC's warning about them is off in this file.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace sangja::cgroups {

// Readable failures: {memory.max = "1048576"}.
void PrintTo(const CgroupWrite& w, std::ostream* os) {
  *os << "{" << w.file << " = \"" << w.value << "\"}";
}

namespace {

using testutil::TempDir;
using W = CgroupWrite;
using Writes = std::vector<CgroupWrite>;

CgroupFacts allControllers() {
  CgroupFacts f;
  f.controllers = {"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"};
  return f;
}

CgroupFacts only(std::initializer_list<std::string_view> controllers) {
  CgroupFacts f;
  f.controllers = ControllerSet(controllers);
  return f;
}

Writes writesOf(const spec::Resources& r, const CgroupFacts& facts = allControllers()) {
  Result<Writes> res = translateResources(r, facts);
  EXPECT_TRUE(res.ok()) << res.error().message();
  return res.ok() ? *res : Writes{};
}

std::string errorOf(const spec::Resources& r, const CgroupFacts& facts = allControllers()) {
  Result<Writes> res = translateResources(r, facts);
  EXPECT_FALSE(res.ok()) << "translation unexpectedly succeeded";
  return res.ok() ? std::string() : res.error().message();
}

spec::Resources withMemory(spec::Memory m) {
  spec::Resources r;
  r.memory = m;
  return r;
}

spec::Resources withCpu(spec::Cpu c) {
  spec::Resources r;
  r.cpu = c;
  return r;
}

spec::Resources withBlockIo(spec::BlockIo b) {
  spec::Resources r;
  r.blockIO = b;
  return r;
}

spec::Resources withPids(int64_t limit) {
  spec::Resources r;
  r.pids = spec::Pids{limit};
  return r;
}

spec::Resources withUnified(std::map<std::string, std::string> unified) {
  spec::Resources r;
  r.unified = std::move(unified);
  return r;
}

constexpr int64_t kMiB = 1048576;

// ---- conversions ----

TEST(CgroupResourcesConvert, CpuSharesToWeightEdges) {
  EXPECT_EQ(cpuSharesToWeight(0), 0u);  // unset
  EXPECT_EQ(cpuSharesToWeight(1), 1u);
  EXPECT_EQ(cpuSharesToWeight(2), 1u);  // v1 minimum -> v2 minimum
  EXPECT_EQ(cpuSharesToWeight(3), 2u);
  EXPECT_EQ(cpuSharesToWeight(1024), 100u);  // default -> default
  EXPECT_EQ(cpuSharesToWeight(2048), 174u);
  EXPECT_EQ(cpuSharesToWeight(262143), 10000u);
  EXPECT_EQ(cpuSharesToWeight(262144), 10000u);  // v1 maximum -> v2 maximum
  EXPECT_EQ(cpuSharesToWeight(1000000), 10000u);
}

TEST(CgroupResourcesConvert, CpuSharesToWeightIsMonotonic) {
  uint64_t previous = 0;
  for (uint64_t shares = 1; shares <= 262144; shares += 97) {
    uint64_t weight = cpuSharesToWeight(shares);
    EXPECT_GE(weight, previous) << "shares " << shares;
    EXPECT_GE(weight, 1u);
    EXPECT_LE(weight, 10000u);
    previous = weight;
  }
}

TEST(CgroupResourcesConvert, BlkioWeightToIoWeightEdges) {
  EXPECT_EQ(blkioWeightToIoWeight(0), 0u);  // unset
  EXPECT_EQ(blkioWeightToIoWeight(10), 1u);
  EXPECT_EQ(blkioWeightToIoWeight(100), 910u);
  EXPECT_EQ(blkioWeightToIoWeight(500), 4950u);
  EXPECT_EQ(blkioWeightToIoWeight(1000), 10000u);
}

TEST(CgroupResourcesConvert, BlkioWeightOutsideItsRangeIsClamped) {
  EXPECT_EQ(blkioWeightToIoWeight(1), 1u);  // runc's formula would wrap around
  EXPECT_EQ(blkioWeightToIoWeight(9), 1u);
  EXPECT_EQ(blkioWeightToIoWeight(1001), 10000u);
  EXPECT_EQ(blkioWeightToIoWeight(65535), 10000u);
}

// ---- parseControllers ----

TEST(CgroupResourcesControllers, ParsesACgroupControllersLine) {
  ControllerSet set = parseControllers("cpuset cpu io memory hugetlb pids rdma misc\n");
  EXPECT_EQ(set.names(), (std::vector<std::string>{"cpu", "cpuset", "hugetlb", "io", "memory",
                                                   "misc", "pids", "rdma"}));
  EXPECT_TRUE(set.has("memory"));
  EXPECT_TRUE(set.has("cpuset"));
  EXPECT_FALSE(set.has("cpusetx"));
  EXPECT_FALSE(set.has("mem"));
  EXPECT_FALSE(set.has(""));
}

TEST(CgroupResourcesControllers, EmptyFileHasNoControllers) {
  EXPECT_TRUE(parseControllers("").names().empty());
  EXPECT_TRUE(parseControllers("\n").names().empty());
  EXPECT_FALSE(parseControllers("\n").has("cpu"));
}

TEST(CgroupResourcesControllers, ToleratesExtraWhitespaceAndDuplicates) {
  ControllerSet set = parseControllers("  hugetlb\tmemory  hugetlb \n\n");
  EXPECT_EQ(set.names(), (std::vector<std::string>{"hugetlb", "memory"}));
}

// ---- memory ----

TEST(CgroupResourcesMemory, LimitAndReservation) {
  EXPECT_EQ(writesOf(withMemory({.limit = kMiB, .reservation = kMiB / 2})),
            (Writes{{"memory.max", "1048576"}, {"memory.low", "524288"}}));
}

TEST(CgroupResourcesMemory, UnlimitedLimitAlsoLiftsSwap) {
  // runc: limit -1 with no swap given means both unlimited (as on v1).
  EXPECT_EQ(writesOf(withMemory({.limit = -1})),
            (Writes{{"memory.swap.max", "max"}, {"memory.max", "max"}}));
}

TEST(CgroupResourcesMemory, ReservationMinusOneIsMax) {
  EXPECT_EQ(writesOf(withMemory({.reservation = -1})), (Writes{{"memory.low", "max"}}));
}

TEST(CgroupResourcesMemory, SwapIsMemoryPlusSwapMinusLimit) {
  EXPECT_EQ(writesOf(withMemory({.limit = kMiB, .swap = 3 * kMiB})),
            (Writes{{"memory.swap.max", "2097152"}, {"memory.max", "1048576"}}));
}

TEST(CgroupResourcesMemory, SwapEqualToLimitMeansNoSwap) {
  EXPECT_EQ(writesOf(withMemory({.limit = kMiB, .swap = kMiB})),
            (Writes{{"memory.swap.max", "0"}, {"memory.max", "1048576"}}));
}

TEST(CgroupResourcesMemory, SwapMinusOneIsMax) {
  EXPECT_EQ(writesOf(withMemory({.limit = kMiB, .swap = -1})),
            (Writes{{"memory.swap.max", "max"}, {"memory.max", "1048576"}}));
}

TEST(CgroupResourcesMemory, SwapWithUnlimitedMemoryIsTakenAsIs) {
  EXPECT_EQ(writesOf(withMemory({.limit = -1, .swap = 5 * kMiB})),
            (Writes{{"memory.swap.max", "5242880"}, {"memory.max", "max"}}));
}

TEST(CgroupResourcesMemory, SwapWithoutLimitIsAnError) {
  EXPECT_EQ(errorOf(withMemory({.swap = kMiB})),
            "linux.resources.memory.swap: cannot set a swap limit without memory.limit");
}

TEST(CgroupResourcesMemory, SwapBelowLimitIsAnError) {
  EXPECT_EQ(errorOf(withMemory({.limit = 2 * kMiB, .swap = kMiB})),
            "linux.resources.memory.swap: 1048576 is below memory.limit 2097152 (swap is the "
            "memory+swap limit)");
}

TEST(CgroupResourcesMemory, NegativeValuesOtherThanMinusOneAreErrors) {
  EXPECT_EQ(errorOf(withMemory({.limit = -2})),
            "linux.resources.memory.limit: -2 is neither a byte count nor -1 (unlimited)");
  EXPECT_EQ(errorOf(withMemory({.reservation = -5})),
            "linux.resources.memory.reservation: -5 is neither a byte count nor -1 (unlimited)");
  EXPECT_EQ(errorOf(withMemory({.limit = kMiB, .swap = -3})),
            "linux.resources.memory.swap: -3 is neither a byte count nor -1 (unlimited)");
}

TEST(CgroupResourcesMemory, ZeroMeansUnset) {
  // Nothing to write, so no memory controller needed either.
  EXPECT_EQ(writesOf(withMemory({.limit = 0, .reservation = 0, .swap = 0}), only({})), Writes{});
}

TEST(CgroupResourcesMemory, FieldsWithoutV2FilesAreIgnored) {
  // kernel/kernelTCP (runc ignores them), swappiness and disableOOMKiller
  // (no v2 file; runc ignores them), useHierarchy (always on), and
  // checkBeforeUpdate (an update-time check).
  spec::Memory m{.kernel = kMiB,
                 .kernelTCP = kMiB,
                 .swappiness = 60,
                 .disableOOMKiller = true,
                 .useHierarchy = false,
                 .checkBeforeUpdate = true};
  EXPECT_EQ(writesOf(withMemory(m), only({})), Writes{});
  m.limit = kMiB;
  EXPECT_EQ(writesOf(withMemory(m)), (Writes{{"memory.max", "1048576"}}));
}

TEST(CgroupResourcesMemory, WithoutSwapAccountingMaxAndZeroAreDropped) {
  CgroupFacts facts = allControllers();
  facts.memorySwapMax = false;
  EXPECT_EQ(writesOf(withMemory({.limit = -1}), facts), (Writes{{"memory.max", "max"}}));
  EXPECT_EQ(writesOf(withMemory({.limit = kMiB, .swap = kMiB}), facts),
            (Writes{{"memory.max", "1048576"}}));
  EXPECT_EQ(writesOf(withMemory({.limit = kMiB, .swap = -1}), facts),
            (Writes{{"memory.max", "1048576"}}));
}

TEST(CgroupResourcesMemory, WithoutSwapAccountingASwapLimitIsAnError) {
  CgroupFacts facts = allControllers();
  facts.memorySwapMax = false;
  EXPECT_EQ(errorOf(withMemory({.limit = kMiB, .swap = 2 * kMiB}), facts),
            "linux.resources.memory.swap: swap accounting is not available (no memory.swap.max "
            "in this cgroup)");
}

TEST(CgroupResourcesMemory, MissingControllerIsNamed) {
  EXPECT_EQ(errorOf(withMemory({.limit = kMiB}), only({"cpu", "pids"})),
            "linux.resources.memory: the memory controller is not available in this cgroup");
}

TEST(CgroupResourcesMemory, ConfigErrorsComeBeforeControllerErrors) {
  // The same bad config fails the same way on every host.
  EXPECT_EQ(errorOf(withMemory({.limit = 2 * kMiB, .swap = kMiB}), only({})),
            "linux.resources.memory.swap: 1048576 is below memory.limit 2097152 (swap is the "
            "memory+swap limit)");
}

// ---- checkMemoryBeforeUpdate ----

TEST(CgroupResourcesCheckBeforeUpdate, WithoutTheFlagAnythingGoes) {
  EXPECT_TRUE(checkMemoryBeforeUpdate({.limit = 1}, 100 * kMiB).ok());
  EXPECT_TRUE(checkMemoryBeforeUpdate({.limit = 1, .checkBeforeUpdate = false}, 100 * kMiB).ok());
}

TEST(CgroupResourcesCheckBeforeUpdate, LimitAtOrBelowUsageIsRejected) {
  Status below = checkMemoryBeforeUpdate({.limit = kMiB, .checkBeforeUpdate = true}, 2 * kMiB);
  ASSERT_FALSE(below.ok());
  EXPECT_EQ(below.error().message(),
            "linux.resources.memory.limit: 1048576 is not above the current usage 2097152 "
            "(checkBeforeUpdate)");
  Status equal = checkMemoryBeforeUpdate({.limit = kMiB, .checkBeforeUpdate = true}, kMiB);
  ASSERT_FALSE(equal.ok());
  EXPECT_EQ(equal.error().message(),
            "linux.resources.memory.limit: 1048576 is not above the current usage 1048576 "
            "(checkBeforeUpdate)");
}

TEST(CgroupResourcesCheckBeforeUpdate, LimitAboveUsageOrUnlimitedPasses) {
  EXPECT_TRUE(checkMemoryBeforeUpdate({.limit = 2 * kMiB, .checkBeforeUpdate = true}, kMiB).ok());
  EXPECT_TRUE(checkMemoryBeforeUpdate({.limit = -1, .checkBeforeUpdate = true}, kMiB).ok());
  EXPECT_TRUE(checkMemoryBeforeUpdate({.checkBeforeUpdate = true}, kMiB).ok());
}

TEST(CgroupResourcesCheckBeforeUpdate, SwapAtOrBelowUsageIsRejected) {
  Status st = checkMemoryBeforeUpdate(
      {.limit = 4 * kMiB, .swap = 2 * kMiB, .checkBeforeUpdate = true}, 3 * kMiB);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "linux.resources.memory.swap: 2097152 is not above the current usage 3145728 "
            "(checkBeforeUpdate)");
}

// ---- cpu ----

TEST(CgroupResourcesCpu, SharesBecomeWeight) {
  EXPECT_EQ(writesOf(withCpu({.shares = 1024})), (Writes{{"cpu.weight", "100"}}));
  EXPECT_EQ(writesOf(withCpu({.shares = 2})), (Writes{{"cpu.weight", "1"}}));
}

TEST(CgroupResourcesCpu, ZeroSharesMeanUnset) {
  EXPECT_EQ(writesOf(withCpu({.shares = 0}), only({})), Writes{});
}

// containerd's `ctr run` asks for shares 1024 (the default weight); a
// cgroup without a cpu controller (hybrid host) gives just that.
TEST(CgroupResourcesCpu, DefaultSharesWithoutCpuControllerAreNothingToWrite) {
  EXPECT_EQ(writesOf(withCpu({.shares = 1024}), only({"pids"})), Writes{});
}

TEST(CgroupResourcesCpu, AnythingBeyondTheDefaultStillNeedsTheController) {
  const std::string missing =
      "linux.resources.cpu: the cpu controller is not available in this cgroup";
  EXPECT_EQ(errorOf(withCpu({.shares = 512}), only({"pids"})), missing);
  EXPECT_EQ(errorOf(withCpu({.shares = 1024, .quota = 50000}), only({"pids"})), missing);
  EXPECT_EQ(errorOf(withCpu({.shares = 1024, .idle = 1}), only({"pids"})), missing);
}

TEST(CgroupResourcesCpu, QuotaAndPeriod) {
  EXPECT_EQ(writesOf(withCpu({.quota = 50000, .period = 200000})),
            (Writes{{"cpu.max", "50000 200000"}}));
}

TEST(CgroupResourcesCpu, QuotaAloneGetsTheDefaultPeriod) {
  EXPECT_EQ(writesOf(withCpu({.quota = 50000})), (Writes{{"cpu.max", "50000 100000"}}));
}

TEST(CgroupResourcesCpu, PeriodAloneOrUnlimitedQuotaIsMax) {
  EXPECT_EQ(writesOf(withCpu({.period = 200000})), (Writes{{"cpu.max", "max 200000"}}));
  EXPECT_EQ(writesOf(withCpu({.quota = -1})), (Writes{{"cpu.max", "max 100000"}}));
  EXPECT_EQ(writesOf(withCpu({.quota = -1, .period = 50000})), (Writes{{"cpu.max", "max 50000"}}));
}

TEST(CgroupResourcesCpu, BurstAlone) {
  EXPECT_EQ(writesOf(withCpu({.burst = 10000})), (Writes{{"cpu.max.burst", "10000"}}));
  EXPECT_EQ(writesOf(withCpu({.burst = 0})), (Writes{{"cpu.max.burst", "0"}}));
}

TEST(CgroupResourcesCpu, BurstWithQuotaIsZeroedAroundCpuMax) {
  // Valid whatever the old quota and burst were.
  EXPECT_EQ(
      writesOf(withCpu({.quota = 50000, .burst = 10000})),
      (Writes{{"cpu.max.burst", "0"}, {"cpu.max", "50000 100000"}, {"cpu.max.burst", "10000"}}));
  EXPECT_EQ(writesOf(withCpu({.quota = 50000, .burst = 0})),
            (Writes{{"cpu.max.burst", "0"}, {"cpu.max", "50000 100000"}}));
}

TEST(CgroupResourcesCpu, BurstAboveQuotaIsAnError) {
  EXPECT_EQ(errorOf(withCpu({.quota = 50000, .burst = 50001})),
            "linux.resources.cpu.burst: 50001 is larger than cpu.quota 50000");
  // Equal is fine; an unlimited quota bounds nothing.
  EXPECT_EQ(writesOf(withCpu({.quota = 50000, .burst = 50000})).size(), 3u);
  EXPECT_EQ(writesOf(withCpu({.quota = -1, .burst = 90000})).size(), 3u);
}

TEST(CgroupResourcesCpu, IdleLeavingGoesBeforeWeightEnteringAfter) {
  EXPECT_EQ(writesOf(withCpu({.shares = 1024, .idle = 0})),
            (Writes{{"cpu.idle", "0"}, {"cpu.weight", "100"}}));
  EXPECT_EQ(writesOf(withCpu({.shares = 1024, .idle = 1})),
            (Writes{{"cpu.weight", "100"}, {"cpu.idle", "1"}}));
  EXPECT_EQ(writesOf(withCpu({.idle = 1})), (Writes{{"cpu.idle", "1"}}));
}

TEST(CgroupResourcesCpu, EverythingInOrder) {
  EXPECT_EQ(writesOf(withCpu({.shares = 2048,
                              .quota = 20000,
                              .burst = 5000,
                              .period = 40000,
                              .cpus = "0-1",
                              .mems = "0",
                              .idle = 0})),
            (Writes{{"cpu.idle", "0"},
                    {"cpu.weight", "174"},
                    {"cpu.max.burst", "0"},
                    {"cpu.max", "20000 40000"},
                    {"cpu.max.burst", "5000"},
                    {"cpuset.cpus", "0-1"},
                    {"cpuset.mems", "0"}}));
}

TEST(CgroupResourcesCpu, RealtimeRuntimeIsRejected) {
  EXPECT_EQ(errorOf(withCpu({.realtimeRuntime = 950000})),
            "linux.resources.cpu.realtimeRuntime: real-time CPU bandwidth (cpu.rt_runtime_us) "
            "is not available on cgroup v2");
}

TEST(CgroupResourcesCpu, RealtimePeriodIsRejected) {
  EXPECT_EQ(errorOf(withCpu({.realtimePeriod = 1000000})),
            "linux.resources.cpu.realtimePeriod: real-time CPU bandwidth (cpu.rt_period_us) is "
            "not available on cgroup v2");
}

TEST(CgroupResourcesCpu, ZeroRealtimeFieldsPass) {
  EXPECT_EQ(writesOf(withCpu({.realtimeRuntime = 0, .realtimePeriod = 0}), only({})), Writes{});
}

TEST(CgroupResourcesCpu, MissingControllerIsNamed) {
  EXPECT_EQ(errorOf(withCpu({.shares = 512}), only({"cpuset", "memory"})),
            "linux.resources.cpu: the cpu controller is not available in this cgroup");
}

// ---- cpuset ----

TEST(CgroupResourcesCpuset, CpusAndMems) {
  EXPECT_EQ(writesOf(withCpu({.cpus = "0-3,7", .mems = "0-1"})),
            (Writes{{"cpuset.cpus", "0-3,7"}, {"cpuset.mems", "0-1"}}));
  EXPECT_EQ(writesOf(withCpu({.mems = "0"})), (Writes{{"cpuset.mems", "0"}}));
}

TEST(CgroupResourcesCpuset, NeedsOnlyTheCpusetController) {
  EXPECT_EQ(writesOf(withCpu({.cpus = "1"}), only({"cpuset"})), (Writes{{"cpuset.cpus", "1"}}));
}

TEST(CgroupResourcesCpuset, MissingControllerIsNamed) {
  EXPECT_EQ(errorOf(withCpu({.cpus = "1"}), only({"cpu"})),
            "linux.resources.cpu.cpus: the cpuset controller is not available in this cgroup");
  EXPECT_EQ(errorOf(withCpu({.mems = "0"}), only({"cpu"})),
            "linux.resources.cpu.mems: the cpuset controller is not available in this cgroup");
}

// ---- blockIO ----

TEST(CgroupResourcesBlockIo, WeightIsConvertedForIoWeight) {
  EXPECT_EQ(writesOf(withBlockIo({.weight = 500})), (Writes{{"io.weight", "4950"}}));
  EXPECT_EQ(writesOf(withBlockIo({.weight = 10})), (Writes{{"io.weight", "1"}}));
}

TEST(CgroupResourcesBlockIo, WeightGoesUnconvertedToBfq) {
  CgroupFacts facts = allControllers();
  facts.ioBfqWeight = true;
  EXPECT_EQ(writesOf(withBlockIo({.weight = 500}), facts), (Writes{{"io.bfq.weight", "500"}}));
}

TEST(CgroupResourcesBlockIo, DeviceWeights) {
  spec::BlockIo b{.weightDevice = {{.major = 8, .minor = 0, .weight = 500},
                                   {.major = 8, .minor = 16, .weight = 1000}}};
  EXPECT_EQ(writesOf(withBlockIo(b)),
            (Writes{{"io.weight", "8:0 4950"}, {"io.weight", "8:16 10000"}}));
  CgroupFacts bfq = allControllers();
  bfq.ioBfqWeight = true;
  EXPECT_EQ(writesOf(withBlockIo(b), bfq),
            (Writes{{"io.bfq.weight", "8:0 500"}, {"io.bfq.weight", "8:16 1000"}}));
}

TEST(CgroupResourcesBlockIo, CgroupWeightComesBeforeDeviceWeights) {
  spec::BlockIo b{.weight = 100, .weightDevice = {{.major = 259, .minor = 0, .weight = 200}}};
  EXPECT_EQ(writesOf(withBlockIo(b)), (Writes{{"io.weight", "910"}, {"io.weight", "259:0 1920"}}));
}

TEST(CgroupResourcesBlockIo, ThrottlesAreOneIoMaxLinePerDeviceAndKey) {
  spec::BlockIo b{
      .throttleReadBpsDevice = {{8, 0, 1048576}, {8, 16, 2097152}},
      .throttleWriteBpsDevice = {{8, 0, 524288}},
      .throttleReadIOPSDevice = {{8, 0, 1000}},
      .throttleWriteIOPSDevice = {{259, 1, 300}},
  };
  EXPECT_EQ(writesOf(withBlockIo(b)), (Writes{{"io.max", "8:0 rbps=1048576"},
                                              {"io.max", "8:16 rbps=2097152"},
                                              {"io.max", "8:0 wbps=524288"},
                                              {"io.max", "8:0 riops=1000"},
                                              {"io.max", "259:1 wiops=300"}}));
}

TEST(CgroupResourcesBlockIo, LeafWeightIsRejected) {
  EXPECT_EQ(errorOf(withBlockIo({.weight = 500, .leafWeight = 300})),
            "linux.resources.blockIO.leafWeight: leafWeight (CFQ only) is not available on "
            "cgroup v2");
}

TEST(CgroupResourcesBlockIo, DeviceLeafWeightIsRejected) {
  spec::BlockIo b{.weightDevice = {{.major = 8, .minor = 0, .weight = 500},
                                   {.major = 8, .minor = 16, .leafWeight = 300}}};
  EXPECT_EQ(errorOf(withBlockIo(b)),
            "linux.resources.blockIO.weightDevice[1].leafWeight: leafWeight (CFQ only) is not "
            "available on cgroup v2");
}

TEST(CgroupResourcesBlockIo, MissingControllerIsNamed) {
  EXPECT_EQ(errorOf(withBlockIo({.throttleReadBpsDevice = {{8, 0, 1}}}), only({"memory"})),
            "linux.resources.blockIO: the io controller is not available in this cgroup");
}

// ---- pids ----

TEST(CgroupResourcesPids, Limit) {
  EXPECT_EQ(writesOf(withPids(100)), (Writes{{"pids.max", "100"}}));
}

TEST(CgroupResourcesPids, NegativeIsMax) {
  EXPECT_EQ(writesOf(withPids(-1)), (Writes{{"pids.max", "max"}}));
  EXPECT_EQ(writesOf(withPids(-7)), (Writes{{"pids.max", "max"}}));
}

TEST(CgroupResourcesPids, ZeroIsARealLimit) {
  // runtime-spec 1.3.0: 0 is a valid limit and SHOULD be treated as such.
  EXPECT_EQ(writesOf(withPids(0)), (Writes{{"pids.max", "0"}}));
}

TEST(CgroupResourcesPids, AbsentLimitWritesNothing) {
  spec::Resources r;
  r.pids = spec::Pids{};
  EXPECT_EQ(writesOf(r, only({})), Writes{});
}

TEST(CgroupResourcesPids, MissingControllerIsNamed) {
  EXPECT_EQ(errorOf(withPids(10), only({"hugetlb"})),
            "linux.resources.pids: the pids controller is not available in this cgroup");
}

TEST(CgroupResourcesPids, NoLimitNeedsNoController) {
  EXPECT_EQ(writesOf(withPids(-1), only({"memory"})), Writes{});
  EXPECT_EQ(errorOf(withPids(0), only({"memory"})),
            "linux.resources.pids: the pids controller is not available in this cgroup");
}

// ---- hugepageLimits ----

TEST(CgroupResourcesHugetlb, LimitsWithReservations) {
  spec::Resources r;
  r.hugepageLimits = {{"2MB", 209715200}, {"1GB", 1073741824}};
  CgroupFacts facts = allControllers();
  facts.hugetlbRsvd = true;
  EXPECT_EQ(writesOf(r, facts), (Writes{{"hugetlb.2MB.max", "209715200"},
                                        {"hugetlb.2MB.rsvd.max", "209715200"},
                                        {"hugetlb.1GB.max", "1073741824"},
                                        {"hugetlb.1GB.rsvd.max", "1073741824"}}));
}

TEST(CgroupResourcesHugetlb, LimitsWithoutReservations) {
  spec::Resources r;
  r.hugepageLimits = {{"2MB", 209715200}};
  EXPECT_EQ(writesOf(r, only({"hugetlb"})), (Writes{{"hugetlb.2MB.max", "209715200"}}));
}

TEST(CgroupResourcesHugetlb, PageSizeMustNotEscapeTheFileName) {
  spec::Resources r;
  r.hugepageLimits = {{"2MB", 1}, {"2MB/../../cgroup.procs", 1}};
  EXPECT_EQ(errorOf(r),
            "linux.resources.hugepageLimits[1].pageSize: \"2MB/../../cgroup.procs\" "
            "is not a page size such as \"2MB\"");
  r.hugepageLimits = {{"", 1}};
  EXPECT_EQ(errorOf(r),
            "linux.resources.hugepageLimits[0].pageSize: \"\" is not a page size such as \"2MB\"");
}

TEST(CgroupResourcesHugetlb, MissingControllerIsNamed) {
  spec::Resources r;
  r.hugepageLimits = {{"2MB", 1}};
  EXPECT_EQ(errorOf(r, only({"memory"})),
            "linux.resources.hugepageLimits: the hugetlb controller is not available in this "
            "cgroup");
}

// ---- rdma ----

TEST(CgroupResourcesRdma, OnlyTheGivenLimits) {
  spec::Resources r;
  r.rdma["mlx5_1"] = {.hcaHandles = 3, .hcaObjects = 10000};
  r.rdma["mlx4_0"] = {.hcaObjects = 1000};
  r.rdma["rxe3"] = {.hcaHandles = 7};
  EXPECT_EQ(writesOf(r), (Writes{{"rdma.max", "mlx4_0 hca_object=1000"},
                                 {"rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"},
                                 {"rdma.max", "rxe3 hca_handle=7"}}));
}

TEST(CgroupResourcesRdma, NeedsOneLimit) {
  spec::Resources r;
  r.rdma["mlx5_1"] = {};
  EXPECT_EQ(errorOf(r), "linux.resources.rdma[\"mlx5_1\"]: needs hcaHandles or hcaObjects");
}

TEST(CgroupResourcesRdma, DeviceNameMustBeOneToken) {
  spec::Resources r;
  r.rdma["mlx5_1 hca_handle=99\nmlx4_0"] = {.hcaHandles = 1};
  EXPECT_EQ(errorOf(r),
            "linux.resources.rdma[\"mlx5_1 hca_handle=99\nmlx4_0\"]: not a device name");
  r.rdma.clear();
  r.rdma[""] = {.hcaHandles = 1};
  EXPECT_EQ(errorOf(r), "linux.resources.rdma[\"\"]: not a device name");
}

TEST(CgroupResourcesRdma, MissingControllerIsNamed) {
  spec::Resources r;
  r.rdma["mlx5_1"] = {.hcaHandles = 3};
  EXPECT_EQ(errorOf(r, only({"cpu"})),
            "linux.resources.rdma: the rdma controller is not available in this cgroup");
}

// ---- network ----

TEST(CgroupResourcesNetwork, ClassIdIsRejected) {
  spec::Resources r;
  r.network = spec::Network{.classID = 1048577};
  EXPECT_EQ(errorOf(r),
            "linux.resources.network.classID: the net_cls controller (classID) is not available "
            "on cgroup v2");
}

TEST(CgroupResourcesNetwork, PrioritiesAreRejected) {
  spec::Resources r;
  r.network = spec::Network{.priorities = {{"eth0", 500}}};
  EXPECT_EQ(errorOf(r),
            "linux.resources.network.priorities: the net_prio controller (priorities) is not "
            "available on cgroup v2");
}

TEST(CgroupResourcesNetwork, AnEmptyNetworkObjectPasses) {
  spec::Resources r;
  r.network = spec::Network{};
  EXPECT_EQ(writesOf(r, only({})), Writes{});
  r.network->classID = 0;
  EXPECT_EQ(writesOf(r, only({})), Writes{});
}

// ---- unified ----

TEST(CgroupResourcesUnified, FilesAreWrittenVerbatim) {
  EXPECT_EQ(writesOf(withUnified({{"memory.high", "1073741824"}, {"pids.max", "max"}})),
            (Writes{{"memory.high", "1073741824"}, {"pids.max", "max"}}));
}

TEST(CgroupResourcesUnified, OneWritePerLine) {
  EXPECT_EQ(writesOf(withUnified(
                {{"io.max", "259:0 rbps=2097152 wiops=120\n253:0 rbps=2097152 wiops=120\n"}})),
            (Writes{{"io.max", "259:0 rbps=2097152 wiops=120"},
                    {"io.max", "253:0 rbps=2097152 wiops=120"}}));
}

TEST(CgroupResourcesUnified, EmptyValueWritesNothing) {
  EXPECT_EQ(writesOf(withUnified({{"memory.high", ""}}), only({})), Writes{});
}

TEST(CgroupResourcesUnified, CoreCgroupFilesNeedNoController) {
  EXPECT_EQ(writesOf(withUnified({{"cgroup.max.depth", "3"}}), only({})),
            (Writes{{"cgroup.max.depth", "3"}}));
}

// cgroup.procs with a host pid pulled that process into the container, and
// delete --force killed it. Refused even with an empty value (validation).
TEST(CgroupResourcesUnified, CoreFilesThatMoveOrReshapeAreRefused) {
  for (const char* key : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.type",
                          "cgroup.kill", "cgroup.freeze", "cgroup.events", "cgroup.whatever"}) {
    for (const char* value : {"1", ""}) {
      std::string err = errorOf(withUnified({{key, value}}), only({}));
      EXPECT_EQ(err.rfind("linux.resources.unified[\"" + std::string(key) + "\"]: not settable", 0),
                0u)
          << key << ": " << err;
    }
  }
}

TEST(CgroupResourcesUnified, CoreLimitsMayBeSet) {
  EXPECT_EQ(
      writesOf(withUnified({{"cgroup.max.descendants", "10"}, {"cgroup.pressure", "0"}}), only({})),
      (Writes{{"cgroup.max.descendants", "10"}, {"cgroup.pressure", "0"}}));
}

TEST(CgroupResourcesUnified, MissingControllerIsNamed) {
  EXPECT_EQ(errorOf(withUnified({{"misc.max", "res_a 1"}}), only({"memory"})),
            "linux.resources.unified[\"misc.max\"]: the misc controller is not available in "
            "this cgroup");
}

TEST(CgroupResourcesUnified, NamesOutsideTheCgroupAreRejected) {
  const std::string bad = "not a cgroup file name (it must be non-empty, without \"/\" or \"..\")";
  EXPECT_EQ(errorOf(withUnified({{"../memory.max", "1"}})),
            "linux.resources.unified[\"../memory.max\"]: " + bad);
  EXPECT_EQ(errorOf(withUnified({{"sub/memory.max", "1"}})),
            "linux.resources.unified[\"sub/memory.max\"]: " + bad);
  EXPECT_EQ(errorOf(withUnified({{"..", "1"}})), "linux.resources.unified[\"..\"]: " + bad);
  EXPECT_EQ(errorOf(withUnified({{"", "1"}})), "linux.resources.unified[\"\"]: " + bad);
}

TEST(CgroupResourcesUnified, NamesMustBeControllerDotParameter) {
  const std::string form = "must be of the form CONTROLLER.PARAMETER";
  EXPECT_EQ(errorOf(withUnified({{"memory", "1"}})),
            "linux.resources.unified[\"memory\"]: " + form);
  EXPECT_EQ(errorOf(withUnified({{".max", "1"}})), "linux.resources.unified[\".max\"]: " + form);
  EXPECT_EQ(errorOf(withUnified({{"memory.", "1"}})),
            "linux.resources.unified[\"memory.\"]: " + form);
}

TEST(CgroupResourcesUnified, BadNamesAreRejectedEvenWithEmptyValues) {
  EXPECT_FALSE(translateResources(withUnified({{"../x.y", ""}}), allControllers()).ok());
}

TEST(CgroupResourcesUnified, OverridesTheTypedFields) {
  spec::Resources r = withMemory({.limit = kMiB});
  r.unified = {{"memory.max", "2097152"}};
  EXPECT_EQ(writesOf(r), (Writes{{"memory.max", "1048576"}, {"memory.max", "2097152"}}));
}

// ---- everything together ----

spec::Resources everything() {
  spec::Resources r;
  r.memory = spec::Memory{.limit = 2 * kMiB, .reservation = kMiB, .swap = 3 * kMiB};
  r.cpu = spec::Cpu{.shares = 1024, .quota = 50000, .cpus = "0", .mems = "0"};
  r.pids = spec::Pids{64};
  r.blockIO = spec::BlockIo{.weight = 1000, .throttleWriteBpsDevice = {{8, 0, 4096}}};
  r.hugepageLimits = {{"2MB", 4194304}};
  r.rdma["mlx5_1"] = {.hcaHandles = 2};
  r.unified = {{"memory.high", "1500000"}, {"cgroup.max.descendants", "10"}};
  r.devices = {{.allow = false, .access = "rwm"}};  // not handled here
  return r;
}

TEST(CgroupResourcesAll, WritesInRuncsControllerOrder) {
  EXPECT_EQ(writesOf(everything()), (Writes{{"pids.max", "64"},
                                            {"memory.swap.max", "1048576"},
                                            {"memory.max", "2097152"},
                                            {"memory.low", "1048576"},
                                            {"io.weight", "10000"},
                                            {"io.max", "8:0 wbps=4096"},
                                            {"cpu.weight", "100"},
                                            {"cpu.max", "50000 100000"},
                                            {"cpuset.cpus", "0"},
                                            {"cpuset.mems", "0"},
                                            {"hugetlb.2MB.max", "4194304"},
                                            {"rdma.max", "mlx5_1 hca_handle=2"},
                                            {"cgroup.max.descendants", "10"},
                                            {"memory.high", "1500000"}}));
}

TEST(CgroupResourcesAll, EmptyResourcesWriteNothing) {
  EXPECT_EQ(writesOf(spec::Resources{}, only({})), Writes{});
}

// ---- controllersNeeded ----

TEST(CgroupResourcesNeeded, Everything) {
  EXPECT_EQ(controllersNeeded(everything()),
            (std::vector<std::string>{"cpu", "cpuset", "hugetlb", "io", "memory", "pids", "rdma"}));
}

TEST(CgroupResourcesNeeded, NothingSetNeedsNothing) {
  spec::Resources r;
  r.memory = spec::Memory{.limit = 0, .swappiness = 10, .disableOOMKiller = false};
  r.cpu = spec::Cpu{.shares = 0};
  r.network = spec::Network{};
  r.unified = {{"cgroup.max.depth", "2"}, {"memory.high", ""}};
  EXPECT_TRUE(controllersNeeded(r).empty());
  EXPECT_TRUE(controllersNeeded(spec::Resources{}).empty());
}

TEST(CgroupResourcesNeeded, CpusetWithoutCpu) {
  EXPECT_EQ(controllersNeeded(withCpu({.cpus = "0-1"})), (std::vector<std::string>{"cpuset"}));
  EXPECT_EQ(controllersNeeded(withCpu({.idle = 1})), (std::vector<std::string>{"cpu"}));
}

TEST(CgroupResourcesNeeded, UnifiedControllersAreIncluded) {
  EXPECT_EQ(controllersNeeded(withUnified(
                {{"misc.max", "a 1"}, {"memory.high", "1"}, {"memory.low", "1"}, {"bogus", "1"}})),
            (std::vector<std::string>{"memory", "misc"}));
}

TEST(CgroupResourcesNeeded, AgreesWithTheWrites) {
  // Every controller a write uses is needed, and nothing else.
  std::set<std::string> used;
  for (const CgroupWrite& w : writesOf(everything())) {
    std::string controller = w.file.substr(0, w.file.find('.'));
    if (controller != "cgroup") used.insert(controller);
  }
  std::vector<std::string> needed = controllersNeeded(everything());
  EXPECT_EQ(std::vector<std::string>(used.begin(), used.end()), needed);
  // And the writes succeed with exactly those controllers.
  CgroupFacts facts;
  for (const std::string& c : needed) facts.controllers.add(c);
  EXPECT_TRUE(translateResources(everything(), facts).ok());
}

// ---- applyWrites, against a temp directory standing in for a cgroup ----

class CgroupResourcesApply : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.reset(::open(tmp_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir_.valid());
  }
  std::string read(const std::string& rel) const {
    std::ifstream in(tmp_.sub(rel), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  TempDir tmp_;
  UniqueFd dir_;
};

TEST_F(CgroupResourcesApply, WritesEachValueToItsFile) {
  tmp_.write("memory.max", "max\n");
  tmp_.write("pids.max", "max\n");
  tmp_.write("cpu.max", "max 100000\n");
  Status st = applyWrites(
      dir_.get(), {{"memory.max", "1048576"}, {"pids.max", "64"}, {"cpu.max", "50000 100000"}});
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(read("memory.max"), "1048576");
  EXPECT_EQ(read("pids.max"), "64");
  EXPECT_EQ(read("cpu.max"), "50000 100000");
}

TEST_F(CgroupResourcesApply, ConsecutiveWritesToOneFileShareOneOpen) {
  // On cgroupfs each write(2) is one command; on a plain file they follow
  // each other, which shows that the file was opened (and truncated) once.
  tmp_.write("io.max", "old content that is long\n");
  Status st = applyWrites(dir_.get(), {{"io.max", "8:0 rbps=1"}, {"io.max", "8:16 wbps=2"}});
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(read("io.max"), "8:0 rbps=18:16 wbps=2");
}

TEST_F(CgroupResourcesApply, ALaterWriteToTheSameFileReopensIt) {
  tmp_.write("cpu.max.burst", "0");
  tmp_.write("cpu.max", "max 100000");
  Status st = applyWrites(
      dir_.get(),
      {{"cpu.max.burst", "0"}, {"cpu.max", "50000 100000"}, {"cpu.max.burst", "10000"}});
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(read("cpu.max.burst"), "10000");
}

TEST_F(CgroupResourcesApply, AMissingFileIsNamedAndNotCreated) {
  tmp_.write("pids.max", "max");
  Status st =
      applyWrites(dir_.get(), {{"pids.max", "64"}, {"memory.max", "1048576"}, {"pids.max", "99"}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "write \"1048576\" to memory.max: No such file or directory");
  EXPECT_EQ(st.error().code(), ENOENT);
  EXPECT_FALSE(tmp_.exists("memory.max"));
  // Stopped at the failure: the later write did not happen.
  EXPECT_EQ(read("pids.max"), "64");
}

TEST_F(CgroupResourcesApply, SymlinksAreNotFollowed) {
  tmp_.write("outside", "untouched");
  ASSERT_EQ(::symlink(tmp_.sub("outside").c_str(), tmp_.sub("memory.max").c_str()), 0);
  Status st = applyWrites(dir_.get(), {{"memory.max", "1"}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ELOOP);
  EXPECT_EQ(read("outside"), "untouched");
}

TEST_F(CgroupResourcesApply, NothingToWriteIsFine) {
  EXPECT_TRUE(applyWrites(dir_.get(), {}).ok());
}

TEST_F(CgroupResourcesApply, TranslatedWritesLandInTheFiles) {
  for (const char* f : {"pids.max", "memory.swap.max", "memory.max", "memory.low", "io.weight",
                        "io.max", "cpu.weight", "cpu.max", "cpuset.cpus", "cpuset.mems",
                        "hugetlb.2MB.max", "rdma.max", "cgroup.max.descendants", "memory.high"}) {
    tmp_.write(f, "");
  }
  Status st = applyWrites(dir_.get(), writesOf(everything()));
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(read("memory.max"), "2097152");
  EXPECT_EQ(read("memory.swap.max"), "1048576");
  EXPECT_EQ(read("cpu.max"), "50000 100000");
  EXPECT_EQ(read("memory.high"), "1500000");
}

// ---- probeCgroup ----

TEST_F(CgroupResourcesApply, ProbeFindsControllersAndOptionalFiles) {
  tmp_.write("cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
  tmp_.write("io.bfq.weight", "default 100\n");
  tmp_.write("memory.swap.max", "max\n");
  tmp_.write("hugetlb.2MB.max", "max\n");
  tmp_.write("hugetlb.2MB.rsvd.max", "max\n");
  Result<CgroupFacts> facts = probeCgroup(dir_.get());
  ASSERT_TRUE(facts.ok()) << facts.error().message();
  EXPECT_EQ(facts->controllers.names(),
            (std::vector<std::string>{"cpu", "cpuset", "hugetlb", "io", "memory", "pids"}));
  EXPECT_TRUE(facts->ioBfqWeight);
  EXPECT_TRUE(facts->memorySwapMax);
  EXPECT_TRUE(facts->hugetlbRsvd);
}

TEST_F(CgroupResourcesApply, ProbeWithoutOptionalFiles) {
  tmp_.write("cgroup.controllers", "hugetlb\n");
  tmp_.write("hugetlb.2MB.max", "max\n");
  Result<CgroupFacts> facts = probeCgroup(dir_.get());
  ASSERT_TRUE(facts.ok()) << facts.error().message();
  EXPECT_EQ(facts->controllers.names(), (std::vector<std::string>{"hugetlb"}));
  EXPECT_FALSE(facts->ioBfqWeight);
  EXPECT_FALSE(facts->memorySwapMax);
  EXPECT_FALSE(facts->hugetlbRsvd);
}

TEST_F(CgroupResourcesApply, ProbeNeedsCgroupControllers) {
  Result<CgroupFacts> facts = probeCgroup(dir_.get());
  ASSERT_FALSE(facts.ok());
  EXPECT_EQ(facts.error().message(), "open cgroup.controllers: No such file or directory");
}

// ---- update's merge with the limits in force ----

TEST(CurrentLimits, ParsedFromTheV2Files) {
  EXPECT_EQ(parseCurrentLimits("max\n", "max 100000\n"), (CurrentLimits{-1, 100000u}));
  EXPECT_EQ(parseCurrentLimits("536870912\n", "50000 100000\n"),
            (CurrentLimits{536870912, 100000u}));
  EXPECT_EQ(parseCurrentLimits("", ""), (CurrentLimits{std::nullopt, std::nullopt}));
  EXPECT_EQ(parseCurrentLimits("12x", "50000 abc"), (CurrentLimits{std::nullopt, std::nullopt}));
  EXPECT_EQ(parseCurrentLimits("1", "50000 0"), (CurrentLimits{1, std::nullopt}))
      << "a zero period is no period";
}

TEST(CurrentLimits, AnUpdateTakesOnlyTheMissingPartner) {
  CurrentLimits current{1000, 20000u};
  spec::Resources swapOnly;
  swapOnly.memory.emplace().swap = 3000;
  spec::Resources merged = mergeWithCurrent(swapOnly, current);
  EXPECT_EQ(merged.memory->limit, 1000);
  EXPECT_EQ(merged.memory->swap, 3000);

  spec::Resources both;
  both.memory.emplace().swap = 3000;
  both.memory->limit = 2000;
  EXPECT_EQ(mergeWithCurrent(both, current).memory->limit, 2000) << "the update's own limit wins";

  spec::Resources quota;
  quota.cpu.emplace().quota = 5000;
  EXPECT_EQ(mergeWithCurrent(quota, current).cpu->period, 20000u);
  quota.cpu->period = 10000;
  EXPECT_EQ(mergeWithCurrent(quota, current).cpu->period, 10000u);

  spec::Resources limitOnly;
  limitOnly.memory.emplace().limit = 5;
  EXPECT_FALSE(mergeWithCurrent(limitOnly, current).memory->swap.has_value())
      << "nothing is added that the update did not pair";
}

}  // namespace
}  // namespace sangja::cgroups
