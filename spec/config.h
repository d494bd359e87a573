// The OCI runtime-spec v1.3.0 config.json data model for Linux, with parsing
// and validation. Pure code: no syscalls.
//
// Field types follow the spec's Go types (specs-go/config.go); a std::optional
// marks fields where "absent" means something different from a zero value.
// Errors name the document and the JSON path:
//   config.json: linux.namespaces[2].type: unknown namespace type "foo"
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

// GNU modes predefine `linux` as 1; the field below needs the name.
#ifdef linux
#undef linux
#endif

namespace sangja::spec {

// The spec version sangja implements and writes.
inline constexpr std::string_view kOciVersion = "1.3.0";

struct IdMapping {
  uint32_t containerID = 0;
  uint32_t hostID = 0;
  uint32_t size = 0;
  bool operator==(const IdMapping&) const = default;
};

struct Root {
  std::string path;
  bool readonly = false;
  bool operator==(const Root&) const = default;
};

struct Mount {
  std::string destination;
  std::string source;
  std::string type;
  std::vector<std::string> options;
  std::vector<IdMapping> uidMappings;  // idmapped mounts
  std::vector<IdMapping> gidMappings;
  bool operator==(const Mount&) const = default;
};

struct Box {
  uint64_t height = 0;
  uint64_t width = 0;
  bool operator==(const Box&) const = default;
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;  // absent: leave the umask alone
  std::vector<uint32_t> additionalGids;
  std::string username;  // Windows only; kept for round trips
  bool operator==(const User&) const = default;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"; see rlimitResource()
  uint64_t hard = 0;
  uint64_t soft = 0;
  bool operator==(const Rlimit&) const = default;
};

// Capability names as written ("CAP_CHOWN"); see capabilityNumber().
struct Capabilities {
  std::vector<std::string> bounding;
  std::vector<std::string> effective;
  std::vector<std::string> inheritable;
  std::vector<std::string> permitted;
  std::vector<std::string> ambient;
  bool operator==(const Capabilities&) const = default;
};

struct Scheduler {
  std::string policy;  // SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO,
                       // SCHED_IDLE, SCHED_DEADLINE
  int32_t nice = 0;
  int32_t priority = 0;
  std::vector<std::string> flags;  // SCHED_FLAG_*
  uint64_t runtime = 0;            // ns, SCHED_DEADLINE
  uint64_t deadline = 0;
  uint64_t period = 0;
  bool operator==(const Scheduler&) const = default;
};

struct IoPriority {
  std::string ioClass;   // JSON "class": IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE
  int32_t priority = 0;  // 0 (highest) .. 7
  bool operator==(const IoPriority&) const = default;
};

struct CpuAffinity {
  std::string initial;  // cpu list, "0-3,7"
  std::string final;
  bool operator==(const CpuAffinity&) const = default;
};

struct Process {
  bool terminal = false;
  std::optional<Box> consoleSize;
  User user;
  std::vector<std::string> args;             // non-empty
  std::string commandLine;                   // Windows only
  std::vector<std::string> env;              // "KEY=VALUE"
  std::string cwd;                           // absolute
  std::optional<Capabilities> capabilities;  // absent: the runtime's default (keep all)
  std::vector<Rlimit> rlimits;
  bool noNewPrivileges = false;
  std::string apparmorProfile;
  std::optional<int> oomScoreAdj;  // [-1000, 1000]; absent: leave it alone
  std::optional<Scheduler> scheduler;
  std::string selinuxLabel;
  std::optional<IoPriority> ioPriority;
  std::optional<CpuAffinity> execCPUAffinity;
  bool operator==(const Process&) const = default;
};

struct Hook {
  std::string path;  // absolute
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds, > 0
  bool operator==(const Hook&) const = default;
};

struct Hooks {
  std::vector<Hook> prestart;  // deprecated by the spec, still honoured
  std::vector<Hook> createRuntime;
  std::vector<Hook> createContainer;
  std::vector<Hook> startContainer;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
  bool empty() const {
    return prestart.empty() && createRuntime.empty() && createContainer.empty() &&
           startContainer.empty() && poststart.empty() && poststop.empty();
  }
  bool operator==(const Hooks&) const = default;
};

enum class NamespaceType { Pid, Network, Mount, Ipc, Uts, User, Cgroup, Time };

struct Namespace {
  NamespaceType type = NamespaceType::Pid;
  std::optional<std::string> path;  // absent: create a new one; present: join (absolute)
  bool operator==(const Namespace&) const = default;
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
  bool operator==(const TimeOffset&) const = default;
};

struct Device {
  char type = 'c';    // 'c', 'b', 'u' or 'p'
  std::string path;   // absolute, inside the container
  int64_t major = 0;  // required unless type is 'p'
  int64_t minor = 0;
  std::optional<uint32_t> fileMode;  // permission bits (decimal in JSON)
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  bool operator==(const Device&) const = default;
};

struct NetDevice {
  std::string name;  // name inside the container; empty keeps the host name
  bool operator==(const NetDevice&) const = default;
};

// linux.resources.devices[]: the device cgroup allow/deny list.
struct DeviceCgroupRule {
  bool allow = false;
  std::string type;              // "a", "c", "b" or empty (= all)
  std::optional<int64_t> major;  // absent: any (*)
  std::optional<int64_t> minor;
  std::string access;  // subset of "rwm"; empty = all
  bool operator==(const DeviceCgroupRule&) const = default;
};

struct Memory {
  std::optional<int64_t> limit;  // bytes; -1 = unlimited
  std::optional<int64_t> reservation;
  std::optional<int64_t> swap;    // memory+swap; -1 = unlimited
  std::optional<int64_t> kernel;  // deprecated
  std::optional<int64_t> kernelTCP;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disableOOMKiller;
  std::optional<bool> useHierarchy;
  std::optional<bool> checkBeforeUpdate;
  bool operator==(const Memory&) const = default;
};

struct Cpu {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;  // us; -1 = unlimited
  std::optional<uint64_t> burst;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtimeRuntime;
  std::optional<uint64_t> realtimePeriod;
  std::string cpus;
  std::string mems;
  std::optional<int64_t> idle;
  bool operator==(const Cpu&) const = default;
};

struct WeightDevice {
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint16_t> weight;  // at least one of weight/leafWeight
  std::optional<uint16_t> leafWeight;
  bool operator==(const WeightDevice&) const = default;
};

struct ThrottleDevice {
  int64_t major = 0;
  int64_t minor = 0;
  uint64_t rate = 0;
  bool operator==(const ThrottleDevice&) const = default;
};

struct BlockIo {
  std::optional<uint16_t> weight;
  std::optional<uint16_t> leafWeight;
  std::vector<WeightDevice> weightDevice;
  std::vector<ThrottleDevice> throttleReadBpsDevice;
  std::vector<ThrottleDevice> throttleWriteBpsDevice;
  std::vector<ThrottleDevice> throttleReadIOPSDevice;
  std::vector<ThrottleDevice> throttleWriteIOPSDevice;
  bool operator==(const BlockIo&) const = default;
};

struct HugepageLimit {
  std::string pageSize;  // "2MB"
  uint64_t limit = 0;
  bool operator==(const HugepageLimit&) const = default;
};

struct InterfacePriority {
  std::string name;
  uint32_t priority = 0;
  bool operator==(const InterfacePriority&) const = default;
};

struct Network {
  std::optional<uint32_t> classID;
  std::vector<InterfacePriority> priorities;
  bool operator==(const Network&) const = default;
};

struct Pids {
  std::optional<int64_t> limit;  // negative = unlimited ("max"); 0 is a real limit (v1.3.0)
  bool operator==(const Pids&) const = default;
};

struct Rdma {
  std::optional<uint32_t> hcaHandles;  // at least one of the two
  std::optional<uint32_t> hcaObjects;
  bool operator==(const Rdma&) const = default;
};

struct Resources {
  std::vector<DeviceCgroupRule> devices;
  std::optional<Memory> memory;
  std::optional<Cpu> cpu;
  std::optional<Pids> pids;
  std::optional<BlockIo> blockIO;
  std::vector<HugepageLimit> hugepageLimits;
  std::optional<Network> network;
  std::map<std::string, Rdma> rdma;            // by device name
  std::map<std::string, std::string> unified;  // cgroup v2 file -> value
  bool operator==(const Resources&) const = default;
};

struct IntelRdt {
  std::string closID;
  std::string l3CacheSchema;
  std::string memBwSchema;
  std::vector<std::string> schemata;
  bool enableMonitoring = false;
  bool operator==(const IntelRdt&) const = default;
};

struct MemoryPolicy {
  std::string mode;                // MPOL_*
  std::string nodes;               // "0-3,7"
  std::vector<std::string> flags;  // MPOL_F_*
  bool operator==(const MemoryPolicy&) const = default;
};

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t valueTwo = 0;
  std::string op;  // SCMP_CMP_*
  bool operator==(const SeccompArg&) const = default;
};

struct Syscall {
  std::vector<std::string> names;    // non-empty
  std::string action;                // SCMP_ACT_*
  std::optional<uint32_t> errnoRet;  // only with SCMP_ACT_ERRNO / SCMP_ACT_TRACE
  std::vector<SeccompArg> args;
  bool operator==(const Syscall&) const = default;
};

struct Seccomp {
  std::string defaultAction;
  std::optional<uint32_t> defaultErrnoRet;
  std::vector<std::string> architectures;  // SCMP_ARCH_*
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_*
  std::string listenerPath;
  std::string listenerMetadata;
  std::vector<Syscall> syscalls;
  bool operator==(const Seccomp&) const = default;
};

struct Personality {
  std::string domain;  // LINUX or LINUX32
  std::vector<std::string> flags;
  bool operator==(const Personality&) const = default;
};

struct Linux {
  std::vector<Namespace> namespaces;  // no duplicate types
  std::vector<IdMapping> uidMappings;
  std::vector<IdMapping> gidMappings;
  std::map<std::string, TimeOffset> timeOffsets;  // "monotonic", "boottime"
  std::vector<Device> devices;
  std::map<std::string, NetDevice> netDevices;  // by host interface name
  std::string cgroupsPath;
  std::optional<Resources> resources;
  std::optional<IntelRdt> intelRdt;
  std::optional<MemoryPolicy> memoryPolicy;
  std::map<std::string, std::string> sysctl;
  std::optional<Seccomp> seccomp;
  std::string rootfsPropagation;  // "" or [r]private, [r]slave, [r]shared, [r]unbindable
  std::vector<std::string> maskedPaths;
  std::vector<std::string> readonlyPaths;
  std::string mountLabel;
  std::optional<Personality> personality;

  bool hasNamespace(NamespaceType t) const { return findNamespace(t) != nullptr; }
  const Namespace* findNamespace(NamespaceType t) const {
    for (const Namespace& ns : namespaces)
      if (ns.type == t) return &ns;
    return nullptr;
  }
  bool operator==(const Linux&) const = default;
};

struct Config {
  std::string ociVersion;
  Root root;
  std::vector<Mount> mounts;
  std::optional<Process> process;  // the spec allows absence; parseConfig requires it
  std::string hostname;
  std::string domainname;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;
  bool operator==(const Config&) const = default;
};

// Parses and validates a config.json document. Unknown fields are ignored,
// JSON null counts as absent (as in Go), wrong types and invalid values are
// errors naming the JSON path ("config.json: process.args: must be a
// non-empty array"); broken JSON gives "config.json: invalid JSON at line L,
// column C: ...".
Result<Config> parseConfig(std::string_view json);

// Reads and parses <bundleDir>/config.json.
Result<Config> loadConfig(const std::string& bundleDir);

// Parses the process object given to `exec --process FILE`; `what` names
// the document in errors ("process.json: args: must be a non-empty array").
Result<Process> parseProcess(std::string_view json, std::string_view what = "process.json");

// Parses a LinuxResources object (`update --resources FILE`).
Result<Resources> parseResources(std::string_view json, std::string_view what = "resources");

// Serializes in the spec's (Go struct) field order, leaving out what Go's
// omitempty leaves out. indent < 0: one line; else pretty-printed with
// `indent` copies of indentChar per level (runc spec: 1, '\t').
std::string toJson(const Config& config, int indent = -1, char indentChar = ' ');
std::string toJson(const Process& process, int indent = -1, char indentChar = ' ');
std::string toJson(const Resources& resources, int indent = -1, char indentChar = ' ');

// "pid" <-> NamespaceType; the CLONE_NEW* flag for a type.
std::optional<NamespaceType> namespaceType(std::string_view name);
std::string_view namespaceTypeName(NamespaceType type);
int namespaceCloneFlag(NamespaceType type);

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE (from <sys/resource.h>).
std::optional<int> rlimitResource(std::string_view name);

// "CAP_CHOWN" -> 0 ... "CAP_CHECKPOINT_RESTORE" -> 40, and back ("" if unknown).
inline constexpr int kLastCapability = 40;
std::optional<int> capabilityNumber(std::string_view name);
std::string_view capabilityName(int number);

}  // namespace sangja::spec
