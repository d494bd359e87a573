#include "cgroups/cgroupfs.h"

#include "cgroups/cgroup_manager.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <thread>

namespace sangja::cgroups::fs {

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) parts.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return parts;
}

std::vector<pid_t> parsePids(std::string_view text) {
  std::vector<pid_t> out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    pid_t pid = 0;
    auto [next, ec] = std::from_chars(p, end, pid);
    if (ec == std::errc()) out.push_back(pid);
    p = next;
    while (p < end && (*p < '0' || *p > '9')) ++p;
  }
  return out;
}

Status signalEach(const std::vector<pid_t>& pids, int sig) {
  for (pid_t pid : pids) {
    if (::kill(pid, sig) < 0 && errno != ESRCH) {
      return Error::fromErrno("signal process " + std::to_string(pid));
    }
  }
  return {};
}

Status removeCgroup(const std::string& root, const std::string& path,
                    const std::string& createdFrom) {
  // rmdir fails with EBUSY while dying processes still hold the cgroup.
  std::string leaf = root + path;
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(leaf.c_str()) == 0 || errno == ENOENT) break;
    if (errno != EBUSY || attempt >= 200) return Error::fromErrno("remove cgroup " + leaf);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Parents we made go too while nothing else lives there (rmdir fails on
  // a non-empty one, which ends the walk).
  std::string rel = path;
  while (!createdFrom.empty() && rel.size() > createdFrom.size() &&
         rel.starts_with(createdFrom + "/")) {
    rel = rel.substr(0, rel.rfind('/'));
    if (::rmdir((root + rel).c_str()) < 0) break;
  }
  // The default parent is ours whoever made it; it goes when empty.
  std::string parent(kDefaultParent);
  if (path.starts_with(parent + "/")) ::rmdir((root + parent).c_str());
  return {};
}

}  // namespace sangja::cgroups::fs

namespace sangja::cgroups {

void OomWatch::drain() const {
  if (events != POLLIN) return;
  uint64_t count = 0;
  // Non-blocking: nothing to read is as good as read.
  [[maybe_unused]] ssize_t n = ::read(fd.get(), &count, sizeof count);
}

}  // namespace sangja::cgroups
