// The systemd cgroup driver (--systemd-cgroup): systemd makes the
// container's cgroup as a transient scope with Delegate=yes, the processes
// of which are then the runtime's to manage. Everything systemd has a
// property for goes to the unit (systemd rewrites those files whenever it
// realizes the unit again); every file, those included, is then written by
// the files' driver of the same path, as runc does. Freezing, signals,
// stats and OOM watching are the files' driver's alone.
#include <fcntl.h>

#include <cstring>
#include <optional>
#include <tuple>

#include "base/dir_stream.h"
#include "base/file.h"
#include "base/log.h"
#include "base/trace.h"
#include "cgroups/cgroup_manager.h"
#include "cgroups/systemd_bus.h"
#include "cgroups/systemd_properties.h"

namespace sangja::cgroups {

namespace {

constexpr const char* kRootSlice = "-.slice";

// "/a.slice/a-b.slice/x.scope" -> {"a-b.slice", "x.scope"}. A parent that is
// no slice is the root slice: the hierarchy's root, or a user instance's own
// cgroup ("/user.slice/user-1000.slice/user@1000.service/x.scope").
std::pair<std::string, std::string> sliceAndScopeOf(const std::string& path) {
  size_t last = path.rfind('/');
  std::string scope = path.substr(last + 1);
  if (last == 0) return {kRootSlice, scope};
  std::string parent = path.substr(0, last);
  parent = parent.substr(parent.rfind('/') + 1);
  if (!parent.ends_with(".slice")) return {kRootSlice, scope};
  return {parent, scope};
}

// Whether the cgroup directory has a child cgroup; a directory that is gone
// has none.
bool hasChildCgroups(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return false;
  Result<DirStream> entries = DirStream::open(fd.get(), dir);
  if (!entries.ok()) return false;
  while (dirent* e = entries->next()) {
    if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 &&
        std::strcmp(e->d_name, "..") != 0) {
      return true;
    }
  }
  return false;
}

class SystemdCgroup final : public CgroupManager {
 public:
  SystemdCgroup(const CgroupRef& ref, std::unique_ptr<CgroupManager> files)
      : files_(std::move(files)),
        mode_(ref.mode),
        instance_(ref.driver == CgroupDriver::kSystemdUser ? SystemdInstance::kUser
                                                           : SystemdInstance::kSystem),
        madeSlice_(ref.madeSlice) {
    std::tie(slice_, scope_) = sliceAndScopeOf(ref.path);
  }

  const std::string& path() const override { return files_->path(); }
  std::string directory() const override { return files_->directory(); }

  // Checks what it can before the init exists; systemd makes the scope
  // when it is given the init (attach).
  Status create() override {
    SystemdBus& bus = *TRY(connected());
    if (TRY(bus.unitLoaded(scope_))) {
      return Error::invalid(
          "cgroup " + path() + ": systemd already has a unit " + scope_ + " (not this container's)",
          EBUSY);
    }
    // A slice neither loaded nor defined by a unit file is made for the
    // container (and removed with it); one with a file (machine.slice before
    // anything started it) is the host's and is started by the scope.
    if (slice_ != kRootSlice && !TRY(bus.unitLoaded(slice_)) && !bus.unitFileExists(slice_)) {
      madeSlice_ = slice_;
    }
    // The directories systemd does not make (v1 hierarchies of controllers it
    // does not manage), and the check that none holds somebody's processes.
    TRY(files_->create());
    awaitingInit_ = true;
    return {};
  }

  Status enableControllers(const std::vector<std::string>& names) const override {
    return files_->enableControllers(names);
  }

  Status applyResources(const spec::Resources& resources, bool forUpdate) const override {
    if (awaitingInit_) {
      resources_ = resources;  // with the scope, once the init exists
      return {};
    }
    std::vector<UnitProperty> props = TRY(unitProperties(resources));
    if (!props.empty()) TRY(TRY(connected())->setUnitProperties(scope_, props));
    return files_->applyResources(resources, forUpdate);
  }

  // No directory to clone the init into: systemd places it.
  Result<UniqueFd> openDir(std::string_view sub) const override {
    if (awaitingInit_ && sub.empty()) return UniqueFd();
    return files_->openDir(sub);
  }

  Status attach(pid_t pid, std::string_view sub) const override {
    if (awaitingInit_ && sub.empty()) return startScope(pid);
    return files_->attach(pid, sub);
  }

  Result<std::vector<pid_t>> pids() const override { return files_->pids(); }
  Status signalAll(int sig) const override { return files_->signalAll(sig); }
  Status setFrozen(bool frozen) const override { return files_->setFrozen(frozen); }
  bool isFrozen() const override { return files_->isFrozen(); }
  Result<nlohmann::ordered_json> stats() const override { return files_->stats(); }
  CurrentLimits currentLimits() const override { return files_->currentLimits(); }
  uint64_t oomKills() const override { return files_->oomKills(); }
  OomWatch watchOomKills() const override { return files_->watchOomKills(); }
  std::string createdFrom() const override { return files_->createdFrom(); }
  std::string madeSlice() const override { return madeSlice_; }

  // Stops the scope (systemd kills what is left and removes its cgroup),
  // then the slice it made if nothing else is in it, then whatever
  // directories the files' driver made that systemd does not know.
  Status destroy() override {
    Result<SystemdBus*> bus = connected();
    if (!bus.ok()) return bus.error().wrap("removing cgroup " + path());
    TRY((*bus)->stopUnit(scope_));
    if (!madeSlice_.empty()) TRY(stopSliceIfEmpty(**bus));
    return files_->destroy();
  }

 private:
  Result<SystemdBus*> connected() const {
    if (!bus_) bus_.emplace(TRY(SystemdBus::connect(instance_)));
    return &*bus_;
  }

  Result<std::vector<UnitProperty>> unitProperties(const spec::Resources& resources) const {
    UnitHostFacts host{mode_, {}};
    if (!resources.devices.empty()) {
      host.majors = parseProcDevices(TRY(readFile("/proc/devices")));
    }
    return unitPropertiesFor(resources, host);
  }

  Status startScope(pid_t pid) const {
    SystemdBus& bus = *TRY(connected());
    if (!madeSlice_.empty()) {
      trace::mark("systemd slice to make");
      Status made = bus.startTransientUnit(
          madeSlice_,
          {{"Description", std::string("sangja container slice")}, {"DefaultDependencies", false}});
      // Somebody made it meanwhile: theirs, not ours to stop.
      if (!made.ok() && made.error().code() == EEXIST) {
        log::debug("systemd: " + madeSlice_ + " appeared meanwhile; not ours");
        madeSlice_.clear();
      } else if (!made.ok()) {
        return made;
      }
    }
    std::vector<UnitProperty> props = {
        {"Description", "sangja container " + scope_},
        {"Slice", slice_},
        {"Delegate", true},
        {"PIDs", std::vector<uint32_t>{static_cast<uint32_t>(pid)}},
        {"DefaultDependencies", false},
        {"MemoryAccounting", true},
        {"CPUAccounting", true},
        {"TasksAccounting", true},
        {mode_ == CgroupMode::kUnified ? "IOAccounting" : "BlockIOAccounting", true},
    };
    if (resources_) {
      for (UnitProperty& p : TRY(unitProperties(*resources_))) props.push_back(std::move(p));
    }
    TRY(bus.startTransientUnit(scope_, props));
    trace::mark("systemd scope started");
    awaitingInit_ = false;
    // v1: systemd placed the init only in the hierarchies it manages.
    if (mode_ != CgroupMode::kUnified) TRY(files_->attach(pid, ""));
    if (resources_) TRY(files_->applyResources(*resources_, false));
    return {};
  }

  // A slice with another container in it stays (stopping it would stop them).
  Status stopSliceIfEmpty(SystemdBus& bus) const {
    std::string dir = directory();
    if (hasChildCgroups(dir.substr(0, dir.rfind('/')))) {
      log::debug("systemd: leaving " + madeSlice_ + ", it holds other cgroups");
      return {};
    }
    return bus.stopUnit(madeSlice_);
  }

  std::unique_ptr<CgroupManager> files_;
  CgroupMode mode_;
  SystemdInstance instance_;
  std::string slice_;
  std::string scope_;
  mutable std::string madeSlice_;  // cleared if somebody makes it first
  mutable std::optional<SystemdBus> bus_;
  mutable bool awaitingInit_ = false;
  mutable std::optional<spec::Resources> resources_;
};

}  // namespace

std::unique_ptr<CgroupManager> makeSystemdManager(const CgroupRef& ref,
                                                  std::unique_ptr<CgroupManager> files) {
  return std::make_unique<SystemdCgroup>(ref, std::move(files));
}

}  // namespace sangja::cgroups
