#include "cgroups/delegation.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/file.h"
#include "cgroups/cgroupfs.h"
#include "cgroups/systemd_bus.h"
#include "cgroups/systemd_name.h"

namespace sangja::cgroups {

std::string ownCgroup2Path(std::string_view procSelfCgroup) {
  size_t pos = 0;
  while (pos < procSelfCgroup.size()) {
    size_t eol = procSelfCgroup.find('\n', pos);
    if (eol == std::string_view::npos) eol = procSelfCgroup.size();
    std::string_view line = procSelfCgroup.substr(pos, eol - pos);
    if (line.substr(0, 3) == "0::") return std::string(line.substr(3));
    pos = eol + 1;
  }
  return {};
}

namespace {

std::string parentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? std::string() : path.substr(0, slash);
}

std::string joinedList(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

Result<std::string> rootlessCgroupPath(const std::string& cgroupsPath, const std::string& id,
                                       const std::string& ownCgroup) {
  std::string wanted = cgroupsPath.empty() ? id : cgroupsPath;
  if (wanted.empty()) return Error::invalid("a rootless container's cgroup needs a name");
  if (wanted[0] == '/') return resolveCgroupPath(wanted, id);
  // "../x" may climb out of the caller's parent, but no higher than the
  // root: resolveCgroupPath cleans the joined path lexically.
  return resolveCgroupPath(parentOf(ownCgroup) + "/" + wanted, id);
}

Result<CgroupRef> decideRootlessCgroup(const std::string& cgroupsPath,
                                       const std::vector<std::string>& controllersNeeded,
                                       const DelegationFacts& facts) {
  CgroupRef ref;
  ref.mode = facts.mode;
  bool unified = facts.mode == CgroupMode::kUnified;
  if (unified && facts.writable) {
    ref.path = facts.path;
    return ref;
  }
  std::string uid = "uid " + std::to_string(facts.euid);
  std::string why = unified
                        ? facts.blocker + " is not writable by " + uid +
                              " (no cgroup v2 subtree is delegated to it there)"
                        : std::string("this host's cgroup controllers are v1 (") +
                              cgroupModeName(facts.mode) + "), which cannot be delegated to " + uid;
  if (!controllersNeeded.empty()) {
    return Error::invalid("linux.resources: limits on " + joinedList(controllersNeeded) +
                              " need a cgroup, and a rootless container cannot make one: " + why,
                          EPERM);
  }
  if (!cgroupsPath.empty()) {
    return Error::invalid(
        "linux.cgroupsPath \"" + cgroupsPath + "\": a rootless container cannot make it: " + why,
        EPERM);
  }
  ref.driver = CgroupDriver::kNone;  // no limits asked for: run without one
  return ref;
}

namespace {

// The nearest directory of path (in the hierarchy at mount) that exists,
// and whether the caller may make directories in it and move processes
// through it.
void probeWritable(const std::string& mount, DelegationFacts& facts) {
  std::string dir = mount + facts.path;
  while (dir.size() > mount.size() && ::access(dir.c_str(), F_OK) != 0) {
    dir = dir.substr(0, dir.rfind('/'));
  }
  facts.blocker = dir;
  facts.writable = ::faccessat(AT_FDCWD, dir.c_str(), W_OK, AT_EACCESS) == 0 &&
                   ::faccessat(AT_FDCWD, (dir + "/cgroup.procs").c_str(), W_OK, AT_EACCESS) == 0;
}

}  // namespace

Result<DelegationFacts> probeDelegation(const std::string& cgroupsPath, const std::string& id) {
  DelegationFacts facts;
  facts.euid = ::geteuid();
  facts.mode = TRY(hostCgroupMode());
  if (facts.mode != CgroupMode::kUnified) return facts;
  std::string own = ownCgroup2Path(TRY(readFile("/proc/self/cgroup")));
  facts.path = TRY(rootlessCgroupPath(cgroupsPath, id, own));
  probeWritable(TRY(findCgroup2Mount()), facts);
  return facts;
}

std::string userScopePath(const std::string& managerCgroup, const std::string& scopePath) {
  if (managerCgroup.empty() || managerCgroup == "/") return scopePath;
  return (managerCgroup.back() == '/' ? managerCgroup.substr(0, managerCgroup.size() - 1)
                                      : managerCgroup) +
         scopePath;
}

Result<CgroupRef> userSystemdCgroup(const std::string& cgroupsPath, const std::string& id) {
  CgroupRef ref;
  ref.mode = TRY(hostCgroupMode());
  if (ref.mode != CgroupMode::kUnified) {
    return Error::invalid(std::string("--systemd-cgroup: a rootless container's scope is made by "
                                      "the user's systemd instance, which needs cgroup v2; this "
                                      "host's controllers are v1 (") +
                              cgroupModeName(ref.mode) + "): leave out --systemd-cgroup",
                          ENOTSUP);
  }
  SystemdCgroupName name = TRY(parseSystemdCgroupsPath(cgroupsPath, id, kUserDefaultSlice));
  SystemdBus bus = TRY(SystemdBus::connect(SystemdInstance::kUser));
  std::string manager = TRY(bus.managerControlGroup());
  if (manager.empty() || manager[0] != '/') {
    return Error::invalid(
        "--systemd-cgroup: the user's systemd instance has no cgroup of its own (\"" + manager +
        "\")");
  }
  ref.path = userScopePath(manager, name.path);
  ref.driver = CgroupDriver::kSystemdUser;
  return ref;
}

}  // namespace sangja::cgroups
