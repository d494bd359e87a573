// cgroupfs v1 driver, for legacy and hybrid hosts: the container's cgroup
// is the same path in every mounted v1 hierarchy (named ones such as
// name=systemd included, as runc does) and, on a hybrid host, in the v2
// hierarchy too. openCgroup chooses it on hybrid and legacy hosts.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <thread>

#include "base/file.h"
#include "base/log.h"
#include "base/text.h"
#include "cgroups/cgroup_manager.h"
#include "cgroups/cgroupfs.h"
#include "cgroups/resources_v1.h"
#include "cgroups/stats.h"

namespace sangja::cgroups {

namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string trimmed(std::string text) {
  text.resize(withoutTrailingBlanks(text).size());
  return text;
}

// v1 reports "no limit" as the largest page-aligned value (9223372036854771712).
constexpr int64_t kV1Unlimited = int64_t{1} << 62;

// memory.limit_in_bytes of the cgroup in dir: -1 for no limit, nullopt
// when it cannot be read.
std::optional<int64_t> v1MemoryLimit(const std::string& dir) {
  std::string text = trimmed(readFile(dir + "/memory.limit_in_bytes").valueOr(""));
  int64_t limit = 0;
  if (text.empty() ||
      std::from_chars(text.data(), text.data() + text.size(), limit).ec != std::errc()) {
    return std::nullopt;
  }
  return limit >= kV1Unlimited ? -1 : limit;
}

class Cgroup1Manager final : public CgroupManager {
 public:
  Cgroup1Manager(CgroupLayout layout, std::string path, std::string createdFrom)
      : layout_(std::move(layout)), path_(std::move(path)), createdFrom_(std::move(createdFrom)) {}

  const std::string& path() const override { return path_; }
  std::string directory() const override { return dirOf("memory"); }

  // A cgroup busy in any hierarchy is refused before anything is made;
  // a failure half-way removes what this call made, hierarchy by hierarchy.
  Status create() override {
    TRY(checkContainerCgroupPath(path_));
    for (const std::string& root : roots()) TRY(refuseBusy(root));
    std::vector<std::string> made;
    Status st = makeInEveryHierarchy(made);
    if (!st.ok()) removeMade(made);
    return st;
  }

  // Every v1 controller is on in its own hierarchy.
  Status enableControllers(const std::vector<std::string>&) const override { return {}; }

  Status applyResources(const spec::Resources& resources, bool forUpdate) const override {
    std::vector<V1Write> writes = TRY(translateResourcesV1(resources, facts()));
    if (forUpdate && resources.memory && resources.memory->checkBeforeUpdate.value_or(false)) {
      std::string usage = TRY(readFile(dirOf("memory") + "/memory.usage_in_bytes"));
      uint64_t used = 0;
      std::from_chars(usage.data(), usage.data() + usage.size(), used);
      TRY(checkMemoryBeforeUpdate(*resources.memory, used));
    }
    if (!resources.devices.empty()) {
      if (!layout_.hierarchyOf("devices")) {
        return Error::invalid(
            "linux.resources.devices: the devices controller is not mounted on this host "
            "(cgroup v1)",
            ENOENT);
      }
      std::vector<DeviceRule> rules = TRY(effectiveDeviceRules(resources));
      for (V1Write& w : deviceRulesV1(rules)) writes.push_back(std::move(w));
    }
    for (const V1Write& w : writes) {
      TRY(writeExisting(dirOf(w.controller) + "/" + w.file, w.value)
              .context("write \"" + w.value + "\" to " + w.file));
    }
    return {};
  }

  // clone3 cannot place a process in v1 hierarchies: it is attached. The
  // sub-cgroup must exist in every one.
  Result<UniqueFd> openDir(std::string_view sub) const override {
    if (sub.empty()) return UniqueFd();
    for (const std::string& root : roots()) {
      std::string dir = root + path_ + "/" + std::string(sub);
      struct stat st;
      if (::lstat(dir.c_str(), &st) < 0) return Error::fromErrno("sub-cgroup " + dir);
      if (!S_ISDIR(st.st_mode))
        return Error::invalid("sub-cgroup " + dir + ": not a cgroup", ENOTDIR);
    }
    return UniqueFd();
  }

  Status attach(pid_t pid, std::string_view sub) const override {
    std::string name(sub);
    for (const std::string& root : roots()) {
      UniqueFd dir = TRY(openFile(root + path_, O_RDONLY | O_DIRECTORY).context("open cgroup"));
      if (!name.empty()) {
        int fd = ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return Error::fromErrno("sub-cgroup " + root + path_ + "/" + name);
        dir = UniqueFd(fd);
      }
      std::string where = root + path_ + (name.empty() ? "" : "/" + name);
      UniqueFd procs = TRY(openAt(dir.get(), "cgroup.procs", O_WRONLY).context("join " + where));
      TRY(writeAll(procs.get(), std::to_string(pid), "cgroup.procs of " + where));
    }
    return {};
  }

  Result<std::vector<pid_t>> pids() const override {
    return fs::parsePids(TRY(readFile(procsRoot() + path_ + "/cgroup.procs")));
  }

  // A v1 freezer holds a frozen task even against SIGKILL: a paused
  // container killed (kill --all, delete --force) is thawed after the
  // signal, so that it dies rather than wait for a resume (runc too).
  Status signalAll(int sig) const override {
    TRY(fs::signalEach(TRY(pids()), sig));
    if (sig == SIGKILL && isFrozen()) TRY(setFrozen(false).context("thaw the killed container"));
    return {};
  }

  // freezer.state goes FREEZING -> FROZEN; a task forking meanwhile can
  // leave it FREEZING, so FROZEN is written again until it holds (runc).
  Status setFrozen(bool frozen) const override {
    if (!layout_.hierarchyOf("freezer")) {
      return Error::invalid("pause needs the freezer controller, which this host does not mount",
                            ENOTSUP);
    }
    std::string file = dirOf("freezer") + "/freezer.state";
    const char* want = frozen ? "FROZEN" : "THAWED";
    for (int attempt = 0; attempt < 1000; ++attempt) {
      TRY(writeExisting(file, want).context(frozen ? "freeze" : "thaw"));
      std::string state = trimmed(TRY(readFile(file)));
      if (state == want) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Error::invalid(std::string(frozen ? "freeze " : "thaw ") + file + ": still not " + want,
                          ETIMEDOUT);
  }

  bool isFrozen() const override {
    if (!layout_.hierarchyOf("freezer")) return false;
    Result<std::string> state = readFile(dirOf("freezer") + "/freezer.state");
    return state.ok() && state->starts_with("FROZEN");
  }

  Result<nlohmann::ordered_json> stats() const override {
    std::map<std::string, std::string> dirs;
    for (const char* c : {"cpu", "cpuacct", "memory", "pids", "blkio", "hugetlb"}) {
      if (layout_.hierarchyOf(c)) dirs[c] = dirOf(c);
    }
    return readStatsV1(dirs);
  }

  CurrentLimits currentLimits() const override {
    CurrentLimits current;
    // No memory controller: no limit.
    current.memoryLimit = v1MemoryLimit(dirOf("memory")).value_or(-1);
    std::string period = trimmed(readFile(dirOf("cpu") + "/cpu.cfs_period_us").valueOr(""));
    uint64_t us = 0;
    if (!period.empty() &&
        std::from_chars(period.data(), period.data() + period.size(), us).ec == std::errc() &&
        us > 0) {
      current.cpuPeriod = us;
    }
    return current;
  }

  // memory.oom_control's "oom_kill N" (Linux 4.13+).
  uint64_t oomKills() const override {
    std::string text = readFile(dirOf("memory") + "/memory.oom_control").valueOr("");
    size_t at = text.find("oom_kill ");
    if (at == std::string::npos) return 0;
    uint64_t kills = 0;
    std::from_chars(text.data() + at + 9, text.data() + text.size(), kills);
    return kills;
  }

  // v1 notifies OOMs through an eventfd registered with memory.oom_control
  // in cgroup.event_control ("<eventfd> <oom_control fd>"); the
  // registration lasts as long as the eventfd.
  OomWatch watchOomKills() const override {
    if (!layout_.hierarchyOf("memory")) return {};
    std::string dir = dirOf("memory");
    UniqueFd eventFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    Result<UniqueFd> control = openFile(dir + "/memory.oom_control", O_RDONLY);
    if (!eventFd || !control.ok()) {
      log::warning("OOM notification for " + dir + " unavailable: OOM kills show at stats time");
      return {};
    }
    std::string line = std::to_string(eventFd.get()) + " " + std::to_string(control->get());
    if (Status st = writeExisting(dir + "/cgroup.event_control", line); !st.ok()) {
      log::warning("OOM notification for " + dir + ": " + st.error().message() +
                   "; OOM kills show at stats time");
      return {};
    }
    return OomWatch{std::move(eventFd), POLLIN};
  }

  std::string createdFrom() const override { return createdFrom_; }

  Status destroy() override {
    for (const std::string& root : roots()) TRY(fs::removeCgroup(root, path_, createdFrom_));
    return {};
  }

 private:
  // Every hierarchy the cgroup lives in: each v1 one, and the v2 one of a
  // hybrid host.
  std::vector<std::string> roots() const {
    std::vector<std::string> out;
    for (const V1Hierarchy& h : layout_.v1) out.push_back(h.mountPoint);
    if (!layout_.v2Mount.empty()) out.push_back(layout_.v2Mount);
    return out;
  }

  std::string hierarchyRoot(std::string_view controller) const {
    const V1Hierarchy* h = layout_.hierarchyOf(controller);
    return h ? h->mountPoint : std::string();
  }

  // The cgroup's directory in controller's hierarchy; the first
  // hierarchy's when the host does not mount it (reads there find nothing).
  std::string dirOf(std::string_view controller) const {
    std::string root = hierarchyRoot(controller);
    if (root.empty()) root = layout_.v1.empty() ? layout_.v2Mount : layout_.v1.front().mountPoint;
    return root + path_;
  }

  // Where cgroup.procs lists every process: pids or freezer if mounted.
  std::string procsRoot() const {
    for (const char* c : {"pids", "freezer", "memory"}) {
      if (std::string root = hierarchyRoot(c); !root.empty()) return root;
    }
    return roots().front();
  }

  V1Facts facts() const {
    V1Facts f;
    for (const V1Hierarchy& h : layout_.v1) {
      for (const std::string& c : h.controllers) f.mounted.add(c);
    }
    std::string memory = dirOf("memory");
    f.memsw = exists(memory + "/memory.memsw.limit_in_bytes");
    f.kmem = exists(memory + "/memory.kmem.limit_in_bytes");
    f.kmemTcp = exists(memory + "/memory.kmem.tcp.limit_in_bytes");
    std::string cpu = dirOf("cpu");
    f.cfsBurst = exists(cpu + "/cpu.cfs_burst_us");
    f.cpuIdle = exists(cpu + "/cpu.idle");
    f.realtime = exists(cpu + "/cpu.rt_runtime_us");
    std::string blkio = dirOf("blkio");
    f.bfqWeight = !exists(blkio + "/blkio.weight") && exists(blkio + "/blkio.bfq.weight");
    f.leafWeight = exists(blkio + "/blkio.leaf_weight");
    std::string hugetlb = dirOf("hugetlb");
    f.hugetlbRsvd = exists(hugetlb + "/hugetlb.2MB.rsvd.limit_in_bytes");
    f.currentMemoryLimit = v1MemoryLimit(memory);
    return f;
  }

  // v1 has no cgroup.events: an existing cgroup is busy if it lists a
  // process.
  Status refuseBusy(const std::string& root) const {
    std::string procs = readFile(root + path_ + "/cgroup.procs").valueOr("");
    if (!trimmed(procs).empty()) {
      return Error::invalid("cgroup " + path_ + " already holds processes", EBUSY);
    }
    return {};
  }

  Status makeInEveryHierarchy(std::vector<std::string>& made) {
    for (const std::string& root : roots()) {
      TRY(makeDirs(root, made));
      if (root == hierarchyRoot("cpuset")) TRY(inheritCpuset(root));
    }
    return {};
  }

  // Each directory it makes is added to made, parents first.
  Status makeDirs(const std::string& root, std::vector<std::string>& made) {
    std::string dir = root;
    std::vector<std::string> parts = fs::components(path_);
    for (size_t i = 0; i < parts.size(); ++i) {
      dir += "/" + parts[i];
      if (::mkdir(dir.c_str(), 0755) == 0) {
        made.push_back(dir);
        std::string relative = dir.substr(root.size());
        // The topmost directory made in any hierarchy.
        if (createdFrom_.empty() || relative.size() < createdFrom_.size()) {
          createdFrom_ = relative;
        }
      } else if (errno != EEXIST) {
        return Error::fromErrno("create cgroup " + dir);
      } else if (i + 1 == parts.size()) {
        TRY(refuseBusy(root));  // made busy since the first look
      }
    }
    return {};
  }

  // Best effort: a directory that cannot go is named, not hidden.
  void removeMade(const std::vector<std::string>& made) {
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
      if (::rmdir(it->c_str()) < 0) {
        log::warning("cgroup " + *it + " made by a failed create is left: " + std::strerror(errno));
      }
    }
    createdFrom_.clear();
  }

  // A new v1 cpuset cgroup starts with no CPUs and no nodes, and no task
  // can join it so: each level takes its parent's.
  Status inheritCpuset(const std::string& root) const {
    std::string dir = root;
    for (const std::string& part : fs::components(path_)) {
      std::string parent = dir;
      dir += "/" + part;
      for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
        if (!trimmed(readFile(dir + "/" + file).valueOr("")).empty()) continue;
        std::string value = trimmed(TRY(readFile(parent + "/" + file)));
        TRY(writeExisting(dir + "/" + file, value).context("cpuset of " + dir));
      }
    }
    return {};
  }

  CgroupLayout layout_;
  std::string path_;
  std::string createdFrom_;
};

}  // namespace

std::unique_ptr<CgroupManager> makeCgroup1Manager(CgroupLayout layout, std::string path,
                                                  std::string createdFrom) {
  return std::make_unique<Cgroup1Manager>(std::move(layout), std::move(path),
                                          std::move(createdFrom));
}

}  // namespace sangja::cgroups
