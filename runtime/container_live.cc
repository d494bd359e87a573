// Operations on a live container through its cgroup: pause, resume, ps.
#include "runtime/container.h"
#include "runtime/opened_container.h"

namespace sangja {

namespace {

Status requireStatus(const OpenedContainer& c, ContainerStatus want, std::string_view verb) {
  if (c.status == want) return {};
  if (c.status == ContainerStatus::kStopped) return Error::invalid("container not running", ESRCH);
  return Error::invalid("cannot " + std::string(verb) + " a container that is " +
                        statusName(c.status) + " (only a " + statusName(want) + " one)");
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
  if (c.status == ContainerStatus::kStopped) return Error::invalid("container not running", ESRCH);
  auto cgroup = TRY(c.cgroup());
  std::vector<pid_t> pids = TRY(cgroup->pids());
  return std::vector<int>(pids.begin(), pids.end());
}

}  // namespace sangja
