// linux.seccomp, in three stages:
//  1. planRules (pure): the profile checked and turned into rules with
//     numbers (action, syscall, operator, arch and flag names mapped);
//  2. compileFilter (parent, libseccomp): the rules compiled to a classic
//     BPF program, before the clone;
//  3. loadFilter (container init): one seccomp(2) call with that program,
//     no allocation, no libseccomp.
// With SCMP_ACT_NOTIFY the init hands the listener fd to the runtime over
// the sync channel, and the runtime passes it on to linux.seccomp.listenerPath
// with the container process state (sendToListener).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/sync_channel.h"
#include "runtime/process/process.h"
#include "spec/config.h"
#include "spec/state.h"

namespace sangja::seccomp {

// ---- Names to values (pure). nullopt: unknown here. ----

// SCMP_ACT_*; errnoRet goes into ERRNO and TRACE (runtime-spec: EPERM when
// the profile gives none).
std::optional<uint32_t> actionValue(std::string_view name, uint32_t errnoRet);
// SCMP_CMP_* as libseccomp's enum scmp_compare.
std::optional<int> operatorValue(std::string_view name);
// SCMP_ARCH_* as libseccomp's arch token (AUDIT_ARCH_*); names the spec
// lists but this libseccomp predates give nullopt.
std::optional<uint32_t> archValue(std::string_view name);
// SECCOMP_FILTER_FLAG_* as the seccomp(2) flag bit.
std::optional<unsigned> flagValue(std::string_view name);

// What `features` reports under linux.seccomp (pure, from the tables above).
struct Features {
  std::vector<std::string> actions;
  std::vector<std::string> operators;
  std::vector<std::string> archs;
  std::vector<std::string> knownFlags;
};
Features features();
// knownFlags this kernel accepts (probes seccomp(2); no filter is loaded).
std::vector<std::string> supportedFlags();

// ---- Stage 1: the rule plan (pure). ----

struct Condition {
  unsigned index = 0;  // syscall argument, 0..5
  int op = 0;          // enum scmp_compare
  uint64_t value = 0;
  uint64_t valueTwo = 0;
  bool operator==(const Condition&) const = default;
};

struct Rule {
  std::string syscall;
  int nr = 0;  // libseccomp's number for the native arch (negative: pseudo)
  uint32_t action = 0;
  std::vector<Condition> conditions;  // all must hold
  std::string where;                  // "linux.seccomp.syscalls[2]", for errors
  bool operator==(const Rule&) const = default;
};

// Syscalls of arch numbered above `highest` (the newest the profile names)
// get ENOSYS instead of the default action: a syscall newer than the
// profile must look missing, so that libc falls back to an older one (as
// runc >= 1.1 does). clone3 under Docker's old profiles is the classic.
struct NewerThanProfile {
  uint32_t arch = 0;  // libseccomp's token, the kernel's AUDIT_ARCH_*
  int highest = 0;
  bool operator==(const NewerThanProfile&) const = default;
};

struct RulePlan {
  uint32_t defaultAction = 0;
  std::vector<uint32_t> arches;  // besides the native one
  unsigned flags = 0;            // SECCOMP_FILTER_FLAG_* from linux.seccomp.flags
  std::vector<Rule> rules;
  // Names this libseccomp does not know: skipped, as runc does (a profile
  // lists syscalls newer than some kernels).
  std::vector<std::string> unknownSyscalls;
  // Empty when the default action lets syscalls through anyway.
  std::vector<NewerThanProfile> enosysAbove;
  bool notify = false;  // some entry uses SCMP_ACT_NOTIFY
  std::string listenerPath;
  std::string listenerMetadata;
};

// Errors name the JSON path: `linux.seccomp.syscalls[2].action: unknown
// action "X"`. Each name of an entry is a rule of its own; an entry whose
// action equals the default one is skipped (libseccomp refuses it); args
// on distinct indexes are ANDed in one rule, but when two args share an
// index each arg becomes a rule of its own (runc's rule: libseccomp would
// AND them, and "arg0 == 1 && arg0 == 2" never matches).
Result<RulePlan> planRules(const spec::Seccomp& profile);

// ---- Stage 2: BPF, in the parent. ----

// Checks that this kernel has every action and flag the plan uses.
Status checkKernelSupport(const RulePlan& plan);
// Pure: the BPF to put before libseccomp's program, answering ENOSYS for
// the syscalls beyond each arch's highest (x86-64: x32 numbers excepted,
// libseccomp's program judges those); falls through to the next
// instruction otherwise. Empty for no limits.
std::vector<sock_filter> enosysPrelude(const std::vector<NewerThanProfile>& limits);

// libseccomp compiles the rules for the native arch plus plan.arches,
// behind enosysPrelude(plan.enosysAbove).
Result<std::vector<sock_filter>> compileFilter(const RulePlan& plan);

// ---- Stage 3: what the container init loads, and when. ----

// The kernel loads a filter only with no_new_privs or CAP_SYS_ADMIN.
enum class LoadPoint {
  // Before the uid change and the capability drop: without no_new_privs,
  // once CAP_SYS_ADMIN is gone we could not load any more (runc and crun
  // load here in that case too).
  kBeforeIdentity,
  // After identity, just before the init reports ready: a listener fd must
  // reach the runtime while `create` still runs.
  kBeforeReady,
  // The last step before execve, after the wait for `start`: the fewest
  // syscalls run under the filter. The wait (poll/read on the exec fifo or
  // recv on the sync socket) and the ready message would otherwise need to
  // be allowed by every profile, and a default-kill profile would kill the
  // init while it waits. (The exec itself goes through the exec
  // trampoline: the filter sees execveat, then the program's execve;
  // runtime/process/exec_guard.h.)
  kBeforeExec,
};
LoadPoint chooseLoadPoint(bool notify, bool noNewPrivileges, bool keepsSysAdmin);

struct Program {
  std::vector<sock_filter> filter;  // empty: no seccomp
  unsigned flags = 0;               // for seccomp(SECCOMP_SET_MODE_FILTER)
  LoadPoint when = LoadPoint::kBeforeExec;
  bool listener = false;  // hand the notify fd to the runtime
  std::string listenerPath;
  std::string listenerMetadata;
  // The filter cache (seccomp_cache.h): whether the filter came from it,
  // and the key under which keepInCache stores one compiled now.
  bool fromCache = false;
  std::string cacheDir;
  std::string cacheKey;
  bool active() const { return !filter.empty(); }
};

// Stages 1 and 2 plus the load point for this process. With a cacheDir,
// stage 2 goes through the filter cache there (seccomp_cache.h).
Result<Program> planProgram(const spec::Seccomp& profile, const ProcessPlan& process,
                            const std::string& cacheDir = "");

namespace child {

// Child side: loads the program if `at` is its load point. With a listener
// the notify fd goes to the runtime as a kSeccompFd message and is closed
// here: the container never holds it. A failure at kBeforeExec (nobody
// reads the channel then) goes to the container's stderr.
void loadFilter(const Program& program, LoadPoint at, const ChildChannel& channel);

}  // namespace child

// ---- The listener (parent side). ----

// runtime-spec "container process state": {"ociVersion","fds":["seccompFd"],
// "pid","metadata","state":{the container's state}}.
std::string containerProcessState(const spec::State& state, const std::string& metadata);
// Connects to the program's listenerPath and sends the state with notifyFd
// (SCM_RIGHTS) in one message, then closes the connection.
Status sendToListener(const Program& program, const spec::State& state, int notifyFd);

}  // namespace sangja::seccomp
