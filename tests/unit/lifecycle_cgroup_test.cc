// The lifecycle's cgroup operations against a fake CgroupManager: the
// container is this test process itself (a live pid with its start time),
// recorded in a state directory under a temporary root.
#include <gtest/gtest.h>

#include <unistd.h>
#include <functional>

#include <csignal>
#include <memory>

#include "runtime/lifecycle/cgroup_record.h"
#include "runtime/lifecycle/container.h"
#include "runtime/lifecycle/opened_container.h"
#include "runtime/lifecycle/state_store.h"
#include "runtime/lifecycle/status.h"
#include "tests/unit/fake_cgroup_manager.h"
#include "tests/unit/temp_dir.h"

namespace sangja {
namespace {

using testutil::FakeCgroup;

class LifecycleCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rt_.root = tmp_.sub("state");
    rt_.openCgroup = testutil::fakeOpener(cgroup_);
    Result<StateStore> store = StateStore::open(rt_.root);
    ASSERT_TRUE(store.ok()) << store.error().message();
    Result<ContainerDir> dir = store->create("c1");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    spec::StoredState state;
    state.id = "c1";
    state.bundle = tmp_.path();
    state.rootfs = tmp_.path();
    state.pid = ::getpid();
    state.pidStartTime = liveProcessStartTime(::getpid()).value_or(0);
    state.created = "2026-12-07T00:00:00Z";
    state.cgroupPath = "/sangja/c1";
    state.cgroupCreatedFrom = "/sangja";
    state.cgroupMode = "hybrid";
    ASSERT_TRUE(dir->writeState(spec::toJson(state)).ok());
  }

  // Rewrites c1's state with a different cgroupMode.
  void setCgroupMode(const std::string& mode) {
    editState([&](spec::StoredState& s) { s.cgroupMode = mode; });
  }

  void editState(const std::function<void(spec::StoredState&)>& edit) {
    Result<StateStore> store = StateStore::open(rt_.root);
    ASSERT_TRUE(store.ok());
    Result<ContainerDir> dir = store->lookup("c1");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    Result<spec::StoredState> state = loadState(*dir);
    ASSERT_TRUE(state.ok());
    edit(*state);
    ASSERT_TRUE(dir->writeState(spec::toJson(*state)).ok());
  }

  ContainerStatus status() {
    Result<OpenedContainer> c = openContainer(rt_, "c1");
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? c->status : ContainerStatus::kStopped;
  }

  testutil::TempDir tmp_;
  std::shared_ptr<FakeCgroup> cgroup_ = std::make_shared<FakeCgroup>();
  RuntimeOptions rt_;
};

TEST_F(LifecycleCgroupTest, TheStatesCgroupIsOpened) {
  EXPECT_EQ(status(), ContainerStatus::kRunning);
  ASSERT_FALSE(cgroup_->opened.empty());
  const cgroups::CgroupRef& opened = cgroup_->opened.back();
  EXPECT_EQ(opened.path, "/sangja/c1");
  EXPECT_EQ(opened.createdFrom, "/sangja");
  EXPECT_EQ(opened.mode, cgroups::CgroupMode::kHybrid);
  EXPECT_EQ(opened.driver, cgroups::CgroupDriver::kCgroupfs);
}

// Every later command opens the scope systemd made with the systemd driver,
// whatever its own flags say (clients pass --systemd-cgroup to all or none).
TEST_F(LifecycleCgroupTest, TheRecordedDriverIsUsed) {
  editState([](spec::StoredState& s) {
    s.cgroupDriver = "systemd";
    s.cgroupMadeSlice = "x.slice";
  });
  ASSERT_TRUE(pauseContainer(rt_, "c1").ok());
  EXPECT_EQ(cgroup_->opened.back().driver, cgroups::CgroupDriver::kSystemd);
  EXPECT_EQ(cgroup_->opened.back().madeSlice, "x.slice");
}

// The driver follows the mode create recorded, not the host's now.
TEST_F(LifecycleCgroupTest, TheRecordedModeChoosesTheDriver) {
  setCgroupMode("legacy");
  ASSERT_TRUE(pauseContainer(rt_, "c1").ok());
  EXPECT_EQ(cgroup_->opened.back().mode, cgroups::CgroupMode::kLegacy);
  // A state from before the v1 driver has no mode: its cgroup is v2's.
  setCgroupMode("");
  ASSERT_TRUE(resumeContainer(rt_, "c1").ok());
  EXPECT_EQ(cgroup_->opened.back().mode, cgroups::CgroupMode::kUnified);
}

TEST_F(LifecycleCgroupTest, AnUnknownRecordedModeIsNamed) {
  setCgroupMode("v3");
  Status st = pauseContainer(rt_, "c1");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("cgroupMode \"v3\" is none of unified, hybrid, legacy"),
            std::string::npos)
      << st.error().message();
}

TEST_F(LifecycleCgroupTest, PauseAndResumeGoThroughTheManagerAndStatusFollows) {
  ASSERT_TRUE(pauseContainer(rt_, "c1").ok());
  EXPECT_EQ(cgroup_->freezes, std::vector<bool>{true});
  EXPECT_EQ(status(), ContainerStatus::kPaused);

  Status again = pauseContainer(rt_, "c1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message(),
            "cannot pause a container that is paused (only a running one)");

  ASSERT_TRUE(resumeContainer(rt_, "c1").ok());
  EXPECT_EQ(cgroup_->freezes, (std::vector<bool>{true, false}));
  EXPECT_EQ(status(), ContainerStatus::kRunning);
}

TEST_F(LifecycleCgroupTest, UpdateTakesTheMemoryLimitInForceForSwap) {
  cgroup_->limits.memoryLimit = 64 << 20;
  spec::Resources update;
  update.memory.emplace().swap = 128 << 20;
  ASSERT_TRUE(updateContainer(rt_, "c1", update).ok());
  ASSERT_EQ(cgroup_->applied.size(), 1u);
  const auto& [applied, forUpdate] = cgroup_->applied[0];
  EXPECT_TRUE(forUpdate);
  ASSERT_TRUE(applied.memory.has_value());
  EXPECT_EQ(applied.memory->limit, 64 << 20);
  EXPECT_EQ(applied.memory->swap, 128 << 20);
}

TEST_F(LifecycleCgroupTest, UpdateTakesThePeriodInForceForAQuota) {
  cgroup_->limits.cpuPeriod = 50000;
  spec::Resources update;
  update.cpu.emplace().quota = 25000;
  ASSERT_TRUE(updateContainer(rt_, "c1", update).ok());
  ASSERT_EQ(cgroup_->applied.size(), 1u);
  EXPECT_EQ(cgroup_->applied[0].first.cpu->period, 50000u);
}

TEST_F(LifecycleCgroupTest, StatsAndPidsAreTheManagers) {
  cgroup_->stats = {{"pids", {{"current", 3}}}};
  cgroup_->pids = {11, 12};
  Result<std::string> event = containerStatsEvent(rt_, "c1");
  ASSERT_TRUE(event.ok()) << event.error().message();
  EXPECT_EQ(*event, R"({"type":"stats","id":"c1","data":{"pids":{"current":3}}})");
  Result<std::vector<int>> pids = containerPids(rt_, "c1");
  ASSERT_TRUE(pids.ok()) << pids.error().message();
  EXPECT_EQ(*pids, (std::vector<int>{11, 12}));
}

// delete --force of a container whose create was killed before the state:
// only the cgroup record is left.
class HalfMadeContainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rt_.root = tmp_.sub("state");
    rt_.openCgroup = testutil::fakeOpener(cgroup_);
  }

  // A container directory holding only a cgroup record.
  void recordOnly(cgroups::CgroupDriver driver, bool verifiedFree) {
    Result<StateStore> store = StateStore::open(rt_.root);
    ASSERT_TRUE(store.ok());
    Result<ContainerDir> dir = store->create("c1");
    ASSERT_TRUE(dir.ok());
    CgroupRecord record;
    record.cgroup.path = "/x.slice/sangja-c1.scope";
    record.cgroup.createdFrom = "/x.slice";
    record.cgroup.driver = driver;
    record.cgroup.madeSlice = driver == cgroups::CgroupDriver::kSystemd ? "x.slice" : "";
    record.verifiedFree = verifiedFree;
    Result<UniqueFd> fd = dir->createEntry(kCgroupRecord);
    ASSERT_TRUE(fd.ok());
    ASSERT_TRUE(dir->rewriteEntry(fd->get(), formatCgroupRecord(record), kCgroupRecord).ok());
  }

  testutil::TempDir tmp_;
  std::shared_ptr<FakeCgroup> cgroup_ = std::make_shared<FakeCgroup>();
  RuntimeOptions rt_;
};

// systemd drops a scope when its last process exits (the init, once its
// creator died), but not the slice made for it: that is still removed.
TEST_F(HalfMadeContainerTest, AVerifiedCgroupThatIsGoneIsStillDestroyed) {
  recordOnly(cgroups::CgroupDriver::kSystemd, true);
  cgroup_->gone = true;
  ASSERT_TRUE(deleteContainer(rt_, "c1", true).ok());
  EXPECT_EQ(cgroup_->destroyed, 1);
  EXPECT_EQ(cgroup_->opened.back().madeSlice, "x.slice");
}

TEST_F(HalfMadeContainerTest, AVerifiedCgroupIsKilledAndDestroyed) {
  recordOnly(cgroups::CgroupDriver::kCgroupfs, true);
  cgroup_->pids = {424242};
  ASSERT_TRUE(deleteContainer(rt_, "c1", true).ok());
  EXPECT_EQ(cgroup_->signals, std::vector<int>{SIGKILL});
  EXPECT_EQ(cgroup_->destroyed, 1);
}

// Before create verified it, the cgroup (or the unit) may be somebody
// else's: a systemd unit of that name is never touched, a cgroupfs cgroup
// only removed when empty.
TEST_F(HalfMadeContainerTest, AnUnverifiedCgroupIsLeftToItsOwner) {
  recordOnly(cgroups::CgroupDriver::kSystemd, false);
  ASSERT_TRUE(deleteContainer(rt_, "c1", true).ok());
  EXPECT_EQ(cgroup_->destroyed, 0);
}

TEST_F(HalfMadeContainerTest, AnUnverifiedCgroupfsCgroupGoesOnlyWhenEmpty) {
  recordOnly(cgroups::CgroupDriver::kCgroupfs, false);
  cgroup_->pids = {424242};
  ASSERT_TRUE(deleteContainer(rt_, "c1", true).ok());
  EXPECT_EQ(cgroup_->destroyed, 0);
  EXPECT_TRUE(cgroup_->signals.empty());
}

TEST_F(HalfMadeContainerTest, AnUnverifiedEmptyCgroupfsCgroupIsRemoved) {
  recordOnly(cgroups::CgroupDriver::kCgroupfs, false);
  ASSERT_TRUE(deleteContainer(rt_, "c1", true).ok());
  EXPECT_EQ(cgroup_->destroyed, 1);
}

}  // namespace
}  // namespace sangja
