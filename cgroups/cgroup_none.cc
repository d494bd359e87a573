// The "none" driver: a rootless container on a host that delegates no
// cgroup to its user, asking for no limits (delegation.h). Its processes
// stay in the caller's cgroup; what needs a cgroup of its own (pause, ps,
// stats, limits) is refused naming why; kill --all goes through its pid
// namespace (container_ops.cc).
#include "cgroups/cgroup_manager.h"

namespace sangja::cgroups {
namespace {

constexpr const char* kWhy =
    "the container has no cgroup (rootless, and no cgroup is delegated to its user)";

class NoCgroup final : public CgroupManager {
 public:
  const std::string& path() const override { return path_; }
  std::string directory() const override { return {}; }
  Status create() override { return {}; }
  Status enableControllers(const std::vector<std::string>&) const override { return {}; }
  Status applyResources(const spec::Resources& resources, bool) const override {
    std::vector<std::string> needed = controllersNeeded(resources);
    if (needed.empty()) return {};
    return Error::invalid(
        "linux.resources: limits on " + needed.front() + " need a cgroup: " + kWhy, EPERM);
  }
  Result<UniqueFd> openDir(std::string_view sub) const override {
    if (!sub.empty()) return Error::invalid(std::string("sub-cgroup: ") + kWhy, ENOENT);
    return UniqueFd();  // nothing to clone into: the init stays where we are
  }
  Status attach(pid_t, std::string_view sub) const override {
    if (!sub.empty()) return Error::invalid(std::string("sub-cgroup: ") + kWhy, ENOENT);
    return {};
  }
  // ENOENT: what a cgroup that is gone says; callers treat it so.
  Result<std::vector<pid_t>> pids() const override { return Error::invalid(kWhy, ENOENT); }
  // Nothing but the init, which its owner signals itself (kill --all goes
  // through the container's pid namespace instead).
  Status signalAll(int) const override { return {}; }
  Status setFrozen(bool) const override { return Error::invalid(kWhy, ENOTSUP); }
  bool isFrozen() const override { return false; }
  Result<nlohmann::ordered_json> stats() const override { return Error::invalid(kWhy, ENOTSUP); }
  CurrentLimits currentLimits() const override { return {}; }
  uint64_t oomKills() const override { return 0; }
  OomWatch watchOomKills() const override { return {}; }
  std::string createdFrom() const override { return {}; }
  Status destroy() override { return {}; }

 private:
  std::string path_;
};

}  // namespace

std::unique_ptr<CgroupManager> makeNoCgroupManager() {
  return std::make_unique<NoCgroup>();
}

}  // namespace sangja::cgroups
