#include "runtime/process/process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "base/child_steps.h"
#include "base/file.h"
#include "base/procfs.h"
#include "namespaces/in_root.h"

namespace sangja {

namespace {

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> dirs;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find(':', pos);
    if (next == std::string_view::npos) next = path.size();
    dirs.emplace_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return dirs;
}

const std::string* findEnv(const std::vector<std::string>& env, std::string_view key) {
  for (const std::string& e : env) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
      return &e;
    }
  }
  return nullptr;
}

// The home directory of uid in the rootfs's /etc/passwd, "/" if none.
std::string homeFromPasswd(int rootfsFd, uid_t uid) {
  // O_NONBLOCK and a regular-file check: a fifo planted by the image must
  // not hang the runtime.
  int fd = mnt::openInRoot(rootfsFd, "etc/passwd", O_RDONLY | O_NONBLOCK, mnt::Create::kNone);
  if (fd < 0) return "/";
  UniqueFd passwd(fd);
  struct stat st;
  if (::fstat(passwd.get(), &st) < 0 || !S_ISREG(st.st_mode)) return "/";
  Result<std::string> text = readFd(passwd.get(), "/etc/passwd");
  if (!text.ok()) return "/";
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    // name:passwd:uid:gid:gecos:home:shell
    std::string_view fields[7];
    size_t n = 0;
    for (size_t pos = 0; n < 7; ++n) {
      size_t colon = line.find(':', pos);
      fields[n] = line.substr(pos, colon == std::string_view::npos ? colon : colon - pos);
      if (colon == std::string_view::npos) {
        ++n;
        break;
      }
      pos = colon + 1;
    }
    if (n >= 6 && fields[2] == std::to_string(uid) && !fields[5].empty()) {
      return std::string(fields[5]);
    }
  }
  return "/";
}

// Raising a hard limit needs CAP_SYS_RESOURCE; say so before any fork.
Result<std::vector<RlimitSetting>> planRlimits(const std::vector<spec::Rlimit>& rlimits) {
  std::vector<RlimitSetting> out;
  bool mayRaise = hasEffectiveCapability(CAP_SYS_RESOURCE);
  for (const spec::Rlimit& r : rlimits) {
    std::optional<int> resource = spec::rlimitResource(r.type);
    if (!resource) return Error::invalid("process.rlimits: unknown rlimit \"" + r.type + "\"");
    rlimit current{};
    ::getrlimit(static_cast<__rlimit_resource>(*resource), &current);
    if (!mayRaise && r.hard > current.rlim_max) {
      return Error::invalid("process.rlimits: " + r.type + ": hard limit " +
                                std::to_string(r.hard) + " is above the current hard limit " +
                                std::to_string(current.rlim_max) +
                                " and raising it needs CAP_SYS_RESOURCE",
                            EPERM);
    }
    out.push_back(RlimitSetting{*resource, rlimit{r.soft, r.hard}, r.type});
  }
  return out;
}

}  // namespace

std::vector<std::string> keepLastOfEachName(const std::vector<std::string>& env) {
  auto nameOf = [](const std::string& e) { return std::string_view(e).substr(0, e.find('=')); };
  std::unordered_map<std::string_view, size_t> last;
  for (size_t i = 0; i < env.size(); ++i) last[nameOf(env[i])] = i;
  std::vector<std::string> out;
  out.reserve(last.size());
  for (size_t i = 0; i < env.size(); ++i) {
    if (last[nameOf(env[i])] == i) out.push_back(env[i]);
  }
  return out;
}

Result<ProcessPlan> planProcess(const spec::Process& process, int rootfsFd) {
  ProcessPlan plan;
  plan.args = process.args;
  plan.env = keepLastOfEachName(process.env);
  plan.cwd = process.cwd;
  plan.uid = process.user.uid;
  plan.gid = process.user.gid;
  plan.groups.assign(process.user.additionalGids.begin(), process.user.additionalGids.end());
  if (process.user.umask) plan.umask = static_cast<mode_t>(*process.user.umask);
  plan.noNewPrivileges = process.noNewPrivileges;
  if (process.oomScoreAdj) plan.oomScoreAdj = std::to_string(*process.oomScoreAdj);
  plan.rlimits = TRY(planRlimits(process.rlimits));
  if (process.capabilities) plan.caps = TRY(capabilitySets(*process.capabilities));
  // Missing or empty (`HOME=`, as some clients write it): from passwd.
  const std::string* home = findEnv(plan.env, "HOME");
  if (home == nullptr) {
    plan.env.push_back("HOME=" + homeFromPasswd(rootfsFd, plan.uid));
  } else if (home->size() == 5) {
    *const_cast<std::string*>(home) = "HOME=" + homeFromPasswd(rootfsFd, plan.uid);
  }
  const std::string* path = findEnv(plan.env, "PATH");
  plan.searchPath =
      splitPath(path ? std::string_view(*path).substr(5)
                     : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  plan.argv = CStringArray(plan.args);
  plan.envp = CStringArray(plan.env);
  return plan;
}

void child::writeOomScoreAdj(const ProcessPlan& plan, const ChildChannel& channel) {
  if (plan.oomScoreAdj.empty()) return;
  int fd = openVerifiedProc("/proc/self/oom_score_adj", O_WRONLY);
  if (fd < 0) channel.fail(-fd, "open /proc/self/oom_score_adj");
  if (::write(fd, plan.oomScoreAdj.data(), plan.oomScoreAdj.size()) < 0) {
    channel.fail(errno, "set oom_score_adj to", plan.oomScoreAdj);
  }
  ::close(fd);
}

void child::applyRlimits(const ProcessPlan& plan, const ChildChannel& channel) {
  for (const RlimitSetting& r : plan.rlimits) {
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &r.value) < 0) {
      channel.fail(errno, "set rlimit", r.name);
    }
  }
}

void child::applyIdentity(const ProcessPlan& plan, const ChildChannel& channel) {
  if (plan.caps) dropBoundingSet(*plan.caps, channel);
  // Keep the permitted set across the uid change so capset can pick from it.
  bool changeUser = plan.uid != 0;
  if (changeUser && plan.caps && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
    channel.fail(errno, "keep capabilities across setuid");
  }
  int nGroups = plan.keepGroups ? -1 : static_cast<int>(plan.groups.size());
  if (int err = child::setIdentity(plan.uid, plan.gid, plan.groups.data(), nGroups); err != 0) {
    channel.fail(err, "set user, group and additional groups");
  }
  if (changeUser && plan.caps && ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
    channel.fail(errno, "reset keep-capabilities");
  }
  if (plan.caps) applyCapabilitySets(*plan.caps, channel);
}

void child::applyNoNewPrivileges(const ProcessPlan& plan, const ChildChannel& channel) {
  if (plan.noNewPrivileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    channel.fail(errno, "set no_new_privs");
  }
}

namespace {

// CVE-2024-21626 class: a cwd such as /proc/self/fd/N can follow an fd
// still open to a directory outside the container. The kernel's getcwd
// says "(unreachable)" for a cwd outside our root.
void checkCwdInsideRoot(const ProcessPlan& plan, bool filterMayDenyGetcwd,
                        const ChildChannel& channel) {
  char where[PATH_MAX];
  if (::syscall(SYS_getcwd, where, sizeof where) < 0) {
    // Only on the retry, which runs under a profile loaded before the
    // identity change and after every fd of ours is closed: no fd is left
    // for the cwd to have led out through.
    if (filterMayDenyGetcwd && (errno == EPERM || errno == EACCES || errno == ENOSYS)) return;
    channel.fail(errno, "check cwd", plan.cwd);
  }
  if (where[0] != '/') channel.fail(EPERM, "cwd is outside the container's root:", plan.cwd);
}

}  // namespace

// Still as the runtime's root, before the seccomp profile and the identity
// change: a non-root user may lack search permission on the cwd's parents
// and still work there (runc enters it here too), and no profile can deny
// the check.
bool child::enterCwdBeforeIdentity(const ProcessPlan& plan, const ChildChannel& channel) {
  if (::chdir(plan.cwd.c_str()) < 0) {
    // Root refused (a user namespace, root-squashed NFS): the container's
    // user may be let in; enterCwdAfterIdentity tries again.
    if (errno == EACCES || errno == EPERM) return false;
    channel.fail(errno, "chdir to cwd", plan.cwd);
  }
  checkCwdInsideRoot(plan, false, channel);
  return true;
}

void child::enterCwdAfterIdentity(const ProcessPlan& plan, bool entered,
                                  const ChildChannel& channel) {
  if (entered) return;
  if (::chdir(plan.cwd.c_str()) < 0) channel.fail(errno, "chdir to cwd", plan.cwd);
  checkCwdInsideRoot(plan, true, channel);
}

const char* child::resolveExecutable(const ProcessPlan& plan, char* pathBuf, size_t size,
                                     const ChildChannel& channel) {
  const std::string& name = plan.args[0];
  // With the effective ids and capabilities, as execve will judge: access()
  // uses the real ones and ignores CAP_DAC_OVERRIDE of a non-root user.
  // Where faccessat2 is missing or a profile denies it, the mode bits.
  auto usable = [](const char* path) {
    struct stat st;
    if (::stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return false;
    if (::syscall(SYS_faccessat2, AT_FDCWD, path, X_OK, AT_EACCESS) == 0) return true;
    if (errno != ENOSYS && errno != EPERM) return false;
    return (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
  };
  if (name.find('/') != std::string::npos) {
    if (usable(name.c_str())) return name.c_str();
    channel.fail(errno == 0 ? EACCES : errno, "exec: cannot run", name);
  }
  for (const std::string& dir : plan.searchPath) {
    if (dir.size() + 1 + name.size() + 1 > size) continue;
    std::memcpy(pathBuf, dir.data(), dir.size());
    size_t n = dir.size();
    if (n == 0) pathBuf[n++] = '.';
    pathBuf[n++] = '/';
    std::memcpy(pathBuf + n, name.c_str(), name.size() + 1);
    if (usable(pathBuf)) return pathBuf;
  }
  FixedText<300> what("\"");
  what.append(name).append("\": executable file not found in $PATH");
  channel.fail(ENOENT, "exec:", what.view());
}

}  // namespace sangja
