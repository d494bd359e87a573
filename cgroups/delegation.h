// Rootless cgroups: where an ordinary user's container may have a cgroup.
// Only cgroup v2 can be delegated: a subtree whose directory and
// cgroup.procs belong to the user (systemd's user@UID.service, or one an
// administrator chowned). Without one, a container that asks for no limits
// runs without a cgroup (driver "none"); one that asks for limits, or names
// a cgroupsPath, is refused with the reason (runc's rules).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"
#include "cgroups/cgroup_manager.h"

namespace sangja::cgroups {

// Pure. The caller's cgroup in the v2 hierarchy: the "0::PATH" line of
// /proc/self/cgroup; "" when there is none.
std::string ownCgroup2Path(std::string_view procSelfCgroup);

// Pure. runc's rootless placement: an absolute cgroupsPath from the root;
// a relative one, or the container id when it is empty, beside the
// caller's own cgroup (under its parent: a cgroup holding processes cannot
// enable controllers for a child, and the caller's own one does).
Result<std::string> rootlessCgroupPath(const std::string& cgroupsPath, const std::string& id,
                                       const std::string& ownCgroup);

// What the host lets this caller do about a cgroup at some path.
struct DelegationFacts {
  CgroupMode mode = CgroupMode::kUnified;
  uid_t euid = 0;
  std::string path;       // rootlessCgroupPath's answer
  bool writable = false;  // its nearest existing ancestor is the caller's to write
  std::string blocker;    // when not: the directory that is not ("/sys/fs/cgroup/x")
};

// Pure. The container's cgroup, or none, or the refusal naming the field:
// controllersNeeded lists what linux.resources asks for (devices are not a
// controller: a user namespace cannot open a device its user could not).
Result<CgroupRef> decideRootlessCgroup(const std::string& cgroupsPath,
                                       const std::vector<std::string>& controllersNeeded,
                                       const DelegationFacts& facts);

// The caller's facts now: the host's mode, its own cgroup, whether the
// place for this container is writable.
Result<DelegationFacts> probeDelegation(const std::string& cgroupsPath, const std::string& id);

// Pure. A scope's cgroup under a user's systemd instance: the scope's path
// as that instance names it ("/user.slice/x.scope"), below the instance's
// own cgroup ("/user.slice/user-1000.slice/user@1000.service").
std::string userScopePath(const std::string& managerCgroup, const std::string& scopePath);

// --systemd-cgroup when rootless (runc's rules): the scope cgroupsPath
// names (in user.slice when it names no slice) is made by the caller's own
// systemd instance, which owns its delegated subtree; cgroup v2 only.
Result<CgroupRef> userSystemdCgroup(const std::string& cgroupsPath, const std::string& id);

}  // namespace sangja::cgroups
