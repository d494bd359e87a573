#include "runtime/process/seccomp.h"

#include <linux/capability.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/fd_passing.h"
#include "base/fixed_text.h"
#include "base/log.h"
#include "base/unique_fd.h"
#include "runtime/process/seccomp_cache.h"
#include "spec/names.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

namespace sangja::seccomp {

namespace {

constexpr unsigned kMaxErrno = 4095;  // the kernel clamps SECCOMP_RET_ERRNO data to this
constexpr unsigned kMaxArgs = 6;

// Actions whose value carries the errno (runtime-spec: errnoRet).
enum class ActionKind { kPlain, kErrno, kTrace };
ActionKind kindOf(std::string_view action) {
  if (action == "SCMP_ACT_ERRNO") return ActionKind::kErrno;
  if (action == "SCMP_ACT_TRACE") return ActionKind::kTrace;
  return ActionKind::kPlain;
}

// The spec's tables (spec/names.h) hold the kernel's numbers; libseccomp
// must agree with them.
constexpr uint64_t specValue(spec::NameTable table, std::string_view name) {
  return spec::valueOf(table, name).value_or(~0ULL);
}
static_assert(specValue(spec::kSeccompActions, "SCMP_ACT_KILL") == SCMP_ACT_KILL);
static_assert(specValue(spec::kSeccompActions, "SCMP_ACT_KILL_PROCESS") == SCMP_ACT_KILL_PROCESS);
static_assert(specValue(spec::kSeccompActions, "SCMP_ACT_KILL_THREAD") == SCMP_ACT_KILL_THREAD);
static_assert(specValue(spec::kSeccompActions, "SCMP_ACT_TRAP") == SCMP_ACT_TRAP);
static_assert(specValue(spec::kSeccompActions, "SCMP_ACT_ERRNO") == SCMP_ACT_ERRNO(0));
static_assert(specValue(spec::kSeccompActions, "SCMP_ACT_TRACE") == SCMP_ACT_TRACE(0));
static_assert(specValue(spec::kSeccompActions, "SCMP_ACT_ALLOW") == SCMP_ACT_ALLOW);
static_assert(specValue(spec::kSeccompActions, "SCMP_ACT_LOG") == SCMP_ACT_LOG);
static_assert(specValue(spec::kSeccompActions, "SCMP_ACT_NOTIFY") == SCMP_ACT_NOTIFY);
static_assert(specValue(spec::kSeccompOperators, "SCMP_CMP_NE") == SCMP_CMP_NE);
static_assert(specValue(spec::kSeccompOperators, "SCMP_CMP_LT") == SCMP_CMP_LT);
static_assert(specValue(spec::kSeccompOperators, "SCMP_CMP_LE") == SCMP_CMP_LE);
static_assert(specValue(spec::kSeccompOperators, "SCMP_CMP_EQ") == SCMP_CMP_EQ);
static_assert(specValue(spec::kSeccompOperators, "SCMP_CMP_GE") == SCMP_CMP_GE);
static_assert(specValue(spec::kSeccompOperators, "SCMP_CMP_GT") == SCMP_CMP_GT);
static_assert(specValue(spec::kSeccompOperators, "SCMP_CMP_MASKED_EQ") == SCMP_CMP_MASKED_EQ);
static_assert(specValue(spec::kSeccompFlags, "SECCOMP_FILTER_FLAG_TSYNC") ==
              SECCOMP_FILTER_FLAG_TSYNC);
static_assert(specValue(spec::kSeccompFlags, "SECCOMP_FILTER_FLAG_LOG") == SECCOMP_FILTER_FLAG_LOG);
static_assert(specValue(spec::kSeccompFlags, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") ==
              SECCOMP_FILTER_FLAG_SPEC_ALLOW);
static_assert(specValue(spec::kSeccompFlags, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") ==
              SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);

struct IntName {
  std::string_view name;
  uint32_t value;
};

// The arches this libseccomp has tokens for; runtime-spec also lists a few
// newer ones (loongarch64, m68k, sh) that libseccomp 2.6 added.
constexpr std::array kArches = {
    IntName{"SCMP_ARCH_X86", SCMP_ARCH_X86},
    IntName{"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    IntName{"SCMP_ARCH_X32", SCMP_ARCH_X32},
    IntName{"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    IntName{"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    IntName{"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    IntName{"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    IntName{"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    IntName{"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    IntName{"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    IntName{"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    IntName{"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    IntName{"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    IntName{"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    IntName{"SCMP_ARCH_S390", SCMP_ARCH_S390},
    IntName{"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    IntName{"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    IntName{"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    IntName{"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
    IntName{"SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64},
#endif
#ifdef SCMP_ARCH_M68K
    IntName{"SCMP_ARCH_M68K", SCMP_ARCH_M68K},
#endif
#ifdef SCMP_ARCH_SH
    IntName{"SCMP_ARCH_SH", SCMP_ARCH_SH},
    IntName{"SCMP_ARCH_SHEB", SCMP_ARCH_SHEB},
#endif
};
constexpr std::string_view kNewerArches[] = {"SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
                                             "SCMP_ARCH_SH", "SCMP_ARCH_SHEB"};

template <size_t N>
std::optional<uint32_t> lookup(const std::array<IntName, N>& table, std::string_view name) {
  for (const IntName& e : table) {
    if (e.name == name) return e.value;
  }
  return std::nullopt;
}

template <typename Table>
std::vector<std::string> names(const Table& table) {
  std::vector<std::string> out;
  for (const auto& e : table) out.emplace_back(e.name);
  return out;
}

const spec::NamedValue* findAction(std::string_view name) {
  for (const spec::NamedValue& a : spec::kSeccompActions) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

// The name of an action value, for messages ("SCMP_ACT_ERRNO").
std::string_view actionName(uint32_t value) {
  for (const spec::NamedValue& a : spec::kSeccompActions) {
    if (a.value == (value & (kindOf(a.name) == ActionKind::kPlain ? 0xffffffffU : 0xffff0000U))) {
      return a.name;
    }
  }
  return "?";
}

std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

long seccompCall(unsigned op, unsigned flags, void* arg) {
  return ::syscall(SYS_seccomp, op, flags, arg);
}

// A flag is known to the kernel when seccomp(2) gets past the flag checks
// and fails on the NULL program instead (libseccomp probes the same way).
bool kernelHasFlag(unsigned flag) {
  // WAIT_KILLABLE_RECV is only valid together with NEW_LISTENER.
  unsigned probe = flag;
  if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  return seccompCall(SECCOMP_SET_MODE_FILTER, probe, nullptr) < 0 && errno == EFAULT;
}

// The errno an ERRNO or TRACE action returns: the profile's, else EPERM.
Result<uint32_t> errnoFor(const std::optional<uint32_t>& errnoRet, std::string_view action,
                          const std::string& where) {
  if (!errnoRet) return uint32_t{EPERM};
  const spec::NamedValue* a = findAction(action);
  if (a != nullptr && kindOf(a->name) == ActionKind::kPlain) {
    return Error::invalid(where + ": only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not " +
                          std::string(action));
  }
  if (*errnoRet > kMaxErrno) {
    return Error::invalid(where + ": " + std::to_string(*errnoRet) +
                          " is above the largest errno " + std::to_string(kMaxErrno));
  }
  return *errnoRet;
}

Result<uint32_t> mapAction(std::string_view name, uint32_t errnoRet, const std::string& where) {
  std::optional<uint32_t> value = actionValue(name, errnoRet);
  if (!value) return Error::invalid(where + ": unknown action " + quote(name));
  return *value;
}

Result<std::vector<Condition>> planConditions(const std::vector<spec::SeccompArg>& args,
                                              const std::string& where) {
  std::vector<Condition> out;
  for (size_t j = 0; j < args.size(); ++j) {
    const spec::SeccompArg& a = args[j];
    std::string at = where + ".args[" + std::to_string(j) + "]";
    std::optional<int> op = operatorValue(a.op);
    if (!op) return Error::invalid(at + ".op: unknown operator " + quote(a.op));
    if (a.index >= kMaxArgs) {
      return Error::invalid(at + ".index: " + std::to_string(a.index) +
                            " is out of range (a syscall has arguments 0 to 5)");
    }
    out.push_back(Condition{a.index, *op, a.value, a.valueTwo});
  }
  return out;
}

// runc's rule: one rule with every condition, unless two share an index.
bool sharesIndex(const std::vector<Condition>& conditions) {
  unsigned seen = 0;
  for (const Condition& c : conditions) {
    if (seen & (1u << c.index)) return true;
    seen |= 1u << c.index;
  }
  return false;
}

// The fd the init hands over goes out right after the load with sendmsg(2):
// notifying that syscall would leave the init waiting for an agent that
// never gets the fd (runc refuses `write` for the same reason).
constexpr std::string_view kHandOverSyscall = "sendmsg";

// A memfd-backed buffer for seccomp_export_bpf (libseccomp 2.5 exports to
// an fd only).
Result<std::vector<sock_filter>> exportBpf(scmp_filter_ctx ctx) {
  int raw = ::memfd_create("sangja-seccomp", MFD_CLOEXEC);
  if (raw < 0) return Error::fromErrno("seccomp: memfd_create");
  UniqueFd memfd(raw);
  if (int rc = seccomp_export_bpf(ctx, memfd.get()); rc < 0) {
    return Error::fromErrno(-rc, "seccomp: export BPF");
  }
  struct stat st;
  if (::fstat(memfd.get(), &st) < 0) return Error::fromErrno("seccomp: stat BPF");
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0 || size % sizeof(sock_filter) != 0) {
    return Error::invalid("seccomp: libseccomp exported a BPF program of " + std::to_string(size) +
                          " bytes");
  }
  std::vector<sock_filter> filter(size / sizeof(sock_filter));
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(memfd.get(), reinterpret_cast<char*>(filter.data()) + done, size - done,
                        static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::fromErrno(n < 0 ? errno : EIO, "seccomp: read BPF");
    done += static_cast<size_t>(n);
  }
  return filter;
}

struct FilterCtx {
  scmp_filter_ctx ctx;
  ~FilterCtx() {
    if (ctx != nullptr) seccomp_release(ctx);
  }
};

[[noreturn]] void failBeforeExec(int err) {
  FixedText<160> msg("sangja: load seccomp filter: ");
  msg.append(strerrordesc_np(err)).append("\n");
  ssize_t ignored = ::write(2, msg.c_str(), msg.size());
  (void)ignored;
  ::_exit(127);
}

}  // namespace

std::optional<uint32_t> actionValue(std::string_view name, uint32_t errnoRet) {
  const spec::NamedValue* a = findAction(name);
  if (a == nullptr) return std::nullopt;
  switch (kindOf(a->name)) {
    case ActionKind::kErrno:
      return SCMP_ACT_ERRNO(errnoRet);
    case ActionKind::kTrace:
      return SCMP_ACT_TRACE(errnoRet);
    case ActionKind::kPlain:
      break;
  }
  return static_cast<uint32_t>(a->value);
}

std::optional<int> operatorValue(std::string_view name) {
  std::optional<uint64_t> v = spec::valueOf(spec::kSeccompOperators, name);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<uint32_t> archValue(std::string_view name) {
  return lookup(kArches, name);
}

std::optional<unsigned> flagValue(std::string_view name) {
  std::optional<uint64_t> v = spec::valueOf(spec::kSeccompFlags, name);
  if (!v) return std::nullopt;
  return static_cast<unsigned>(*v);
}

Features features() {
  return Features{names(spec::kSeccompActions), names(spec::kSeccompOperators), names(kArches),
                  names(spec::kSeccompFlags)};
}

std::vector<std::string> supportedFlags() {
  std::vector<std::string> out;
  for (const spec::NamedValue& f : spec::kSeccompFlags) {
    if (kernelHasFlag(f.value)) out.emplace_back(f.name);
  }
  return out;
}

namespace {

// The highest number of any syscall the profile names, per arch it filters
// (x32 shares x86-64's arch in seccomp_data and is judged by libseccomp).
std::vector<NewerThanProfile> newestNamedPerArch(const spec::Seccomp& profile,
                                                 const RulePlan& plan) {
  if (plan.defaultAction == SCMP_ACT_ALLOW || plan.defaultAction == SCMP_ACT_LOG) return {};
  std::vector<uint32_t> arches{seccomp_arch_native()};
  for (uint32_t a : plan.arches) {
    if (a != SCMP_ARCH_X32 && std::find(arches.begin(), arches.end(), a) == arches.end()) {
      arches.push_back(a);
    }
  }
  std::vector<NewerThanProfile> out;
  for (uint32_t arch : arches) {
    int highest = -1;
    for (const spec::Syscall& entry : profile.syscalls) {
      for (const std::string& name : entry.names) {
        highest = std::max(highest, seccomp_syscall_resolve_name_arch(arch, name.c_str()));
      }
    }
    if (highest >= 0) out.push_back(NewerThanProfile{arch, highest});
  }
  return out;
}

sock_filter stmt(uint16_t code, uint32_t k) {
  return sock_filter{code, 0, 0, k};
}
sock_filter jump(uint16_t code, uint32_t k, size_t jt, size_t jf) {
  return sock_filter{code, static_cast<uint8_t>(jt), static_cast<uint8_t>(jf), k};
}

constexpr uint32_t kX32SyscallBit = 0x40000000;

}  // namespace

std::vector<sock_filter> enosysPrelude(const std::vector<NewerThanProfile>& limits) {
  if (limits.empty()) return {};
  auto blockSize = [](const NewerThanProfile& l) { return l.arch == SCMP_ARCH_X86_64 ? 5u : 4u; };
  size_t total = 2;  // after the blocks: skip the return, return ENOSYS
  for (const NewerThanProfile& l : limits) total += blockSize(l);
  const size_t enosysAt = total - 1, programAt = total;
  std::vector<sock_filter> out;
  out.reserve(total);
  // Offsets are from the next instruction; the prelude is a few dozen
  // instructions, far below the 255 a conditional jump can reach.
  auto to = [&](size_t target) { return target - (out.size() + 1); };
  for (const NewerThanProfile& l : limits) {
    size_t nextBlock = out.size() + blockSize(l);
    out.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    out.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, l.arch, 0, to(nextBlock)));
    out.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    if (l.arch == SCMP_ARCH_X86_64) {
      out.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, kX32SyscallBit, to(programAt), 0));
    }
    out.push_back(jump(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(l.highest), to(enosysAt),
                       to(programAt)));
  }
  out.push_back(stmt(BPF_JMP | BPF_JA, static_cast<uint32_t>(to(programAt))));
  out.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
  return out;
}

Result<RulePlan> planRules(const spec::Seccomp& profile) {
  const std::string base = "linux.seccomp";
  RulePlan plan;
  uint32_t defaultErrno =
      TRY(errnoFor(profile.defaultErrnoRet, profile.defaultAction, base + ".defaultErrnoRet"));
  plan.defaultAction = TRY(mapAction(profile.defaultAction, defaultErrno, base + ".defaultAction"));
  if (plan.defaultAction == SCMP_ACT_NOTIFY) {
    return Error::invalid(base +
                          ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action: the "
                          "container init could not hand the listener fd to the runtime");
  }
  for (size_t i = 0; i < profile.architectures.size(); ++i) {
    const std::string& name = profile.architectures[i];
    std::string at = base + ".architectures[" + std::to_string(i) + "]";
    std::optional<uint32_t> arch = archValue(name);
    if (!arch) {
      for (std::string_view newer : kNewerArches) {
        if (newer == name) {
          const scmp_version* v = seccomp_version();
          return Error::invalid(at + ": " + name + " is not supported by libseccomp " +
                                    std::to_string(v->major) + "." + std::to_string(v->minor) +
                                    "." + std::to_string(v->micro),
                                ENOTSUP);
        }
      }
      return Error::invalid(at + ": unknown architecture " + quote(name));
    }
    plan.arches.push_back(*arch);
  }
  for (size_t i = 0; i < profile.flags.size(); ++i) {
    std::optional<unsigned> flag = flagValue(profile.flags[i]);
    if (!flag) {
      return Error::invalid(base + ".flags[" + std::to_string(i) + "]: unknown flag " +
                            quote(profile.flags[i]));
    }
    plan.flags |= *flag;
  }
  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    const spec::Syscall& entry = profile.syscalls[i];
    std::string where = base + ".syscalls[" + std::to_string(i) + "]";
    uint32_t err = TRY(errnoFor(entry.errnoRet, entry.action, where + ".errnoRet"));
    uint32_t action = TRY(mapAction(entry.action, err, where + ".action"));
    std::vector<Condition> conditions = TRY(planConditions(entry.args, where));
    if (action == SCMP_ACT_NOTIFY) {
      plan.notify = true;
      for (const std::string& name : entry.names) {
        if (name == kHandOverSyscall) {
          return Error::invalid(where + ": SCMP_ACT_NOTIFY cannot be used for " + name +
                                ": the container init hands the listener fd over with it");
        }
      }
    }
    if (action == plan.defaultAction) continue;  // redundant; libseccomp refuses it
    bool split = sharesIndex(conditions);
    for (const std::string& name : entry.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        plan.unknownSyscalls.push_back(name);
        continue;
      }
      if (!split) {
        plan.rules.push_back(Rule{name, nr, action, conditions, where});
        continue;
      }
      for (const Condition& c : conditions)
        plan.rules.push_back(Rule{name, nr, action, {c}, where});
    }
  }
  if (plan.notify) {
    if (profile.listenerPath.empty()) {
      return Error::invalid(base + ".listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
    }
    if (profile.listenerPath.front() != '/') {
      return Error::invalid(base + ".listenerPath: must be an absolute path, got " +
                            quote(profile.listenerPath));
    }
    if (profile.listenerPath.size() >= sizeof(sockaddr_un::sun_path)) {
      return Error::invalid(base + ".listenerPath: longer than a unix socket path may be (" +
                                std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes)",
                            ENAMETOOLONG);
    }
    plan.listenerPath = profile.listenerPath;
    plan.listenerMetadata = profile.listenerMetadata;
  }
  plan.enosysAbove = newestNamedPerArch(profile, plan);
  return plan;
}

Status checkKernelSupport(const RulePlan& plan) {
  std::vector<uint32_t> checked;
  auto check = [&](uint32_t action) -> Status {
    uint32_t kind = action & SECCOMP_RET_ACTION_FULL;
    for (uint32_t c : checked) {
      if (c == kind) return {};
    }
    checked.push_back(kind);
    if (seccompCall(SECCOMP_GET_ACTION_AVAIL, 0, &kind) < 0) {
      return Error::fromErrno("linux.seccomp: " + std::string(actionName(action)) +
                              " is not supported by this kernel");
    }
    return {};
  };
  TRY(check(plan.defaultAction));
  for (const Rule& r : plan.rules) TRY(check(r.action));
  for (const spec::NamedValue& f : spec::kSeccompFlags) {
    if ((plan.flags & f.value) && !kernelHasFlag(f.value)) {
      return Error::invalid(
          "linux.seccomp.flags: " + std::string(f.name) + " is not supported by this kernel",
          ENOTSUP);
    }
  }
  if (plan.notify && !kernelHasFlag(SECCOMP_FILTER_FLAG_NEW_LISTENER)) {
    return Error::invalid("linux.seccomp: SCMP_ACT_NOTIFY needs a kernel with seccomp listeners",
                          ENOTSUP);
  }
  return {};
}

Result<std::vector<sock_filter>> compileFilter(const RulePlan& plan) {
  FilterCtx filter{seccomp_init(plan.defaultAction)};
  if (filter.ctx == nullptr)
    return Error::invalid("seccomp: libseccomp refused the default action");
  for (uint32_t arch : plan.arches) {
    int rc = seccomp_arch_add(filter.ctx, arch);
    if (rc < 0 && rc != -EEXIST) return Error::fromErrno(-rc, "seccomp: add architecture");
  }
  // A binary tree of syscalls instead of a list for long profiles (as
  // runc does; libseccomp 2.5 misbehaves with it on an empty rule set).
  if (plan.rules.size() > 32) (void)seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (const Rule& r : plan.rules) {
    scmp_arg_cmp args[kMaxArgs];
    unsigned n = 0;
    for (const Condition& c : r.conditions) {
      args[n++] = scmp_arg_cmp{c.index, static_cast<scmp_compare>(c.op), c.value, c.valueTwo};
    }
    int rc = seccomp_rule_add_array(filter.ctx, r.action, r.nr, n, args);
    if (rc < 0) return Error::fromErrno(-rc, r.where + ": add a rule for " + r.syscall);
  }
  std::vector<sock_filter> bpf = enosysPrelude(plan.enosysAbove);
  std::vector<sock_filter> program = TRY(exportBpf(filter.ctx));
  bpf.insert(bpf.end(), program.begin(), program.end());
  if (bpf.size() > BPF_MAXINSNS) {
    return Error::invalid("linux.seccomp: the profile compiles to " + std::to_string(bpf.size()) +
                          " BPF instructions; the kernel takes at most " +
                          std::to_string(BPF_MAXINSNS));
  }
  return bpf;
}

LoadPoint chooseLoadPoint(bool notify, bool noNewPrivileges, bool keepsSysAdmin) {
  if (!noNewPrivileges && !keepsSysAdmin) return LoadPoint::kBeforeIdentity;
  return notify ? LoadPoint::kBeforeReady : LoadPoint::kBeforeExec;
}

Result<Program> planProgram(const spec::Seccomp& profile, const ProcessPlan& process,
                            const std::string& cacheDir) {
  RulePlan rules = TRY(planRules(profile));
  for (const std::string& name : rules.unknownSyscalls) {
    log::debug("seccomp: syscall \"" + name + "\" is unknown to libseccomp; its rule is skipped");
  }
  TRY(checkKernelSupport(rules));
  Program program;
  if (cacheDir.empty()) {
    program.filter = TRY(compileFilter(rules));
  } else {
    CachedFilter cached = TRY(compileCached(rules, cacheDir));
    program.filter = std::move(cached.filter);
    program.fromCache = cached.hit;
    if (!cached.hit && !cached.key.empty()) {
      program.cacheDir = cacheDir;
      program.cacheKey = std::move(cached.key);
    }
  }
  program.flags = rules.flags;
  if (rules.notify) {
    program.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The kernel refuses TSYNC with a listener unless told to report a
    // thread it could not sync as ESRCH (the init has one thread anyway).
    if (program.flags & SECCOMP_FILTER_FLAG_TSYNC) program.flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else {
    // Only meaningful for a listener, and the kernel refuses it without
    // one (libseccomp drops it the same way).
    program.flags &= ~static_cast<unsigned>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  }
  // After applyIdentity the init has CAP_SYS_ADMIN if its effective set
  // says so, or, with capabilities left alone, if it stays uid 0.
  bool keepsSysAdmin =
      process.caps ? (process.caps->effective >> CAP_SYS_ADMIN) & 1 : process.uid == 0;
  program.when = chooseLoadPoint(rules.notify, process.noNewPrivileges, keepsSysAdmin);
  program.listener = rules.notify;
  program.listenerPath = rules.listenerPath;
  program.listenerMetadata = rules.listenerMetadata;
  return program;
}

void child::loadFilter(const Program& program, LoadPoint at, const ChildChannel& channel) {
  if (program.filter.empty() || program.when != at) return;
  sock_fprog prog{static_cast<unsigned short>(program.filter.size()),
                  const_cast<sock_filter*>(program.filter.data())};
  long fd = seccompCall(SECCOMP_SET_MODE_FILTER, program.flags, &prog);
  if (fd < 0) {
    if (at == LoadPoint::kBeforeExec) failBeforeExec(errno);
    channel.fail(errno, "load seccomp filter");
  }
  if (!program.listener) return;
  if (!channel.sendFd(SyncType::kSeccompFd, static_cast<int>(fd))) {
    channel.fail(errno, "hand the seccomp listener fd to the runtime");
  }
  ::close(static_cast<int>(fd));
}

std::string containerProcessState(const spec::State& state, const std::string& metadata) {
  nlohmann::ordered_json j;
  j["ociVersion"] = state.ociVersion;
  j["fds"] = {"seccompFd"};
  j["pid"] = state.pid;
  if (!metadata.empty()) j["metadata"] = metadata;
  j["state"] = nlohmann::ordered_json::parse(spec::toJson(state));
  return j.dump();
}

Status sendToListener(const Program& program, const spec::State& state, int notifyFd) {
  const std::string& path = program.listenerPath;
  std::string what = "seccomp listener " + path;
  int raw = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (raw < 0) return Error::fromErrno(what + ": socket");
  UniqueFd sock(raw);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);  // length checked in planRules
  int r;
  do r = ::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  while (r < 0 && errno == EINTR);
  if (r < 0) return Error::fromErrno(what + ": connect");

  std::string payload = containerProcessState(state, program.listenerMetadata);
  ssize_t n = sendWithFd(sock.get(), payload.data(), payload.size(), notifyFd);
  if (n < 0) return Error::fromErrno(what + ": send the seccomp fd");
  // The fd went with the first part; the rest, if any, follows plainly.
  for (size_t done = static_cast<size_t>(n); done < payload.size();) {
    ssize_t m = ::send(sock.get(), payload.data() + done, payload.size() - done, MSG_NOSIGNAL);
    if (m < 0 && errno == EINTR) continue;
    if (m < 0) return Error::fromErrno(what + ": send the container state");
    done += static_cast<size_t>(m);
  }
  return {};
}

}  // namespace sangja::seccomp
