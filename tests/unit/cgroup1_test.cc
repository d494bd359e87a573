// The cgroup v1 manager against plain temp directories standing in for a
// hybrid host's hierarchies (cpu, memory, freezer, pids, name=systemd and
// the v2 one; cpuset where a test adds it): no real cgroupfs is touched. Files the
// kernel would make in a new cgroup are written by the test.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "base/file.h"
#include "cgroups/cgroup_manager.h"
#include "tests/unit/temp_dir.h"

namespace sangja::cgroups {
namespace {

using testutil::isDir;
using testutil::TempDir;

class Cgroup1Test : public ::testing::Test {
 protected:
  Cgroup1Test() {
    layout_.mode = CgroupMode::kHybrid;
    for (const char* c : {"cpu", "memory", "freezer", "pids"}) {
      layout_.v1.push_back(V1Hierarchy{tmp_.mkdirs(c), "/", {c}});
    }
    layout_.v1.push_back(V1Hierarchy{tmp_.mkdirs("systemd"), "/", {"name=systemd"}});
    layout_.v2Mount = tmp_.mkdirs("unified");
  }
  std::unique_ptr<CgroupManager> manager(const std::string& path = "/sangja/c1") {
    return makeCgroup1Manager(layout_, path, "");
  }
  // What the kernel shows in every new cgroup directory.
  void kernelFiles(const std::string& rel, const std::vector<std::string>& files) {
    for (const std::string& f : files) tmp_.write(rel + "/" + f, "");
  }

  TempDir tmp_;
  CgroupLayout layout_;
};

TEST_F(Cgroup1Test, CreateMakesThePathInEveryHierarchy) {
  auto m = manager();
  Status st = m->create();
  ASSERT_TRUE(st.ok()) << st.error().message();
  for (const char* h : {"cpu", "memory", "freezer", "pids", "systemd", "unified"}) {
    EXPECT_TRUE(isDir(tmp_.sub(std::string(h) + "/sangja/c1"))) << h;
  }
  EXPECT_EQ(m->createdFrom(), "/sangja");
}

TEST_F(Cgroup1Test, ACpusetCgroupTakesItsParentsCpusAndNodes) {
  layout_.v1.push_back(V1Hierarchy{tmp_.mkdirs("cpuset"), "/", {"cpuset"}});
  tmp_.write("cpuset/cpuset.cpus", "0-3\n");
  tmp_.write("cpuset/cpuset.mems", "0\n");
  kernelFiles("cpuset/sangja", {"cpuset.cpus", "cpuset.mems"});
  kernelFiles("cpuset/sangja/c1", {"cpuset.cpus", "cpuset.mems"});
  auto m = manager();
  Status st = m->create();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(readFile(tmp_.sub("cpuset/sangja/c1/cpuset.cpus")).valueOr(""), "0-3");
  EXPECT_EQ(readFile(tmp_.sub("cpuset/sangja/c1/cpuset.mems")).valueOr(""), "0");
}

TEST_F(Cgroup1Test, AnExistingCgroupWithProcessesIsRefused) {
  tmp_.write("pids/sangja/c1/cgroup.procs", "4242\n");
  Status st = manager()->create();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "cgroup /sangja/c1 already holds processes");
  EXPECT_EQ(st.error().code(), EBUSY);
  // Busy in one hierarchy (pids, after cpu and memory): nothing is made
  // in the others.
  for (const char* h : {"cpu", "memory", "freezer", "systemd", "unified"}) {
    EXPECT_FALSE(tmp_.exists(std::string(h) + "/sangja")) << h;
  }
}

// A failure half-way (here the v2 hierarchy refuses the mkdir) removes
// what the create made in the hierarchies before it.
TEST_F(Cgroup1Test, AFailureHalfWayRemovesWhatItMade) {
  tmp_.write("unified/sangja", "a file where the cgroup's parent goes\n");
  Status st = manager()->create();
  ASSERT_FALSE(st.ok());
  for (const char* h : {"cpu", "memory", "freezer", "pids", "systemd"}) {
    EXPECT_FALSE(tmp_.exists(std::string(h) + "/sangja")) << h;
  }
}

TEST_F(Cgroup1Test, AttachJoinsEveryHierarchyAndSubCgroups) {
  auto m = manager();
  ASSERT_TRUE(m->create().ok());
  const char* all[] = {"cpu", "memory", "freezer", "pids", "systemd", "unified"};
  for (const char* h : all) kernelFiles(std::string(h) + "/sangja/c1", {"cgroup.procs"});
  Status st = m->attach(77, "");
  ASSERT_TRUE(st.ok()) << st.error().message();
  for (const char* h : all) {
    EXPECT_EQ(readFile(tmp_.sub(std::string(h) + "/sangja/c1/cgroup.procs")).valueOr(""), "77")
        << h;
  }
  Status missing = m->attach(78, "sub");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
  Result<UniqueFd> dir = m->openDir("");
  ASSERT_TRUE(dir.ok());
  EXPECT_FALSE(dir->valid()) << "no CLONE_INTO_CGROUP on v1: attached instead";
  EXPECT_EQ(m->openDir("sub").error().code(), ENOENT) << "exec --cgroup of a missing sub-cgroup";
  for (const char* h : all)
    ASSERT_EQ(::mkdir(tmp_.sub(std::string(h) + "/sangja/c1/sub").c_str(), 0755), 0);
  EXPECT_TRUE(m->openDir("sub").ok());
}

TEST_F(Cgroup1Test, ResourcesGoToTheirHierarchies) {
  auto m = manager();
  ASSERT_TRUE(m->create().ok());
  kernelFiles("memory/sangja/c1", {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"});
  kernelFiles("pids/sangja/c1", {"pids.max"});
  spec::Resources r;
  r.memory.emplace().limit = 1 << 20;
  r.pids.emplace().limit = 64;
  Status st = m->applyResources(r, false);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(readFile(tmp_.sub("memory/sangja/c1/memory.limit_in_bytes")).valueOr(""), "1048576");
  EXPECT_EQ(readFile(tmp_.sub("pids/sangja/c1/pids.max")).valueOr(""), "64");
  r.hugepageLimits = {spec::HugepageLimit{"2MB", 1}};
  Status hugetlb = m->applyResources(r, false);
  ASSERT_FALSE(hugetlb.ok());
  EXPECT_EQ(hugetlb.error().message(),
            "linux.resources.hugepageLimits: the hugetlb controller is not mounted on this host "
            "(cgroup v1)");
}

TEST_F(Cgroup1Test, DeviceRulesGoToTheDevicesHierarchy) {
  spec::Resources r;
  r.devices = {spec::DeviceCgroupRule{false, "a", std::nullopt, std::nullopt, "rwm"}};
  auto without = manager();
  ASSERT_TRUE(without->create().ok());
  Status refused = without->applyResources(r, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(),
            "linux.resources.devices: the devices controller is not mounted on this host (cgroup "
            "v1)");

  layout_.v1.push_back(V1Hierarchy{tmp_.mkdirs("devices"), "/", {"devices"}});
  auto m = manager();
  ASSERT_TRUE(m->create().ok());
  kernelFiles("devices/sangja/c1", {"devices.allow", "devices.deny"});
  Status st = m->applyResources(r, false);
  ASSERT_TRUE(st.ok()) << st.error().message();
  // A file keeps only the last line written to it here; the kernel takes each.
  EXPECT_FALSE(readFile(tmp_.sub("devices/sangja/c1/devices.allow")).valueOr("").empty())
      << "the default devices are allowed after the deny-all";
}

TEST_F(Cgroup1Test, FreezeThroughTheFreezer) {
  auto m = manager();
  ASSERT_TRUE(m->create().ok());
  tmp_.write("freezer/sangja/c1/freezer.state", "THAWED\n");
  EXPECT_FALSE(m->isFrozen());
  ASSERT_TRUE(m->setFrozen(true).ok());
  EXPECT_TRUE(m->isFrozen());
  ASSERT_TRUE(m->setFrozen(false).ok());
  EXPECT_FALSE(m->isFrozen());
}

TEST_F(Cgroup1Test, PidsLimitsAndOomKillsAreRead) {
  auto m = manager();
  ASSERT_TRUE(m->create().ok());
  tmp_.write("pids/sangja/c1/cgroup.procs", "5\n6\n");
  tmp_.write("memory/sangja/c1/memory.limit_in_bytes", "9223372036854771712\n");
  tmp_.write("cpu/sangja/c1/cpu.cfs_period_us", "50000\n");
  tmp_.write("memory/sangja/c1/memory.oom_control",
             "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
  EXPECT_EQ(m->pids().valueOr({}), (std::vector<pid_t>{5, 6}));
  EXPECT_EQ(m->currentLimits(), (CurrentLimits{-1, 50000u})) << "v1's page-aligned maximum";
  EXPECT_EQ(m->oomKills(), 3u);
  tmp_.write("memory/sangja/c1/memory.limit_in_bytes", "1048576\n");
  EXPECT_EQ(m->currentLimits().memoryLimit, 1048576);
}

// The OOM watch registers an eventfd with memory.oom_control: the kernel's
// cgroup.event_control takes "<eventfd> <oom_control fd>".
TEST_F(Cgroup1Test, OomWatchRegistersAnEventfdForOomControl) {
  auto m = manager();
  ASSERT_TRUE(m->create().ok());
  EXPECT_FALSE(m->watchOomKills().fd.valid()) << "no oom_control: nothing to watch";
  tmp_.write("memory/sangja/c1/memory.oom_control", "oom_kill 0\n");
  tmp_.write("memory/sangja/c1/cgroup.event_control", "");
  OomWatch watch = m->watchOomKills();
  ASSERT_TRUE(watch.fd.valid());
  EXPECT_EQ(watch.events, POLLIN);
  std::string line = readFile(tmp_.sub("memory/sangja/c1/cgroup.event_control")).valueOr("");
  EXPECT_EQ(line.substr(0, line.find(' ')), std::to_string(watch.fd.get())) << line;
  EXPECT_NE(line.find(' '), std::string::npos) << line;
  watch.drain();  // nothing signalled: returns at once
}

TEST_F(Cgroup1Test, StatsInRuncsShape) {
  auto m = manager();
  ASSERT_TRUE(m->create().ok());
  tmp_.write("pids/sangja/c1/cgroup.procs", "5\n");
  tmp_.write("pids/sangja/c1/pids.current", "2\n");
  tmp_.write("pids/sangja/c1/pids.max", "max\n");
  tmp_.write("memory/sangja/c1/memory.usage_in_bytes", "4096\n");
  tmp_.write("memory/sangja/c1/memory.limit_in_bytes", "1048576\n");
  tmp_.write("memory/sangja/c1/memory.max_usage_in_bytes", "8192\n");
  tmp_.write("memory/sangja/c1/memory.failcnt", "1\n");
  tmp_.write("memory/sangja/c1/memory.stat", "cache 100\nrss 200\n");
  tmp_.write("cpu/sangja/c1/cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 300\n");
  auto stats = m->stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message();
  EXPECT_EQ((*stats)["pids"]["current"], 2);
  EXPECT_EQ((*stats)["memory"]["usage"]["usage"], 4096);
  EXPECT_EQ((*stats)["memory"]["usage"]["max"], 8192);
  EXPECT_EQ((*stats)["memory"]["cache"], 100);
  EXPECT_EQ((*stats)["memory"]["raw"]["rss"], 200);
  EXPECT_EQ((*stats)["cpu"]["throttling"]["throttledPeriods"], 2);
}

TEST_F(Cgroup1Test, DestroyRemovesItFromEveryHierarchy) {
  auto m = manager();
  ASSERT_TRUE(m->create().ok());
  ASSERT_TRUE(m->destroy().ok());
  for (const char* h : {"cpu", "memory", "freezer", "pids", "systemd", "unified"}) {
    EXPECT_FALSE(tmp_.exists(std::string(h) + "/sangja")) << h;
    EXPECT_TRUE(tmp_.exists(h));
  }
}

}  // namespace
}  // namespace sangja::cgroups
