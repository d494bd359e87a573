// A throwaway cgroup root for cases that could hurt the host if the runtime
// regressed (a cgroupsPath naming the root, a unified write moving a pid, a
// delete --force killing a whole cgroup): the runtime runs in a new cgroup
// namespace rooted at a fresh cgroup, with a new mount namespace in which
// /sys/fs/cgroup is a cgroup2 mount of that namespace (a pure v2 view, for
// every runtime). The worst a regression can do is to the sandbox and to
// the victim process that lives in it beside the runtime, which the test
// then checks.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {

class CgroupSandbox {
 public:
  explicit CgroupSandbox(const std::string& tag);
  ~CgroupSandbox();  // kills everything in the sandbox, removes it
  CgroupSandbox(const CgroupSandbox&) = delete;
  CgroupSandbox& operator=(const CgroupSandbox&) = delete;

  // `<runtime> --root ROOT args...` inside the sandbox, tagged with tag.
  RunResult runtime(const std::string& root, const std::vector<std::string>& args,
                    milliseconds timeout = kTimeout) const;
  // The victim: a process outside any container, in the sandbox's cgroup
  // "/victim" (as the runtime sees it), alive from construction on.
  pid_t victim() const { return victim_; }
  bool victimAlive() const;
  // Whether a fresh process in /victim may still open /dev/kmsg: a device
  // filter the runtime put on a cgroup above it would deny that.
  bool victimCgroupReachesKmsg() const;
  // The sandbox on the host (under unifiedRoot()).
  const std::string& dir() const { return dir_; }

 private:
  std::string tag_, dir_;
  pid_t victim_ = -1;
  int victimPidfd_ = -1;
};

}  // namespace sangja::it
