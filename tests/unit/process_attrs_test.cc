#include "runtime/process/process_attrs.h"

#include <gtest/gtest.h>
#include <sys/personality.h>

#include <string>
#include <vector>

namespace sangja {
namespace {

// gtest's HasSubstr needs gmock, which these tests do not link.
#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

spec::Config configWithProcess() {
  spec::Config config;
  config.process.emplace();
  config.process->args = {"true"};
  config.process->cwd = "/";
  return config;
}

TEST(SchedulerPlanTest, NamesBecomeKernelValues) {
  spec::Scheduler s;
  s.policy = "SCHED_BATCH";
  s.nice = 5;
  s.flags = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_KEEP_PARAMS"};
  Result<SchedulerPlan> plan = planScheduler(s);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(plan->policy, 3u);
  EXPECT_EQ(plan->flags, 0x01u | 0x10u);
  EXPECT_EQ(plan->nice, 5);
}

TEST(SchedulerPlanTest, EveryLinuxPolicyHasItsNumber) {
  const std::pair<const char*, uint32_t> policies[] = {{"SCHED_OTHER", 0},
                                                       {"SCHED_FIFO", 1},
                                                       {"SCHED_RR", 2},
                                                       {"SCHED_BATCH", 3},
                                                       {"SCHED_IDLE", 5}};
  for (auto [name, number] : policies) {
    spec::Scheduler s;
    s.policy = name;
    s.priority = number == 1 || number == 2 ? 10 : 0;
    Result<SchedulerPlan> plan = planScheduler(s);
    ASSERT_TRUE(plan.ok()) << name << ": " << plan.error().message();
    EXPECT_EQ(plan->policy, number) << name;
  }
}

TEST(SchedulerPlanTest, RefusesWhatTheKernelWouldRefuse) {
  auto error = [](spec::Scheduler s) {
    Result<SchedulerPlan> plan = planScheduler(s);
    return plan.ok() ? std::string("accepted") : plan.error().message();
  };
  spec::Scheduler iso;
  iso.policy = "SCHED_ISO";  // in the spec, never merged into Linux
  EXPECT_HAS(error(iso), "process.scheduler.policy: SCHED_ISO");
  spec::Scheduler nice;
  nice.policy = "SCHED_OTHER";
  nice.nice = 20;
  EXPECT_HAS(error(nice), "process.scheduler.nice: 20 is outside -20..19");
  spec::Scheduler fifo;
  fifo.policy = "SCHED_FIFO";
  EXPECT_HAS(error(fifo), "SCHED_FIFO needs 1..99");
  spec::Scheduler other;
  other.policy = "SCHED_OTHER";
  other.priority = 3;
  EXPECT_HAS(error(other), "must be 0 for SCHED_OTHER");
  spec::Scheduler deadline;
  deadline.policy = "SCHED_DEADLINE";
  deadline.runtime = 20;
  deadline.deadline = 10;
  EXPECT_HAS(error(deadline), "runtime <= deadline <= period");
}

TEST(IoPriorityPlanTest, ClassAndLevelMakeTheIoprioValue) {
  EXPECT_EQ(planIoPriority({"IOPRIO_CLASS_RT", 0}).value(), 1 << 13);
  EXPECT_EQ(planIoPriority({"IOPRIO_CLASS_BE", 6}).value(), (2 << 13) | 6);
  EXPECT_EQ(planIoPriority({"IOPRIO_CLASS_IDLE", 7}).value(), (3 << 13) | 7);
  Result<int> bad = planIoPriority({"IOPRIO_CLASS_BE", 8});
  ASSERT_FALSE(bad.ok());
  EXPECT_HAS(bad.error().message(), "process.ioPriority.priority: 8 is outside 0..7");
}

TEST(CpuListTest, ParsesRangesAndSingles) {
  Result<std::vector<unsigned>> list = parseCpuList("0-2,5,7-8", "x");
  ASSERT_TRUE(list.ok()) << list.error().message();
  EXPECT_EQ(*list, (std::vector<unsigned>{0, 1, 2, 5, 7, 8}));
  EXPECT_TRUE(parseCpuList("", "x")->empty());
}

TEST(CpuListTest, AffinityMaskHasExactlyTheListedCpus) {
  Result<cpu_set_t> set = planCpuAffinity("1,3-4", "process.execCPUAffinity.final");
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(CPU_COUNT(&*set), 3);
  EXPECT_TRUE(CPU_ISSET(1, &*set) && CPU_ISSET(3, &*set) && CPU_ISSET(4, &*set));
  Result<cpu_set_t> bad = planCpuAffinity("1-x", "process.execCPUAffinity.final");
  ASSERT_FALSE(bad.ok());
  EXPECT_HAS(bad.error().message(), "process.execCPUAffinity.final: invalid");
}

TEST(CpuListTest, MalformedListsNameWhereTheyCameFrom) {
  for (const char* bad : {"a", "1-", "3-1", "1,,2", "1,", "-1", "5000"}) {
    Result<std::vector<unsigned>> list = parseCpuList(bad, "linux.memoryPolicy.nodes");
    ASSERT_FALSE(list.ok()) << bad;
    EXPECT_HAS(list.error().message() + " for " + bad, "linux.memoryPolicy.nodes: invalid");
  }
}

TEST(MemoryPolicyPlanTest, ModeFlagsAndNodeMask) {
  spec::MemoryPolicy m{"MPOL_BIND", "0,2,65", {"MPOL_F_STATIC_NODES"}};
  Result<MemoryPolicyPlan> plan = planMemoryPolicy(m);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(plan->mode, 2 | (1 << 15));
  ASSERT_GE(plan->nodes.size(), 2u);
  EXPECT_EQ(plan->nodes[0], 0b101ul);
  EXPECT_EQ(plan->nodes[1], 0b10ul);
  EXPECT_EQ(plan->maxNode, plan->nodes.size() * sizeof(unsigned long) * 8 + 1);
}

TEST(MemoryPolicyPlanTest, NodesMustMatchTheMode) {
  Result<MemoryPolicyPlan> local = planMemoryPolicy({"MPOL_LOCAL", "0", {}});
  ASSERT_FALSE(local.ok());
  EXPECT_HAS(local.error().message(), "must be empty for MPOL_LOCAL");
  Result<MemoryPolicyPlan> bind = planMemoryPolicy({"MPOL_BIND", "", {}});
  ASSERT_FALSE(bind.ok());
  EXPECT_HAS(bind.error().message(), "MPOL_BIND needs at least one node");
  EXPECT_TRUE(planMemoryPolicy({"MPOL_PREFERRED", "", {}}).ok());
}

TEST(PersonalityPlanTest, DomainsAndNoFlags) {
  EXPECT_EQ(planPersonality({"LINUX", {}}).value(), static_cast<unsigned long>(PER_LINUX));
  EXPECT_EQ(planPersonality({"LINUX32", {}}).value(), static_cast<unsigned long>(PER_LINUX32));
  Result<unsigned long> flags = planPersonality({"LINUX", {"SOMETHING"}});
  ASSERT_FALSE(flags.ok());
  EXPECT_HAS(flags.error().message(), "linux.personality.flags");
}

Result<ProcessAttrs> planFor(const spec::Config& config, const LsmSupport& lsm, bool haveResctrl) {
  return planProcessAttrs(*config.process, config.linux ? &*config.linux : nullptr, lsm,
                          haveResctrl);
}

TEST(ProcessAttrsPlanTest, DefaultConfigAsksForNothing) {
  Result<ProcessAttrs> attrs = planFor(configWithProcess(), LsmSupport{}, false);
  ASSERT_TRUE(attrs.ok()) << attrs.error().message();
  EXPECT_TRUE(attrs->empty());
}

TEST(ProcessAttrsPlanTest, LabelsNeedTheirLsm) {
  spec::Config config = configWithProcess();
  config.process->apparmorProfile = "docker-default";
  Result<ProcessAttrs> absent = planFor(config, LsmSupport{}, false);
  ASSERT_FALSE(absent.ok());
  EXPECT_HAS(absent.error().message(),
             "process.apparmorProfile: AppArmor is not enabled on this host");
  Result<ProcessAttrs> present = planFor(config, LsmSupport{true, false}, false);
  ASSERT_TRUE(present.ok()) << present.error().message();
  EXPECT_EQ(present->apparmorProfile, "docker-default");

  config = configWithProcess();
  config.process->selinuxLabel = "system_u:system_r:container_t:s0";
  Result<ProcessAttrs> noSelinux = planFor(config, LsmSupport{true, false}, false);
  ASSERT_FALSE(noSelinux.ok());
  EXPECT_HAS(noSelinux.error().message(), "process.selinuxLabel: SELinux is not enabled");
  EXPECT_TRUE(wantsLsm(*config.process, nullptr));
  EXPECT_FALSE(wantsLsm(*configWithProcess().process, nullptr));
  spec::Linux labelled;
  labelled.mountLabel = "system_u:object_r:container_file_t:s0";
  EXPECT_TRUE(wantsLsm(*configWithProcess().process, &labelled));
}

TEST(ProcessAttrsPlanTest, IntelRdtAndMountLabelAreRefusedClearly) {
  spec::Config config = configWithProcess();
  config.linux.emplace();
  config.linux->intelRdt.emplace();
  Result<ProcessAttrs> rdt = planFor(config, LsmSupport{}, false);
  ASSERT_FALSE(rdt.ok());
  EXPECT_HAS(rdt.error().message(), "linux.intelRdt: this host has no resctrl");

  config.linux->intelRdt.reset();
  config.linux->mountLabel = "system_u:object_r:container_file_t:s0";
  Result<ProcessAttrs> label = planFor(config, LsmSupport{}, false);
  ASSERT_FALSE(label.ok());
  EXPECT_HAS(label.error().message(), "linux.mountLabel: SELinux is not enabled");
}

TEST(ProcessAttrsPlanTest, MalformedExecCpuAffinityIsAnError) {
  spec::Config config = configWithProcess();
  config.process->execCPUAffinity = spec::CpuAffinity{"0-1", "x"};
  Result<ProcessAttrs> attrs = planFor(config, LsmSupport{}, false);
  ASSERT_FALSE(attrs.ok());
  EXPECT_HAS(attrs.error().message(), "process.execCPUAffinity.final: invalid list");
}

}  // namespace
}  // namespace sangja
