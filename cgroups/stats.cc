#include "cgroups/stats.h"

#include <charconv>
#include <limits>
#include <map>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/text.h"

namespace sangja::cgroups {

namespace {

using Json = nlohmann::ordered_json;
constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

std::optional<std::string> readOptional(const std::string& path) {
  Result<std::string> text = readFile(path);
  if (!text.ok()) return std::nullopt;
  return std::move(*text);
}

uint64_t toUint(std::string_view s) {
  s = withoutTrailingBlanks(s);
  if (s == "max") return kUnlimited;
  uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// "key value" lines (cpu.stat, memory.stat, memory.events).
std::map<std::string, uint64_t> flatKeyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    out[std::string(line.substr(0, sp))] = toUint(line.substr(sp + 1));
  }
  return out;
}

std::optional<uint64_t> readUint(const std::string& path) {
  std::optional<std::string> text = readOptional(path);
  if (!text) return std::nullopt;
  return toUint(*text);
}

Json cpuStats(const std::string& dir) {
  Json cpu = Json::object();
  std::optional<std::string> text = readOptional(dir + "/cpu.stat");
  if (!text) return cpu;
  auto stat = flatKeyed(*text);
  cpu["usage"] = {{"total", stat["usage_usec"] * 1000},
                  {"kernel", stat["system_usec"] * 1000},
                  {"user", stat["user_usec"] * 1000}};
  cpu["throttling"] = {{"periods", stat["nr_periods"]},
                       {"throttledPeriods", stat["nr_throttled"]},
                       {"throttledTime", stat["throttled_usec"] * 1000}};
  return cpu;
}

uint64_t saturatingAdd(uint64_t a, uint64_t b) {
  return a > kUnlimited - b ? kUnlimited : a + b;
}

Json memoryStats(const std::string& dir) {
  Json memory = Json::object();
  std::optional<uint64_t> current = readUint(dir + "/memory.current");
  if (!current) return memory;
  auto raw = flatKeyed(readOptional(dir + "/memory.stat").value_or(""));
  auto events = flatKeyed(readOptional(dir + "/memory.events").value_or(""));
  uint64_t limit = readUint(dir + "/memory.max").value_or(kUnlimited);
  memory["cache"] = raw["file"];
  memory["usage"] = {{"limit", limit},
                     {"usage", *current},
                     {"max", readUint(dir + "/memory.peak").value_or(0)},
                     {"failcnt", events["max"]}};
  // runc reports swap as memory+swap, as cgroup v1 did.
  if (std::optional<uint64_t> swap = readUint(dir + "/memory.swap.current")) {
    uint64_t swapLimit = readUint(dir + "/memory.swap.max").value_or(kUnlimited);
    memory["swap"] = {
        {"limit", saturatingAdd(swapLimit, limit)}, {"usage", *swap + *current}, {"failcnt", 0}};
  }
  Json rawJson = Json::object();
  for (const auto& [key, value] : raw) rawJson[key] = value;
  memory["raw"] = std::move(rawJson);
  return memory;
}

Json pidsStats(const std::string& dir) {
  Json pids = Json::object();
  std::optional<uint64_t> current = readUint(dir + "/pids.current");
  if (!current) return pids;
  pids["current"] = *current;
  pids["limit"] = readUint(dir + "/pids.max").value_or(kUnlimited);
  return pids;
}

// io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N".
Json blkioStats(const std::string& dir) {
  Json bytes = Json::array();
  Json ios = Json::array();
  std::optional<std::string> text = readOptional(dir + "/io.stat");
  std::string_view rest = text ? std::string_view(*text) : std::string_view{};
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    size_t colon = line.find(':');
    size_t sp = line.find(' ');
    if (colon == std::string_view::npos || sp == std::string_view::npos || colon > sp) continue;
    uint64_t major = toUint(line.substr(0, colon));
    uint64_t minor = toUint(line.substr(colon + 1, sp - colon - 1));
    auto entry = [&](Json& list, const char* op, uint64_t value) {
      list.push_back({{"major", major}, {"minor", minor}, {"op", op}, {"value", value}});
    };
    std::map<std::string, uint64_t> kv;
    std::string_view fields = line.substr(sp + 1);
    while (!fields.empty()) {
      size_t next = fields.find(' ');
      std::string_view field = fields.substr(0, next);
      fields = next == std::string_view::npos ? std::string_view{} : fields.substr(next + 1);
      size_t eq = field.find('=');
      if (eq != std::string_view::npos)
        kv[std::string(field.substr(0, eq))] = toUint(field.substr(eq + 1));
    }
    entry(bytes, "Read", kv["rbytes"]);
    entry(bytes, "Write", kv["wbytes"]);
    entry(ios, "Read", kv["rios"]);
    entry(ios, "Write", kv["wios"]);
  }
  Json blkio = Json::object();
  if (!bytes.empty()) blkio["ioServiceBytesRecursive"] = std::move(bytes);
  if (!ios.empty()) blkio["ioServicedRecursive"] = std::move(ios);
  return blkio;
}

// hugetlb.<size>.current for every page size the cgroup has.
Json hugetlbStats(const std::string& dir) {
  Json hugetlb = Json::object();
  for (const char* size : {"64KB", "2MB", "32MB", "512MB", "1GB", "16GB"}) {
    std::string base = dir + "/hugetlb." + size;
    std::optional<uint64_t> usage = readUint(base + ".current");
    if (!usage) continue;
    auto events = flatKeyed(readOptional(base + ".events").value_or(""));
    hugetlb[size] = {{"usage", *usage}, {"failcnt", events["max"]}};
  }
  return hugetlb;
}

// ---- cgroup v1 ----

// "NAME VALUE" lines; v1 spells memory+swap usage as "memsw".
Json cpuStatsV1(const std::string* cpu, const std::string* cpuacct) {
  Json stats = Json::object();
  if (cpuacct) {
    Json usage = Json::object();
    usage["total"] = readUint(*cpuacct + "/cpuacct.usage").value_or(0);
    // cpuacct.stat counts USER_HZ ticks (100 per second on Linux).
    auto ticks = flatKeyed(readOptional(*cpuacct + "/cpuacct.stat").value_or(""));
    usage["kernel"] = ticks["system"] * 10'000'000;
    usage["user"] = ticks["user"] * 10'000'000;
    Json percpu = Json::array();
    std::string list = readOptional(*cpuacct + "/cpuacct.usage_percpu").value_or("");
    std::string_view rest = list;
    while (!rest.empty()) {
      size_t sp = rest.find_first_of(" \n");
      std::string_view item = rest.substr(0, sp);
      rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
      if (!item.empty()) percpu.push_back(toUint(item));
    }
    if (!percpu.empty()) usage["percpu"] = std::move(percpu);
    stats["usage"] = std::move(usage);
  }
  if (cpu) {
    auto stat = flatKeyed(readOptional(*cpu + "/cpu.stat").value_or(""));
    stats["throttling"] = {{"periods", stat["nr_periods"]},
                           {"throttledPeriods", stat["nr_throttled"]},
                           {"throttledTime", stat["throttled_time"]}};
  }
  return stats;
}

// blkio's recursive files: "MAJ:MIN Op VALUE" lines and a "Total" line,
// as runc lists them (op as the kernel spells it).
Json blkioEntriesV1(std::string_view text) {
  Json list = Json::array();
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    size_t colon = line.find(':');
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (colon == std::string_view::npos || sp2 == std::string_view::npos || colon > sp1) continue;
    list.push_back({{"major", toUint(line.substr(0, colon))},
                    {"minor", toUint(line.substr(colon + 1, sp1 - colon - 1))},
                    {"op", std::string(line.substr(sp1 + 1, sp2 - sp1 - 1))},
                    {"value", toUint(line.substr(sp2 + 1))}});
  }
  return list;
}

// The scheduler's blkio.io_* files where it keeps them (CFQ, BFQ), else
// the throttle layer's, which every kernel has (runc's fallback too).
Json blkioStatsV1(const std::string& dir) {
  Json blkio = Json::object();
  bool scheduler = readOptional(dir + "/blkio.io_service_bytes_recursive").has_value();
  std::string prefix = dir + (scheduler ? "/blkio." : "/blkio.throttle.");
  Json bytes = blkioEntriesV1(readOptional(prefix + "io_service_bytes_recursive").value_or(""));
  Json ios = blkioEntriesV1(readOptional(prefix + "io_serviced_recursive").value_or(""));
  if (!bytes.empty()) blkio["ioServiceBytesRecursive"] = std::move(bytes);
  if (!ios.empty()) blkio["ioServicedRecursive"] = std::move(ios);
  return blkio;
}

// hugetlb.<size>.usage_in_bytes, max_usage_in_bytes and failcnt.
Json hugetlbStatsV1(const std::string& dir) {
  Json hugetlb = Json::object();
  for (const char* size : {"64KB", "2MB", "32MB", "512MB", "1GB", "16GB"}) {
    std::string base = dir + "/hugetlb." + size;
    std::optional<uint64_t> usage = readUint(base + ".usage_in_bytes");
    if (!usage) continue;
    hugetlb[size] = {{"usage", *usage},
                     {"maxUsage", readUint(base + ".max_usage_in_bytes").value_or(0)},
                     {"failcnt", readUint(base + ".failcnt").value_or(0)}};
  }
  return hugetlb;
}

Json memoryEntryV1(const std::string& dir, const std::string& prefix) {
  return {{"limit", readUint(dir + "/" + prefix + ".limit_in_bytes").value_or(0)},
          {"usage", readUint(dir + "/" + prefix + ".usage_in_bytes").value_or(0)},
          {"max", readUint(dir + "/" + prefix + ".max_usage_in_bytes").value_or(0)},
          {"failcnt", readUint(dir + "/" + prefix + ".failcnt").value_or(0)}};
}

Json memoryStatsV1(const std::string& dir) {
  Json memory = Json::object();
  if (!readUint(dir + "/memory.usage_in_bytes")) return memory;
  auto raw = flatKeyed(readOptional(dir + "/memory.stat").value_or(""));
  memory["cache"] = raw["cache"];
  memory["usage"] = memoryEntryV1(dir, "memory");
  if (readUint(dir + "/memory.memsw.usage_in_bytes")) {
    memory["swap"] = memoryEntryV1(dir, "memory.memsw");
  }
  Json rawJson = Json::object();
  for (const auto& [key, value] : raw) rawJson[key] = value;
  memory["raw"] = std::move(rawJson);
  return memory;
}

}  // namespace

Result<nlohmann::ordered_json> readStats(const std::string& dir) {
  if (!readOptional(dir + "/cgroup.procs")) {
    return Error::invalid("cgroup " + dir + " does not exist", ENOENT);
  }
  Json stats = Json::object();
  stats["cpu"] = cpuStats(dir);
  stats["memory"] = memoryStats(dir);
  stats["pids"] = pidsStats(dir);
  stats["blkio"] = blkioStats(dir);
  stats["hugetlb"] = hugetlbStats(dir);
  return stats;
}

Result<nlohmann::ordered_json> readStatsV1(const std::map<std::string, std::string>& dirs) {
  auto dirOf = [&](const char* controller) -> const std::string* {
    auto it = dirs.find(controller);
    return it == dirs.end() ? nullptr : &it->second;
  };
  bool exists = false;
  for (const auto& [controller, dir] : dirs) exists = exists || readOptional(dir + "/cgroup.procs");
  if (!exists) return Error::invalid("the container's v1 cgroups do not exist", ENOENT);
  Json stats = Json::object();
  stats["cpu"] = cpuStatsV1(dirOf("cpu"), dirOf("cpuacct"));
  stats["memory"] = dirOf("memory") ? memoryStatsV1(*dirOf("memory")) : Json::object();
  stats["pids"] = dirOf("pids") ? pidsStats(*dirOf("pids")) : Json::object();
  stats["blkio"] = dirOf("blkio") ? blkioStatsV1(*dirOf("blkio")) : Json::object();
  stats["hugetlb"] = dirOf("hugetlb") ? hugetlbStatsV1(*dirOf("hugetlb")) : Json::object();
  return stats;
}

uint64_t oomKillCount(const std::string& dir) {
  return flatKeyed(readOptional(dir + "/memory.events").value_or(""))["oom_kill"];
}

}  // namespace sangja::cgroups
