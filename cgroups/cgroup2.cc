// cgroupfs v2 driver.
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <thread>

#include "base/file.h"
#include "base/mountinfo.h"
#include "cgroups/cgroup_manager.h"
#include "cgroups/cgroupfs.h"
#include "cgroups/device_filter.h"  // [device filter]
#include "cgroups/resources.h"
#include "cgroups/stats.h"

namespace sangja::cgroups {

namespace {

bool isCgroup2(const char* path) {
  struct statfs fs;
  return ::statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// Whether a list separated by spaces (cgroup.controllers) or by sep holds word.
bool hasWord(std::string_view list, std::string_view word, char sep = ' ') {
  const char seps[] = {sep, ' ', '\n', '\0'};
  size_t pos = 0;
  while (pos < list.size()) {
    size_t end = list.find_first_of(seps, pos);
    if (end == std::string_view::npos) end = list.size();
    if (list.substr(pos, end - pos) == word) return true;
    pos = end + 1;
  }
  return false;
}

class Cgroup2Manager final : public CgroupManager {
 public:
  Cgroup2Manager(std::string mount, std::string path, std::string createdFrom)
      : mount_(std::move(mount)), path_(std::move(path)), createdFrom_(std::move(createdFrom)) {}

  const std::string& path() const override { return path_; }
  std::string directory() const override { return fullPath(); }

  Status create() override {
    // A concurrent delete may remove an empty parent between our mkdirs
    // (ENOENT): start again from the top.
    for (int attempt = 0;; ++attempt) {
      Status st = makeDirs();
      if (st.ok() || st.error().code() != ENOENT || attempt >= 5) return st;
    }
  }

  Result<UniqueFd> openDir(std::string_view sub) const override {
    UniqueFd dir = TRY(openFile(fullPath(), O_RDONLY | O_DIRECTORY).context("open cgroup"));
    if (sub.empty()) return dir;
    std::string name(sub);
    int fd = ::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return Error::fromErrno("sub-cgroup " + fullPath() + "/" + name);
    return UniqueFd(fd);
  }

  Status attach(pid_t pid, std::string_view sub) const override {
    if (sub.empty()) {
      return writeExisting(fullPath() + "/cgroup.procs", std::to_string(pid))
          .context("join cgroup " + path_);
    }
    UniqueFd dir = TRY(openDir(sub));
    UniqueFd procs = TRY(openAt(dir.get(), "cgroup.procs", O_WRONLY).context("join cgroup"));
    return writeAll(procs.get(), std::to_string(pid), "cgroup.procs");
  }

  Result<std::vector<pid_t>> pids() const override {
    return fs::parsePids(TRY(readFile(fullPath() + "/cgroup.procs")));
  }

  Status signalAll(int sig) const override {
    // cgroup.kill (5.14+) kills atomically, including processes forking now.
    if (sig == SIGKILL && ::access((fullPath() + "/cgroup.kill").c_str(), W_OK) == 0) {
      return writeExisting(fullPath() + "/cgroup.kill", "1");
    }
    return fs::signalEach(TRY(pids()), sig);
  }

  Status enableControllers(const std::vector<std::string>& names) const override {
    if (names.empty()) return {};
    std::string dir = mount_;
    std::vector<std::string> parts = fs::components(path_);
    // The root, then every parent down to the leaf's own.
    for (size_t i = 0; i < parts.size(); ++i) {
      std::string available = readFile(dir + "/cgroup.controllers").valueOr("");
      std::string enabled = readFile(dir + "/cgroup.subtree_control").valueOr("");
      std::string change;
      for (const std::string& name : names) {
        if (!hasWord(available, name) || hasWord(enabled, name)) continue;
        if (!change.empty()) change += ' ';
        change += "+" + name;
      }
      if (!change.empty()) {
        TRY(writeExisting(dir + "/cgroup.subtree_control", change)
                .context("enable controllers " + change + " in " + dir));
      }
      dir += "/" + parts[i];
    }
    return {};
  }

  Status applyResources(const spec::Resources& resources, bool forUpdate) const override {
    TRY(enableControllers(controllersNeeded(resources)));
    UniqueFd dir = TRY(openDir(""));
    CgroupFacts facts = TRY(probeCgroup(dir.get()));
    std::vector<CgroupWrite> writes = TRY(translateResources(resources, facts));
    if (forUpdate && resources.memory && resources.memory->checkBeforeUpdate.value_or(false)) {
      std::string current = TRY(readFile(fullPath() + "/memory.current"));
      uint64_t usage = 0;
      if (std::from_chars(current.data(), current.data() + current.size(), usage).ec !=
          std::errc()) {
        return Error::invalid("read " + fullPath() + "/memory.current: not a number");
      }
      TRY(checkMemoryBeforeUpdate(*resources.memory, usage));
    }
    TRY(applyWrites(dir.get(), writes));
    // [device filter] linux.resources.devices as an eBPF program (device_filter.h).
    if (!resources.devices.empty()) TRY(applyDeviceRules(dir.get(), resources));
    return {};
  }

  Status setFrozen(bool frozen) const override {
    std::string dir = fullPath();
    TRY(writeExisting(dir + "/cgroup.freeze", frozen ? "1" : "0")
            .context(frozen ? "freeze" : "thaw"));
    // cgroup.events reports "frozen 1" once every task has stopped; a change
    // to the file wakes poll with POLLPRI.
    UniqueFd events = TRY(openFile(dir + "/cgroup.events", O_RDONLY));
    std::string want = frozen ? "frozen 1" : "frozen 0";
    for (int waited = 0;; ++waited) {
      char buf[256];
      ssize_t n = ::pread(events.get(), buf, sizeof buf - 1, 0);
      if (n < 0) return Error::fromErrno("read " + dir + "/cgroup.events");
      if (std::string_view(buf, static_cast<size_t>(n)).find(want) != std::string_view::npos) {
        return {};
      }
      if (waited >= 100) {
        return Error::invalid(std::string(frozen ? "freeze" : "thaw") + " " + dir +
                                  ": timed out waiting for cgroup.events",
                              ETIMEDOUT);
      }
      struct pollfd p {
        events.get(), POLLPRI, 0
      };
      ::poll(&p, 1, 100);
    }
  }

  bool isFrozen() const override {
    Result<std::string> frozen = readFile(fullPath() + "/cgroup.freeze");
    return frozen.ok() && frozen->starts_with("1");
  }

  Result<nlohmann::ordered_json> stats() const override { return readStats(fullPath()); }

  CurrentLimits currentLimits() const override {
    // An unreadable memory.max (no memory controller) is no limit.
    return parseCurrentLimits(readFile(fullPath() + "/memory.max").valueOr("max"),
                              readFile(fullPath() + "/cpu.max").valueOr(""));
  }

  uint64_t oomKills() const override { return oomKillCount(fullPath()); }

  // memory.events polls POLLPRI when it changes.
  OomWatch watchOomKills() const override {
    return OomWatch{UniqueFd(::open((fullPath() + "/memory.events").c_str(), O_RDONLY | O_CLOEXEC)),
                    POLLPRI};
  }

  std::string createdFrom() const override { return createdFrom_; }

  Status destroy() override { return fs::removeCgroup(mount_, path_, createdFrom_); }

 private:
  std::string fullPath() const { return mount_ + path_; }

  Status makeDirs() {
    TRY(checkContainerCgroupPath(path_));
    std::vector<std::string> parts = fs::components(path_);
    std::string dir = mount_;
    for (size_t i = 0; i < parts.size(); ++i) {
      dir += "/" + parts[i];
      if (::mkdir(dir.c_str(), 0755) == 0) {
        if (createdFrom_.empty()) createdFrom_ = dir.substr(mount_.size());
      } else if (errno != EEXIST) {
        return Error::fromErrno("create cgroup " + dir);
      } else if (i + 1 == parts.size()) {
        TRY(refusePopulated());
      }
    }
    return {};
  }

  // A cgroup that already holds processes (itself or below) is somebody
  // else's: the container's device filter and limits would bind them, and
  // kill --all or delete --force would kill them.
  Status refusePopulated() const {
    std::string events = TRY(
        readFile(fullPath() + "/cgroup.events").context("check that cgroup " + path_ + " is free"));
    if (events.find("populated 1") != std::string::npos) {
      return Error::invalid("cgroup " + path_ + " already holds processes", EBUSY);
    }
    return {};
  }

  std::string mount_;
  std::string path_;
  std::string createdFrom_;
};

}  // namespace

Result<std::string> findCgroup2Mount() {
  if (isCgroup2("/sys/fs/cgroup")) return std::string("/sys/fs/cgroup");
  if (isCgroup2("/sys/fs/cgroup/unified")) return std::string("/sys/fs/cgroup/unified");
  return Error::invalid(
      "no cgroup v2 hierarchy mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified", ENOENT);
}

std::string hostCgroup2Flags(std::string_view mountinfo, std::string_view mountPoint) {
  constexpr std::string_view kRootFlags[] = {"nsdelegate", "favordynmods", "memory_localevents",
                                             "memory_recursiveprot", "memory_hugetlb_accounting"};
  std::string flags;
  // The last cgroup2 mount at mountPoint is the one in view.
  for (const MountinfoEntry& m : parseMountinfo(mountinfo)) {
    if (m.mountPoint != mountPoint || m.fstype != "cgroup2") continue;
    flags.clear();
    for (std::string_view flag : kRootFlags) {
      if (hasWord(m.superOptions, flag, ',')) {
        if (!flags.empty()) flags += ',';
        flags += flag;
      }
    }
  }
  return flags;
}

bool isUnifiedOnlyHost() {
  return isCgroup2("/sys/fs/cgroup");
}

Result<std::string> resolveCgroupPath(const std::string& cgroupsPath, const std::string& id) {
  if (cgroupsPath.empty()) return std::string(fs::kDefaultParent) + "/" + id;
  if (cgroupsPath.find('\0') != std::string::npos) {
    return Error::invalid("linux.cgroupsPath: must not contain a NUL byte");
  }
  // Lexically, as runc cleans it ("a/../b" is "/b"); what is left may not
  // name the root: the container would share it with the whole host.
  std::vector<std::string> kept;
  for (const std::string& part : fs::components(cgroupsPath)) {
    if (part == ".") continue;
    if (part == "..") {
      if (!kept.empty()) kept.pop_back();
      continue;
    }
    kept.push_back(part);
  }
  if (kept.empty()) {
    return Error::invalid("linux.cgroupsPath \"" + cgroupsPath +
                          "\": names the cgroup root, which the host's processes share");
  }
  std::string path;
  for (const std::string& part : kept) path += "/" + part;
  return path;
}

Status checkContainerCgroupPath(const std::string& path) {
  std::vector<std::string> parts = fs::components(path);
  bool clean =
      !path.empty() && path[0] == '/' && !parts.empty() && path.find('\0') == std::string::npos;
  for (const std::string& part : parts) clean = clean && part != "." && part != "..";
  if (!clean) return Error::invalid("cgroup path \"" + path + "\" is not a container's cgroup");
  return {};
}

std::unique_ptr<CgroupManager> makeCgroup2Manager(std::string mount, std::string path,
                                                  std::string createdFrom) {
  return std::make_unique<Cgroup2Manager>(std::move(mount), std::move(path),
                                          std::move(createdFrom));
}

}  // namespace sangja::cgroups
