#include "runtime/lifecycle/status.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <string_view>

#include "base/file.h"
#include "cgroups/cgroup_manager.h"
#include "runtime/lifecycle/cgroup_record.h"

namespace sangja {

std::optional<uint64_t> liveProcessStartTime(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  char path[32];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  // One record, made whole by one read (at most ~1.1 KB: a 16-byte comm
  // and 50 numbers); list asks this for every container.
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[2048];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n <= 0 || static_cast<size_t>(n) == sizeof buf) return std::nullopt;
  std::string_view stat(buf, static_cast<size_t>(n));
  // "pid (comm) S ppid ..." — comm may hold spaces and parens: skip to the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat.size()) return std::nullopt;
  char state = stat[close + 2];
  if (state == 'Z' || state == 'X' || state == 'x') return std::nullopt;
  // Field 3 is the state; the start time is field 22.
  const char* p = stat.data() + close + 2;
  const char* end = stat.data() + stat.size();
  for (int field = 3; field < 22 && p < end; ++field) {
    while (p < end && *p != ' ') ++p;
    ++p;
  }
  uint64_t start = 0;
  if (p >= end || std::from_chars(p, end, start).ec != std::errc()) return std::nullopt;
  return start;
}

ContainerStatus containerStatus(const spec::StoredState& state,
                                const std::function<bool()>& hasExecFifo,
                                const cgroups::CgroupOpener& openCgroup) {
  std::optional<uint64_t> start = liveProcessStartTime(state.pid);
  if (!start || *start != state.pidStartTime) return ContainerStatus::kStopped;
  if (hasExecFifo()) return ContainerStatus::kCreated;
  Result<cgroups::CgroupRef> ref = cgroupRefOf(state);
  if (!ref.ok()) return ContainerStatus::kRunning;
  auto cgroup = openCgroup(*ref);
  if (cgroup.ok() && (*cgroup)->isFrozen()) return ContainerStatus::kPaused;
  return ContainerStatus::kRunning;
}

ContainerStatus containerStatus(const ContainerDir& dir, const spec::StoredState& state,
                                const cgroups::CgroupOpener& openCgroup) {
  return containerStatus(
      state, [&] { return dir.hasExecFifo(); }, openCgroup);
}

Result<spec::StoredState> loadState(const ContainerDir& dir) {
  std::string json = TRY(dir.readState());
  return spec::parseStoredState(json).context("container \"" + dir.id() + "\"");
}

}  // namespace sangja
