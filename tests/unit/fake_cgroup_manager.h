// A CgroupManager in memory, for unit tests of the lifecycle: it answers
// from a shared FakeCgroup and records what was asked of it. fakeOpener
// gives RuntimeOptions an opener that hands out such managers.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cgroups/cgroup_manager.h"

namespace sangja::testutil {

struct FakeCgroup {
  // What the manager answers.
  bool frozen = false;
  cgroups::CurrentLimits limits;
  nlohmann::ordered_json stats = nlohmann::ordered_json::object();
  uint64_t oomKills = 0;
  std::vector<pid_t> pids;
  bool gone = false;  // the cgroup no longer exists: pids() is ENOENT
  // What it was asked.
  std::vector<cgroups::CgroupRef> opened;
  std::vector<std::pair<spec::Resources, bool>> applied;  // resources, forUpdate
  std::vector<std::pair<pid_t, std::string>> attached;    // pid, sub
  std::vector<int> signals;
  std::vector<bool> freezes;
  int destroyed = 0;
};

class FakeCgroupManager final : public cgroups::CgroupManager {
 public:
  FakeCgroupManager(std::shared_ptr<FakeCgroup> state, std::string path, std::string createdFrom)
      : state_(std::move(state)), path_(std::move(path)), createdFrom_(std::move(createdFrom)) {}

  const std::string& path() const override { return path_; }
  std::string directory() const override { return "/fake" + path_; }
  Status create() override { return {}; }
  Status enableControllers(const std::vector<std::string>&) const override { return {}; }
  Status applyResources(const spec::Resources& resources, bool forUpdate) const override {
    state_->applied.emplace_back(resources, forUpdate);
    return {};
  }
  Result<UniqueFd> openDir(std::string_view) const override {
    return Error::invalid("the fake cgroup has no directory", ENOTSUP);
  }
  Status attach(pid_t pid, std::string_view sub) const override {
    state_->attached.emplace_back(pid, std::string(sub));
    return {};
  }
  Result<std::vector<pid_t>> pids() const override {
    if (state_->gone) return Error::invalid("cgroup " + path_ + ": gone", ENOENT);
    return state_->pids;
  }
  Status signalAll(int sig) const override {
    state_->signals.push_back(sig);
    return {};
  }
  Status setFrozen(bool frozen) const override {
    state_->freezes.push_back(frozen);
    state_->frozen = frozen;
    return {};
  }
  bool isFrozen() const override { return state_->frozen; }
  Result<nlohmann::ordered_json> stats() const override { return state_->stats; }
  cgroups::CurrentLimits currentLimits() const override { return state_->limits; }
  uint64_t oomKills() const override { return state_->oomKills; }
  cgroups::OomWatch watchOomKills() const override { return {}; }
  std::string createdFrom() const override { return createdFrom_; }
  Status destroy() override {
    ++state_->destroyed;
    return {};
  }

 private:
  std::shared_ptr<FakeCgroup> state_;
  std::string path_;
  std::string createdFrom_;
};

inline cgroups::CgroupOpener fakeOpener(std::shared_ptr<FakeCgroup> state) {
  return [state](const cgroups::CgroupRef& ref) -> Result<std::unique_ptr<cgroups::CgroupManager>> {
    state->opened.push_back(ref);
    return std::unique_ptr<cgroups::CgroupManager>(
        std::make_unique<FakeCgroupManager>(state, ref.path, ref.createdFrom));
  };
}

}  // namespace sangja::testutil
