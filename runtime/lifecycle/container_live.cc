// Operations on a live container through its cgroup: pause, resume, ps,
// events.
#include <fcntl.h>
#include <poll.h>

#include <charconv>
#include <chrono>

#include "base/file.h"
#include "cgroups/stats.h"
#include "runtime/lifecycle/container.h"
#include "runtime/lifecycle/opened_container.h"

namespace sangja {

namespace {

Status requireStatus(const OpenedContainer& c, ContainerStatus want, std::string_view verb) {
  if (c.status == want) return {};
  if (c.status == ContainerStatus::kStopped) return Error::invalid("container not running", ESRCH);
  return Error::invalid("cannot " + std::string(verb) + " a container that is " +
                        statusName(c.status) + " (only a " + statusName(want) + " one)");
}

std::string eventJson(std::string_view type, const std::string& id, nlohmann::ordered_json data) {
  nlohmann::ordered_json event = {{"type", type}, {"id", id}};
  if (!data.is_null()) event["data"] = std::move(data);
  return event.dump();
}

// The container's cgroup, while it runs.
Result<std::unique_ptr<cgroups::CgroupManager>> liveCgroup(const RuntimeOptions& rt,
                                                           const std::string& id) {
  OpenedContainer c = TRY(openContainer(rt, id));
  if (c.status == ContainerStatus::kStopped) return Error::invalid("container not running", ESRCH);
  return c.cgroup();
}

}  // namespace

Status pauseContainer(const RuntimeOptions& rt, const std::string& id) {
  OpenedContainer c = TRY(openContainer(rt, id));
  TRY(requireStatus(c, ContainerStatus::kRunning, "pause"));
  auto cgroup = TRY(c.cgroup());
  return cgroup->setFrozen(true).context("pause " + id);
}

Status resumeContainer(const RuntimeOptions& rt, const std::string& id) {
  OpenedContainer c = TRY(openContainer(rt, id));
  TRY(requireStatus(c, ContainerStatus::kPaused, "resume"));
  auto cgroup = TRY(c.cgroup());
  return cgroup->setFrozen(false).context("resume " + id);
}

Result<std::vector<int>> containerPids(const RuntimeOptions& rt, const std::string& id) {
  OpenedContainer c = TRY(openContainer(rt, id));
  // A stopped container lists what its init left in the cgroup (nothing,
  // with a pid namespace of its own), as runc does; containerd asks.
  auto cgroup = TRY(c.cgroup());
  Result<std::vector<pid_t>> pids = cgroup->pids();
  if (!pids.ok() && pids.error().code() == ENOENT && c.status == ContainerStatus::kStopped) {
    return std::vector<int>{};
  }
  std::vector<pid_t> found = TRY(std::move(pids));
  return std::vector<int>(found.begin(), found.end());
}

Status updateContainer(const RuntimeOptions& rt, const std::string& id,
                       const spec::Resources& resources) {
  OpenedContainer c = TRY(openContainer(rt, id));
  if (c.status == ContainerStatus::kStopped) return Error::invalid("container not running", ESRCH);
  auto cgroup = TRY(c.cgroup());
  spec::Resources merged = cgroups::mergeWithCurrent(resources, cgroup->currentLimits());
  return cgroup->applyResources(merged, true).context("update " + id);
}

Result<std::string> containerStatsEvent(const RuntimeOptions& rt, const std::string& id) {
  auto cgroup = TRY(liveCgroup(rt, id));
  nlohmann::ordered_json stats = TRY(cgroup->stats());
  return eventJson("stats", id, std::move(stats));
}

Status watchContainerEvents(const RuntimeOptions& rt, const std::string& id, int intervalMs,
                            const std::function<void(const std::string&)>& emit) {
  auto cgroup = TRY(liveCgroup(rt, id));
  uint64_t oomKills = cgroup->oomKills();
  // The watch wakes poll when the count may have changed: OOM kills are
  // reported at once, stats every interval.
  cgroups::OomWatch watch = cgroup->watchOomKills();
  auto nextStats = std::chrono::steady_clock::now();
  // v1 notifies when the cgroup goes under OOM, a moment before the kill
  // is counted: after a wake the count is looked at again for a while.
  auto recheckUntil = nextStats;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now >= nextStats) {
      Result<std::string> stats = containerStatsEvent(rt, id);
      if (!stats.ok()) {
        if (stats.error().code() == ESRCH || stats.error().code() == ENOENT) return {};
        return std::move(stats).takeError();
      }
      emit(*stats);
      nextStats = now + std::chrono::milliseconds(intervalMs);
    }
    uint64_t kills = cgroup->oomKills();
    if (kills > oomKills) emit(eventJson("oom", id, nullptr));
    oomKills = kills;
    now = std::chrono::steady_clock::now();
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(nextStats - now);
    if (now < recheckUntil) wait = std::min(wait, std::chrono::milliseconds(20));
    struct pollfd p {
      watch.fd.get(), watch.events, 0
    };
    if (::poll(&p, watch.fd ? 1 : 0, static_cast<int>(std::max<int64_t>(wait.count(), 0))) > 0) {
      watch.drain();
      recheckUntil = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
  }
}

}  // namespace sangja
