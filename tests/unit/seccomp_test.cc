// seccomp: name mapping, the rule plan, BPF compilation, and filters
// loaded for real in forked children (no_new_privs makes that unprivileged).
#include "runtime/process/seccomp.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/sync_channel.h"
#include "base/unique_fd.h"
#include "tests/unit/seccomp_fixtures.h"
#include "tests/unit/temp_dir.h"

namespace sangja::seccomp {
namespace {

using testutil::TempDir;

using fixtures::entry;

spec::Seccomp profile(std::string defaultAction, std::vector<spec::Syscall> syscalls = {}) {
  spec::Seccomp p;
  p.defaultAction = std::move(defaultAction);
  p.syscalls = std::move(syscalls);
  return p;
}

std::string planError(const spec::Seccomp& p) {
  Result<RulePlan> r = planRules(p);
  return r.ok() ? "(no error)" : r.error().message();
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// ---- names ----

TEST(SeccompNames, Actions) {
  // Values as the kernel defines its SECCOMP_RET_* (an independent source).
  EXPECT_EQ(actionValue("SCMP_ACT_KILL", EPERM), SECCOMP_RET_KILL_THREAD);
  EXPECT_EQ(actionValue("SCMP_ACT_KILL_THREAD", EPERM), SECCOMP_RET_KILL_THREAD);
  EXPECT_EQ(actionValue("SCMP_ACT_KILL_PROCESS", EPERM), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(actionValue("SCMP_ACT_TRAP", EPERM), SECCOMP_RET_TRAP);
  EXPECT_EQ(actionValue("SCMP_ACT_ERRNO", 38), SECCOMP_RET_ERRNO | 38);
  EXPECT_EQ(actionValue("SCMP_ACT_ERRNO", EPERM), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(actionValue("SCMP_ACT_TRACE", 7), SECCOMP_RET_TRACE | 7);
  EXPECT_EQ(actionValue("SCMP_ACT_ALLOW", EPERM), SECCOMP_RET_ALLOW);
  EXPECT_EQ(actionValue("SCMP_ACT_LOG", EPERM), SECCOMP_RET_LOG);
  EXPECT_EQ(actionValue("SCMP_ACT_NOTIFY", EPERM), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(actionValue("SCMP_ACT_ERRNO(1)", EPERM), std::nullopt);
  EXPECT_EQ(actionValue("scmp_act_allow", EPERM), std::nullopt);
}

TEST(SeccompNames, Operators) {
  EXPECT_EQ(operatorValue("SCMP_CMP_NE"), 1);
  EXPECT_EQ(operatorValue("SCMP_CMP_LT"), 2);
  EXPECT_EQ(operatorValue("SCMP_CMP_LE"), 3);
  EXPECT_EQ(operatorValue("SCMP_CMP_EQ"), 4);
  EXPECT_EQ(operatorValue("SCMP_CMP_GE"), 5);
  EXPECT_EQ(operatorValue("SCMP_CMP_GT"), 6);
  EXPECT_EQ(operatorValue("SCMP_CMP_MASKED_EQ"), 7);
  EXPECT_EQ(operatorValue("=="), std::nullopt);
}

TEST(SeccompNames, Architectures) {
  EXPECT_EQ(archValue("SCMP_ARCH_X86"), AUDIT_ARCH_I386);
  EXPECT_EQ(archValue("SCMP_ARCH_X86_64"), AUDIT_ARCH_X86_64);
  EXPECT_EQ(archValue("SCMP_ARCH_X32"), AUDIT_ARCH_X86_64 & ~__AUDIT_ARCH_64BIT);
  EXPECT_EQ(archValue("SCMP_ARCH_ARM"), AUDIT_ARCH_ARM);
  EXPECT_EQ(archValue("SCMP_ARCH_AARCH64"), AUDIT_ARCH_AARCH64);
  EXPECT_EQ(archValue("SCMP_ARCH_MIPS"), AUDIT_ARCH_MIPS);
  EXPECT_EQ(archValue("SCMP_ARCH_MIPSEL64"), AUDIT_ARCH_MIPSEL64);
  EXPECT_EQ(archValue("SCMP_ARCH_PPC64LE"), AUDIT_ARCH_PPC64LE);
  EXPECT_EQ(archValue("SCMP_ARCH_S390X"), AUDIT_ARCH_S390X);
  EXPECT_EQ(archValue("SCMP_ARCH_PARISC64"), AUDIT_ARCH_PARISC64);
  EXPECT_EQ(archValue("SCMP_ARCH_RISCV64"), AUDIT_ARCH_RISCV64);
  EXPECT_EQ(archValue("SCMP_ARCH_VAX"), std::nullopt);
  // Every arch we name is one libseccomp resolves to the same token.
  for (const std::string& name : features().archs) {
    std::string lower = name.substr(std::string("SCMP_ARCH_").size());
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    EXPECT_EQ(archValue(name), seccomp_arch_resolve_name(lower.c_str())) << name;
  }
}

TEST(SeccompNames, Flags) {
  EXPECT_EQ(flagValue("SECCOMP_FILTER_FLAG_TSYNC"), SECCOMP_FILTER_FLAG_TSYNC);
  EXPECT_EQ(flagValue("SECCOMP_FILTER_FLAG_LOG"), SECCOMP_FILTER_FLAG_LOG);
  EXPECT_EQ(flagValue("SECCOMP_FILTER_FLAG_SPEC_ALLOW"), SECCOMP_FILTER_FLAG_SPEC_ALLOW);
  EXPECT_EQ(flagValue("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"), 1u << 5);
  EXPECT_EQ(flagValue("SECCOMP_FILTER_FLAG_NEW_LISTENER"), std::nullopt);  // ours, not the spec's
}

TEST(SeccompNames, FeaturesListEveryName) {
  Features f = features();
  EXPECT_EQ(f.actions.size(), 9u);
  EXPECT_EQ(f.operators.size(), 7u);
  EXPECT_EQ(f.knownFlags.size(), 4u);
  for (const std::string& a : f.actions) EXPECT_TRUE(actionValue(a, EPERM)) << a;
  for (const std::string& o : f.operators) EXPECT_TRUE(operatorValue(o)) << o;
  for (const std::string& a : f.archs) EXPECT_TRUE(archValue(a)) << a;
  for (const std::string& fl : f.knownFlags) EXPECT_TRUE(flagValue(fl)) << fl;
  EXPECT_TRUE(has(f.archs, "SCMP_ARCH_X86_64"));
  EXPECT_TRUE(has(f.actions, "SCMP_ACT_NOTIFY"));
  for (const std::string& fl : supportedFlags()) EXPECT_TRUE(has(f.knownFlags, fl)) << fl;
}

// ---- the rule plan ----

TEST(SeccompPlan, EachNameIsARule) {
  RulePlan p = *planRules(profile("SCMP_ACT_ALLOW", {entry({"mkdir", "rmdir"}, "SCMP_ACT_ERRNO")}));
  EXPECT_EQ(p.defaultAction, SCMP_ACT_ALLOW);
  ASSERT_EQ(p.rules.size(), 2u);
  EXPECT_EQ(p.rules[0].syscall, "mkdir");
  EXPECT_EQ(p.rules[0].nr, SYS_mkdir);
  EXPECT_EQ(p.rules[0].action, SCMP_ACT_ERRNO(EPERM));  // errnoRet defaults to EPERM
  EXPECT_EQ(p.rules[1].syscall, "rmdir");
  EXPECT_EQ(p.rules[1].nr, SYS_rmdir);
  EXPECT_EQ(p.rules[1].where, "linux.seccomp.syscalls[0]");
}

TEST(SeccompPlan, UnknownSyscallSkipped) {
  RulePlan p = *planRules(
      profile("SCMP_ACT_ALLOW", {entry({"no_such_syscall", "getcwd"}, "SCMP_ACT_ERRNO")}));
  ASSERT_EQ(p.rules.size(), 1u);
  EXPECT_EQ(p.rules[0].syscall, "getcwd");
  EXPECT_EQ(p.unknownSyscalls, std::vector<std::string>{"no_such_syscall"});
}

TEST(SeccompPlan, RuleWithTheDefaultActionSkipped) {
  spec::Seccomp s = profile("SCMP_ACT_ERRNO", {entry({"read"}, "SCMP_ACT_ERRNO"),
                                               entry({"write"}, "SCMP_ACT_ERRNO", {}, 5),
                                               entry({"close"}, "SCMP_ACT_ALLOW")});
  RulePlan p = *planRules(s);
  ASSERT_EQ(p.rules.size(), 2u);  // ERRNO(5) differs from the default ERRNO(EPERM)
  EXPECT_EQ(p.rules[0].syscall, "write");
  EXPECT_EQ(p.rules[0].action, SCMP_ACT_ERRNO(5));
  EXPECT_EQ(p.rules[1].syscall, "close");
}

TEST(SeccompPlan, DefaultErrnoRet) {
  spec::Seccomp s = profile("SCMP_ACT_ERRNO");
  s.defaultErrnoRet = 38;
  EXPECT_EQ(planRules(s)->defaultAction, SCMP_ACT_ERRNO(38));
  s.defaultAction = "SCMP_ACT_TRACE";
  EXPECT_EQ(planRules(s)->defaultAction, SCMP_ACT_TRACE(38));
}

TEST(SeccompPlan, ArgsOnDistinctIndexesAreOneRule) {
  RulePlan p = *planRules(profile("SCMP_ACT_ALLOW", {entry({"socket"}, "SCMP_ACT_ERRNO",
                                                           {{0, AF_INET, 0, "SCMP_CMP_EQ"},
                                                            {1, 0xf, 2, "SCMP_CMP_MASKED_EQ"}})}));
  ASSERT_EQ(p.rules.size(), 1u);
  EXPECT_EQ(p.rules[0].conditions, (std::vector<Condition>{{0, SCMP_CMP_EQ, AF_INET, 0},
                                                           {1, SCMP_CMP_MASKED_EQ, 0xf, 2}}));
}

TEST(SeccompPlan, ArgsSharingAnIndexAreARuleEach) {
  RulePlan p = *planRules(profile("SCMP_ACT_ALLOW", {entry({"socket"}, "SCMP_ACT_ERRNO",
                                                           {{0, AF_INET, 0, "SCMP_CMP_EQ"},
                                                            {0, AF_INET6, 0, "SCMP_CMP_EQ"},
                                                            {2, 0, 0, "SCMP_CMP_GE"}})}));
  ASSERT_EQ(p.rules.size(), 3u);
  EXPECT_EQ(p.rules[0].conditions, (std::vector<Condition>{{0, SCMP_CMP_EQ, AF_INET, 0}}));
  EXPECT_EQ(p.rules[1].conditions, (std::vector<Condition>{{0, SCMP_CMP_EQ, AF_INET6, 0}}));
  EXPECT_EQ(p.rules[2].conditions, (std::vector<Condition>{{2, SCMP_CMP_GE, 0, 0}}));
}

TEST(SeccompPlan, ArchesAndFlags) {
  spec::Seccomp s = profile("SCMP_ACT_ALLOW");
  s.architectures = {"SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  RulePlan p = *planRules(s);
  EXPECT_EQ(p.arches, (std::vector<uint32_t>{SCMP_ARCH_X86, SCMP_ARCH_X32}));
  EXPECT_EQ(p.flags, unsigned{SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW});
}

TEST(SeccompPlan, ErrorsNameTheJsonPath) {
  spec::Seccomp s = profile(
      "SCMP_ACT_ALLOW",
      {entry({"read"}, "SCMP_ACT_ERRNO"), entry({"write"}, "SCMP_ACT_LOG"), entry({"close"}, "X")});
  EXPECT_EQ(planError(s), "linux.seccomp.syscalls[2].action: unknown action \"X\"");
  EXPECT_EQ(planError(profile("SCMP_ACT_NOPE")),
            "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  EXPECT_EQ(planError(profile("SCMP_ACT_ALLOW",
                              {entry({"read"}, "SCMP_ACT_ERRNO",
                                     {{0, 1, 0, "SCMP_CMP_EQ"}, {1, 1, 0, "SCMP_CMP_ALMOST"}})})),
            "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_ALMOST\"");
  EXPECT_EQ(planError(profile("SCMP_ACT_ALLOW",
                              {entry({"read"}, "SCMP_ACT_ERRNO", {{6, 1, 0, "SCMP_CMP_EQ"}})})),
            "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (a syscall has arguments 0 "
            "to 5)");
  EXPECT_EQ(planError(profile("SCMP_ACT_ALLOW", {entry({"read"}, "SCMP_ACT_ALLOW", {}, 1)})),
            "linux.seccomp.syscalls[0].errnoRet: only allowed with SCMP_ACT_ERRNO or "
            "SCMP_ACT_TRACE, not SCMP_ACT_ALLOW");
  EXPECT_EQ(planError(profile("SCMP_ACT_ALLOW", {entry({"read"}, "SCMP_ACT_ERRNO", {}, 70000)})),
            "linux.seccomp.syscalls[0].errnoRet: 70000 is above the largest errno 4095");

  spec::Seccomp a = profile("SCMP_ACT_ALLOW");
  a.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_PDP11"};
  EXPECT_EQ(planError(a),
            "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_PDP11\"");
  spec::Seccomp f = profile("SCMP_ACT_ALLOW");
  f.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"};
  EXPECT_EQ(planError(f), "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
}

TEST(SeccompPlan, ArchesNewerThanThisLibseccomp) {
#ifdef SCMP_ARCH_SH
  GTEST_SKIP() << "this libseccomp knows SCMP_ARCH_SH";
#else
  spec::Seccomp s = profile("SCMP_ACT_ALLOW");
  s.architectures = {"SCMP_ARCH_SH"};
  Result<RulePlan> r = planRules(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOTSUP);
  EXPECT_EQ(r.error().message().rfind(
                "linux.seccomp.architectures[0]: SCMP_ARCH_SH is not supported by libseccomp ", 0),
            0u)
      << r.error().message();
#endif
}

TEST(SeccompPlan, NotifyNeedsAnAbsoluteListenerPath) {
  spec::Seccomp s = profile("SCMP_ACT_ALLOW", {entry({"mkdir"}, "SCMP_ACT_NOTIFY")});
  EXPECT_EQ(planError(s), "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
  s.listenerPath = "agent.sock";
  EXPECT_EQ(planError(s),
            "linux.seccomp.listenerPath: must be an absolute path, got \"agent.sock\"");
  s.listenerPath = "/" + std::string(120, 'a');
  EXPECT_EQ(planError(s),
            "linux.seccomp.listenerPath: longer than a unix socket path may be (107 bytes)");
  s.listenerPath = "/run/agent.sock";
  s.listenerMetadata = "meta";
  RulePlan p = *planRules(s);
  EXPECT_TRUE(p.notify);
  EXPECT_EQ(p.listenerPath, "/run/agent.sock");
  EXPECT_EQ(p.listenerMetadata, "meta");
  // Without a NOTIFY rule the listener is ignored (runtime-spec).
  spec::Seccomp quiet = profile("SCMP_ACT_ALLOW", {entry({"mkdir"}, "SCMP_ACT_ERRNO")});
  quiet.listenerPath = "relative";
  EXPECT_FALSE(planRules(quiet)->notify);
}

TEST(SeccompPlan, NotifyWhereTheInitCouldNotHandTheFdOver) {
  spec::Seccomp s = profile("SCMP_ACT_NOTIFY");
  s.listenerPath = "/run/agent.sock";
  EXPECT_EQ(planError(s),
            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action: the "
            "container init could not hand the listener fd to the runtime");
  s.defaultAction = "SCMP_ACT_ALLOW";
  s.syscalls = {entry({"mkdir", "sendmsg"}, "SCMP_ACT_NOTIFY")};
  EXPECT_EQ(planError(s),
            "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for sendmsg: the container "
            "init hands the listener fd over with it");
}

// ---- where the init loads ----

TEST(SeccompLoadPoint, Choice) {
  // Without no_new_privs and without CAP_SYS_ADMIN afterwards: before the drop.
  EXPECT_EQ(chooseLoadPoint(false, false, false), LoadPoint::kBeforeIdentity);
  EXPECT_EQ(chooseLoadPoint(true, false, false), LoadPoint::kBeforeIdentity);
  // Otherwise as late as possible: before exec, or before ready for a listener.
  EXPECT_EQ(chooseLoadPoint(false, true, false), LoadPoint::kBeforeExec);
  EXPECT_EQ(chooseLoadPoint(false, false, true), LoadPoint::kBeforeExec);
  EXPECT_EQ(chooseLoadPoint(true, true, false), LoadPoint::kBeforeReady);
  EXPECT_EQ(chooseLoadPoint(true, false, true), LoadPoint::kBeforeReady);
}

TEST(SeccompLoadPoint, FromTheProcess) {
  spec::Seccomp s = profile("SCMP_ACT_ALLOW", {entry({"mkdir"}, "SCMP_ACT_ERRNO")});
  ProcessPlan proc;
  proc.uid = 0;  // root, capabilities left alone: keeps CAP_SYS_ADMIN
  EXPECT_EQ(planProgram(s, proc)->when, LoadPoint::kBeforeExec);
  proc.uid = 1000;  // the uid change drops every capability
  EXPECT_EQ(planProgram(s, proc)->when, LoadPoint::kBeforeIdentity);
  proc.noNewPrivileges = true;
  EXPECT_EQ(planProgram(s, proc)->when, LoadPoint::kBeforeExec);
  proc.noNewPrivileges = false;
  proc.caps = CapabilitySets{};
  proc.caps->effective = uint64_t{1} << 21;  // CAP_SYS_ADMIN
  EXPECT_EQ(planProgram(s, proc)->when, LoadPoint::kBeforeExec);
  proc.caps->effective = uint64_t{1} << 0;  // CAP_CHOWN only
  EXPECT_EQ(planProgram(s, proc)->when, LoadPoint::kBeforeIdentity);
}

TEST(SeccompLoadPoint, ListenerFlags) {
  ProcessPlan proc;
  proc.noNewPrivileges = true;
  spec::Seccomp s = profile("SCMP_ACT_ALLOW", {entry({"mkdir"}, "SCMP_ACT_ERRNO")});
  s.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  Result<Program> plain = planProgram(s, proc);
  if (!plain.ok() && plain.error().code() == ENOTSUP) GTEST_SKIP() << plain.error().message();
  ASSERT_TRUE(plain.ok()) << plain.error().message();
  EXPECT_EQ(plain->flags, 0u);  // meaningless (and refused) without a listener
  EXPECT_FALSE(plain->listener);
  s.syscalls.push_back(entry({"rmdir"}, "SCMP_ACT_NOTIFY"));
  s.listenerPath = "/run/agent.sock";
  Program notify = *planProgram(s, proc);
  EXPECT_EQ(notify.flags, SECCOMP_FILTER_FLAG_NEW_LISTENER | (1u << 5));
  EXPECT_TRUE(notify.listener);
  EXPECT_EQ(notify.when, LoadPoint::kBeforeReady);
}

// ---- compiled and loaded ----

TEST(SeccompCompile, SmallProfileToBpf) {
  RulePlan p = *planRules(profile("SCMP_ACT_ALLOW", {entry({"mkdir"}, "SCMP_ACT_ERRNO")}));
  std::vector<sock_filter> one = *compileFilter(p);
  EXPECT_GT(one.size(), 3u);
  RulePlan more = *planRules(
      profile("SCMP_ACT_ALLOW", {entry({"mkdir", "rmdir", "unlink"}, "SCMP_ACT_ERRNO", {}, 38)}));
  more.arches = {SCMP_ARCH_X86};
  std::vector<sock_filter> bigger = *compileFilter(more);
  EXPECT_GT(bigger.size(), one.size());
}

// Forks a child that sets no_new_privs, loads program and exits with
// body()'s result. Returns the wait status. channelFd: the child's end of
// the sync channel (-1: a throwaway one).
int runFiltered(const Program& program, const std::function<int()>& body, int channelFd = -1) {
  int pair[2] = {-1, -1};
  if (channelFd < 0) {
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) return -1;
    channelFd = pair[1];
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ChildChannel ch(channelFd);
    rlimit noCore{0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);  // SIGSYS would dump core
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ::_exit(200);
    child::loadFilter(program, program.when, ch);
    // exit_group itself, not _exit: ASan's _exit runs syscalls of its own
    // first, which a deny-by-default filter fails.
    ::syscall(SYS_exit_group, body());
  }
  if (pair[0] >= 0) {
    ::close(pair[0]);
    ::close(pair[1]);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

Program compiled(const spec::Seccomp& s) {
  ProcessPlan proc;
  proc.noNewPrivileges = true;
  Result<Program> p = planProgram(s, proc);
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? std::move(p).value() : Program{};
}

// errno of a failed syscall, 0 on success (as an exit code).
int errnoOf(long r) {
  return r < 0 ? errno : 0;
}

TEST(SeccompLoaded, DeniedSyscallReturnsTheErrno) {
  TempDir tmp;
  std::string dir = tmp.sub("made");
  Program p =
      compiled(profile("SCMP_ACT_ALLOW", {entry({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", {}, 38)}));
  int status = runFiltered(p, [&] { return errnoOf(::mkdir(dir.c_str(), 0700)); });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), ENOSYS);
  struct stat st;
  EXPECT_NE(::stat(dir.c_str(), &st), 0);
  // Other syscalls still work.
  status = runFiltered(p, [&] { return errnoOf(::rmdir(tmp.sub("nothing").c_str())); });
  EXPECT_EQ(WEXITSTATUS(status), ENOENT);
}

TEST(SeccompLoaded, DefaultErrnoRetWithAnAllowList) {
  spec::Seccomp s =
      profile("SCMP_ACT_ERRNO", {entry({"exit", "exit_group", "getpid"}, "SCMP_ACT_ALLOW")});
  s.defaultErrnoRet = 99;
  Program p = compiled(s);
  int status = runFiltered(p, [] {
    if (::syscall(SYS_getpid) <= 0) return 1;
    return errnoOf(::syscall(SYS_getppid));
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 99);
}

// Numbers beyond the newest syscall the profile names look missing
// (ENOSYS) so libc can fall back; the ones below still get the default.
TEST(SeccompLoaded, SyscallsNewerThanTheProfileGetEnosys) {
  spec::Seccomp s =
      profile("SCMP_ACT_ERRNO", {entry({"exit", "exit_group", "getpid"}, "SCMP_ACT_ALLOW")});
  s.defaultErrnoRet = 99;
  Program p = compiled(s);
  auto errnoOfSyscall = [&](long nr) {
    int status = runFiltered(p, [nr] { return errnoOf(::syscall(nr, 0, 0, 0)); });
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(errnoOfSyscall(SYS_getppid), 99);             // below exit_group (231)
  EXPECT_EQ(errnoOfSyscall(SYS_exit_group + 1), ENOSYS);  // newer than any named
  EXPECT_EQ(errnoOfSyscall(1000), ENOSYS);                // no such syscall at all
}

TEST(SeccompPlan, EnosysOnlyWhenTheDefaultDenies) {
  RulePlan allow = *planRules(profile("SCMP_ACT_ALLOW", {entry({"mkdir"}, "SCMP_ACT_ERRNO")}));
  EXPECT_TRUE(allow.enosysAbove.empty());
  EXPECT_TRUE(enosysPrelude(allow.enosysAbove).empty());
  spec::Seccomp s = profile("SCMP_ACT_ERRNO", {entry({"read", "write"}, "SCMP_ACT_ALLOW")});
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  RulePlan deny = *planRules(s);
  // The native arch and i386 (x32 shares x86-64's arch in seccomp_data).
  ASSERT_EQ(deny.enosysAbove.size(), 2u);
  EXPECT_EQ(deny.enosysAbove[0], (NewerThanProfile{SCMP_ARCH_X86_64, SYS_write}));
  EXPECT_EQ(deny.enosysAbove[1].arch, SCMP_ARCH_X86);
  EXPECT_EQ(deny.enosysAbove[1].highest, 4);  // i386's write
  std::vector<sock_filter> prelude = enosysPrelude(deny.enosysAbove);
  ASSERT_EQ(prelude.size(), 5u + 4u + 2u);
  EXPECT_EQ(prelude.back().code, BPF_RET | BPF_K);
  EXPECT_EQ(prelude.back().k, SECCOMP_RET_ERRNO | ENOSYS);
}

TEST(SeccompLoaded, KillActionsKillWithSigsys) {
  for (const char* action : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP"}) {
    Program p = compiled(profile("SCMP_ACT_ALLOW", {entry({"getppid"}, action)}));
    int status =
        runFiltered(p, [] { return static_cast<int>(::syscall(SYS_getppid) > 0 ? 0 : 1); });
    ASSERT_TRUE(WIFSIGNALED(status)) << action << " status " << status;
    EXPECT_EQ(WTERMSIG(status), SIGSYS) << action;
  }
}

TEST(SeccompLoaded, LogAllowsAndTraceWithoutTracerIsEnosys) {
  Program log = compiled(profile("SCMP_ACT_ALLOW", {entry({"getppid"}, "SCMP_ACT_LOG")}));
  EXPECT_EQ(runFiltered(log, [] { return errnoOf(::syscall(SYS_getppid)); }), 0);
  Program trace =
      compiled(profile("SCMP_ACT_ALLOW", {entry({"getppid"}, "SCMP_ACT_TRACE", {}, 3)}));
  int status = runFiltered(trace, [] { return errnoOf(::syscall(SYS_getppid)); });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), ENOSYS);
}

int socketErrno(int domain, int type) {
  int fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

TEST(SeccompLoaded, ArgumentConditions) {
  // AF_INET and AF_INET6 share index 0: one rule each, so either is denied.
  Program family = compiled(profile(
      "SCMP_ACT_ALLOW",
      {entry({"socket"}, "SCMP_ACT_ERRNO",
             {{0, AF_INET, 0, "SCMP_CMP_EQ"}, {0, AF_INET6, 0, "SCMP_CMP_EQ"}}, EAFNOSUPPORT)}));
  auto exitOf = [](int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -status; };
  EXPECT_EQ(exitOf(runFiltered(family, [] { return socketErrno(AF_INET, SOCK_DGRAM); })),
            EAFNOSUPPORT);
  EXPECT_EQ(exitOf(runFiltered(family, [] { return socketErrno(AF_INET6, SOCK_DGRAM); })),
            EAFNOSUPPORT);
  EXPECT_EQ(exitOf(runFiltered(family, [] { return socketErrno(AF_UNIX, SOCK_DGRAM); })), 0);

  // Distinct indexes AND: AF_UNIX datagrams only (type masked: SOCK_CLOEXEC is set).
  Program both = compiled(
      profile("SCMP_ACT_ALLOW",
              {entry({"socket"}, "SCMP_ACT_ERRNO",
                     {{0, AF_UNIX, 0, "SCMP_CMP_EQ"}, {1, 0xf, SOCK_DGRAM, "SCMP_CMP_MASKED_EQ"}},
                     EPROTO)}));
  EXPECT_EQ(exitOf(runFiltered(both, [] { return socketErrno(AF_UNIX, SOCK_DGRAM); })), EPROTO);
  EXPECT_EQ(exitOf(runFiltered(both, [] { return socketErrno(AF_UNIX, SOCK_STREAM); })), 0);

  // Ordering operators on the first argument of getpriority-like calls:
  // umask(mask) with mask > 0777 denied, others allowed.
  Program gt = compiled(profile(
      "SCMP_ACT_ALLOW", {entry({"umask"}, "SCMP_ACT_ERRNO", {{0, 0777, 0, "SCMP_CMP_GT"}}, EDOM)}));
  EXPECT_EQ(exitOf(runFiltered(gt, [] { return errnoOf(::syscall(SYS_umask, 01000)); })), EDOM);
  EXPECT_EQ(exitOf(runFiltered(gt, [] { return errnoOf(::syscall(SYS_umask, 022)); })), 0);
  Program ne = compiled(profile(
      "SCMP_ACT_ALLOW", {entry({"umask"}, "SCMP_ACT_ERRNO", {{0, 022, 0, "SCMP_CMP_NE"}}, EDOM)}));
  EXPECT_EQ(exitOf(runFiltered(ne, [] { return errnoOf(::syscall(SYS_umask, 077)); })), EDOM);
  EXPECT_EQ(exitOf(runFiltered(ne, [] { return errnoOf(::syscall(SYS_umask, 022)); })), 0);

  // Each ordering operator against 020, probed with 017, 020 and 021.
  struct Case {
    const char* op;
    bool denies[3];
  };
  for (const Case& c :
       {Case{"SCMP_CMP_LT", {true, false, false}}, Case{"SCMP_CMP_LE", {true, true, false}},
        Case{"SCMP_CMP_GE", {false, true, true}}, Case{"SCMP_CMP_GT", {false, false, true}},
        Case{"SCMP_CMP_EQ", {false, true, false}}}) {
    Program p = compiled(
        profile("SCMP_ACT_ALLOW", {entry({"umask"}, "SCMP_ACT_ERRNO", {{0, 020, 0, c.op}}, EDOM)}));
    const long probes[3] = {017, 020, 021};
    for (int i = 0; i < 3; ++i) {
      long mask = probes[i];
      int got = exitOf(runFiltered(p, [mask] { return errnoOf(::syscall(SYS_umask, mask)); }));
      EXPECT_EQ(got, c.denies[i] ? EDOM : 0) << c.op << " umask(0" << std::oct << mask << ")";
    }
  }
}

TEST(SeccompLoaded, NotifyFdReachesTheRuntimeAndAnswers) {
  spec::Seccomp s = profile("SCMP_ACT_ALLOW", {entry({"getppid"}, "SCMP_ACT_NOTIFY")});
  s.listenerPath = "/run/unused.sock";
  Program p = compiled(s);
  ASSERT_TRUE(p.listener);
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd parentEnd(pair[0]), childEnd(pair[1]);

  pid_t pid = ::fork();
  if (pid == 0) {
    ChildChannel ch(childEnd.get());
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ::_exit(200);
    child::loadFilter(p, p.when, ch);
    long first = ::syscall(SYS_getppid);  // answered: a fake success
    int firstErr = errnoOf(::syscall(SYS_getppid));
    ::_exit(first == 4242 && firstErr == EXDEV ? 0 : 1);
  }
  childEnd.reset();
  UniqueFd notifyFd;
  Result<SyncMessage> msg = receiveSync(parentEnd.get(), &notifyFd);
  ASSERT_TRUE(msg.ok()) << msg.error().message();
  EXPECT_EQ(msg->type, SyncType::kSeccompFd);
  ASSERT_TRUE(notifyFd.valid());
  EXPECT_TRUE(::fcntl(notifyFd.get(), F_GETFD) & FD_CLOEXEC);

  for (int i = 0; i < 2; ++i) {
    seccomp_notif req{};
    ASSERT_EQ(::ioctl(notifyFd.get(), SECCOMP_IOCTL_NOTIF_RECV, &req), 0) << strerror(errno);
    EXPECT_EQ(req.pid, static_cast<uint32_t>(pid));
    EXPECT_EQ(req.data.nr, SYS_getppid);
    seccomp_notif_resp resp{};
    resp.id = req.id;
    if (i == 0) {
      resp.val = 4242;
    } else {
      resp.error = -EXDEV;
    }
    ASSERT_EQ(::ioctl(notifyFd.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp), 0) << strerror(errno);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompLoaded, EveryFlagWithAListener) {
  spec::Seccomp s = profile("SCMP_ACT_ALLOW", {entry({"getppid"}, "SCMP_ACT_NOTIFY"),
                                               entry({"mkdir"}, "SCMP_ACT_ERRNO", {}, 38)});
  s.listenerPath = "/run/unused.sock";
  s.flags = features().knownFlags;
  for (const std::string& f : s.flags) {
    if (!has(supportedFlags(), f)) GTEST_SKIP() << f << " is not supported by this kernel";
  }
  Program p = compiled(s);
  // TSYNC with a listener needs TSYNC_ESRCH, or the kernel refuses the load.
  EXPECT_EQ(p.flags, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG |
                         SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_NEW_LISTENER |
                         (1u << 4) | (1u << 5));
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd parentEnd(pair[0]), childEnd(pair[1]);
  int status = runFiltered(
      p, [&] { return errnoOf(::mkdir("/nonexistent-dir/x", 0700)); }, childEnd.get());
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), ENOSYS);  // loaded: mkdir got the rule's errno
  UniqueFd notifyFd;
  Result<SyncMessage> msg = receiveSync(parentEnd.get(), &notifyFd);
  ASSERT_TRUE(msg.ok()) << msg.error().message();
  EXPECT_EQ(msg->type, SyncType::kSeccompFd);
  EXPECT_TRUE(notifyFd.valid());
}

// ---- the listener ----

TEST(SeccompListener, ContainerProcessStateShape) {
  spec::State st;
  st.id = "c1";
  st.status = spec::Status::kCreating;
  st.pid = 4422;
  st.bundle = "/b";
  st.annotations = {{"k", "v"}};
  nlohmann::json j = nlohmann::json::parse(containerProcessState(st, "MKNOD=/dev/null"));
  EXPECT_EQ(j["ociVersion"], st.ociVersion);
  EXPECT_EQ(j["fds"], nlohmann::json::array({"seccompFd"}));
  EXPECT_EQ(j["pid"], 4422);
  EXPECT_EQ(j["metadata"], "MKNOD=/dev/null");
  EXPECT_EQ(j["state"]["id"], "c1");
  EXPECT_EQ(j["state"]["status"], "creating");
  EXPECT_EQ(j["state"]["pid"], 4422);
  EXPECT_EQ(j["state"]["bundle"], "/b");
  EXPECT_EQ(j["state"]["annotations"]["k"], "v");
  EXPECT_FALSE(nlohmann::json::parse(containerProcessState(st, "")).contains("metadata"));
}

TEST(SeccompListener, SendsTheFdAndTheState) {
  TempDir tmp;
  std::string path = tmp.sub("agent.sock");
  UniqueFd server(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(::bind(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(server.get(), 1), 0);

  int pipeFds[2];
  ASSERT_EQ(::pipe2(pipeFds, O_CLOEXEC), 0);
  UniqueFd readEnd(pipeFds[0]), writeEnd(pipeFds[1]);
  Program program;
  program.listenerPath = path;
  program.listenerMetadata = "meta";
  spec::State st;
  st.id = "c2";
  st.status = spec::Status::kCreating;
  st.pid = 77;
  Status sent = sendToListener(program, st, readEnd.get());
  ASSERT_TRUE(sent.ok()) << sent.error().message();

  UniqueFd conn(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn.valid());
  char buf[4096];
  iovec iov{buf, sizeof buf};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t n = ::recvmsg(conn.get(), &mh, MSG_CMSG_CLOEXEC);
  ASSERT_GT(n, 0);
  cmsghdr* cm = CMSG_FIRSTHDR(&mh);
  ASSERT_NE(cm, nullptr);
  ASSERT_EQ(cm->cmsg_type, SCM_RIGHTS);
  int got;
  std::memcpy(&got, CMSG_DATA(cm), sizeof got);
  UniqueFd gotFd(got);
  struct stat a, b;
  ASSERT_EQ(::fstat(gotFd.get(), &a), 0);
  ASSERT_EQ(::fstat(readEnd.get(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);  // the same pipe
  std::string payload(buf, static_cast<size_t>(n));
  char more[4096];
  ssize_t m;
  while ((m = ::read(conn.get(), more, sizeof more)) > 0)
    payload.append(more, static_cast<size_t>(m));
  EXPECT_EQ(m, 0);  // the runtime closed the connection
  nlohmann::json j = nlohmann::json::parse(payload);
  EXPECT_EQ(j["pid"], 77);
  EXPECT_EQ(j["metadata"], "meta");
  EXPECT_EQ(j["state"]["id"], "c2");
}

TEST(SeccompListener, NoListenerIsAnError) {
  TempDir tmp;
  Program program;
  program.listenerPath = tmp.sub("nobody.sock");
  Status sent = sendToListener(program, spec::State{}, 0);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code(), ENOENT);
  EXPECT_NE(sent.error().message().find("seccomp listener " + program.listenerPath),
            std::string::npos)
      << sent.error().message();
}

}  // namespace
}  // namespace sangja::seccomp
