#include "cgroups/stats.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/unit/temp_dir.h"

namespace sangja::cgroups {
namespace {

class CgroupStats : public ::testing::Test {
 protected:
  void put(const std::string& name, const std::string& content) {
    std::ofstream(dir.sub(name)) << content;
  }
  nlohmann::ordered_json stats() {
    auto r = readStats(dir.path());
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return r.ok() ? *r : nlohmann::ordered_json();
  }
  testutil::TempDir dir;
};

TEST_F(CgroupStats, NotACgroupIsAnError) {
  auto r = readStats(dir.sub("missing"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "cgroup " + dir.sub("missing") + " does not exist");
}

TEST_F(CgroupStats, OnlyCoreFilesGiveEmptyControllerSections) {
  put("cgroup.procs", "1\n");
  auto s = stats();
  EXPECT_EQ(s["cpu"], nlohmann::ordered_json::object());
  EXPECT_EQ(s["memory"], nlohmann::ordered_json::object());
  EXPECT_EQ(s["pids"], nlohmann::ordered_json::object());
  EXPECT_EQ(s["blkio"], nlohmann::ordered_json::object());
  EXPECT_EQ(s["hugetlb"], nlohmann::ordered_json::object());
}

TEST_F(CgroupStats, CpuFromCpuStatInNanoseconds) {
  put("cgroup.procs", "");
  put("cpu.stat",
      "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 3\n"
      "throttled_usec 20\n");
  auto cpu = stats()["cpu"];
  EXPECT_EQ(cpu["usage"]["total"], 1500000u);
  EXPECT_EQ(cpu["usage"]["user"], 1000000u);
  EXPECT_EQ(cpu["usage"]["kernel"], 500000u);
  EXPECT_EQ(cpu["throttling"]["periods"], 7u);
  EXPECT_EQ(cpu["throttling"]["throttledPeriods"], 3u);
  EXPECT_EQ(cpu["throttling"]["throttledTime"], 20000u);
}

TEST_F(CgroupStats, MemoryUsageLimitFailcntAndSwapAsMemoryPlusSwap) {
  put("cgroup.procs", "");
  put("memory.current", "4096\n");
  put("memory.max", "1048576\n");
  put("memory.peak", "8192\n");
  put("memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n");
  put("memory.stat", "anon 1024\nfile 2048\n");
  put("memory.swap.current", "100\n");
  put("memory.swap.max", "max\n");
  auto memory = stats()["memory"];
  EXPECT_EQ(memory["cache"], 2048u);
  EXPECT_EQ(memory["usage"]["usage"], 4096u);
  EXPECT_EQ(memory["usage"]["limit"], 1048576u);
  EXPECT_EQ(memory["usage"]["max"], 8192u);
  EXPECT_EQ(memory["usage"]["failcnt"], 5u);
  EXPECT_EQ(memory["swap"]["usage"], 4196u);
  EXPECT_EQ(memory["swap"]["limit"], UINT64_MAX);  // max + anything saturates
  EXPECT_EQ(memory["raw"]["anon"], 1024u);
  EXPECT_EQ(oomKillCount(dir.path()), 1u);
}

TEST_F(CgroupStats, UnlimitedMemoryIsMaxUint64) {
  put("cgroup.procs", "");
  put("memory.current", "1\n");
  put("memory.max", "max\n");
  EXPECT_EQ(stats()["memory"]["usage"]["limit"], UINT64_MAX);
}

TEST_F(CgroupStats, PidsCurrentAndLimit) {
  put("cgroup.procs", "");
  put("pids.current", "3\n");
  put("pids.max", "100\n");
  auto pids = stats()["pids"];
  EXPECT_EQ(pids["current"], 3u);
  EXPECT_EQ(pids["limit"], 100u);
}

TEST_F(CgroupStats, BlkioFromIoStatPerDeviceAndOp) {
  put("cgroup.procs", "");
  put("io.stat", "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n");
  auto blkio = stats()["blkio"];
  ASSERT_EQ(blkio["ioServiceBytesRecursive"].size(), 2u);
  EXPECT_EQ(blkio["ioServiceBytesRecursive"][0],
            (nlohmann::ordered_json{{"major", 8}, {"minor", 0}, {"op", "Read"}, {"value", 100}}));
  EXPECT_EQ(blkio["ioServiceBytesRecursive"][1]["value"], 200u);
  EXPECT_EQ(blkio["ioServicedRecursive"][1]["op"], "Write");
  EXPECT_EQ(blkio["ioServicedRecursive"][1]["value"], 2u);
}

TEST_F(CgroupStats, HugetlbPerPageSize) {
  put("cgroup.procs", "");
  put("hugetlb.2MB.current", "2097152\n");
  put("hugetlb.2MB.events", "max 4\n");
  auto hugetlb = stats()["hugetlb"];
  EXPECT_EQ(hugetlb["2MB"]["usage"], 2097152u);
  EXPECT_EQ(hugetlb["2MB"]["failcnt"], 4u);
  EXPECT_FALSE(hugetlb.contains("1GB"));
}

// v1: the throttle layer's recursive blkio files (no CFQ/BFQ files here)
// and hugetlb's per-size files, in the same shape as v2's.
TEST_F(CgroupStats, V1BlkioAndHugetlb) {
  put("cgroup.procs", "1\n");
  put("blkio.throttle.io_service_bytes_recursive",
      "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\nTotal 4608\n");
  put("blkio.throttle.io_serviced_recursive", "8:0 Read 3\n8:0 Write 1\nTotal 4\n");
  put("hugetlb.2MB.usage_in_bytes", "2097152\n");
  put("hugetlb.2MB.max_usage_in_bytes", "4194304\n");
  put("hugetlb.2MB.failcnt", "5\n");
  auto r = readStatsV1({{"blkio", dir.path()}, {"hugetlb", dir.path()}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  const auto& bytes = (*r)["blkio"]["ioServiceBytesRecursive"];
  ASSERT_EQ(bytes.size(), 3u) << "the Total line is not a device";
  EXPECT_EQ(bytes[0],
            (nlohmann::ordered_json{{"major", 8}, {"minor", 0}, {"op", "Read"}, {"value", 4096}}));
  EXPECT_EQ(bytes[1]["op"], "Write");
  EXPECT_EQ((*r)["blkio"]["ioServicedRecursive"][0]["value"], 3);
  EXPECT_EQ((*r)["hugetlb"]["2MB"],
            (nlohmann::ordered_json{{"usage", 2097152}, {"maxUsage", 4194304}, {"failcnt", 5}}));
  // The scheduler's files win where the kernel keeps them.
  put("blkio.io_service_bytes_recursive", "8:16 Read 1\nTotal 1\n");
  EXPECT_EQ((*readStatsV1({{"blkio", dir.path()}}))["blkio"]["ioServiceBytesRecursive"][0]["minor"],
            16);
}

TEST(CgroupStatsOom, NoMemoryEventsMeansNoKills) {
  EXPECT_EQ(oomKillCount("/nonexistent"), 0u);
}

}  // namespace
}  // namespace sangja::cgroups
