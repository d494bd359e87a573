// The container's cgroup, behind one interface: every cgroup file the
// runtime reads or writes goes through a CgroupManager, so that v1 and
// systemd drivers can sit beside the cgroupfs v2 one, and the lifecycle can
// be unit-tested against a fake (tests/unit/fake_cgroup_manager.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "cgroups/layout.h"
#include "cgroups/resources.h"
#include "spec/config.h"

namespace sangja::cgroups {

// What wakes poll(2) when a cgroup's OOM-kill count may have changed.
struct OomWatch {
  UniqueFd fd;       // invalid: nothing to poll (no memory controller)
  short events = 0;  // POLLPRI: memory.events (v2); POLLIN: an eventfd (v1)
  // After a wake: an eventfd stays readable until read.
  void drain() const;
};

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;

  // The cgroup's path relative to the hierarchy root ("/sangja/ID").
  virtual const std::string& path() const = 0;
  // Its directory in the mounted hierarchy ("/sys/fs/cgroup/sangja/ID").
  virtual std::string directory() const = 0;
  // Makes the cgroup (and missing parents). An existing cgroup that holds
  // processes is refused (EBUSY): it is not the container's.
  virtual Status create() = 0;
  // Enables controllers for the cgroup: "+name" in cgroup.subtree_control of
  // every ancestor, from the hierarchy root down. One the root does not
  // have is left out; translating the resources then names it.
  virtual Status enableControllers(const std::vector<std::string>& names) const = 0;
  // Sets linux.resources on the cgroup: enables the controllers they need,
  // then writes the files. With forUpdate, memory.checkBeforeUpdate applies.
  virtual Status applyResources(const spec::Resources& resources, bool forUpdate) const = 0;
  // An O_DIRECTORY fd of the cgroup (sub "") or of a sub-cgroup of it that
  // must exist (exec --cgroup), for clone3's CLONE_INTO_CGROUP; an invalid
  // fd where no single directory holds a process (v1): attach it instead.
  virtual Result<UniqueFd> openDir(std::string_view sub) const = 0;
  // Moves pid into the cgroup (sub "") or into a sub-cgroup of it.
  virtual Status attach(pid_t pid, std::string_view sub) const = 0;
  virtual Result<std::vector<pid_t>> pids() const = 0;
  // Sends sig to every process of the cgroup.
  virtual Status signalAll(int sig) const = 0;
  // Freezes or thaws the cgroup (cgroup.freeze) and waits until
  // cgroup.events says it is done.
  virtual Status setFrozen(bool frozen) const = 0;
  // Whether it is frozen now (pause); a cgroup that is gone is not.
  virtual bool isFrozen() const = 0;
  // Usage in runc's types.Stats JSON shape (cgroups/stats.h).
  virtual Result<nlohmann::ordered_json> stats() const = 0;
  // The limits in force (an unreadable one is left empty).
  virtual CurrentLimits currentLimits() const = 0;
  // OOM kills in the cgroup so far (0 without the memory controller), and
  // what polls when that count may have changed.
  virtual uint64_t oomKills() const = 0;
  virtual OomWatch watchOomKills() const = 0;
  // The topmost directory create() made ("" if the cgroup existed).
  virtual std::string createdFrom() const = 0;
  // The systemd slice unit create() decided to make for the cgroup ("" if
  // none: another driver, or the slice existed).
  virtual std::string madeSlice() const { return {}; }
  // Removes the cgroup and the parents create() made (up to createdFrom)
  // that are now empty.
  virtual Status destroy() = 0;
};

// Where the v2 hierarchy is mounted: /sys/fs/cgroup on a pure v2 host,
// /sys/fs/cgroup/unified on a hybrid one.
Result<std::string> findCgroup2Mount();

// The root flags of the host's cgroup2 mount ("nsdelegate,memory_recursiveprot"),
// from its super options in mountinfo. A cgroup2 mount made from the initial
// cgroup namespace re-applies these flags to the whole hierarchy, so a
// container without its own cgroup namespace must pass them unchanged.
std::string hostCgroup2Flags(std::string_view mountinfo, std::string_view mountPoint);

// True when /sys/fs/cgroup itself is cgroup2 (no v1 hierarchies).
bool isUnifiedOnlyHost();

// The cgroup for a container: linux.cgroupsPath when given (absolute paths
// from the hierarchy root, relative ones under it too; "." and ".." resolved
// lexically), else /sangja/ID. The root, and a path with a NUL byte, are
// refused.
Result<std::string> resolveCgroupPath(const std::string& cgroupsPath, const std::string& id);

// Whether path can be a container's cgroup: absolute, clean ("." and ".."
// gone) and not the root. Every manager is opened through it, so a state
// file cannot aim kill --all or delete --force at the root either.
Status checkContainerCgroupPath(const std::string& path);

// The cgroupfs v2 manager for path under the hierarchy mounted at mount;
// createdFrom as recorded by an earlier create().
std::unique_ptr<CgroupManager> makeCgroup2Manager(std::string mount, std::string path,
                                                  std::string createdFrom = "");

// The cgroupfs v1 manager (cgroup1.cc) for path in every hierarchy of a
// legacy or hybrid layout; createdFrom as recorded by an earlier create().
std::unique_ptr<CgroupManager> makeCgroup1Manager(CgroupLayout layout, std::string path,
                                                  std::string createdFrom);

// Who makes the container's cgroup: sangja itself (cgroupfs), or systemd
// as a transient scope (--systemd-cgroup; cgroup_systemd.cc).
// Or nobody: a rootless container without a delegated cgroup
// (delegation.h; cgroup_none.cc).
// kSystemdUser: the caller's own systemd instance made the scope (rootless).
enum class CgroupDriver { kCgroupfs, kSystemd, kSystemdUser, kNone };
// "cgroupfs", "systemd", "systemd-user", "none"
const char* cgroupDriverName(CgroupDriver driver);
// Whether a systemd instance (the system's or the user's) made the scope.
inline bool isSystemdDriver(CgroupDriver driver) {
  return driver == CgroupDriver::kSystemd || driver == CgroupDriver::kSystemdUser;
}
std::optional<CgroupDriver> cgroupDriverFromName(std::string_view name);

// A container's cgroup as its state records it.
struct CgroupRef {
  std::string path;         // "/sangja/ID", "/system.slice/sangja-ID.scope"; "" for none
  std::string createdFrom;  // as an earlier create() made it ("" if none)
  // The host's mode when the cgroup was made, which chose its files'
  // driver (unified: v2; hybrid, legacy: v1).
  CgroupMode mode = CgroupMode::kUnified;
  CgroupDriver driver = CgroupDriver::kCgroupfs;
  std::string madeSlice;  // systemd: the slice unit create() made ("" if none)
  bool operator==(const CgroupRef&) const = default;
};

// The host's cgroup mode: a cgroup2 /sys/fs/cgroup is unified without
// reading mountinfo (the common case stays one statfs).
Result<CgroupMode> hostCgroupMode();

// What a "cgroup" mount of the container shows on this host: nothing
// special on a unified one (cgroup2), its own cgroups on a v1 one
// (containerCgroupView).
Result<std::vector<CgroupViewBind>> hostCgroupView(const CgroupRef& ref);

// The systemd driver: the scope is systemd's unit, its files are files's
// (the v2 or v1 manager of the same path).
std::unique_ptr<CgroupManager> makeSystemdManager(const CgroupRef& ref,
                                                  std::unique_ptr<CgroupManager> files);

// The "none" driver's manager: no cgroup, no limits.
std::unique_ptr<CgroupManager> makeNoCgroupManager();

// The manager for ref: the v2 driver in unified mode, the v1 driver
// (every hierarchy mounted now) in hybrid and legacy mode; under the
// systemd driver when ref says so.
Result<std::unique_ptr<CgroupManager>> openCgroup(const CgroupRef& ref);

// How the lifecycle opens a container's cgroup: openCgroup, or a fake in
// unit tests.
using CgroupOpener = std::function<Result<std::unique_ptr<CgroupManager>>(const CgroupRef& ref)>;

}  // namespace sangja::cgroups
