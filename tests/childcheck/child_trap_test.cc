// The trap itself (child_trap.cc), so that the childcheck run of the
// integration tests can fail: a child of base/spawn that allocates, frees
// or throws dies with kChildTrapStatus; one that only makes syscalls exits
// as it says; the parent allocates freely.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "base/spawn.h"
#include "tests/childcheck/child_trap.h"

namespace sangja {
namespace {

int exitStatusOf(void (*main)(void*)) {
  Result<Spawned> spawned = spawn({}, main, nullptr);
  EXPECT_TRUE(spawned.ok());
  if (!spawned.ok()) return -1;
  Result<int> status = spawned->child.wait();
  EXPECT_TRUE(status.ok());
  if (!status.ok() || !WIFEXITED(*status)) return -1;
  return WEXITSTATUS(*status);
}

void onlySyscalls(void*) {
  char buf[16];
  (void)!::getcwd(buf, sizeof buf);
  ::_exit(7);
}

void mallocs(void*) {
  void* volatile p = std::malloc(16);
  ::_exit(p == nullptr ? 1 : 0);
}

void frees(void* p) {
  std::free(p);
  ::_exit(0);
}

void usesAString(void*) {
  std::string s(64, 'x');  // past the small-string buffer
  ::_exit(s.size() == 64 ? 0 : 1);
}

void throws(void*) {
  try {
    throw std::runtime_error("no");
  } catch (...) {
  }
  ::_exit(0);
}

TEST(ChildTrap, AChildThatOnlyMakesSyscallsIsLeftAlone) {
  EXPECT_EQ(exitStatusOf(onlySyscalls), 7);
}

TEST(ChildTrap, AllocationInAChildIsTrapped) {
  EXPECT_EQ(exitStatusOf(mallocs), kChildTrapStatus);
  EXPECT_EQ(exitStatusOf(usesAString), kChildTrapStatus);
}

TEST(ChildTrap, FreeingTheParentsMemoryInAChildIsTrapped) {
  void* parentMemory = std::malloc(32);
  ASSERT_NE(parentMemory, nullptr);
  Result<Spawned> spawned = spawn({}, frees, parentMemory);
  ASSERT_TRUE(spawned.ok());
  Result<int> status = spawned->child.wait();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), kChildTrapStatus);
  std::free(parentMemory);
}

TEST(ChildTrap, ThrowingInAChildIsTrapped) {
  EXPECT_EQ(exitStatusOf(throws), kChildTrapStatus);
}

TEST(ChildTrap, TheParentAllocatesAndThrowsFreely) {
  std::string s(1000, 'y');
  EXPECT_THROW(throw std::runtime_error("fine"), std::runtime_error);
  EXPECT_EQ(s.size(), 1000u);
}

}  // namespace
}  // namespace sangja
