#include <sched.h>
#include <sys/resource.h>

#include <array>

#include "spec/config.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

// The tables behind config.h's name lookups (capabilities, rlimits,
// namespaces); the ones the parser and the planners share are in names.h.

namespace sangja::spec {

namespace {

constexpr std::array<std::string_view, kLastCapability + 1> kCapabilityNames = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

struct RlimitName {
  std::string_view name;
  int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

struct NamespaceName {
  NamespaceType type;
  std::string_view name;
  int cloneFlag;
};

constexpr NamespaceName kNamespaces[] = {
    {NamespaceType::Pid, "pid", CLONE_NEWPID},
    {NamespaceType::Network, "network", CLONE_NEWNET},
    {NamespaceType::Mount, "mount", CLONE_NEWNS},
    {NamespaceType::Ipc, "ipc", CLONE_NEWIPC},
    {NamespaceType::Uts, "uts", CLONE_NEWUTS},
    {NamespaceType::User, "user", CLONE_NEWUSER},
    {NamespaceType::Cgroup, "cgroup", CLONE_NEWCGROUP},
    {NamespaceType::Time, "time", CLONE_NEWTIME},
};

}  // namespace

std::optional<NamespaceType> namespaceType(std::string_view name) {
  for (const NamespaceName& n : kNamespaces)
    if (n.name == name) return n.type;
  return std::nullopt;
}

std::string_view namespaceTypeName(NamespaceType type) {
  for (const NamespaceName& n : kNamespaces)
    if (n.type == type) return n.name;
  return "";
}

int namespaceCloneFlag(NamespaceType type) {
  for (const NamespaceName& n : kNamespaces)
    if (n.type == type) return n.cloneFlag;
  return 0;
}

std::optional<int> rlimitResource(std::string_view name) {
  for (const RlimitName& r : kRlimits)
    if (r.name == name) return r.resource;
  return std::nullopt;
}

std::optional<int> capabilityNumber(std::string_view name) {
  for (size_t i = 0; i < kCapabilityNames.size(); ++i)
    if (kCapabilityNames[i] == name) return static_cast<int>(i);
  return std::nullopt;
}

std::string_view capabilityName(int number) {
  if (number < 0 || number > kLastCapability) return "";
  return kCapabilityNames[static_cast<size_t>(number)];
}

}  // namespace sangja::spec
