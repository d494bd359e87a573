#include "spec/config.h"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <set>
#include <span>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "spec/json_util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace sangja::spec {

using json_detail::element;
using json_detail::fail;
using json_detail::Obj;
using json_detail::parseDocument;
using json_detail::quote;
using ojson = nlohmann::ordered_json;

// ---------------------------------------------------------------------------
// Name tables.

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

using Names = std::span<const std::string_view>;

constexpr std::string_view kPropagations[] = {"private", "rprivate", "slave",      "rslave",
                                              "shared",  "rshared",  "unbindable", "runbindable"};
constexpr std::string_view kSchedPolicies[] = {"SCHED_OTHER",   "SCHED_FIFO", "SCHED_RR",
                                               "SCHED_BATCH",   "SCHED_ISO",  "SCHED_IDLE",
                                               "SCHED_DEADLINE"};
constexpr std::string_view kSchedFlags[] = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
                                            "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
                                            "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN",
                                            "SCHED_FLAG_UTIL_CLAMP_MAX"};
constexpr std::string_view kIoClasses[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                           "IOPRIO_CLASS_IDLE"};
constexpr std::string_view kMpolModes[] = {
    "MPOL_DEFAULT",   "MPOL_BIND",           "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
    "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL"};
constexpr std::string_view kMpolFlags[] = {"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
                                           "MPOL_F_STATIC_NODES"};
constexpr std::string_view kPersonalityDomains[] = {"LINUX", "LINUX32"};
constexpr std::string_view kSeccompActions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
constexpr std::string_view kSeccompOps[] = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                            "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                            "SCMP_CMP_MASKED_EQ"};
constexpr std::string_view kSeccompFlags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
constexpr std::string_view kSeccompArches[] = {
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",   "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",  "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",     "SCMP_ARCH_SHEB",
    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64"};
constexpr std::string_view kTimeClocks[] = {"monotonic", "boottime"};

bool contains(Names names, std::string_view v) {
  return std::find(names.begin(), names.end(), v) != names.end();
}

// "a, b or c"
std::string listNames(Names names) {
  std::string out;
  size_t i = 0;
  for (std::string_view n : names) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += n;
    ++i;
  }
  return out;
}

// Fails with `<path>: unknown <what> "<v>"` unless v is one of names.
void checkEnum(const std::string& v, Names names, const std::string& path, std::string_view what) {
  if (!contains(names, v)) fail(path, "unknown " + std::string(what) + " " + quote(v));
}

void checkEnumList(const std::vector<std::string>& vs, Names names, const std::string& path,
                   std::string_view what) {
  for (size_t i = 0; i < vs.size(); ++i) checkEnum(vs[i], names, element(path, i), what);
}

bool isAbsolute(std::string_view p) {
  return !p.empty() && p.front() == '/';
}

void checkAbsolute(const std::string& p, const std::string& path) {
  if (!isAbsolute(p)) fail(path, "must be an absolute path, got " + quote(p));
}

void checkEnv(const std::vector<std::string>& env, const std::string& path) {
  for (size_t i = 0; i < env.size(); ++i) {
    size_t eq = env[i].find('=');
    if (eq == std::string::npos || eq == 0)
      fail(element(path, i), "must be of the form KEY=VALUE, got " + quote(env[i]));
  }
}

using Strings = std::vector<std::string>;

// ---------------------------------------------------------------------------
// Parsing. Each function takes an object node and its path; failures throw
// Invalid, caught at the API boundary.

IdMapping parseIdMapping(const Obj& o) {
  IdMapping m;
  m.containerID = o.req<uint32_t>("containerID");
  m.hostID = o.req<uint32_t>("hostID");
  m.size = o.req<uint32_t>("size");
  return m;
}

std::vector<IdMapping> parseIdMappings(const Obj& o, const char* key) {
  return o.list(key, parseIdMapping);
}

Mount parseMount(const Obj& o) {
  Mount m;
  m.destination = o.req<std::string>("destination");
  if (m.destination.empty()) fail(o.at("destination"), "must be a non-empty string");
  m.source = o.get<std::string>("source");
  m.type = o.get<std::string>("type");
  m.options = o.get<Strings>("options");
  m.uidMappings = parseIdMappings(o, "uidMappings");
  m.gidMappings = parseIdMappings(o, "gidMappings");
  if (m.uidMappings.empty() != m.gidMappings.empty())
    fail(o.at(m.uidMappings.empty() ? "gidMappings" : "uidMappings"),
         "uidMappings and gidMappings must be given together");
  return m;
}

User parseUser(const Obj& o) {
  User u;
  u.uid = o.req<uint32_t>("uid");
  u.gid = o.req<uint32_t>("gid");
  if (auto umask = o.opt<uint32_t>("umask")) {
    if (*umask > 0777) fail(o.at("umask"), std::to_string(*umask) + " is out of range (0 to 0777)");
    u.umask = umask;
  }
  u.additionalGids = o.get<std::vector<uint32_t>>("additionalGids");
  // setgroups(2) takes at most NGROUPS_MAX (65536) and says only EINVAL.
  constexpr size_t kMaxGroups = 65536;
  if (u.additionalGids.size() > kMaxGroups) {
    fail(o.at("additionalGids"),
         std::to_string(u.additionalGids.size()) +
             " groups, more than the kernel's limit of 65536 (NGROUPS_MAX)");
  }
  u.username = o.get<std::string>("username");
  return u;
}

Capabilities parseCapabilities(const Obj& o) {
  Capabilities c;
  auto set = [&](const char* key) {
    Strings names = o.get<Strings>(key);
    for (size_t i = 0; i < names.size(); ++i)
      if (!capabilityNumber(names[i]))
        fail(element(o.at(key), i), "unknown capability " + quote(names[i]));
    return names;
  };
  c.bounding = set("bounding");
  c.effective = set("effective");
  c.inheritable = set("inheritable");
  c.permitted = set("permitted");
  c.ambient = set("ambient");
  return c;
}

Rlimit parseRlimit(const Obj& o) {
  Rlimit r;
  r.type = o.req<std::string>("type");
  if (!rlimitResource(r.type)) fail(o.at("type"), "unknown rlimit " + quote(r.type));
  r.hard = o.req<uint64_t>("hard");
  r.soft = o.req<uint64_t>("soft");
  if (r.soft > r.hard)
    fail(o.path(),
         "soft limit " + std::to_string(r.soft) + " exceeds hard limit " + std::to_string(r.hard));
  return r;
}

Scheduler parseScheduler(const Obj& o) {
  Scheduler s;
  s.policy = o.req<std::string>("policy");
  checkEnum(s.policy, kSchedPolicies, o.at("policy"), "scheduler policy");
  s.nice = o.get<int32_t>("nice");
  s.priority = o.get<int32_t>("priority");
  s.flags = o.get<Strings>("flags");
  checkEnumList(s.flags, kSchedFlags, o.at("flags"), "scheduler flag");
  s.runtime = o.get<uint64_t>("runtime");
  s.deadline = o.get<uint64_t>("deadline");
  s.period = o.get<uint64_t>("period");
  return s;
}

IoPriority parseIoPriority(const Obj& o) {
  IoPriority p;
  p.ioClass = o.req<std::string>("class");
  checkEnum(p.ioClass, kIoClasses, o.at("class"), "I/O priority class");
  p.priority = o.get<int32_t>("priority");
  if (p.priority < 0 || p.priority > 7)
    fail(o.at("priority"), std::to_string(p.priority) + " is out of range (0 to 7)");
  return p;
}

CpuAffinity parseCpuAffinity(const Obj& o) {
  CpuAffinity a;
  a.initial = o.get<std::string>("initial");
  a.final = o.get<std::string>("final");
  return a;
}

Box parseBox(const Obj& o) {
  Box b;
  b.height = o.req<uint64_t>("height");
  b.width = o.req<uint64_t>("width");
  return b;
}

Process parseProcessObj(const Obj& o) {
  Process p;
  p.terminal = o.get<bool>("terminal");
  p.consoleSize = o.object("consoleSize", parseBox);
  if (auto user = o.object("user", parseUser)) p.user = std::move(*user);
  p.args = o.get<Strings>("args");
  if (p.args.empty()) fail(o.at("args"), "must be a non-empty array");
  if (p.args[0].empty()) fail(element(o.at("args"), 0), "must be a non-empty string");
  p.commandLine = o.get<std::string>("commandLine");
  p.env = o.get<Strings>("env");
  checkEnv(p.env, o.at("env"));
  p.cwd = o.req<std::string>("cwd");
  checkAbsolute(p.cwd, o.at("cwd"));
  p.capabilities = o.object("capabilities", parseCapabilities);
  p.rlimits = o.list("rlimits", parseRlimit);
  std::set<std::string> seen;
  for (size_t i = 0; i < p.rlimits.size(); ++i)
    if (!seen.insert(p.rlimits[i].type).second)
      fail(element(o.at("rlimits"), i) + ".type", "duplicate rlimit " + quote(p.rlimits[i].type));
  p.noNewPrivileges = o.get<bool>("noNewPrivileges");
  p.apparmorProfile = o.get<std::string>("apparmorProfile");
  p.oomScoreAdj = o.opt<int>("oomScoreAdj");
  if (p.oomScoreAdj && (*p.oomScoreAdj < -1000 || *p.oomScoreAdj > 1000))
    fail(o.at("oomScoreAdj"), std::to_string(*p.oomScoreAdj) + " is out of range (-1000 to 1000)");
  p.scheduler = o.object("scheduler", parseScheduler);
  p.selinuxLabel = o.get<std::string>("selinuxLabel");
  p.ioPriority = o.object("ioPriority", parseIoPriority);
  p.execCPUAffinity = o.object("execCPUAffinity", parseCpuAffinity);
  return p;
}

Hook parseHook(const Obj& o) {
  Hook h;
  h.path = o.req<std::string>("path");
  checkAbsolute(h.path, o.at("path"));
  h.args = o.get<Strings>("args");
  h.env = o.get<Strings>("env");
  checkEnv(h.env, o.at("env"));
  h.timeout = o.opt<int>("timeout");
  if (h.timeout && *h.timeout <= 0)
    fail(o.at("timeout"), "must be greater than zero, got " + std::to_string(*h.timeout));
  return h;
}

Hooks parseHooks(const Obj& o) {
  Hooks h;
  h.prestart = o.list("prestart", parseHook);
  h.createRuntime = o.list("createRuntime", parseHook);
  h.createContainer = o.list("createContainer", parseHook);
  h.startContainer = o.list("startContainer", parseHook);
  h.poststart = o.list("poststart", parseHook);
  h.poststop = o.list("poststop", parseHook);
  return h;
}

Namespace parseNamespace(const Obj& o) {
  Namespace ns;
  std::string type = o.req<std::string>("type");
  auto t = namespaceType(type);
  if (!t) fail(o.at("type"), "unknown namespace type " + quote(type));
  ns.type = *t;
  ns.path = o.opt<std::string>("path");
  // Go's encoding/json cannot tell "" from absent, so runc's users write
  // `"path": ""` for "a new one".
  if (ns.path && ns.path->empty()) ns.path.reset();
  if (ns.path) checkAbsolute(*ns.path, o.at("path"));
  return ns;
}

TimeOffset parseTimeOffset(const Obj& o) {
  TimeOffset t;
  t.secs = o.get<int64_t>("secs");
  t.nanosecs = o.get<uint32_t>("nanosecs");
  return t;
}

Device parseDevice(const Obj& o) {
  Device d;
  std::string type = o.req<std::string>("type");
  if (type.size() != 1 || std::string_view("cbup").find(type[0]) == std::string_view::npos)
    fail(o.at("type"), "unknown device type " + quote(type) + " (want c, b, u or p)");
  d.type = type[0];
  d.path = o.req<std::string>("path");
  checkAbsolute(d.path, o.at("path"));
  if (d.type == 'p') {
    d.major = o.get<int64_t>("major");
    d.minor = o.get<int64_t>("minor");
  } else {
    auto need = [&](const char* key) {
      auto v = o.opt<int64_t>(key);
      if (!v) fail(o.at(key), "required for type " + quote(type));
      return *v;
    };
    d.major = need("major");
    d.minor = need("minor");
    // dev_t holds 32 bits of each (makedev).
    for (auto [key, v] : {std::pair{"major", d.major}, std::pair{"minor", d.minor}}) {
      if (v < 0 || v > 0xffffffffLL)
        fail(o.at(key), std::to_string(v) + " is out of range (0 to 4294967295)");
    }
  }
  d.fileMode = o.opt<uint32_t>("fileMode");
  d.uid = o.opt<uint32_t>("uid");
  d.gid = o.opt<uint32_t>("gid");
  return d;
}

NetDevice parseNetDevice(const Obj& o) {
  return NetDevice{o.get<std::string>("name")};
}

DeviceCgroupRule parseDeviceRule(const Obj& o) {
  DeviceCgroupRule r;
  r.allow = o.req<bool>("allow");
  r.type = o.get<std::string>("type");
  if (!r.type.empty() && r.type != "a" && r.type != "c" && r.type != "b")
    fail(o.at("type"), "unknown device type " + quote(r.type) + " (want a, c or b)");
  r.major = o.opt<int64_t>("major");
  r.minor = o.opt<int64_t>("minor");
  r.access = o.get<std::string>("access");
  for (char c : r.access)
    if (c != 'r' && c != 'w' && c != 'm')
      fail(o.at("access"), "invalid access " + quote(r.access) + " (want a subset of \"rwm\")");
  return r;
}

Memory parseMemory(const Obj& o) {
  Memory m;
  m.limit = o.opt<int64_t>("limit");
  m.reservation = o.opt<int64_t>("reservation");
  m.swap = o.opt<int64_t>("swap");
  m.kernel = o.opt<int64_t>("kernel");
  m.kernelTCP = o.opt<int64_t>("kernelTCP");
  m.swappiness = o.opt<uint64_t>("swappiness");
  m.disableOOMKiller = o.opt<bool>("disableOOMKiller");
  m.useHierarchy = o.opt<bool>("useHierarchy");
  m.checkBeforeUpdate = o.opt<bool>("checkBeforeUpdate");
  return m;
}

Cpu parseCpu(const Obj& o) {
  Cpu c;
  c.shares = o.opt<uint64_t>("shares");
  c.quota = o.opt<int64_t>("quota");
  c.burst = o.opt<uint64_t>("burst");
  c.period = o.opt<uint64_t>("period");
  c.realtimeRuntime = o.opt<int64_t>("realtimeRuntime");
  c.realtimePeriod = o.opt<uint64_t>("realtimePeriod");
  c.cpus = o.get<std::string>("cpus");
  c.mems = o.get<std::string>("mems");
  c.idle = o.opt<int64_t>("idle");
  return c;
}

WeightDevice parseWeightDevice(const Obj& o) {
  WeightDevice w;
  w.major = o.req<int64_t>("major");
  w.minor = o.req<int64_t>("minor");
  w.weight = o.opt<uint16_t>("weight");
  w.leafWeight = o.opt<uint16_t>("leafWeight");
  if (!w.weight && !w.leafWeight) fail(o.path(), "needs weight or leafWeight");
  return w;
}

ThrottleDevice parseThrottleDevice(const Obj& o) {
  ThrottleDevice t;
  t.major = o.req<int64_t>("major");
  t.minor = o.req<int64_t>("minor");
  t.rate = o.req<uint64_t>("rate");
  return t;
}

BlockIo parseBlockIo(const Obj& o) {
  BlockIo b;
  b.weight = o.opt<uint16_t>("weight");
  b.leafWeight = o.opt<uint16_t>("leafWeight");
  b.weightDevice = o.list("weightDevice", parseWeightDevice);
  b.throttleReadBpsDevice = o.list("throttleReadBpsDevice", parseThrottleDevice);
  b.throttleWriteBpsDevice = o.list("throttleWriteBpsDevice", parseThrottleDevice);
  b.throttleReadIOPSDevice = o.list("throttleReadIOPSDevice", parseThrottleDevice);
  b.throttleWriteIOPSDevice = o.list("throttleWriteIOPSDevice", parseThrottleDevice);
  return b;
}

HugepageLimit parseHugepageLimit(const Obj& o) {
  HugepageLimit h;
  h.pageSize = o.req<std::string>("pageSize");
  h.limit = o.req<uint64_t>("limit");
  return h;
}

InterfacePriority parseInterfacePriority(const Obj& o) {
  InterfacePriority p;
  p.name = o.req<std::string>("name");
  p.priority = o.req<uint32_t>("priority");
  return p;
}

Network parseNetwork(const Obj& o) {
  Network n;
  n.classID = o.opt<uint32_t>("classID");
  n.priorities = o.list("priorities", parseInterfacePriority);
  return n;
}

Pids parsePids(const Obj& o) {
  return Pids{o.opt<int64_t>("limit")};
}

Rdma parseRdma(const Obj& o) {
  Rdma r;
  r.hcaHandles = o.opt<uint32_t>("hcaHandles");
  r.hcaObjects = o.opt<uint32_t>("hcaObjects");
  if (!r.hcaHandles && !r.hcaObjects) fail(o.path(), "needs hcaHandles or hcaObjects");
  return r;
}

Resources parseResourcesObj(const Obj& o) {
  Resources r;
  r.devices = o.list("devices", parseDeviceRule);
  r.memory = o.object("memory", parseMemory);
  r.cpu = o.object("cpu", parseCpu);
  r.pids = o.object("pids", parsePids);
  r.blockIO = o.object("blockIO", parseBlockIo);
  r.hugepageLimits = o.list("hugepageLimits", parseHugepageLimit);
  r.network = o.object("network", parseNetwork);
  r.rdma = o.map("rdma", parseRdma);
  r.unified = o.get<std::map<std::string, std::string>>("unified");
  return r;
}

IntelRdt parseIntelRdt(const Obj& o) {
  IntelRdt r;
  r.closID = o.get<std::string>("closID");
  r.l3CacheSchema = o.get<std::string>("l3CacheSchema");
  r.memBwSchema = o.get<std::string>("memBwSchema");
  r.schemata = o.get<Strings>("schemata");
  r.enableMonitoring = o.get<bool>("enableMonitoring");
  return r;
}

MemoryPolicy parseMemoryPolicy(const Obj& o) {
  MemoryPolicy m;
  m.mode = o.req<std::string>("mode");
  checkEnum(m.mode, kMpolModes, o.at("mode"), "memory policy mode");
  m.nodes = o.get<std::string>("nodes");
  m.flags = o.get<Strings>("flags");
  checkEnumList(m.flags, kMpolFlags, o.at("flags"), "memory policy flag");
  return m;
}

bool actionTakesErrno(const std::string& action) {
  return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE";
}

SeccompArg parseSeccompArg(const Obj& o) {
  SeccompArg a;
  a.index = o.req<uint32_t>("index");
  a.value = o.req<uint64_t>("value");
  a.valueTwo = o.get<uint64_t>("valueTwo");
  a.op = o.req<std::string>("op");
  checkEnum(a.op, kSeccompOps, o.at("op"), "seccomp operator");
  return a;
}

Syscall parseSyscall(const Obj& o) {
  Syscall s;
  s.names = o.get<Strings>("names");
  if (s.names.empty()) fail(o.at("names"), "must be a non-empty array");
  s.action = o.req<std::string>("action");
  checkEnum(s.action, kSeccompActions, o.at("action"), "seccomp action");
  s.errnoRet = o.opt<uint32_t>("errnoRet");
  if (s.errnoRet && !actionTakesErrno(s.action))
    fail(o.at("errnoRet"), "only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not " + s.action);
  s.args = o.list("args", parseSeccompArg);
  return s;
}

Seccomp parseSeccomp(const Obj& o) {
  Seccomp s;
  s.defaultAction = o.req<std::string>("defaultAction");
  checkEnum(s.defaultAction, kSeccompActions, o.at("defaultAction"), "seccomp action");
  s.defaultErrnoRet = o.opt<uint32_t>("defaultErrnoRet");
  if (s.defaultErrnoRet && !actionTakesErrno(s.defaultAction))
    fail(o.at("defaultErrnoRet"),
         "only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not " + s.defaultAction);
  s.architectures = o.get<Strings>("architectures");
  checkEnumList(s.architectures, kSeccompArches, o.at("architectures"), "seccomp architecture");
  s.flags = o.get<Strings>("flags");
  checkEnumList(s.flags, kSeccompFlags, o.at("flags"), "seccomp flag");
  s.listenerPath = o.get<std::string>("listenerPath");
  s.listenerMetadata = o.get<std::string>("listenerMetadata");
  if (!s.listenerMetadata.empty() && s.listenerPath.empty())
    fail(o.at("listenerMetadata"), "requires listenerPath");
  s.syscalls = o.list("syscalls", parseSyscall);
  return s;
}

Personality parsePersonality(const Obj& o) {
  Personality p;
  p.domain = o.req<std::string>("domain");
  checkEnum(p.domain, kPersonalityDomains, o.at("domain"), "personality domain");
  p.flags = o.get<Strings>("flags");
  return p;
}

Strings absolutePaths(const Obj& o, const char* key) {
  Strings paths = o.get<Strings>(key);
  for (size_t i = 0; i < paths.size(); ++i) checkAbsolute(paths[i], element(o.at(key), i));
  return paths;
}

Linux parseLinux(const Obj& o) {
  Linux l;
  l.namespaces = o.list("namespaces", parseNamespace);
  for (size_t i = 0; i < l.namespaces.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (l.namespaces[j].type == l.namespaces[i].type)
        fail(element(o.at("namespaces"), i) + ".type",
             "duplicate namespace type " + quote(namespaceTypeName(l.namespaces[i].type)));
  l.uidMappings = parseIdMappings(o, "uidMappings");
  l.gidMappings = parseIdMappings(o, "gidMappings");
  l.timeOffsets = o.map("timeOffsets", parseTimeOffset);
  for (const auto& [clock, _] : l.timeOffsets)
    if (!contains(kTimeClocks, clock))
      fail(json_detail::mapKey(o.at("timeOffsets"), clock),
           "unknown clock (want monotonic or boottime)");
  l.devices = o.list("devices", parseDevice);
  l.netDevices = o.map("netDevices", parseNetDevice);
  l.cgroupsPath = o.get<std::string>("cgroupsPath");
  l.resources = o.object("resources", parseResourcesObj);
  l.intelRdt = o.object("intelRdt", parseIntelRdt);
  l.memoryPolicy = o.object("memoryPolicy", parseMemoryPolicy);
  l.sysctl = o.get<std::map<std::string, std::string>>("sysctl");
  if (l.sysctl.count("")) fail(o.at("sysctl"), "keys must be non-empty");
  l.seccomp = o.object("seccomp", parseSeccomp);
  l.rootfsPropagation = o.get<std::string>("rootfsPropagation");
  if (!l.rootfsPropagation.empty() && !contains(kPropagations, l.rootfsPropagation))
    fail(o.at("rootfsPropagation"), "unknown propagation " + quote(l.rootfsPropagation) +
                                        " (want " + listNames(kPropagations) + ")");
  l.maskedPaths = absolutePaths(o, "maskedPaths");
  l.readonlyPaths = absolutePaths(o, "readonlyPaths");
  l.mountLabel = o.get<std::string>("mountLabel");
  l.personality = o.object("personality", parsePersonality);
  return l;
}

// SemVer 2.0.0: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]; returns {major, minor}.
std::optional<std::pair<uint64_t, uint64_t>> parseSemver(std::string_view v) {
  uint64_t parts[3];
  for (int i = 0; i < 3; ++i) {
    size_t n = 0;
    while (n < v.size() && v[n] >= '0' && v[n] <= '9') ++n;
    if (n == 0 || n > 9 || (n > 1 && v[0] == '0')) return std::nullopt;
    if (std::from_chars(v.data(), v.data() + n, parts[i]).ec != std::errc{}) return std::nullopt;
    v.remove_prefix(n);
    if (i < 2) {
      if (v.empty() || v[0] != '.') return std::nullopt;
      v.remove_prefix(1);
    }
  }
  auto identifiers = [](std::string_view s) {
    if (s.empty()) return false;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || s[i] == '.') {
        if (i == start) return false;
        start = i + 1;
      } else if (!std::isalnum(static_cast<unsigned char>(s[i])) && s[i] != '-') {
        return false;
      }
    }
    return true;
  };
  if (!v.empty() && v[0] == '-') {
    size_t end = v.find('+');
    if (!identifiers(v.substr(1, end == std::string_view::npos ? end : end - 1)))
      return std::nullopt;
    v.remove_prefix(end == std::string_view::npos ? v.size() : end);
  }
  if (!v.empty() && v[0] == '+') {
    if (!identifiers(v.substr(1))) return std::nullopt;
    v = {};
  }
  if (!v.empty()) return std::nullopt;
  return std::make_pair(parts[0], parts[1]);
}

void checkOciVersion(const std::string& v, const std::string& path) {
  auto sv = parseSemver(v);
  if (!sv) fail(path, quote(v) + " is not a semantic version");
  if (sv->first != 1 || sv->second > 3)
    fail(path, "unsupported version " + quote(v) + " (sangja supports 1.0.0 through 1.3.x)");
}

// Before runtime-spec 1.3.0, pids.limit 0 meant "no limit" to runc 1.1
// and crun, and Podman 4.3 writes it for --pids-limit -1; 1.3.0 made 0 a
// real limit of zero.
void applyPre13PidsLimit(Config& c) {
  auto sv = parseSemver(c.ociVersion);
  bool before13 = sv && sv->first == 1 && sv->second < 3;
  if (!before13 || !c.linux || !c.linux->resources || !c.linux->resources->pids) return;
  std::optional<int64_t>& limit = c.linux->resources->pids->limit;
  if (limit && *limit == 0) limit = -1;
}

Config parseConfigObj(const Obj& o) {
  Config c;
  c.ociVersion = o.req<std::string>("ociVersion");
  checkOciVersion(c.ociVersion, o.at("ociVersion"));
  auto root = o.object("root", [](const Obj& r) {
    Root out;
    out.path = r.req<std::string>("path");
    if (out.path.empty()) fail(r.at("path"), "must be a non-empty string");
    out.readonly = r.get<bool>("readonly");
    return out;
  });
  if (!root) fail(o.at("root"), "required");
  c.root = std::move(*root);
  c.mounts = o.list("mounts", parseMount);
  // Optional at create; `start` needs one (runtime-spec config.md).
  c.process = o.object("process", parseProcessObj);
  c.hostname = o.get<std::string>("hostname");
  c.domainname = o.get<std::string>("domainname");
  if (auto hooks = o.object("hooks", parseHooks)) c.hooks = std::move(*hooks);
  c.annotations = o.get<std::map<std::string, std::string>>("annotations");
  if (c.annotations.count("")) fail(o.at("annotations"), "keys must be non-empty");
  c.linux = o.object("linux", parseLinux);
  applyPre13PidsLimit(c);
  return c;
}

// ---------------------------------------------------------------------------
// Serialization, in Go struct field order with Go's omitempty rules.

template <class T>
void putOpt(ojson& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
void putStr(ojson& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
void putBool(ojson& j, const char* key, bool v) {
  if (v) j[key] = true;
}
template <class T>
void putNum(ojson& j, const char* key, T v) {
  if (v != 0) j[key] = v;
}
template <class T>
void putList(ojson& j, const char* key, const std::vector<T>& v) {
  if (!v.empty()) j[key] = v;
}
template <class T, class F>
void putList(ojson& j, const char* key, const std::vector<T>& v, F f) {
  if (v.empty()) return;
  ojson a = ojson::array();
  for (const T& x : v) a.push_back(f(x));
  j[key] = std::move(a);
}
template <class T, class F>
void putMap(ojson& j, const char* key, const std::map<std::string, T>& m, F f) {
  if (m.empty()) return;
  ojson o = ojson::object();
  for (const auto& [k, v] : m) o[k] = f(v);
  j[key] = std::move(o);
}
void putStrMap(ojson& j, const char* key, const std::map<std::string, std::string>& m) {
  putMap(j, key, m, [](const std::string& v) { return v; });
}

ojson idMappingJson(const IdMapping& m) {
  ojson j;
  j["containerID"] = m.containerID;
  j["hostID"] = m.hostID;
  j["size"] = m.size;
  return j;
}

ojson processJson(const Process& p) {
  ojson j = ojson::object();
  putBool(j, "terminal", p.terminal);
  if (p.consoleSize)
    j["consoleSize"] = {{"height", p.consoleSize->height}, {"width", p.consoleSize->width}};
  ojson u;
  u["uid"] = p.user.uid;
  u["gid"] = p.user.gid;
  putOpt(u, "umask", p.user.umask);
  putList(u, "additionalGids", p.user.additionalGids);
  putStr(u, "username", p.user.username);
  j["user"] = std::move(u);
  putList(j, "args", p.args);
  putStr(j, "commandLine", p.commandLine);
  putList(j, "env", p.env);
  j["cwd"] = p.cwd;
  if (p.capabilities) {
    ojson c = ojson::object();
    putList(c, "bounding", p.capabilities->bounding);
    putList(c, "effective", p.capabilities->effective);
    putList(c, "inheritable", p.capabilities->inheritable);
    putList(c, "permitted", p.capabilities->permitted);
    putList(c, "ambient", p.capabilities->ambient);
    j["capabilities"] = std::move(c);
  }
  putList(j, "rlimits", p.rlimits, [](const Rlimit& r) {
    ojson o;
    o["type"] = r.type;
    o["hard"] = r.hard;
    o["soft"] = r.soft;
    return o;
  });
  putBool(j, "noNewPrivileges", p.noNewPrivileges);
  putStr(j, "apparmorProfile", p.apparmorProfile);
  putOpt(j, "oomScoreAdj", p.oomScoreAdj);
  if (const auto& s = p.scheduler) {
    ojson o;
    o["policy"] = s->policy;
    putNum(o, "nice", s->nice);
    putNum(o, "priority", s->priority);
    putList(o, "flags", s->flags);
    putNum(o, "runtime", s->runtime);
    putNum(o, "deadline", s->deadline);
    putNum(o, "period", s->period);
    j["scheduler"] = std::move(o);
  }
  putStr(j, "selinuxLabel", p.selinuxLabel);
  if (p.ioPriority) {
    ojson o;
    o["class"] = p.ioPriority->ioClass;
    o["priority"] = p.ioPriority->priority;
    j["ioPriority"] = std::move(o);
  }
  if (p.execCPUAffinity) {
    ojson o = ojson::object();
    putStr(o, "initial", p.execCPUAffinity->initial);
    putStr(o, "final", p.execCPUAffinity->final);
    j["execCPUAffinity"] = std::move(o);
  }
  return j;
}

ojson hookJson(const Hook& h) {
  ojson j;
  j["path"] = h.path;
  putList(j, "args", h.args);
  putList(j, "env", h.env);
  putOpt(j, "timeout", h.timeout);
  return j;
}

ojson throttleJson(const ThrottleDevice& t) {
  ojson j;
  j["major"] = t.major;
  j["minor"] = t.minor;
  j["rate"] = t.rate;
  return j;
}

ojson resourcesJson(const Resources& r) {
  ojson j = ojson::object();
  putList(j, "devices", r.devices, [](const DeviceCgroupRule& d) {
    ojson o;
    o["allow"] = d.allow;
    putStr(o, "type", d.type);
    putOpt(o, "major", d.major);
    putOpt(o, "minor", d.minor);
    putStr(o, "access", d.access);
    return o;
  });
  if (const auto& m = r.memory) {
    ojson o = ojson::object();
    putOpt(o, "limit", m->limit);
    putOpt(o, "reservation", m->reservation);
    putOpt(o, "swap", m->swap);
    putOpt(o, "kernel", m->kernel);
    putOpt(o, "kernelTCP", m->kernelTCP);
    putOpt(o, "swappiness", m->swappiness);
    putOpt(o, "disableOOMKiller", m->disableOOMKiller);
    putOpt(o, "useHierarchy", m->useHierarchy);
    putOpt(o, "checkBeforeUpdate", m->checkBeforeUpdate);
    j["memory"] = std::move(o);
  }
  if (const auto& c = r.cpu) {
    ojson o = ojson::object();
    putOpt(o, "shares", c->shares);
    putOpt(o, "quota", c->quota);
    putOpt(o, "burst", c->burst);
    putOpt(o, "period", c->period);
    putOpt(o, "realtimeRuntime", c->realtimeRuntime);
    putOpt(o, "realtimePeriod", c->realtimePeriod);
    putStr(o, "cpus", c->cpus);
    putStr(o, "mems", c->mems);
    putOpt(o, "idle", c->idle);
    j["cpu"] = std::move(o);
  }
  if (r.pids) {
    ojson o = ojson::object();
    putOpt(o, "limit", r.pids->limit);
    j["pids"] = std::move(o);
  }
  if (const auto& b = r.blockIO) {
    ojson o = ojson::object();
    putOpt(o, "weight", b->weight);
    putOpt(o, "leafWeight", b->leafWeight);
    putList(o, "weightDevice", b->weightDevice, [](const WeightDevice& w) {
      ojson d;
      d["major"] = w.major;
      d["minor"] = w.minor;
      putOpt(d, "weight", w.weight);
      putOpt(d, "leafWeight", w.leafWeight);
      return d;
    });
    putList(o, "throttleReadBpsDevice", b->throttleReadBpsDevice, throttleJson);
    putList(o, "throttleWriteBpsDevice", b->throttleWriteBpsDevice, throttleJson);
    putList(o, "throttleReadIOPSDevice", b->throttleReadIOPSDevice, throttleJson);
    putList(o, "throttleWriteIOPSDevice", b->throttleWriteIOPSDevice, throttleJson);
    j["blockIO"] = std::move(o);
  }
  putList(j, "hugepageLimits", r.hugepageLimits, [](const HugepageLimit& h) {
    ojson o;
    o["pageSize"] = h.pageSize;
    o["limit"] = h.limit;
    return o;
  });
  if (const auto& n = r.network) {
    ojson o = ojson::object();
    putOpt(o, "classID", n->classID);
    putList(o, "priorities", n->priorities, [](const InterfacePriority& p) {
      ojson x;
      x["name"] = p.name;
      x["priority"] = p.priority;
      return x;
    });
    j["network"] = std::move(o);
  }
  putMap(j, "rdma", r.rdma, [](const Rdma& d) {
    ojson o = ojson::object();
    putOpt(o, "hcaHandles", d.hcaHandles);
    putOpt(o, "hcaObjects", d.hcaObjects);
    return o;
  });
  putStrMap(j, "unified", r.unified);
  return j;
}

ojson linuxJson(const Linux& l) {
  ojson j = ojson::object();
  putList(j, "uidMappings", l.uidMappings, idMappingJson);
  putList(j, "gidMappings", l.gidMappings, idMappingJson);
  putStrMap(j, "sysctl", l.sysctl);
  if (l.resources) j["resources"] = resourcesJson(*l.resources);
  putStr(j, "cgroupsPath", l.cgroupsPath);
  putList(j, "namespaces", l.namespaces, [](const Namespace& ns) {
    ojson o;
    o["type"] = namespaceTypeName(ns.type);
    if (ns.path) o["path"] = *ns.path;
    return o;
  });
  putList(j, "devices", l.devices, [](const Device& d) {
    ojson o;
    o["path"] = d.path;
    o["type"] = std::string(1, d.type);
    o["major"] = d.major;
    o["minor"] = d.minor;
    putOpt(o, "fileMode", d.fileMode);
    putOpt(o, "uid", d.uid);
    putOpt(o, "gid", d.gid);
    return o;
  });
  putMap(j, "netDevices", l.netDevices, [](const NetDevice& d) {
    ojson o = ojson::object();
    putStr(o, "name", d.name);
    return o;
  });
  if (const auto& s = l.seccomp) {
    ojson o;
    o["defaultAction"] = s->defaultAction;
    putOpt(o, "defaultErrnoRet", s->defaultErrnoRet);
    putList(o, "architectures", s->architectures);
    putList(o, "flags", s->flags);
    putStr(o, "listenerPath", s->listenerPath);
    putStr(o, "listenerMetadata", s->listenerMetadata);
    putList(o, "syscalls", s->syscalls, [](const Syscall& sc) {
      ojson x;
      x["names"] = sc.names;
      x["action"] = sc.action;
      putOpt(x, "errnoRet", sc.errnoRet);
      putList(x, "args", sc.args, [](const SeccompArg& a) {
        ojson y;
        y["index"] = a.index;
        y["value"] = a.value;
        putNum(y, "valueTwo", a.valueTwo);
        y["op"] = a.op;
        return y;
      });
      return x;
    });
    j["seccomp"] = std::move(o);
  }
  putStr(j, "rootfsPropagation", l.rootfsPropagation);
  putList(j, "maskedPaths", l.maskedPaths);
  putList(j, "readonlyPaths", l.readonlyPaths);
  putStr(j, "mountLabel", l.mountLabel);
  if (const auto& r = l.intelRdt) {
    ojson o = ojson::object();
    putStr(o, "closID", r->closID);
    putList(o, "schemata", r->schemata);
    putStr(o, "l3CacheSchema", r->l3CacheSchema);
    putStr(o, "memBwSchema", r->memBwSchema);
    putBool(o, "enableMonitoring", r->enableMonitoring);
    j["intelRdt"] = std::move(o);
  }
  if (const auto& m = l.memoryPolicy) {
    ojson o;
    o["mode"] = m->mode;
    putStr(o, "nodes", m->nodes);
    putList(o, "flags", m->flags);
    j["memoryPolicy"] = std::move(o);
  }
  if (const auto& p = l.personality) {
    ojson o;
    o["domain"] = p->domain;
    putList(o, "flags", p->flags);
    j["personality"] = std::move(o);
  }
  putMap(j, "timeOffsets", l.timeOffsets, [](const TimeOffset& t) {
    ojson o = ojson::object();
    putNum(o, "secs", t.secs);
    putNum(o, "nanosecs", t.nanosecs);
    return o;
  });
  return j;
}

ojson configJson(const Config& c) {
  ojson j;
  j["ociVersion"] = c.ociVersion;
  if (c.process) j["process"] = processJson(*c.process);
  ojson root;
  root["path"] = c.root.path;
  putBool(root, "readonly", c.root.readonly);
  j["root"] = std::move(root);
  putStr(j, "hostname", c.hostname);
  putStr(j, "domainname", c.domainname);
  putList(j, "mounts", c.mounts, [](const Mount& m) {
    ojson o;
    o["destination"] = m.destination;
    putStr(o, "type", m.type);
    putStr(o, "source", m.source);
    putList(o, "options", m.options);
    putList(o, "uidMappings", m.uidMappings, idMappingJson);
    putList(o, "gidMappings", m.gidMappings, idMappingJson);
    return o;
  });
  if (!c.hooks.empty()) {
    ojson h = ojson::object();
    putList(h, "prestart", c.hooks.prestart, hookJson);
    putList(h, "createRuntime", c.hooks.createRuntime, hookJson);
    putList(h, "createContainer", c.hooks.createContainer, hookJson);
    putList(h, "startContainer", c.hooks.startContainer, hookJson);
    putList(h, "poststart", c.hooks.poststart, hookJson);
    putList(h, "poststop", c.hooks.poststop, hookJson);
    j["hooks"] = std::move(h);
  }
  putStrMap(j, "annotations", c.annotations);
  if (c.linux) j["linux"] = linuxJson(*c.linux);
  return j;
}

std::string dump(const ojson& j, int indent, char indentChar) {
  return j.dump(indent, indentChar, false, ojson::error_handler_t::replace);
}

}  // namespace

// ---------------------------------------------------------------------------
// Public API.

Result<Config> parseConfig(std::string_view text) {
  return parseDocument<Config>(text, "config.json", parseConfigObj);
}

Result<Config> loadConfig(const std::string& bundleDir) {
  std::string path = bundleDir;
  if (!path.empty() && path.back() != '/') path += '/';
  path += "config.json";
  std::string text = TRY(readDocumentFile(path));
  return parseConfig(text);
}

Result<Process> parseProcess(std::string_view text, std::string_view what) {
  return parseDocument<Process>(text, what, parseProcessObj);
}

Result<Resources> parseResources(std::string_view text, std::string_view what) {
  return parseDocument<Resources>(text, what, parseResourcesObj);
}

std::string toJson(const Config& config, int indent, char indentChar) {
  return dump(configJson(config), indent, indentChar);
}

std::string toJson(const Process& process, int indent, char indentChar) {
  return dump(processJson(process), indent, indentChar);
}

std::string toJson(const Resources& resources, int indent, char indentChar) {
  return dump(resourcesJson(resources), indent, indentChar);
}

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
