#include "runtime/check/kernel_probes.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"
#include "cgroups/device_filter.h"
#include "namespaces/user.h"
#include "runtime/process/seccomp.h"

namespace sangja::check {

namespace {

// "ENOSYS (Function not implemented)".
std::string errnoText(int err) {
  const char* name = ::strerrorname_np(err);
  return std::string(name != nullptr ? name : "errno " + std::to_string(err)) + " (" +
         std::strerror(err) + ")";
}

// A syscall probed with arguments it refuses: present unless ENOSYS.
Probe presentUnlessEnosys(long rc) {
  if (rc >= 0 || errno != ENOSYS) return Probe::yes();
  return Probe::no(errnoText(ENOSYS));
}

Probe probeClone3() {
  // A NULL argument of size 0 is refused before anything is cloned.
  return presentUnlessEnosys(::syscall(SYS_clone3, nullptr, 0));
}

Probe probePidfdOpen() {
  long fd = ::syscall(SYS_pidfd_open, ::getpid(), 0);
  if (fd < 0) return Probe::no(errnoText(errno));
  UniqueFd owned(static_cast<int>(fd));
  return Probe::yes();
}

Probe probeOpenat2() {
  struct open_how how {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
  if (fd < 0) return Probe::no(errnoText(errno));
  UniqueFd owned(static_cast<int>(fd));
  return Probe::yes();
}

Probe probeCloseRange() {
  // The highest possible fd: never open, so nothing is closed.
  return presentUnlessEnosys(::syscall(SYS_close_range, ~0U, ~0U, 0));
}

Probe probeMountSetattr() {
  // A zero-sized attribute is refused before the fd is looked at.
  return presentUnlessEnosys(::syscall(SYS_mount_setattr, -1, "", AT_EMPTY_PATH, nullptr, 0));
}

// Removes the probe's directory whatever happens.
struct TempDirectory {
  std::string path;
  ~TempDirectory() {
    if (!path.empty()) ::rmdir(path.c_str());
  }
};

// Idmaps a detached clone of a fresh directory: the tree never reaches a
// mount namespace and goes away with its fd.
Probe probeIdmappedMounts(const Probe& mountSetattr, const std::string& tmpDir, bool root) {
  if (mountSetattr.isNo()) return Probe::no("mount_setattr: " + mountSetattr.detail);
  if (!root) return Probe::unknown("needs root to probe");
  std::string tmpl = tmpDir + "/sangja-check-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return Probe::unknown("make a directory in " + tmpDir + ": " + errnoText(errno));
  }
  TempDirectory dir{tmpl};
  UniqueFd tree(static_cast<int>(
      ::syscall(SYS_open_tree, AT_FDCWD, dir.path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!tree) return Probe::no("open_tree: " + errnoText(errno));
  // Any user namespace but the initial one will do: the maps do not matter.
  Result<UniqueFd> userns = ns::makeUserNamespace("0 100000 65536\n", "0 100000 65536\n");
  if (!userns.ok()) return Probe::unknown(userns.error().message());
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns->get());
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
    return Probe::no("mount_setattr(MOUNT_ATTR_IDMAP) on " + tmpDir + ": " + errnoText(errno));
  }
  return Probe::yes();
}

Probe probeBpfDeviceFilter(bool root) {
  if (!root) return Probe::unknown("needs root to probe");
  // The program create would load for a config without device rules.
  Result<std::vector<cgroups::DeviceRule>> rules = cgroups::effectiveDeviceRules(spec::Resources{});
  if (!rules.ok()) return Probe::unknown(rules.error().message());
  Result<UniqueFd> prog = cgroups::loadDeviceProgram(cgroups::buildDeviceProgram(*rules));
  if (!prog.ok()) return Probe::no(prog.error().message());
  return Probe::yes();
}

std::optional<uint64_t> memlockLimit() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<uint64_t>(rl.rlim_cur);
}

Probe probeSeccomp() {
  if (::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0) return Probe::yes();
  return Probe::no("prctl(PR_GET_SECCOMP): " + errnoText(errno));
}

// The actions `features` lists that SECCOMP_GET_ACTION_AVAIL accepts.
std::vector<std::string> availableSeccompActions() {
  std::vector<std::string> out;
  for (const std::string& name : seccomp::features().actions) {
    std::optional<uint32_t> value = seccomp::actionValue(name, EPERM);
    if (!value) continue;
    uint32_t action = *value & SECCOMP_RET_ACTION_FULL;
    if (::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0) out.push_back(name);
  }
  return out;
}

std::string libseccompVersion() {
  const scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

}  // namespace

KernelProbes probeKernel(const std::string& tmpDir, bool root) {
  KernelProbes k;
  k.clone3 = probeClone3();
  k.pidfdOpen = probePidfdOpen();
  k.openat2 = probeOpenat2();
  k.closeRange = probeCloseRange();
  k.mountSetattr = probeMountSetattr();
  k.idmappedMounts = probeIdmappedMounts(k.mountSetattr, tmpDir, root);
  k.idmapProbeDir = tmpDir;
  k.bpfDeviceFilter = probeBpfDeviceFilter(root);
  k.memlockBytes = memlockLimit();
  k.seccomp = probeSeccomp();
  if (k.seccomp.isYes()) {
    k.seccompActions = availableSeccompActions();
    k.seccompFlags = seccomp::supportedFlags();
  }
  k.libseccompVersion = libseccompVersion();
  return k;
}

}  // namespace sangja::check
