// The exec guard (runtime/process/exec_guard.h) without root: the trampoline's
// argv, its image, the sealed memfd, and the trampoline run for real in
// forked children (argv checks, exec errors, a `#!/proc/self/exe` script,
// a seccomp profile that denies execveat).
#include "runtime/process/exec_guard.h"

#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "base/fixed_text.h"
#include "runtime/process/exec_trampoline_abi.h"
#include "tests/unit/temp_dir.h"

namespace sangja {
namespace {

using testutil::TempDir;

std::vector<std::string> strings(const std::vector<char*>& argv) {
  std::vector<std::string> out;
  for (char* a : argv) out.push_back(a == nullptr ? "<null>" : a);
  return out;
}

TEST(ExecGuardArgvTest, MarkerThenThePathSlotThenTheProgramArgv) {
  std::string a0 = "sh", a1 = "-c", a2 = "echo hi";
  std::vector<char*> program = {a0.data(), a1.data(), a2.data(), nullptr};
  std::vector<char*> argv = trampolineArgv(program.data());
  EXPECT_EQ(strings(argv), (std::vector<std::string>{SANGJA_TRAMPOLINE_MARKER, "<null>", "sh", "-c",
                                                     "echo hi", "<null>"}));
  // The program's own strings, not copies: the child fills nothing but the slot.
  EXPECT_EQ(argv[2], a0.data());
  EXPECT_EQ(argv[4], a2.data());
}

TEST(ExecGuardArgvTest, StopsAtTheProgramArgvTerminator) {
  std::string a0 = "true", stray = "never";
  std::vector<char*> program = {a0.data(), nullptr, stray.data()};
  EXPECT_EQ(strings(trampolineArgv(program.data())),
            (std::vector<std::string>{SANGJA_TRAMPOLINE_MARKER, "<null>", "true", "<null>"}));
  EXPECT_EQ(strings(trampolineArgv(nullptr)),
            (std::vector<std::string>{SANGJA_TRAMPOLINE_MARKER, "<null>", "<null>"}));
}

TEST(ExecGuardArgvTest, InactiveGuardBuildsNoArgv) {
  ExecGuard guard;
  std::string a0 = "true";
  std::vector<char*> program = {a0.data(), nullptr};
  guard.prepareArgv(program.data());
  EXPECT_FALSE(guard.active());
  EXPECT_TRUE(guard.argv.empty());
}

TEST(ExecGuardImageTest, IsASmallStaticExecutableForThisMachine) {
  std::span<const unsigned char> image = execTrampolineImage();
  ASSERT_GE(image.size(), sizeof(Elf64_Ehdr));
  EXPECT_LT(image.size(), 8192u) << "the trampoline should stay a few KB";
  Elf64_Ehdr eh;
  std::memcpy(&eh, image.data(), sizeof eh);
  ASSERT_EQ(std::memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
  EXPECT_EQ(eh.e_type, ET_EXEC) << "static, not PIE";
#if defined(__x86_64__)
  EXPECT_EQ(eh.e_machine, EM_X86_64);
#elif defined(__aarch64__)
  EXPECT_EQ(eh.e_machine, EM_AARCH64);
#endif
  ASSERT_LE(eh.e_phoff + eh.e_phnum * sizeof(Elf64_Phdr), image.size());
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, image.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
    EXPECT_NE(ph.p_type, static_cast<Elf64_Word>(PT_INTERP)) << "no dynamic loader";
    EXPECT_NE(ph.p_type, static_cast<Elf64_Word>(PT_DYNAMIC));
    if (ph.p_type == PT_LOAD) {
      EXPECT_FALSE((ph.p_flags & PF_W) && (ph.p_flags & PF_X)) << "W^X";
    }
  }
}

TEST(ExecGuardMemfdTest, TrampolineIsSealedExecutableAndCloseOnExec) {
  Result<UniqueFd> fd = makeSealedTrampoline();
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  int seals = ::fcntl(fd->get(), F_GET_SEALS);
  EXPECT_EQ(seals & kTrampolineSeals, kTrampolineSeals) << "seals " << seals;
  EXPECT_EQ(kTrampolineSeals, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
  EXPECT_TRUE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC);
  struct stat st;
  ASSERT_EQ(::fstat(fd->get(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  std::span<const unsigned char> image = execTrampolineImage();
  ASSERT_EQ(static_cast<size_t>(st.st_size), image.size());
  std::vector<unsigned char> content(image.size());
  ASSERT_EQ(::pread(fd->get(), content.data(), content.size(), 0),
            static_cast<ssize_t>(content.size()));
  EXPECT_TRUE(std::equal(content.begin(), content.end(), image.begin()));
}

TEST(ExecGuardMemfdTest, NothingCanChangeTheTrampoline) {
  Result<UniqueFd> fd = makeSealedTrampoline();
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  errno = 0;
  EXPECT_EQ(::pwrite(fd->get(), "PWNED", 5, 0), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::ftruncate(fd->get(), 0), -1);
  EXPECT_EQ(::ftruncate(fd->get(), 1 << 20), -1);
  EXPECT_EQ(::fcntl(fd->get(), F_ADD_SEALS, 0), -1) << "F_SEAL_SEAL: no seal can be removed";
  // What an attacker holding /proc/PID/exe would do: reopen it for writing.
  int again = ::open(procFdPath(fd->get()).c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (again >= 0) {
    EXPECT_EQ(::write(again, "PWNED", 5), -1);
    ::close(again);
  }
  EXPECT_TRUE(isImmutableBinary(fd->get()));
}

TEST(ExecGuardMemfdTest, ImmutableBinaryNeedsAllThreeWriteSeals) {
  TempDir tmp;
  UniqueFd file(::open(tmp.write("bin", "x").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file.valid());
  EXPECT_FALSE(isImmutableBinary(file.get())) << "a file on a writable mount";
  UniqueFd memfd(::memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  ASSERT_TRUE(memfd.valid());
  EXPECT_FALSE(isImmutableBinary(memfd.get()));
  ASSERT_EQ(::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_WRITE), 0);
  EXPECT_FALSE(isImmutableBinary(memfd.get())) << "it can still be truncated";
  ASSERT_EQ(::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
  EXPECT_TRUE(isImmutableBinary(memfd.get()));
}

struct ChildResult {
  int status = -1;  // exit code, 128+N for signal N
  std::string output;
};

// Runs body in a forked child with stdout and stderr into a pipe; body
// execs or _exits.
ChildResult inChild(const std::function<void()>& body) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(p[1], 1);
    ::dup2(p[1], 2);
    body();
    ::_exit(99);
  }
  ::close(p[1]);
  ChildResult r;
  char buf[512];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) r.output.append(buf, n);
  ::close(p[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

class TrampolineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<UniqueFd> fd = makeSealedTrampoline();
    ASSERT_TRUE(fd.ok()) << fd.error().message();
    guard_.trampoline = std::move(*fd);
    guard_.procFdPath = procFdPath(guard_.trampoline.get());
  }

  // The init's last step, in a child.
  ChildResult execProgram(std::vector<std::string> args, const std::function<void()>& before = {}) {
    argv_.clear();
    for (std::string& a : args) argv_.push_back(a.data());
    argv_.push_back(nullptr);
    guard_.prepareArgv(argv_.data());
    char* envp[] = {nullptr};
    std::string path = args[0];
    return inChild([&] {
      if (before) before();
      child::execContainerProgram(guard_, path.c_str(), argv_.data(), envp);
    });
  }

  // The trampoline run directly with this argv.
  ChildResult runTrampoline(std::vector<std::string> args) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    char* envp[] = {nullptr};
    return inChild([&] {
      ::syscall(SYS_execveat, guard_.trampoline.get(), "", argv.data(), envp, AT_EMPTY_PATH);
    });
  }

  ExecGuard guard_;
  std::vector<char*> argv_;
};

TEST_F(TrampolineTest, ExecsTheProgramWithItsArgv) {
  ChildResult r = execProgram({"/bin/echo", "one", "two three"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "one two three\n");
}

TEST_F(TrampolineTest, TheProgramSeesItselfAsExeAndArgv0AsGiven) {
  ChildResult r = execProgram({"/bin/sh", "-c", "readlink /proc/$$/exe; echo \"$0\""});
  EXPECT_EQ(r.status, 0) << r.output;
  char real[PATH_MAX];
  ASSERT_NE(::realpath("/bin/sh", real), nullptr);
  EXPECT_EQ(r.output, std::string(real) + "\n/bin/sh\n");
}

TEST_F(TrampolineTest, ExecErrorKeepsTheInitsMessageShape) {
  ChildResult r = execProgram({"/nonexistent/program"});
  EXPECT_EQ(r.status, SANGJA_TRAMPOLINE_EXEC_FAILED);
  EXPECT_EQ(r.output, "sangja: exec /nonexistent/program: No such file or directory\n");
  TempDir tmp;
  std::string bad = tmp.write("bad", "not a program\n");
  ASSERT_EQ(::chmod(bad.c_str(), 0755), 0);
  r = execProgram({bad});
  EXPECT_EQ(r.status, SANGJA_TRAMPOLINE_EXEC_FAILED);
  EXPECT_EQ(r.output, "sangja: exec " + bad + ": Exec format error\n");
}

TEST_F(TrampolineTest, RefusesToRunWithoutItsMarker) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"/proc/self/exe", "/bin/echo", "/bin/echo", "pwned"},
           {"sangja-exec-trampolinX", "/bin/echo", "/bin/echo"},
           {SANGJA_TRAMPOLINE_MARKER "x", "/bin/echo", "/bin/echo"},
           {SANGJA_TRAMPOLINE_MARKER, "/bin/echo"}}) {
    ChildResult r = runTrampoline(args);
    EXPECT_EQ(r.status, SANGJA_TRAMPOLINE_REFUSED) << args[0] << ": " << r.output;
    EXPECT_EQ(r.output,
              "sangja: exec trampoline: refusing to run: not started by sangja's container init\n");
  }
}

// CVE-2019-5736's way in: the program is a script for /proc/self/exe. It
// finds the trampoline, which will not run it again.
TEST_F(TrampolineTest, ProcSelfExeScriptFindsTheTrampolineNotTheRuntime) {
  TempDir tmp;
  std::string script = tmp.write("evil", "#!/proc/self/exe --log=/some/fifo\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  ChildResult r = execProgram({script});
  EXPECT_EQ(r.status, SANGJA_TRAMPOLINE_REFUSED) << r.output;
  EXPECT_TRUE(r.output.find("refusing to run") != std::string::npos) << r.output;
  // A script naming itself again would loop without the marker check.
  std::string loop = tmp.write("loop", "#!/proc/self/exe " + tmp.sub("loop") + "\n");
  ASSERT_EQ(::chmod(loop.c_str(), 0755), 0);
  r = execProgram({loop});
  EXPECT_EQ(r.status, SANGJA_TRAMPOLINE_REFUSED) << r.output;
}

// A seccomp profile denying execveat: the init reaches the same memfd by
// its /proc/self/fd path; denying both ends in the init's message.
TEST_F(TrampolineTest, ProfileDenyingExecveatFallsBackToTheFdPath) {
  auto deny = [](std::vector<int> syscalls) {
    return [syscalls] {
      scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
      for (int nr : syscalls) seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
      if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0) ::_exit(98);
    };
  };
  ChildResult r = execProgram({"/bin/echo", "via fd path"}, deny({SCMP_SYS(execveat)}));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "via fd path\n");
  r = execProgram({"/bin/echo", "never"}, deny({SCMP_SYS(execveat), SCMP_SYS(execve)}));
  EXPECT_EQ(r.status, 127);
  EXPECT_EQ(r.output, "sangja: exec /bin/echo (exec trampoline): Operation not permitted\n");
}

// A profile killing on execveat: the init goes by the fd path first.
TEST_F(TrampolineTest, ProfileKillingExecveatIsMetByThePathFirst) {
  guard_.execByPathFirst = true;
  ChildResult r = execProgram({"/bin/echo", "by path"}, [] {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(execveat), 0);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0) ::_exit(98);
  });
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "by path\n");
}

spec::Seccomp profile(std::string defaultAction, std::vector<spec::Syscall> syscalls = {}) {
  spec::Seccomp p;
  p.defaultAction = std::move(defaultAction);
  p.syscalls = std::move(syscalls);
  return p;
}

TEST(ExecGuardSeccompTest, ExecveatPlainlyAllowed) {
  EXPECT_TRUE(seccompAllowsExecveat(profile("SCMP_ACT_ALLOW")));
  EXPECT_TRUE(seccompAllowsExecveat(profile("SCMP_ACT_LOG")));
  EXPECT_TRUE(seccompAllowsExecveat(
      profile("SCMP_ACT_ERRNO", {{{"execve", "execveat"}, "SCMP_ACT_ALLOW", {}, {}}})));
  EXPECT_TRUE(
      seccompAllowsExecveat(profile("SCMP_ACT_ALLOW", {{{"mkdir"}, "SCMP_ACT_KILL", {}, {}}})));
}

TEST(ExecGuardSeccompTest, ExecveatDeniedOrOnlyConditionallyAllowed) {
  EXPECT_FALSE(seccompAllowsExecveat(profile("SCMP_ACT_ERRNO")));
  EXPECT_FALSE(seccompAllowsExecveat(
      profile("SCMP_ACT_KILL_PROCESS", {{{"execve"}, "SCMP_ACT_ALLOW", {}, {}}})));
  EXPECT_FALSE(
      seccompAllowsExecveat(profile("SCMP_ACT_ALLOW", {{{"execveat"}, "SCMP_ACT_KILL", {}, {}}})));
  EXPECT_FALSE(seccompAllowsExecveat(
      profile("SCMP_ACT_ALLOW", {{{"execveat"}, "SCMP_ACT_NOTIFY", {}, {}}})));
  // Allowed for some argument values only.
  spec::SeccompArg arg{4, AT_EMPTY_PATH, 0, "SCMP_CMP_NE"};
  EXPECT_FALSE(seccompAllowsExecveat(
      profile("SCMP_ACT_ERRNO", {{{"execveat"}, "SCMP_ACT_ALLOW", {}, {arg}}})));
  // An allowing entry does not outweigh a denying one.
  EXPECT_FALSE(seccompAllowsExecveat(profile(
      "SCMP_ACT_ERRNO",
      {{{"execveat"}, "SCMP_ACT_ALLOW", {}, {}}, {{"execveat"}, "SCMP_ACT_ERRNO", {}, {arg}}})));
}

TEST(ExecGuardTest, InactiveGuardExecsDirectly) {
  ExecGuard guard;
  std::string a0 = "/bin/sh", a1 = "-c", a2 = "readlink /proc/$$/exe";
  char* argv[] = {a0.data(), a1.data(), a2.data(), nullptr};
  char* envp[] = {nullptr};
  ChildResult r = inChild([&] { child::execContainerProgram(guard, argv[0], argv, envp); });
  EXPECT_EQ(r.status, 0) << r.output;
  char real[PATH_MAX];
  ASSERT_NE(::realpath("/bin/sh", real), nullptr);
  EXPECT_EQ(r.output, std::string(real) + "\n");
  r = inChild([&] { child::execContainerProgram(guard, "/nonexistent", argv, envp); });
  EXPECT_EQ(r.status, 127);
  EXPECT_EQ(r.output, "sangja: exec /nonexistent: No such file or directory\n");
}

// prepareExecGuard changes the process (non-dumpable), so it runs in a child.
TEST(ExecGuardTest, PrepareMakesTheRuntimeNonDumpableAndSealsTheTrampoline) {
  ASSERT_TRUE(execGuardEnabled()) << "the library's own switch says yes";
  ChildResult r = inChild([] {
    Result<ExecGuard> guard = prepareExecGuard(nullptr);
    if (!guard.ok()) {
      std::string m = guard.error().message() + "\n";
      (void)!::write(2, m.data(), m.size());
      ::_exit(1);
    }
    bool sealed = ::fcntl(guard->trampoline.get(), F_GET_SEALS) == kTrampolineSeals;
    bool dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0;
    std::string path = guard->procFdPath.c_str();
    bool pathOk = path == "/proc/self/fd/" + std::to_string(guard->trampoline.get());
    std::string m = std::string(guard->active() ? "active" : "inactive") +
                    (sealed ? " sealed" : " unsealed") +
                    (dumpable ? " dumpable" : " non-dumpable") +
                    (pathOk ? " path-ok" : (" path=" + path)) + "\n";
    (void)!::write(1, m.data(), m.size());
    ::_exit(0);
  });
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, std::string("active sealed ") +
                          (::geteuid() == 0 ? "non-dumpable" : "dumpable") + " path-ok\n");
}

TEST(ExecGuardTest, PrepareGoesByPathFirstForAProfileNotAllowingExecveat) {
  ChildResult r = inChild([] {
    spec::Seccomp allowAll = profile("SCMP_ACT_ALLOW");
    spec::Seccomp denyAll = profile("SCMP_ACT_KILL");
    Result<ExecGuard> none = prepareExecGuard(nullptr);
    Result<ExecGuard> allowing = prepareExecGuard(&allowAll);
    Result<ExecGuard> denying = prepareExecGuard(&denyAll);
    if (!none.ok() || !allowing.ok() || !denying.ok()) ::_exit(1);
    std::string m = std::to_string(none->execByPathFirst) +
                    std::to_string(allowing->execByPathFirst) +
                    std::to_string(denying->execByPathFirst);
    (void)!::write(1, m.data(), m.size());
    ::_exit(0);
  });
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "001");
}

}  // namespace
}  // namespace sangja
