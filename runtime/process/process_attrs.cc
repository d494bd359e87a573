#include "runtime/process/process_attrs.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string_view>

#include "base/cpu_list.h"
#include "base/file.h"
#include "base/procfs.h"
#include "spec/names.h"

namespace sangja {

namespace {

constexpr int kIoPrioClassShift = 13;

// struct sched_attr, first version (48 bytes); glibc's <sched.h> clashes
// with the uapi header that defines it.
struct SchedAttr {
  uint32_t size;
  uint32_t policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime;
  uint64_t deadline;
  uint64_t period;
};
static_assert(sizeof(SchedAttr) == 48);
static_assert(spec::valueOf(spec::kPersonalityDomains, "LINUX") == PER_LINUX);
static_assert(spec::valueOf(spec::kPersonalityDomains, "LINUX32") == PER_LINUX32);
constexpr unsigned kMaxNodes = kMaxCpuListEntry + 1;
constexpr unsigned kBitsPerWord = sizeof(unsigned long) * CHAR_BIT;

bool readsAsEnabled(const char* path) {
  Result<std::string> text = readFile(path);
  return text.ok() && !text->empty() && ((*text)[0] == 'Y' || (*text)[0] == '1');
}

void writeLabel(int fd, const char* prefix, const std::string& label, const char* what,
                const ChildChannel& channel) {
  FixedText<4096> text(prefix);
  text.append(label);
  if (::write(fd, text.c_str(), text.size()) < 0) channel.fail(errno, what, label);
}

}  // namespace

LsmSupport LsmSupport::probe() {
  LsmSupport s;
  s.apparmor = readsAsEnabled("/sys/module/apparmor/parameters/enabled");
  struct statfs fs;
  s.selinux = ::statfs("/sys/fs/selinux", &fs) == 0 && fs.f_type == SELINUX_MAGIC;
  return s;
}

bool hostHasResctrl() {
  Result<std::string> filesystems = readFile("/proc/filesystems");
  return filesystems.ok() && filesystems->find("\tresctrl\n") != std::string::npos;
}

Result<SchedulerPlan> planScheduler(const spec::Scheduler& s) {
  SchedulerPlan plan;
  std::optional<uint64_t> policy = spec::valueOf(spec::kSchedPolicies, s.policy);
  // A name of the spec that Linux never implemented.
  if (!policy || s.policy == "SCHED_ISO") {
    return Error::invalid(
        "process.scheduler.policy: " + s.policy + " is not a policy this kernel offers", EINVAL);
  }
  plan.policy = static_cast<uint32_t>(*policy);
  for (const std::string& f : s.flags)
    plan.flags |= spec::valueOf(spec::kSchedFlags, f).value_or(0);
  if (s.nice < -20 || s.nice > 19) {
    return Error::invalid("process.scheduler.nice: " + std::to_string(s.nice) +
                          " is outside -20..19");
  }
  bool realtime = s.policy == "SCHED_FIFO" || s.policy == "SCHED_RR";
  if (realtime && (s.priority < 1 || s.priority > 99)) {
    return Error::invalid("process.scheduler.priority: " + s.policy + " needs 1..99, not " +
                          std::to_string(s.priority));
  }
  if (!realtime && s.priority != 0) {
    return Error::invalid("process.scheduler.priority: must be 0 for " + s.policy);
  }
  if (s.policy == "SCHED_DEADLINE" &&
      (s.runtime == 0 || s.runtime > s.deadline || (s.period != 0 && s.deadline > s.period))) {
    return Error::invalid(
        "process.scheduler: SCHED_DEADLINE needs 0 < runtime <= deadline <= period");
  }
  plan.nice = s.nice;
  plan.priority = static_cast<uint32_t>(s.priority);
  plan.runtime = s.runtime;
  plan.deadline = s.deadline;
  plan.period = s.period;
  return plan;
}

Result<int> planIoPriority(const spec::IoPriority& p) {
  std::optional<uint64_t> ioClass = spec::valueOf(spec::kIoClasses, p.ioClass);
  if (!ioClass) return Error::invalid("process.ioPriority.class: unknown class " + p.ioClass);
  if (p.priority < 0 || p.priority > 7) {
    return Error::invalid("process.ioPriority.priority: " + std::to_string(p.priority) +
                          " is outside 0..7");
  }
  return static_cast<int>(*ioClass << kIoPrioClassShift) | p.priority;
}

Result<MemoryPolicyPlan> planMemoryPolicy(const spec::MemoryPolicy& m) {
  MemoryPolicyPlan plan;
  std::optional<uint64_t> mode = spec::valueOf(spec::kMpolModes, m.mode);
  if (!mode) return Error::invalid("linux.memoryPolicy.mode: unknown mode " + m.mode);
  plan.mode = static_cast<int>(*mode);
  for (const std::string& f : m.flags) {
    std::optional<uint64_t> flag = spec::valueOf(spec::kMpolFlags, f);
    if (!flag) return Error::invalid("linux.memoryPolicy.flags: unknown flag " + f);
    plan.mode |= static_cast<int>(*flag);
  }
  bool takesNoNodes = m.mode == "MPOL_DEFAULT" || m.mode == "MPOL_LOCAL";
  if (takesNoNodes && !m.nodes.empty()) {
    return Error::invalid("linux.memoryPolicy.nodes: must be empty for " + m.mode);
  }
  bool needsNodes = !takesNoNodes && m.mode != "MPOL_PREFERRED";
  if (needsNodes && m.nodes.empty()) {
    return Error::invalid("linux.memoryPolicy.nodes: " + m.mode + " needs at least one node");
  }
  std::vector<unsigned> nodes = TRY(parseCpuList(m.nodes, "linux.memoryPolicy.nodes"));
  plan.nodes.assign(kMaxNodes / kBitsPerWord, 0);
  for (unsigned n : nodes) plan.nodes[n / kBitsPerWord] |= 1ul << (n % kBitsPerWord);
  plan.maxNode = kMaxNodes + 1;
  return plan;
}

Result<cpu_set_t> planCpuAffinity(std::string_view list, std::string_view where) {
  std::vector<unsigned> cpus = TRY(parseCpuList(list, where));
  cpu_set_t set;
  CPU_ZERO(&set);
  for (unsigned cpu : cpus) {
    if (cpu >= CPU_SETSIZE) {
      return Error::invalid(std::string(where) + ": CPU " + std::to_string(cpu) +
                            " is beyond the " + std::to_string(CPU_SETSIZE) +
                            " this build handles");
    }
    CPU_SET(cpu, &set);
  }
  return set;
}

Result<unsigned long> planPersonality(const spec::Personality& p) {
  if (!p.flags.empty()) {
    return Error::invalid("linux.personality.flags: the spec defines no flags yet");
  }
  std::optional<uint64_t> domain = spec::valueOf(spec::kPersonalityDomains, p.domain);
  if (!domain) return Error::invalid("linux.personality.domain: unknown domain " + p.domain);
  return static_cast<unsigned long>(*domain);
}

Result<ProcessAttrs> planProcessAttrs(const spec::Process& process, const spec::Linux* linux,
                                      const LsmSupport& lsm, bool haveResctrl) {
  ProcessAttrs attrs;
  if (process.scheduler) attrs.scheduler = TRY(planScheduler(*process.scheduler));
  if (process.ioPriority) attrs.ioPriority = TRY(planIoPriority(*process.ioPriority));
  // Only `exec` uses execCPUAffinity (the spec leaves the init alone);
  // a malformed list is still an error now rather than at exec time.
  if (const auto& affinity = process.execCPUAffinity) {
    TRY(parseCpuList(affinity->initial, "process.execCPUAffinity.initial"));
    TRY(parseCpuList(affinity->final, "process.execCPUAffinity.final"));
  }
  if (!process.apparmorProfile.empty()) {
    if (!lsm.apparmor) {
      return Error::invalid("process.apparmorProfile: AppArmor is not enabled on this host",
                            ENOTSUP);
    }
    attrs.apparmorProfile = process.apparmorProfile;
  }
  if (!process.selinuxLabel.empty()) {
    if (!lsm.selinux) {
      return Error::invalid("process.selinuxLabel: SELinux is not enabled on this host", ENOTSUP);
    }
    attrs.selinuxLabel = process.selinuxLabel;
  }
  if (linux == nullptr) return attrs;
  if (!linux->mountLabel.empty()) {
    return Error::invalid(lsm.selinux
                              ? "linux.mountLabel: SELinux mount labels are not supported yet"
                              : "linux.mountLabel: SELinux is not enabled on this host",
                          ENOTSUP);
  }
  if (linux->intelRdt && !haveResctrl) {
    return Error::invalid("linux.intelRdt: this host has no resctrl filesystem (Intel RDT)",
                          ENOTSUP);
  }
  if (linux->intelRdt) {
    return Error::invalid("linux.intelRdt: Intel RDT is not supported yet", ENOTSUP);
  }
  if (linux->memoryPolicy) attrs.memoryPolicy = TRY(planMemoryPolicy(*linux->memoryPolicy));
  if (linux->personality) attrs.personality = TRY(planPersonality(*linux->personality));
  return attrs;
}

bool wantsLsm(const spec::Process& process, const spec::Linux* linux) {
  return !process.apparmorProfile.empty() || !process.selinuxLabel.empty() ||
         (linux != nullptr && !linux->mountLabel.empty());
}

int child::openLsmExecAttr(const ProcessAttrs& attrs, const ChildChannel& channel) {
  if (!attrs.apparmorProfile.empty()) {
    // Kernels with LSM stacking have a per-LSM directory; older ones only
    // the shared file.
    int fd = openVerifiedProc("/proc/thread-self/attr/apparmor/exec", O_WRONLY);
    if (fd == -ENOENT) fd = openVerifiedProc("/proc/thread-self/attr/exec", O_WRONLY);
    if (fd < 0) channel.fail(-fd, "open AppArmor exec attribute");
    return fd;
  }
  if (!attrs.selinuxLabel.empty()) {
    int fd = openVerifiedProc("/proc/thread-self/attr/exec", O_WRONLY);
    if (fd < 0) channel.fail(-fd, "open SELinux exec attribute");
    return fd;
  }
  return -1;
}

void child::applyProcessAttrs(const ProcessAttrs& attrs, int lsmExecFd,
                              const ChildChannel& channel) {
  if (attrs.finalCpuAffinity &&
      ::sched_setaffinity(0, sizeof(cpu_set_t), &*attrs.finalCpuAffinity) < 0) {
    channel.fail(errno, "set the CPU affinity (process.execCPUAffinity.final)");
  }
  // Otherwise every CPU the cgroup's cpuset allows (the kernel narrows the
  // full mask to it): whoever ran us (`taskset`, a pinned shim) must not
  // pin the container too.
  if (!attrs.finalCpuAffinity) {
    cpu_set_t all;
    std::memset(&all, 0xff, sizeof all);
    if (::sched_setaffinity(0, sizeof all, &all) < 0) {
      channel.fail(errno, "reset the CPU affinity to the cgroup's CPUs");
    }
  }
  if (const auto& s = attrs.scheduler) {
    SchedAttr attr{sizeof(SchedAttr), s->policy,  s->flags,    s->nice,
                   s->priority,       s->runtime, s->deadline, s->period};
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) < 0) {
      // With realtime group scheduling (cgroup v1's cpu.rt_runtime_us) a
      // new cpu cgroup has no realtime time at all.
      bool realtime = s->policy == SCHED_FIFO || s->policy == SCHED_RR;
      channel.fail(errno, "set scheduler (process.scheduler)",
                   errno == EPERM && realtime
                       ? "- on cgroup v1 a realtime policy needs realtime time in the container's "
                         "cpu cgroup (linux.resources.cpu.realtimeRuntime)"
                       : "");
    }
  }
  if (attrs.ioPriority &&
      ::syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, *attrs.ioPriority) < 0) {
    channel.fail(errno, "set I/O priority");
  }
  if (const auto& m = attrs.memoryPolicy) {
    if (::syscall(SYS_set_mempolicy, m->mode, m->nodes.data(), m->maxNode) < 0) {
      channel.fail(errno, "set memory policy");
    }
  }
  if (attrs.personality && ::personality(*attrs.personality) < 0) {
    channel.fail(errno, "set personality");
  }
  if (lsmExecFd >= 0) {
    if (!attrs.apparmorProfile.empty()) {
      writeLabel(lsmExecFd, "exec ", attrs.apparmorProfile, "set AppArmor profile", channel);
    } else {
      writeLabel(lsmExecFd, "", attrs.selinuxLabel, "set SELinux label", channel);
    }
    ::close(lsmExecFd);
  }
}

}  // namespace sangja
