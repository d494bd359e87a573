#include "base/child_steps.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/signal_dispositions.h"
#include "base/spawn.h"

namespace sangja {
namespace {

// Child: exits 0 when the reset left SIGUSR1, SIGHUP and SIGRTMIN+3 at
// their default and nothing blocked.
[[noreturn]] void resetAndCheck(void* toReset) {
  if (child::resetSignals(*static_cast<uint64_t*>(toReset)) != 0) ::_exit(2);
  sigset_t mask;
  if (::sigprocmask(SIG_SETMASK, nullptr, &mask) < 0) ::_exit(3);
  for (int sig : {SIGUSR1, SIGHUP, SIGRTMIN + 3}) {
    struct sigaction now {};
    if (::sigaction(sig, nullptr, &now) < 0) ::_exit(3);
    if (now.sa_handler != SIG_DFL) ::_exit(4);
  }
  ::_exit(!sigismember(&mask, SIGUSR2) ? 0 : 1);
}

void onHup(int) {}

TEST(SignalDispositions, ParsesIgnoredAndCaught) {
  std::string_view status =
      "Name:\tsangja\nSigQ:\t0/95083\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
      "SigBlk:\t0000000000010000\nSigIgn:\t0000000000001001\nSigCgt:\t8000000000000002\n";
  EXPECT_EQ(parseSignalsNotAtDefault(status), 0x8000000000001003u);
  // Missing or malformed: every signal is reset.
  EXPECT_EQ(parseSignalsNotAtDefault("Name:\tx\nSigIgn:\t0000000000000001\n"), ~uint64_t{0});
  EXPECT_EQ(parseSignalsNotAtDefault("\nSigIgn:\tzz\nSigCgt:\t0\n"), ~uint64_t{0});
  EXPECT_EQ(parseSignalsNotAtDefault("\nSigIgn:\t00000000000000001\nSigCgt:\t0\n"),
            ~uint64_t{0});  // 17 digits
}

TEST(ChildSteps, ResetSignalsUndoesIgnoredAndBlockedOnes) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction before {};
  ASSERT_EQ(::sigaction(SIGUSR1, &ignore, &before), 0);
  // A caught one and an ignored real-time one (the high half of the mask).
  struct sigaction catchHup {};
  catchHup.sa_handler = onHup;
  struct sigaction hupBefore {
  }, rtBefore{};
  ASSERT_EQ(::sigaction(SIGHUP, &catchHup, &hupBefore), 0);
  ASSERT_EQ(::sigaction(SIGRTMIN + 3, &ignore, &rtBefore), 0);
  sigset_t block, previous;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  ASSERT_EQ(::sigprocmask(SIG_BLOCK, &block, &previous), 0);
  // What the parent reads before a clone: these three must be in it.
  uint64_t mask = signalsNotAtDefault();
  for (int sig : {SIGUSR1, SIGHUP, SIGRTMIN + 3}) {
    EXPECT_NE(mask & (uint64_t{1} << (sig - 1)), 0u) << sig;
  }
  Result<Spawned> s = spawn({}, resetAndCheck, &mask);
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  ::sigaction(SIGUSR1, &before, nullptr);
  ::sigaction(SIGHUP, &hupBefore, nullptr);
  ::sigaction(SIGRTMIN + 3, &rtBefore, nullptr);
  ASSERT_TRUE(s.ok());
  Result<int> status = s->child.wait();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

// Child: takes uid/gid 65534 with one extra group, then exits 0 if that is
// what the kernel shows.
[[noreturn]] void becomeNobody(void*) {
  gid_t groups[] = {65533};
  if (child::setIdentity(65534, 65534, groups, 1) != 0) ::_exit(2);
  uid_t r, e, s;
  gid_t list[4];
  bool ok = ::getresuid(&r, &e, &s) == 0 && r == 65534 && e == 65534 && s == 65534 &&
            ::getgid() == 65534 && ::getgroups(4, list) == 1 && list[0] == 65533;
  ::_exit(ok ? 0 : 1);
}

TEST(ChildSteps, SetIdentityChangesGroupsGidAndUid) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "changing ids needs root (the unit tests run as root in CI)";
  Result<Spawned> s = spawn({}, becomeNobody, nullptr);
  ASSERT_TRUE(s.ok());
  Result<int> status = s->child.wait();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

}  // namespace
}  // namespace sangja
