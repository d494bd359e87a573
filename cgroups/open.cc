// Which driver serves a container's cgroup: chosen from the host's mode
// once, at create, and recorded so that every later command opens the
// same one.
#include <optional>

#include "base/file.h"
#include "cgroups/cgroup_manager.h"

namespace sangja::cgroups {

namespace {

// Read once per process: the host's layout does not change under one
// command, and create asks for it three times (mode, the container's
// view, the driver).
Result<CgroupLayout> hostLayout() {
  static std::optional<CgroupLayout> layout;
  if (!layout) {
    std::string mountinfo = TRY(readFile("/proc/self/mountinfo"));
    layout = TRY(parseCgroupLayout(mountinfo));
  }
  return *layout;
}

}  // namespace

Result<CgroupMode> hostCgroupMode() {
  if (isUnifiedOnlyHost()) return CgroupMode::kUnified;
  return TRY(hostLayout()).mode;
}

Result<std::vector<CgroupViewBind>> hostCgroupView(const CgroupRef& ref) {
  if (ref.mode == CgroupMode::kUnified) return std::vector<CgroupViewBind>{};
  // No cgroup of its own: the container sees the hierarchies as its user
  // does on the host (it cannot write there either).
  if (ref.driver == CgroupDriver::kNone) return containerCgroupView(TRY(hostLayout()), "");
  return containerCgroupView(TRY(hostLayout()), ref.path);
}

const char* cgroupDriverName(CgroupDriver driver) {
  switch (driver) {
    case CgroupDriver::kSystemd:
      return "systemd";
    case CgroupDriver::kSystemdUser:
      return "systemd-user";
    case CgroupDriver::kNone:
      return "none";
    case CgroupDriver::kCgroupfs:
      break;
  }
  return "cgroupfs";
}

std::optional<CgroupDriver> cgroupDriverFromName(std::string_view name) {
  for (CgroupDriver d : {CgroupDriver::kCgroupfs, CgroupDriver::kSystemd,
                         CgroupDriver::kSystemdUser, CgroupDriver::kNone}) {
    if (name == cgroupDriverName(d)) return d;
  }
  return std::nullopt;
}

namespace {

// The driver of the cgroup's files for the mode it was made in.
Result<std::unique_ptr<CgroupManager>> openCgroupFiles(const CgroupRef& ref) {
  CgroupMode mode = ref.mode;
  if (mode == CgroupMode::kUnified) {
    std::string mount = TRY(findCgroup2Mount());
    return makeCgroup2Manager(std::move(mount), ref.path, ref.createdFrom);
  }
  CgroupLayout layout = TRY(hostLayout());
  if (layout.mode != mode) {
    return Error::invalid(std::string("cgroup ") + ref.path + " was made on a " +
                              cgroupModeName(mode) + " cgroup host; this host is now " +
                              cgroupModeName(layout.mode),
                          ENOENT);
  }
  return makeCgroup1Manager(std::move(layout), ref.path, ref.createdFrom);
}

}  // namespace

Result<std::unique_ptr<CgroupManager>> openCgroup(const CgroupRef& ref) {
  if (ref.driver == CgroupDriver::kNone) return makeNoCgroupManager();
  TRY(checkContainerCgroupPath(ref.path));
  std::unique_ptr<CgroupManager> files = TRY(openCgroupFiles(ref));
  if (isSystemdDriver(ref.driver)) return makeSystemdManager(ref, std::move(files));
  return files;
}

}  // namespace sangja::cgroups
