// linux.resources -> cgroup v2 files. See resources.h.
//
// Where runc (libcontainer fs2) and crun (cgroup-resources.c) differ, the
// choice made here is written next to the code as "runc:" / "crun:".
#include "cgroups/resources.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

#include "base/dir_stream.h"
#include "base/file.h"
#include "base/plain_math.h"
#include "base/unique_fd.h"
#include "cgroups/resource_fields.h"

namespace sangja::cgroups {

namespace {

using namespace fields;  // NOLINT: the helpers every emitter uses

// A field that cgroup v2 has no file for.
Error notOnV2(std::string_view field, std::string_view what) {
  return fieldError(field, std::string(what) + " is not available on cgroup v2", ENOTSUP);
}

Status requireController(const CgroupFacts& facts, std::string_view field,
                         std::string_view controller) {
  if (facts.controllers.has(controller)) return {};
  return fieldError(
      field, "the " + std::string(controller) + " controller is not available in this cgroup",
      ENOENT);
}

// ---- "is this field set?" predicates, shared by translateResources and
// controllersNeeded so that the two always agree. Zero means "unset" for the
// fields where runc and crun both treat it so.

bool memorySet(const spec::Memory& m) {
  return m.limit.value_or(0) != 0 || m.reservation.value_or(0) != 0 || m.swap.value_or(0) != 0;
}

bool cpuSet(const spec::Cpu& c) {
  return c.shares.value_or(0) != 0 || c.quota.value_or(0) != 0 || c.period.value_or(0) != 0 ||
         c.burst.has_value() || c.idle.has_value();
}

bool cpusetSet(const spec::Cpu& c) {
  return !c.cpus.empty() || !c.mems.empty();
}

bool ioSet(const spec::BlockIo& b) {
  return b.weight.value_or(0) != 0 || !b.weightDevice.empty() || !b.throttleReadBpsDevice.empty() ||
         !b.throttleWriteBpsDevice.empty() || !b.throttleReadIOPSDevice.empty() ||
         !b.throttleWriteIOPSDevice.empty();
}

bool pidsSet(const spec::Pids& p) {
  return p.limit.has_value();
}

// The controller of a unified key ("memory" for "memory.high"), or an error
// for a name that is not a plain CONTROLLER.PARAMETER file name.
Result<std::string> unifiedController(const std::string& key) {
  std::string field = "unified[" + quoted(key) + "]";
  if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos ||
      key.find('\0') != std::string::npos) {
    return fieldError(field,
                      "not a cgroup file name (it must be non-empty, without \"/\" or \"..\")");
  }
  size_t dot = key.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == key.size()) {
    return fieldError(field, "must be of the form CONTROLLER.PARAMETER");
  }
  // The core files move processes (cgroup.procs, cgroup.threads), kill or
  // freeze them, or reshape the hierarchy (subtree_control, type): a config
  // could pull a host process into the container and delete --force would
  // kill it. Only the limits among them may be set.
  constexpr std::string_view kSettableCore[] = {"cgroup.max.depth", "cgroup.max.descendants",
                                                "cgroup.pressure"};
  if (key.compare(0, dot, "cgroup") == 0 &&
      std::find(std::begin(kSettableCore), std::end(kSettableCore), key) ==
          std::end(kSettableCore)) {
    return fieldError(field,
                      "not settable: of the core cgroup files only cgroup.max.depth, "
                      "cgroup.max.descendants and cgroup.pressure may be set");
  }
  return key.substr(0, dot);
}

// ---- validation: everything that is wrong whatever the host. Runs before
// any controller check, so a bad config fails the same way everywhere.

// memory.swap.max as runc computes it (ConvertMemorySwapToCgroupV2Value):
// the spec's swap is memory+swap, v2's is swap alone. nullopt: no write.
Result<std::optional<std::string>> swapMaxValue(const spec::Memory& m) {
  int64_t limit = m.limit.value_or(0);
  int64_t swap = m.swap.value_or(0);
  // An unlimited memory with no swap given means "both unlimited" (as v1).
  if (limit == -1 && swap == 0) return std::optional<std::string>("max");
  if (swap == -1) return std::optional<std::string>("max");
  if (swap == 0) return std::optional<std::string>();
  if (limit == -1) return std::optional<std::string>(num(swap));
  if (limit == 0) {
    return fieldError("memory.swap", "cannot set a swap limit without memory.limit");
  }
  if (swap < limit) {
    return fieldError("memory.swap", num(swap) + " is below memory.limit " + num(limit) +
                                         " (swap is the memory+swap limit)");
  }
  // Equal limits: no swap at all, written as "0".
  return std::optional<std::string>(num(swap - limit));
}

Status validateMemory(const spec::Memory& m) {
  TRY(checkBytes(m.limit, "memory.limit"));
  TRY(checkBytes(m.reservation, "memory.reservation"));
  TRY(checkBytes(m.swap, "memory.swap"));
  TRY(swapMaxValue(m));
  // kernel, kernelTCP: ignored, as runc does on v2 (the kernel dropped
  // kmem limits). swappiness, disableOOMKiller: v2 has no such files; runc
  // ignores them (crun rejects them, which breaks Docker's default
  // disableOOMKiller:false). useHierarchy: always on in v2. checkBeforeUpdate:
  // see checkMemoryBeforeUpdate().
  return {};
}

Status validateCpu(const spec::Cpu& c) {
  // runc ignores the real-time fields on v2; crun rejects them. A limit
  // silently not applied is worse than an error, so they are rejected, but
  // (as in both) zero means unset and passes.
  if (c.realtimeRuntime.value_or(0) != 0) {
    return notOnV2("cpu.realtimeRuntime", "real-time CPU bandwidth (cpu.rt_runtime_us)");
  }
  if (c.realtimePeriod.value_or(0) != 0) {
    return notOnV2("cpu.realtimePeriod", "real-time CPU bandwidth (cpu.rt_period_us)");
  }
  // The spec lets runtimes reject a burst above a positive quota; the kernel
  // would refuse it with a bare EINVAL.
  int64_t quota = c.quota.value_or(0);
  if (c.burst && quota > 0 && *c.burst > static_cast<uint64_t>(quota)) {
    return fieldError("cpu.burst", num(*c.burst) + " is larger than cpu.quota " + num(quota));
  }
  return {};
}

Status validateBlockIo(const spec::BlockIo& b) {
  // runc ignores leaf weights on v2; crun rejects the cgroup-wide one and
  // ignores the per-device ones. Both are rejected here (no v2 equivalent).
  if (b.leafWeight.value_or(0) != 0) {
    return notOnV2("blockIO.leafWeight", "leafWeight (CFQ only)");
  }
  for (size_t i = 0; i < b.weightDevice.size(); ++i) {
    if (b.weightDevice[i].leafWeight.value_or(0) != 0) {
      return notOnV2("blockIO.weightDevice[" + std::to_string(i) + "].leafWeight",
                     "leafWeight (CFQ only)");
    }
  }
  return {};
}

Status validateNetwork(const spec::Network& n) {
  // runc ignores these on v2; crun rejects any network object. Rejected
  // here when they ask for something (zero classID / no priorities pass).
  if (n.classID.value_or(0) != 0) {
    return notOnV2("network.classID", "the net_cls controller (classID)");
  }
  if (!n.priorities.empty()) {
    return notOnV2("network.priorities", "the net_prio controller (priorities)");
  }
  return {};
}

Status validate(const spec::Resources& r) {
  if (r.memory) TRY(validateMemory(*r.memory));
  if (r.cpu) TRY(validateCpu(*r.cpu));
  if (r.blockIO) TRY(validateBlockIo(*r.blockIO));
  if (r.network) TRY(validateNetwork(*r.network));
  TRY(checkHugepagesAndRdma(r));
  for (const auto& entry : r.unified) TRY(unifiedController(entry.first));
  return {};
}

// ---- emission, field by field, in runc's controller order.

struct Writer {
  std::vector<CgroupWrite>& out;
  void operator()(std::string file, std::string value) {
    out.push_back({std::move(file), std::move(value)});
  }
};

Status emitPids(const spec::Pids& p, const CgroupFacts& facts, Writer& w) {
  if (!pidsSet(p)) return {};
  // No limit asked, and no controller to limit with: nothing to enforce
  // (Podman writes it for every container on hosts like the hybrid one).
  if (*p.limit < 0 && !facts.controllers.has("pids")) return {};
  TRY(requireController(facts, "pids", "pids"));
  // runtime-spec 1.3.0: -1 is "max", and 0 is a real limit (no new tasks)
  // that runtimes SHOULD honour. runc 1.1 and crun skip 0 (unset); runc 1.4
  // writes "1" to match systemd's TasksMax. sangja follows the spec.
  int64_t limit = *p.limit;
  w("pids.max", limit < 0 ? std::string("max") : num(limit));
  return {};
}

Status emitMemory(const spec::Memory& m, const CgroupFacts& facts, Writer& w) {
  if (!memorySet(m)) return {};
  TRY(requireController(facts, "memory", "memory"));
  std::optional<std::string> swap = TRY(swapMaxValue(m));
  // Swap first, as runc does (on v2 the two limits are independent).
  if (swap) {
    if (facts.memorySwapMax) {
      w("memory.swap.max", *swap);
    } else if (*swap != "max" && *swap != "0") {
      // runc drops "max"/"0" when swap accounting is off, else fails on the
      // missing file; this says why.
      return fieldError("memory.swap",
                        "swap accounting is not available (no memory.swap.max in this cgroup)");
    }
  }
  auto bytes = [](int64_t v) { return v == -1 ? std::string("max") : num(v); };
  if (int64_t limit = m.limit.value_or(0); limit != 0) w("memory.max", bytes(limit));
  if (int64_t low = m.reservation.value_or(0); low != 0) w("memory.low", bytes(low));
  return {};
}

Status emitIo(const spec::BlockIo& b, const CgroupFacts& facts, Writer& w) {
  if (!ioSet(b)) return {};
  TRY(requireController(facts, "blockIO", "io"));
  // BFQ takes blkio-scale weights as they are; io.weight (iocost) wants
  // [1, 10000], so they are converted. Per-device weights: runc writes them
  // only to io.bfq.weight (ignoring them otherwise), crun fails without BFQ;
  // here they go to io.weight, converted, when BFQ is absent.
  if (uint16_t weight = b.weight.value_or(0); weight != 0) {
    if (facts.ioBfqWeight) {
      w("io.bfq.weight", num(uint64_t{weight}));
    } else {
      w("io.weight", num(blkioWeightToIoWeight(weight)));
    }
  }
  for (const spec::WeightDevice& d : b.weightDevice) {
    uint16_t weight = d.weight.value_or(0);
    if (weight == 0) continue;
    if (facts.ioBfqWeight) {
      w("io.bfq.weight", device(d.major, d.minor) + " " + num(uint64_t{weight}));
    } else {
      w("io.weight", device(d.major, d.minor) + " " + num(blkioWeightToIoWeight(weight)));
    }
  }
  // One io.max line per device and key, in runc's order.
  auto throttle = [&](const std::vector<spec::ThrottleDevice>& list, std::string_view key) {
    for (const spec::ThrottleDevice& d : list) {
      w("io.max", device(d.major, d.minor) + " " + std::string(key) + "=" + num(d.rate));
    }
  };
  throttle(b.throttleReadBpsDevice, "rbps");
  throttle(b.throttleWriteBpsDevice, "wbps");
  throttle(b.throttleReadIOPSDevice, "riops");
  throttle(b.throttleWriteIOPSDevice, "wiops");
  return {};
}

constexpr uint64_t kDefaultCpuShares = 1024;

// cpu.shares 1024 and nothing else: the kernel's default weight (100),
// what every cgroup has. containerd's `ctr run` asks for it by default.
bool cpuAsksOnlyForTheDefaultWeight(const spec::Cpu& c) {
  return c.shares.value_or(0) == kDefaultCpuShares && c.quota.value_or(0) == 0 &&
         c.period.value_or(0) == 0 && !c.burst && !c.idle;
}

Status emitCpu(const spec::Cpu& c, const CgroupFacts& facts, Writer& w) {
  if (!cpuSet(c)) return {};
  // Without a cpu controller (a hybrid host's v2 hierarchy) the container
  // gets what that default would give: no cpu control of its own. Anything
  // more is an error, as for every controller.
  if (!facts.controllers.has("cpu") && cpuAsksOnlyForTheDefaultWeight(c)) return {};
  TRY(requireController(facts, "cpu", "cpu"));
  // The kernel refuses cpu.weight while cpu.idle is 1, so leaving idle comes
  // before the weight and entering it after (runc writes idle first, crun
  // last; each fails one of the two transitions).
  bool idleFirst = c.idle && *c.idle == 0;
  if (idleFirst) w("cpu.idle", num(*c.idle));
  if (uint64_t shares = c.shares.value_or(0); shares != 0) {
    w("cpu.weight", num(cpuSharesToWeight(shares)));
  }
  if (c.idle && !idleFirst) w("cpu.idle", num(*c.idle));

  int64_t quota = c.quota.value_or(0);
  uint64_t period = c.period.value_or(0);
  bool cpuMax = quota != 0 || period != 0;
  // cpu.max.burst must stay <= the quota at every step. Whether the new burst
  // or the new quota must go first depends on the old values (runc retries
  // the burst after cpu.max on EINVAL); zeroing the burst first works for
  // every old state without reading it.
  if (c.burst && cpuMax) w("cpu.max.burst", "0");
  if (cpuMax) {
    // runc: quota <= 0 with a period is "max PERIOD"; the period defaults to
    // 100000 us when only the quota is given.
    std::string value = quota > 0 ? num(quota) : std::string("max");
    value += " " + num(period != 0 ? period : uint64_t{100000});
    w("cpu.max", std::move(value));
  }
  if (c.burst && (!cpuMax || *c.burst != 0)) w("cpu.max.burst", num(*c.burst));
  return {};
}

Status emitCpuset(const spec::Cpu& c, const CgroupFacts& facts, Writer& w) {
  if (!cpusetSet(c)) return {};
  TRY(requireController(facts, c.cpus.empty() ? "cpu.mems" : "cpu.cpus", "cpuset"));
  if (!c.cpus.empty()) w("cpuset.cpus", c.cpus);
  if (!c.mems.empty()) w("cpuset.mems", c.mems);
  return {};
}

Status emitHugetlb(const std::vector<spec::HugepageLimit>& limits, const CgroupFacts& facts,
                   Writer& w) {
  if (limits.empty()) return {};
  TRY(requireController(facts, "hugepageLimits", "hugetlb"));
  for (const spec::HugepageLimit& h : limits) {
    std::string prefix = "hugetlb." + h.pageSize;
    w(prefix + ".max", num(h.limit));
    // The spec: limit reservations where the kernel can (5.7+), as runc does.
    if (facts.hugetlbRsvd) w(prefix + ".rsvd.max", num(h.limit));
  }
  return {};
}

Status emitRdma(const std::map<std::string, spec::Rdma>& rdma, const CgroupFacts& facts,
                Writer& w) {
  if (rdma.empty()) return {};
  TRY(requireController(facts, "rdma", "rdma"));
  for (const auto& [name, limits] : rdma) w("rdma.max", rdmaLine(name, limits));
  return {};
}

// Written last, so they override the typed fields (runc and crun agree).
// Like both, one write per line; an empty value writes nothing (crun).
Status emitUnified(const std::map<std::string, std::string>& unified, const CgroupFacts& facts,
                   Writer& w) {
  for (const auto& [key, value] : unified) {
    if (value.empty()) continue;
    std::string controller = TRY(unifiedController(key));
    if (controller != "cgroup") {
      TRY(requireController(facts, "unified[" + quoted(key) + "]", controller));
    }
    size_t pos = 0;
    while (pos <= value.size()) {
      size_t end = value.find('\n', pos);
      if (end == std::string::npos) end = value.size();
      if (end > pos) w(key, value.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  return {};
}

}  // namespace

// ---- ControllerSet ----

ControllerSet::ControllerSet(std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) add(n);
}

bool ControllerSet::has(std::string_view name) const {
  return std::binary_search(names_.begin(), names_.end(), name);
}

void ControllerSet::add(std::string_view name) {
  if (name.empty()) return;
  auto it = std::lower_bound(names_.begin(), names_.end(), name);
  if (it == names_.end() || *it != name) names_.insert(it, std::string(name));
}

ControllerSet parseControllers(std::string_view text) {
  ControllerSet set;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = text.find_first_not_of(" \t\n", pos);
    if (start == std::string_view::npos) break;
    size_t end = text.find_first_of(" \t\n", start);
    if (end == std::string_view::npos) end = text.size();
    set.add(text.substr(start, end - start));
    pos = end;
  }
  return set;
}

// ---- facts ----

Result<CgroupFacts> probeCgroup(int cgroupDirFd) {
  CgroupFacts facts;
  facts.controllers = parseControllers(TRY(readFileAt(cgroupDirFd, "cgroup.controllers")));
  auto exists = [&](const char* name) {
    struct stat st;
    return ::fstatat(cgroupDirFd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
  };
  facts.ioBfqWeight = exists("io.bfq.weight");
  facts.memorySwapMax = exists("memory.swap.max");
  facts.hugetlbRsvd = false;
  if (facts.controllers.has("hugetlb")) {
    // The page sizes vary by architecture: look for any rsvd file.
    DirStream dir = TRY(DirStream::open(cgroupDirFd, "cgroup directory"));
    while (struct dirent* e = dir.next()) {
      std::string_view name = e->d_name;
      if (name.starts_with("hugetlb.") && name.ends_with(".rsvd.max")) {
        facts.hugetlbRsvd = true;
        break;
      }
    }
  }
  return facts;
}

// ---- translation ----

Result<std::vector<CgroupWrite>> translateResources(const spec::Resources& r,
                                                    const CgroupFacts& facts) {
  TRY(validate(r));
  std::vector<CgroupWrite> writes;
  Writer w{writes};
  if (r.pids) TRY(emitPids(*r.pids, facts, w));
  if (r.memory) TRY(emitMemory(*r.memory, facts, w));
  if (r.blockIO) TRY(emitIo(*r.blockIO, facts, w));
  if (r.cpu) TRY(emitCpu(*r.cpu, facts, w));
  if (r.cpu) TRY(emitCpuset(*r.cpu, facts, w));
  TRY(emitHugetlb(r.hugepageLimits, facts, w));
  TRY(emitRdma(r.rdma, facts, w));
  TRY(emitUnified(r.unified, facts, w));
  return writes;
}

std::vector<std::string> controllersNeeded(const spec::Resources& r) {
  std::set<std::string> needed;
  if (r.pids && pidsSet(*r.pids)) needed.insert("pids");
  if (r.memory && memorySet(*r.memory)) needed.insert("memory");
  if (r.blockIO && ioSet(*r.blockIO)) needed.insert("io");
  if (r.cpu && cpuSet(*r.cpu)) needed.insert("cpu");
  if (r.cpu && cpusetSet(*r.cpu)) needed.insert("cpuset");
  if (!r.hugepageLimits.empty()) needed.insert("hugetlb");
  if (!r.rdma.empty()) needed.insert("rdma");
  for (const auto& [key, value] : r.unified) {
    if (value.empty()) continue;
    Result<std::string> controller = unifiedController(key);
    if (controller.ok() && *controller != "cgroup") needed.insert(*controller);
  }
  return {needed.begin(), needed.end()};
}

// ---- writing ----

Status applyWrites(int cgroupDirFd, const std::vector<CgroupWrite>& writes) {
  UniqueFd fd;
  const std::string* openFile = nullptr;
  for (const CgroupWrite& w : writes) {
    std::string what = quoted(w.value) + " to " + w.file;
    if (openFile == nullptr || *openFile != w.file) {
      openFile = nullptr;
      fd.reset(::openat(cgroupDirFd, w.file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW));
      if (!fd) return Error::fromErrno("write " + what);
      openFile = &w.file;
    }
    TRY(writeAll(fd.get(), w.value, what));
  }
  return {};
}

Status checkMemoryBeforeUpdate(const spec::Memory& m, uint64_t currentUsage) {
  if (!m.checkBeforeUpdate.value_or(false)) return {};
  // runc's CheckMemoryUsage: memory+swap first, then memory.
  int64_t swap = m.swap.value_or(0);
  if (swap > 0 && static_cast<uint64_t>(swap) <= currentUsage) {
    return fieldError("memory.swap", num(swap) + " is not above the current usage " +
                                         num(currentUsage) + " (checkBeforeUpdate)");
  }
  int64_t limit = m.limit.value_or(0);
  if (limit > 0 && static_cast<uint64_t>(limit) <= currentUsage) {
    return fieldError("memory.limit", num(limit) + " is not above the current usage " +
                                          num(currentUsage) + " (checkBeforeUpdate)");
  }
  return {};
}

// ---- conversions ----

uint64_t cpuSharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  // A parabola in log2(shares) through (1, 0), (10, 2), (18, 4) in log10
  // space: shares 2 -> 1, 1024 -> 100 (the two defaults), 262144 -> 10000.
  double l = plain_math::log2(static_cast<double>(shares));
  double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return plain_math::ceilToU64(plain_math::exp10(exponent));
}

uint64_t blkioWeightToIoWeight(uint16_t weight) {
  if (weight == 0) return 0;
  // runc's 1 + (w - 10) * 9999 / 990 would wrap below 10 and pass 10000
  // above 1000: clamp to the range it was made for.
  uint64_t w = std::clamp<uint64_t>(weight, 10, 1000);
  return 1 + (w - 10) * 9999 / 990;
}

namespace {

std::optional<int64_t> leadingNumber(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || (end != text.data() + text.size() && *end != '\n' && *end != ' ')) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

CurrentLimits parseCurrentLimits(std::string_view memoryMax, std::string_view cpuMax) {
  CurrentLimits current;
  if (memoryMax.starts_with("max")) {
    current.memoryLimit = -1;
  } else {
    current.memoryLimit = leadingNumber(memoryMax);
  }
  size_t sp = cpuMax.find(' ');
  if (sp != std::string_view::npos) {
    if (std::optional<int64_t> period = leadingNumber(cpuMax.substr(sp + 1));
        period && *period > 0) {
      current.cpuPeriod = static_cast<uint64_t>(*period);
    }
  }
  return current;
}

spec::Resources mergeWithCurrent(spec::Resources update, const CurrentLimits& current) {
  if (update.memory && update.memory->swap && !update.memory->limit) {
    update.memory->limit = current.memoryLimit;
  }
  if (update.cpu && update.cpu->quota && !update.cpu->period) {
    update.cpu->period = current.cpuPeriod;
  }
  return update;
}

}  // namespace sangja::cgroups
