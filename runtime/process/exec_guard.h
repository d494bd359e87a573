// CVE-2019-5736 class: a container process overwrites the host's runtime
// binary through /proc/PID/exe. The init is a clone of sangja (no re-exec),
// so until its final exec its /proc/PID/exe is the host's sangja file, and
// two paths lead there:
//  1. a process already in the container's pid namespace (a joined one, or
//     none) opens /proc/<init>/exe during set-up and writes through it once
//     every sangja process is gone;
//  2. the image's program is a `#!/proc/self/exe` script: the init's execve
//     would run the HOST binary again, inside the container, as container
//     root, with the container's environment (LD_PRELOAD) and argv, and a
//     dumpable one at that.
// The guard, for microseconds rather than a copy of the binary per
// container:
//  - the runtime makes itself non-dumpable before the clone (as root), so
//    the init is from its first instant: only CAP_SYS_PTRACE in the host's
//    user namespace opens /proc/<init>/exe (path 1); the program's own exec
//    makes it dumpable again, as it would be;
//  - the init's last exec goes to a tiny static trampoline held in a sealed
//    memfd (runtime/process/exec_trampoline.c), which execs the program: a
//    `#!/proc/self/exe` script finds the trampoline, which refuses to run
//    without its marker (path 2), and the memfd cannot be written. Also
//    when sangja's own binary is on a read-only mount or in a sealed memfd:
//    the program's exec would then re-run that binary, dumpable, and leave
//    the container an fd of it (writable after a later remount read-write;
//    a memfd's mode can still be changed by container root).
// Seccomp: the filter (loaded before the exec) sees two execs, the
// trampoline's and the program's execve. The trampoline is exec'd with
// execveat(fd, "", ..., AT_EMPTY_PATH), which needs no /proc, when the
// profile plainly allows execveat (Docker's default does); otherwise with
// execve("/proc/self/fd/N") first, which needs /proc mounted in the
// container, so that a profile killing on execveat does not kill the init.
// Either way the other call is tried when the first fails.
// LSM: an exec label the init writes (process_attrs.cc) takes effect at the
// trampoline's exec; the program's exec then happens under that label, so
// an AppArmor profile for the container must allow executing its program
// (docker-default's `file,` does).
// Capabilities, rlimits, personality, the scheduler and no_new_privs carry
// over the first exec as over the second: the memfd has no set-id bits or
// file capabilities, so the second exec computes the same sets.
#pragma once

#include <fcntl.h>

#include <span>
#include <vector>

#include "base/fixed_text.h"
#include "base/result.h"
#include "base/unique_fd.h"
#include "spec/config.h"

namespace sangja {

// Whether create/run guard the exec. exec_guard_switch.cc says yes; it is
// its own translation unit so that a test-only build can link one that
// says no (tests/unguarded/), to show the escape test can fail. There is no
// run-time switch.
bool execGuardEnabled();

// The trampoline program (an ELF for this machine), built with the library.
std::span<const unsigned char> execTrampolineImage();

// Seals of the trampoline's memfd: no write, no resize, no more sealing.
inline constexpr int kTrampolineSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// A memfd holding the trampoline, sealed; MFD_EXEC where the kernel knows
// it (vm.memfd_noexec), O_CLOEXEC.
Result<UniqueFd> makeSealedTrampoline();

// True when nobody can write the file behind exeFd: a read-only mount, or a
// memfd sealed against writing (a runtime started from a sealed copy of
// itself, as runc does).
bool isImmutableBinary(int exeFd);

struct ExecGuard {
  // The sealed trampoline; invalid: exec the program directly (guard off,
  // or the binary is immutable and no memfd could be made).
  UniqueFd trampoline;
  // The trampoline's argv, [marker, <path>, program argv..., nullptr]; the
  // init fills the path slot (prepareArgv builds it).
  std::vector<char*> argv;
  // "/proc/self/fd/N" of the trampoline, for profiles denying execveat.
  FixedText<32> procFdPath;
  // Exec the trampoline by procFdPath before trying execveat.
  bool execByPathFirst = false;

  bool active() const { return trampoline.valid(); }
  // The planner's last step: argv points into the program's (NULL-terminated).
  void prepareArgv(char* const* programArgv);
};

// Pure: [marker, nullptr (the path slot), programArgv without its nullptr..., nullptr].
// A null programArgv is an empty one.
std::vector<char*> trampolineArgv(char* const* programArgv);

// Pure: whether the profile surely lets execveat through: no entry naming
// it acts otherwise than ALLOW/LOG, and one allows it unconditionally or
// the default action does.
bool seccompAllowsExecveat(const spec::Seccomp& profile);

// Parent side, once per create/run, before the clone: non-dumpable (when
// root) and the trampoline. Without an executable memfd (vm.memfd_noexec=2,
// no memfd_create) it fails, naming the sysctl, unless the binary is
// immutable; then the plain exec is safe and the guard is inactive.
// seccomp: the container's profile, if any.
Result<ExecGuard> prepareExecGuard(const spec::Seccomp* seccomp);

namespace child {

// Child side, the init's last step: execs path through the trampoline when
// the guard is active, directly otherwise. On failure it writes
// "sangja: exec PATH: <error>" to stderr and _exits 127.
[[noreturn]] void execContainerProgram(const ExecGuard& guard, const char* path, char* const argv[],
                                       char* const envp[]);

}  // namespace child

}  // namespace sangja
