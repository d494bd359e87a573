// Kernel attributes of the container process beyond identity: scheduler,
// I/O priority, NUMA memory policy, personality and LSM exec labels.
// Planned (names to numbers, lists to masks, host support checked) in the
// parent; applied by the container init with plain syscalls.
#pragma once

#include <sched.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/cpu_list.h"
#include "base/result.h"
#include "base/sync_channel.h"
#include "spec/config.h"

namespace sangja {

// sched_setattr(2)'s arguments.
struct SchedulerPlan {
  uint32_t policy = 0;
  uint64_t flags = 0;
  int32_t nice = 0;
  uint32_t priority = 0;
  uint64_t runtime = 0;
  uint64_t deadline = 0;
  uint64_t period = 0;
};

// set_mempolicy(2)'s arguments; nodes is a bit mask, one bit a node.
struct MemoryPolicyPlan {
  int mode = 0;  // MPOL_* | MPOL_F_*
  std::vector<unsigned long> nodes;
  unsigned long maxNode = 0;  // as the syscall counts it: bits + 1
};

// Which LSM labels are enforceable here; read once from the host.
struct LsmSupport {
  bool apparmor = false;
  bool selinux = false;
  static LsmSupport probe();
};

struct ProcessAttrs {
  std::optional<SchedulerPlan> scheduler;
  // exec's process.execCPUAffinity.final: its CPUs once in the cgroup.
  std::optional<cpu_set_t> finalCpuAffinity;
  std::optional<int> ioPriority;  // ioprio_set value: class << 13 | level
  std::optional<MemoryPolicyPlan> memoryPolicy;
  std::optional<unsigned long> personality;
  std::string apparmorProfile;  // "exec PROFILE" is written when set
  std::string selinuxLabel;
  bool empty() const {
    return !scheduler && !finalCpuAffinity && !ioPriority && !memoryPolicy && !personality &&
           apparmorProfile.empty() && selinuxLabel.empty();
  }
};

// ---- pure planning (unit-tested) ----

Result<SchedulerPlan> planScheduler(const spec::Scheduler& s);
Result<int> planIoPriority(const spec::IoPriority& p);
// A CPU list as sched_setaffinity's mask; errors name `where`.
Result<cpu_set_t> planCpuAffinity(std::string_view list, std::string_view where);
Result<MemoryPolicyPlan> planMemoryPolicy(const spec::MemoryPolicy& m);
Result<unsigned long> planPersonality(const spec::Personality& p);

// Everything above from the process and linux (null: none), with the host's
// LSM and resctrl support checked: a label or intelRdt the host cannot
// enforce is an error.
Result<ProcessAttrs> planProcessAttrs(const spec::Process& process, const spec::Linux* linux,
                                      const LsmSupport& lsm, bool haveResctrl);
// Whether they ask for an LSM label (then LsmSupport::probe() is worth it).
bool wantsLsm(const spec::Process& process, const spec::Linux* linux);
// Whether the resctrl filesystem (Intel RDT) exists on this host.
bool hostHasResctrl();

// ---- child side ----

namespace child {

// While / is still the host's: the LSM exec attribute of this thread, from
// the host's /proc and verified to be procfs; -1 when no label is set.
int openLsmExecAttr(const ProcessAttrs& attrs, const ChildChannel& channel);
// Before the capabilities are dropped: raising a scheduling class or I/O
// priority and choosing an LSM exec label may need them. Closes lsmExecFd.
void applyProcessAttrs(const ProcessAttrs& attrs, int lsmExecFd, const ChildChannel& channel);

}  // namespace child

}  // namespace sangja
