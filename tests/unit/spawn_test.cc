#include "base/spawn.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sangja {
namespace {

[[noreturn]] void exitWith(void* code) {
  ::_exit(*static_cast<int*>(code));
}

void returns(void*) {}

[[noreturn]] void sleepForever(void*) {
  for (;;) ::pause();
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

TEST(Spawn, TheChildRunsMainAndItsStatusComesBack) {
  int code = 7;
  Result<Spawned> s = spawn({}, exitWith, &code);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_GT(s->pid, 0);
  EXPECT_EQ(s->child.pid(), s->pid);
  EXPECT_GE(s->child.pidfd(), 0) << "clone3 hands back a pidfd (Linux >= 5.3)";
  Result<int> status = s->child.wait();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 7);
  EXPECT_EQ(s->child.pid(), -1) << "waited for: no longer ours";
}

TEST(Spawn, AMainThatReturnsExits127) {
  Result<Spawned> s = spawn({}, returns, nullptr);
  ASSERT_TRUE(s.ok());
  Result<int> status = s->child.wait();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(WEXITSTATUS(*status), 127);
}

TEST(Spawn, TheOwnerKillsAndReapsWhatItWasNotToldToRelease) {
  pid_t pid;
  {
    Result<Spawned> s = spawn({}, sleepForever, nullptr);
    ASSERT_TRUE(s.ok());
    pid = s->pid;
    ASSERT_TRUE(alive(pid));
  }
  EXPECT_FALSE(alive(pid)) << "killed and reaped (a zombie would still answer kill 0)";
}

TEST(Spawn, AReleasedChildOutlivesItsOwner) {
  pid_t pid;
  {
    Result<Spawned> s = spawn({}, sleepForever, nullptr);
    ASSERT_TRUE(s.ok());
    pid = s->child.release();
  }
  EXPECT_TRUE(alive(pid));
  ::kill(pid, SIGKILL);
  int status;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
}

TEST(Spawn, MovingTheOwnerMovesTheDuty) {
  Result<Spawned> s = spawn({}, sleepForever, nullptr);
  ASSERT_TRUE(s.ok());
  pid_t pid = s->pid;
  ChildProcess moved = std::move(s->child);
  EXPECT_EQ(s->child.pid(), -1);
  EXPECT_EQ(moved.pid(), pid);
  moved.killAndReap();
  EXPECT_FALSE(alive(pid));
}

}  // namespace
}  // namespace sangja
