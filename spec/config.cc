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
#include "spec/names.h"

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

namespace {

using Names = std::span<const std::string_view>;

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

// The same, against a table of names and values (names.h).
void checkEnum(const std::string& v, NameTable table, const std::string& path,
               std::string_view what) {
  if (!valueOf(table, v)) fail(path, "unknown " + std::string(what) + " " + quote(v));
}

void checkEnumList(const std::vector<std::string>& vs, NameTable table, const std::string& path,
                   std::string_view what) {
  for (size_t i = 0; i < vs.size(); ++i) checkEnum(vs[i], table, element(path, i), what);
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
  checkEnum(a.op, kSeccompOperators, o.at("op"), "seccomp operator");
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
}  // namespace

// ---------------------------------------------------------------------------
// Public API.

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

}  // namespace sangja::spec
