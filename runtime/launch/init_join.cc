#include "runtime/launch/init_join.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/procfs.h"
#include "namespaces/namespaces.h"

namespace sangja {

namespace {

struct NsKind {
  const char* name;  // ours, under /proc/self/ns
  const char* link;  // the init's, under /proc/PID/ns
  int type;
};
// The mount namespace last: joining it changes what paths mean.
constexpr NsKind kOthers[] = {
    {"ipc", "ipc", CLONE_NEWIPC},
    {"uts", "uts", CLONE_NEWUTS},
    {"net", "net", CLONE_NEWNET},
    {"cgroup", "cgroup", CLONE_NEWCGROUP},
    {"time", "time_for_children", CLONE_NEWTIME},
    {"mnt", "mnt", CLONE_NEWNS},
};

std::string gone(pid_t pid) {
  return "container init " + std::to_string(pid) + " is gone";
}

// The init's namespace behind link if it is not ours; invalid if it is
// ours (or the kernel has no time namespaces).
Result<UniqueFd> foreignNamespace(int procDir, pid_t pid, const NsKind& k) {
  std::string link = std::string("ns/") + k.link;
  int fd = ::openat(procDir, link.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT && k.type == CLONE_NEWTIME) return UniqueFd();
    if (errno == ENOENT || errno == ESRCH) return Error::invalid(gone(pid), ESRCH);
    return Error::fromErrno("open /proc/" + std::to_string(pid) + "/" + link);
  }
  UniqueFd owned(fd);
  struct statfs fs;
  if (::fstatfs(fd, &fs) < 0 || fs.f_type != NSFS_MAGIC || ::ioctl(fd, NS_GET_NSTYPE) != k.type) {
    return Error::invalid(
        "/proc/" + std::to_string(pid) + "/" + link + ": not a namespace of that type", EXDEV);
  }
  struct stat theirs, ours;
  if (::fstat(fd, &theirs) < 0) return Error::fromErrno("stat /proc/PID/" + link);
  std::string self = std::string("/proc/self/ns/") + k.name;
  if (::stat(self.c_str(), &ours) < 0) return Error::fromErrno("stat " + self);
  if (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino) return UniqueFd();
  return owned;
}

}  // namespace

Result<InitNamespaces> openInitNamespaces(pid_t initPid, int pidfd) {
  UniqueFd ownPidfd;
  if (pidfd < 0) {
    ownPidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, initPid, 0)));
    if (!ownPidfd) {
      if (errno == ESRCH) return Error::invalid(gone(initPid), ESRCH);
      return Error::fromErrno("pidfd_open " + std::to_string(initPid));
    }
    pidfd = ownPidfd.get();
  }
  InitNamespaces out;
  std::string dir = "/proc/" + std::to_string(initPid);
  int fd = openVerifiedProc(dir.c_str(), O_PATH | O_DIRECTORY);
  if (fd == -ENOENT) return Error::invalid(gone(initPid), ESRCH);
  if (fd < 0) return Error::fromErrno(-fd, "open " + dir);
  out.procDir = UniqueFd(fd);
  for (const NsKind& k : kOthers) {
    UniqueFd ns = TRY(foreignNamespace(out.procDir.get(), initPid, k));
    if (ns) out.others.push_back(InitNamespaces::Ns{std::move(ns), k.type, k.name});
  }
  out.user = TRY(foreignNamespace(out.procDir.get(), initPid, {"user", "user", CLONE_NEWUSER}));
  out.pid = TRY(foreignNamespace(out.procDir.get(), initPid, {"pid", "pid", CLONE_NEWPID}));
  int root = ::openat(out.procDir.get(), "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    if (errno == ENOENT || errno == ESRCH) return Error::invalid(gone(initPid), ESRCH);
    return Error::fromErrno("open " + dir + "/root");
  }
  out.root = UniqueFd(root);
  // Still alive now: everything above was its.
  if (::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) < 0) {
    return Error::invalid(gone(initPid), ESRCH);
  }
  return out;
}

int child::enterInitRoot(int rootFd) {
  if (::fchdir(rootFd) < 0 || ::chroot(".") < 0 || ::chdir("/") < 0) return errno;
  return 0;
}

}  // namespace sangja
