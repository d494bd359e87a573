// A live container through its cgroup: pause, resume, ps, and killing or
// deleting everything in it. The v2 freezer and cgroup.kill work even on the
// hybrid host, so these run everywhere.
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;

class CgroupLiveTest : public ContainerTest {
 protected:
  // A container whose background loop counts in /tmp/count.
  void startCounter() {
    b.config["root"]["readonly"] = false;  // the counter writes /tmp/count
    b.setArgs({"sh", "-c",
               "i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.02; done & "
               "exec sleep 1000"});
    ASSERT_TRUE(b.create().ok());
    ASSERT_TRUE(b.start().ok());
    ASSERT_TRUE(waitUntil([&] { return count() > 0; })) << "the counter never ran";
  }
  long count() const {
    std::string s = readFile(b.rootfs() + "/tmp/count");
    return s.empty() ? 0 : std::stol(s);
  }
};

TEST_F(CgroupLiveTest, PauseFreezesAndResumeThaws) {
  startCounter();
  RunResult paused = b.rt({"pause", b.id()});
  ASSERT_TRUE(paused.ok()) << paused;
  EXPECT_EQ(b.status(), "paused");
  long frozenAt = count();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(count(), frozenAt) << "the container made progress while paused";

  RunResult resumed = b.rt({"resume", b.id()});
  ASSERT_TRUE(resumed.ok()) << resumed;
  EXPECT_EQ(b.status(), "running");
  EXPECT_TRUE(waitUntil([&] { return count() > frozenAt; })) << "no progress after resume";
}

TEST_F(CgroupLiveTest, PauseAndResumeInTheWrongStateFail) {
  startCounter();
  RunResult resume = b.rt({"resume", b.id()});
  EXPECT_NE(resume.status, 0) << resume;
  // sangja: "... that is running (only a paused one)"; runc: "container not paused".
  EXPECT_TRUE(contains(resume.err, "paused")) << resume;
  ASSERT_TRUE(b.rt({"pause", b.id()}).ok());
  RunResult again = b.rt({"pause", b.id()});
  EXPECT_NE(again.status, 0) << again;
  EXPECT_EQ(b.status(), "paused");
}

TEST_F(CgroupLiveTest, PauseOfStoppedContainerSaysNotRunning) {
  b.setArgs({"true"});
  ASSERT_TRUE(b.create().ok());
  ASSERT_TRUE(b.start().ok());
  ASSERT_TRUE(b.waitStatus("stopped"));
  RunResult r = b.rt({"pause", b.id()});
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(contains(r.err, "container not running")) << r;
}

TEST_F(CgroupLiveTest, DeleteForceOfPausedContainer) {
  startCounter();
  pid_t init = b.pid();
  ASSERT_TRUE(b.rt({"pause", b.id()}).ok());
  RunResult plain = b.del();
  EXPECT_NE(plain.status, 0) << plain;
  RunResult forced = b.del(/*force=*/true);
  ASSERT_TRUE(forced.ok()) << forced;
  EXPECT_FALSE(processAlive(init));
  EXPECT_TRUE(contains(b.state().err, "does not exist"));
}

TEST_F(CgroupLiveTest, PsJsonListsTheContainersPids) {
  startCounter();
  pid_t init = b.pid();
  RunResult r = b.rt({"ps", "--format", "json", b.id()});
  ASSERT_TRUE(r.ok()) << r;
  json pids = json::parse(r.out);
  ASSERT_TRUE(pids.is_array()) << r.out;
  EXPECT_GE(pids.size(), 2u) << r.out;  // the init and the counting shell at least
  bool hasInit = false;
  for (const json& p : pids) hasInit |= p.get<int>() == init;
  EXPECT_TRUE(hasInit) << r.out << " lacks " << init;
}

TEST_F(CgroupLiveTest, PsTableShowsTheProcesses) {
  startCounter();
  RunResult r = b.rt({"ps", b.id()});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "PID")) << r;
  EXPECT_TRUE(contains(r.out, "sleep 1000")) << r;
}

TEST_F(CgroupLiveTest, KillAllWithKillStopsEveryProcess) {
  startCounter();
  RunResult pids = b.rt({"ps", "--format", "json", b.id()});
  ASSERT_TRUE(pids.ok()) << pids;
  RunResult r = b.kill("KILL", /*all=*/true);
  ASSERT_TRUE(r.ok()) << r;
  for (const json& p : json::parse(pids.out)) {
    EXPECT_TRUE(waitUntil([&] { return !processAlive(p.get<int>()); })) << p;
  }
  EXPECT_TRUE(b.waitStatus("stopped"));
}

TEST_F(CgroupLiveTest, EventsStatsPrintsOneStatsEventInRuncsShape) {
  startCounter();
  RunResult r = b.rt({"events", "--stats", b.id()});
  ASSERT_TRUE(r.ok()) << r;
  json event = json::parse(r.out);
  EXPECT_EQ(event["type"], "stats");
  EXPECT_EQ(event["id"], b.id());
  for (const char* section : {"cpu", "memory", "pids", "blkio", "hugetlb"}) {
    EXPECT_TRUE(event["data"].contains(section)) << section << " missing: " << r.out;
  }
  // cpu.stat is a core file: there on every v2 cgroup, and the counter burns CPU.
  EXPECT_GT(event["data"]["cpu"]["usage"]["total"].get<uint64_t>(), 0u) << r.out;
}

TEST_F(CgroupLiveTest, EventsStreamsStatsAtTheIntervalUntilTheContainerStops) {
  SKIP_FOR_PEER("runc 1.1's events goes on after the container stopped");
  startCounter();
  auto events = b.spawn({"events", "--interval", "200ms", b.id()});
  ASSERT_TRUE(waitUntil([&] { return splitLines(events->out()).size() >= 2; }))
      << events->out() << events->err();
  ASSERT_TRUE(b.kill("KILL").ok());
  RunResult r = events->wait(milliseconds(5000));
  EXPECT_EQ(r.status, 0) << r;
  for (const std::string& line : splitLines(r.out)) {
    EXPECT_EQ(json::parse(line)["type"], "stats") << line;
  }
}

TEST_F(CgroupLiveTest, EventsOfStoppedContainerSaysNotRunning) {
  b.setArgs({"true"});
  ASSERT_TRUE(b.create().ok());
  ASSERT_TRUE(b.start().ok());
  ASSERT_TRUE(b.waitStatus("stopped"));
  RunResult r = b.rt({"events", "--stats", b.id()});
  EXPECT_NE(r.status, 0);
  // sangja: "container not running"; runc: "container with id X is not running".
  EXPECT_TRUE(contains(r.err, "not running")) << r;
}

}  // namespace
}  // namespace sangja::it
