#include "runtime/process/exec_guard.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "base/file.h"
#include "base/text.h"
#include "base/trace.h"
#include "runtime/process/exec_trampoline_abi.h"
#include "runtime/process/exec_trampoline_image.h"  // generated from exec_trampoline.c

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U  // Linux 6.3 (vm.memfd_noexec)
#endif

namespace sangja {

namespace {

char kMarker[] = SANGJA_TRAMPOLINE_MARKER;

Result<UniqueFd> createMemfd() {
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  int fd = ::memfd_create("sangja-exec", flags | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = ::memfd_create("sangja-exec", flags);  // before 6.3
  if (fd < 0) return Error::fromErrno("memfd_create");
  return UniqueFd(fd);
}

std::string memfdNoexecSysctl() {
  std::string v = readFile("/proc/sys/vm/memfd_noexec").valueOr("");
  v.resize(withoutTrailingBlanks(v).size());
  return v.empty() ? "unknown" : v;
}

}  // namespace

std::span<const unsigned char> execTrampolineImage() {
  return kExecTrampolineImage;
}

Result<UniqueFd> makeSealedTrampoline() {
  UniqueFd fd = TRY(createMemfd());
  std::span<const unsigned char> image = execTrampolineImage();
  size_t done = 0;
  while (done < image.size()) {
    ssize_t n = ::write(fd.get(), image.data() + done, image.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::fromErrno(n < 0 ? errno : EIO, "write the trampoline to its memfd");
    done += static_cast<size_t>(n);
  }
  if (::fcntl(fd.get(), F_ADD_SEALS, kTrampolineSeals) < 0) {
    return Error::fromErrno("seal the trampoline's memfd");
  }
  // vm.memfd_noexec=1 turns a memfd made without MFD_EXEC into a
  // non-executable one (mode without x, F_SEAL_EXEC).
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return Error::fromErrno("stat the trampoline's memfd");
  if ((st.st_mode & S_IXUSR) == 0) {
    return Error::invalid("the trampoline's memfd was made non-executable", EACCES);
  }
  return fd;
}

bool isImmutableBinary(int exeFd) {
  struct statvfs sv;
  if (::fstatvfs(exeFd, &sv) == 0 && (sv.f_flag & ST_RDONLY) != 0) return true;
  constexpr int kFixed = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
  int seals = ::fcntl(exeFd, F_GET_SEALS);  // EINVAL for anything but a memfd
  return seals >= 0 && (seals & kFixed) == kFixed;
}

std::vector<char*> trampolineArgv(char* const* programArgv) {
  std::vector<char*> argv;
  argv.push_back(kMarker);
  argv.push_back(nullptr);  // the path slot; left empty, the trampoline refuses
  for (char* const* arg = programArgv; arg != nullptr && *arg != nullptr; ++arg) {
    argv.push_back(*arg);
  }
  argv.push_back(nullptr);
  return argv;
}

void ExecGuard::prepareArgv(char* const* programArgv) {
  if (active()) argv = trampolineArgv(programArgv);
}

bool seccompAllowsExecveat(const spec::Seccomp& profile) {
  auto allows = [](const std::string& action) {
    return action == "SCMP_ACT_ALLOW" || action == "SCMP_ACT_LOG";
  };
  bool allowed = allows(profile.defaultAction);
  for (const spec::Syscall& entry : profile.syscalls) {
    for (const std::string& name : entry.names) {
      if (name != "execveat") continue;
      if (!allows(entry.action)) return false;
      if (entry.args.empty()) allowed = true;
    }
  }
  return allowed;
}

Result<ExecGuard> prepareExecGuard(const spec::Seccomp* seccomp) {
  ExecGuard guard;
  if (!execGuardEnabled()) return guard;
  // Inherited by the init at the clone. Only as root: an unprivileged
  // runtime writes its init's uid_map, which a non-dumpable init's /proc
  // files (owned by root then) would refuse.
  if (::geteuid() == 0 && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
    return Error::fromErrno("exec guard: make the runtime non-dumpable");
  }
  Result<UniqueFd> trampoline = makeSealedTrampoline();
  if (!trampoline.ok()) {
    // Nothing to protect when nobody can write the binary anyway.
    Result<UniqueFd> self = openFile("/proc/self/exe", O_RDONLY);
    if (self.ok() && isImmutableBinary(self->get())) return guard;
    return trampoline.error().wrap(
        "exec guard (CVE-2019-5736): cannot make the exec trampoline's executable memfd (the "
        "sysctl vm.memfd_noexec is " +
        memfdNoexecSysctl() + "; set it to 0 or 1, or install sangja on a read-only mount)");
  }
  guard.trampoline = std::move(*trampoline);
  guard.procFdPath = procFdPath(guard.trampoline.get());
  guard.execByPathFirst = seccomp != nullptr && !seccompAllowsExecveat(*seccomp);
  trace::mark("exec trampoline sealed");
  return guard;
}

[[noreturn]] void child::execContainerProgram(const ExecGuard& guard, const char* path,
                                              char* const argv[], char* const envp[]) {
  int err;
  const char* through = "";
  if (guard.active()) {
    // Our own copy of the plan (after the clone): the slot is ours to fill.
    char** trampolineArgv = const_cast<char**>(guard.argv.data());
    trampolineArgv[1] = const_cast<char*>(path);
    // An LSM exec label written before (process_attrs.cc) applies at this
    // exec, to the trampoline; the program's exec then runs under it.
    // Two ways to the same file (see the header); the first error is the
    // telling one.
    auto byFd = [&] {
      ::syscall(SYS_execveat, guard.trampoline.get(), "", trampolineArgv, envp, AT_EMPTY_PATH);
    };
    auto byPath = [&] { ::execve(guard.procFdPath.c_str(), trampolineArgv, envp); };
    guard.execByPathFirst ? byPath() : byFd();
    err = errno;
    guard.execByPathFirst ? byFd() : byPath();
    through = " (exec trampoline)";
  } else {
    ::execve(path, argv, envp);
    err = errno;
  }
  // Nobody may be listening on the channel any more (create has exited):
  // tell the container's stderr.
  FixedText<512> msg("sangja: exec ");
  msg.append(path).append(through).append(": ").append(strerrordesc_np(err)).append("\n");
  ssize_t ignored = ::write(2, msg.c_str(), msg.size());
  (void)ignored;
  ::_exit(127);
}

}  // namespace sangja
