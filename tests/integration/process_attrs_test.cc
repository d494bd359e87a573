// process.scheduler, ioPriority, linux.memoryPolicy and linux.personality:
// set on the container's init and seen from the host in /proc.

#include <sys/syscall.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

// Fields of /proc/PID/stat after the command name, numbered as in proc(5).
std::string statField(pid_t pid, int field) {
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string word;
  for (int i = 3; i <= field && rest >> word; ++i) {
  }
  return word;
}

class ProcessAttrsTest : public ContainerTest {
 protected:
  // A created (not started) container: its init has applied everything
  // and waits, so the host can look at it.
  pid_t createSleeper() {
    b.setArgs({"sleep", "1000"});
    RunResult r = b.create();
    EXPECT_TRUE(r.ok()) << r;
    return r.ok() ? b.pid() : 0;
  }
};

TEST_F(ProcessAttrsTest, SchedulerPolicyAndNiceAreSet) {
  SKIP_FOR_PEER("runc 1.1 ignores process.scheduler");
  b.config["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 7}};
  pid_t pid = createSleeper();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(statField(pid, 19), "7") << "nice";
  EXPECT_EQ(statField(pid, 41), "3") << "policy (SCHED_BATCH)";
}

// A v1 cpu cgroup with realtime group scheduling (this host) starts with
// no realtime time: the policy is refused, and the error says why.
TEST_F(ProcessAttrsTest, RealtimeSchedulerInAV1CgroupWithoutRealtimeTimeIsExplained) {
  if (controllerDir("cpu", "").empty() || !pathExists(controllerDir("cpu", "/cpu.rt_runtime_us")))
    GTEST_SKIP() << "NOT FOR THIS HOST: no cgroup v1 realtime group scheduling on this "
                 << hostCgroupMode() << " host";
  SKIP_FOR_PEER("runc 1.1 ignores process.scheduler");
  b.config["process"]["scheduler"] = {{"policy", "SCHED_RR"}, {"priority", 12}};
  b.setArgs({"true"});
  RunResult r = b.create();
  EXPECT_NE(r.status, 0);
  EXPECT_TRUE(contains(r.err, "set scheduler (process.scheduler)")) << r;
  EXPECT_TRUE(contains(r.err, "linux.resources.cpu.realtimeRuntime")) << r;
}

TEST_F(ProcessAttrsTest, RealtimeSchedulerWithPriority) {
  if (v1Host() && pathExists(controllerDir("cpu", "/cpu.rt_runtime_us")))
    GTEST_SKIP() << "NOT RUN HERE: a v1 cpu cgroup has no realtime time (the test above); this "
                    "runs in the v2 guest";
  SKIP_FOR_PEER("runc 1.1 ignores process.scheduler");
  b.config["process"]["scheduler"] = {{"policy", "SCHED_RR"}, {"priority", 12}};
  pid_t pid = createSleeper();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(statField(pid, 41), "2") << "policy (SCHED_RR)";
  EXPECT_EQ(statField(pid, 40), "12") << "rt_priority";
  // The exec'd program keeps it: it is a property of the process.
  ASSERT_TRUE(b.start().ok());
  EXPECT_EQ(statField(pid, 41), "2");
}

TEST_F(ProcessAttrsTest, IoPriorityIsSet) {
  SKIP_FOR_PEER("runc 1.1 ignores process.ioPriority");
  b.config["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_IDLE"}, {"priority", 5}};
  pid_t pid = createSleeper();
  ASSERT_GT(pid, 0);
  long prio = ::syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, pid);
  EXPECT_EQ(prio, (3 << 13) | 5) << "ioprio_get: class IDLE, level 5";
}

TEST_F(ProcessAttrsTest, MemoryPolicyBindsToTheNode) {
  SKIP_FOR_PEER("runc 1.1 ignores linux.memoryPolicy");
  b.config["linux"]["memoryPolicy"] = {{"mode", "MPOL_BIND"}, {"nodes", "0"}};
  pid_t pid = createSleeper();
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(b.start().ok());
  // start returns once the program is exec'd; its mappings may still be
  // the trampoline's for a moment.
  std::string maps;
  EXPECT_TRUE(waitUntil([&] {
    maps = readFile("/proc/" + std::to_string(pid) + "/numa_maps");
    return contains(maps, " bind:0 ");
  })) << maps;
}

TEST_F(ProcessAttrsTest, Linux32PersonalityChangesTheMachineName) {
  SKIP_FOR_PEER("runc 1.1 ignores linux.personality");
  b.config["linux"]["personality"] = {{"domain", "LINUX32"}};
  RunResult r = b.run({"uname", "-m"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "i686\n") << r;
}

TEST_F(ProcessAttrsTest, BadSchedulerValuesFailCreateCleanly) {
  SKIP_FOR_PEER("runc 1.1 ignores process.scheduler");
  b.config["process"]["scheduler"] = {{"policy", "SCHED_FIFO"}, {"priority", 0}};
  b.setArgs({"true"});
  RunResult r = b.create();
  EXPECT_NE(r.status, 0) << r;
  EXPECT_TRUE(contains(r.err, "process.scheduler.priority")) << r;
  EXPECT_TRUE(contains(b.state().err, "does not exist"));
}

}  // namespace
}  // namespace sangja::it
