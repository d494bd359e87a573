// The names the runtime-spec gives to kernel values, each written once:
// the parser checks a config against these tables and the planners take
// the values from them (no second table of the same names elsewhere).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sangja::spec {

struct NamedValue {
  std::string_view name;
  uint64_t value;
};
using NameTable = std::span<const NamedValue>;

// The value of name in table, if it is there.
constexpr std::optional<uint64_t> valueOf(NameTable table, std::string_view name) {
  for (const NamedValue& entry : table) {
    if (entry.name == name) return entry.value;
  }
  return std::nullopt;
}

// Values from the kernel's uapi (linux/sched.h, linux/ioprio.h,
// linux/mempolicy.h, linux/personality.h); glibc does not export them all.
inline constexpr NamedValue kSchedPolicies[] = {
    {"SCHED_OTHER", 0},
    {"SCHED_FIFO", 1},
    {"SCHED_RR", 2},
    {"SCHED_BATCH", 3},
    // The spec names it; Linux reserved the number and never implemented it
    // (the planner refuses it by name).
    {"SCHED_ISO", 4},
    {"SCHED_IDLE", 5},
    {"SCHED_DEADLINE", 6}};
inline constexpr NamedValue kSchedFlags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
inline constexpr NamedValue kIoClasses[] = {
    {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};
inline constexpr NamedValue kMpolModes[] = {{"MPOL_DEFAULT", 0},
                                            {"MPOL_PREFERRED", 1},
                                            {"MPOL_BIND", 2},
                                            {"MPOL_INTERLEAVE", 3},
                                            {"MPOL_LOCAL", 4},
                                            {"MPOL_PREFERRED_MANY", 5},
                                            {"MPOL_WEIGHTED_INTERLEAVE", 6}};
inline constexpr NamedValue kMpolFlags[] = {{"MPOL_F_STATIC_NODES", 1u << 15},
                                            {"MPOL_F_RELATIVE_NODES", 1u << 14},
                                            {"MPOL_F_NUMA_BALANCING", 1u << 13}};
inline constexpr NamedValue kPersonalityDomains[] = {{"LINUX", 0x0000}, {"LINUX32", 0x0008}};

// Seccomp actions as the kernel's SECCOMP_RET_* (libseccomp's SCMP_ACT_*
// are the same numbers; ERRNO and TRACE carry their data in the low 16
// bits), operators as libseccomp's enum scmp_compare, flags as the
// kernel's SECCOMP_FILTER_FLAG_*. runtime/process/seccomp.cc checks them
// against libseccomp's headers at compile time.
inline constexpr NamedValue kSeccompActions[] = {
    {"SCMP_ACT_KILL", 0x00000000},        {"SCMP_ACT_KILL_PROCESS", 0x80000000},
    {"SCMP_ACT_KILL_THREAD", 0x00000000}, {"SCMP_ACT_TRAP", 0x00030000},
    {"SCMP_ACT_ERRNO", 0x00050000},       {"SCMP_ACT_TRACE", 0x7ff00000},
    {"SCMP_ACT_ALLOW", 0x7fff0000},       {"SCMP_ACT_LOG", 0x7ffc0000},
    {"SCMP_ACT_NOTIFY", 0x7fc00000}};
inline constexpr NamedValue kSeccompOperators[] = {
    {"SCMP_CMP_NE", 1}, {"SCMP_CMP_LT", 2}, {"SCMP_CMP_LE", 3},       {"SCMP_CMP_EQ", 4},
    {"SCMP_CMP_GE", 5}, {"SCMP_CMP_GT", 6}, {"SCMP_CMP_MASKED_EQ", 7}};
inline constexpr NamedValue kSeccompFlags[] = {{"SECCOMP_FILTER_FLAG_TSYNC", 1u << 0},
                                               {"SECCOMP_FILTER_FLAG_LOG", 1u << 1},
                                               {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1u << 2},
                                               {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5}};
// Every architecture the spec names. Which of them this libseccomp can
// build a filter for is seccomp.cc's business (its own table, with
// libseccomp's tokens).
inline constexpr std::string_view kSeccompArches[] = {
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",   "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",  "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",     "SCMP_ARCH_SHEB",
    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64"};

inline constexpr std::string_view kPropagations[] = {
    "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"};
inline constexpr std::string_view kTimeClocks[] = {"monotonic", "boottime"};

}  // namespace sangja::spec
