#include "runtime/lifecycle/state_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/temp_dir.h"

namespace sangja {
namespace {

using testutil::TempDir;

std::string idError(std::string_view id) {
  Status st = validateContainerId(id);
  EXPECT_FALSE(st.ok()) << id;
  return st.ok() ? std::string() : st.error().message();
}

TEST(ContainerId, AcceptsTheAllowedCharacters) {
  EXPECT_TRUE(validateContainerId("abc-XYZ_019+.x").ok());
  EXPECT_TRUE(validateContainerId("a").ok());
  EXPECT_TRUE(validateContainerId("...").ok());
  EXPECT_TRUE(validateContainerId(".hidden").ok());
}

TEST(ContainerId, AcceptsExactly255Characters) {
  EXPECT_TRUE(validateContainerId(std::string(255, 'a')).ok());
}

TEST(ContainerId, RejectsLongerThan255) {
  EXPECT_EQ(idError(std::string(256, 'a')),
            "invalid container id: longer than 255 characters (a file name's limit)");
}

TEST(ContainerId, RejectsEmpty) {
  EXPECT_EQ(idError(""), "invalid container id: must not be empty");
}

TEST(ContainerId, RejectsDot) {
  EXPECT_EQ(idError("."), "invalid container id \".\"");
}

TEST(ContainerId, RejectsDotDot) {
  EXPECT_EQ(idError(".."), "invalid container id \"..\"");
}

TEST(ContainerId, RejectsSlash) {
  EXPECT_EQ(idError("a/b"),
            "invalid container id \"a/b\": only letters, digits and _+-. are allowed");
}

TEST(ContainerId, RejectsSpaceAndNul) {
  EXPECT_EQ(idError("a b"),
            "invalid container id \"a b\": only letters, digits and _+-. are allowed");
  EXPECT_EQ(idError(std::string_view("a\0b", 3)),
            std::string("invalid container id \"a") + '\0' +
                "b\": only letters, digits and _+-. are allowed");
}

TEST(ContainerId, ErrorCodeIsEinval) {
  Status st = validateContainerId("a:b");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), EINVAL);
}

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.sub("run/sangja");
    auto s = StateStore::open(root_);
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_.emplace(std::move(*s));
  }
  const StateStore& store() const { return *store_; }

  TempDir tmp_;
  std::string root_;
  std::optional<StateStore> store_;
};

TEST_F(StateStoreTest, OpenMakesTheRootWithMode0700) {
  struct stat st;
  ASSERT_EQ(::stat(root_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(store().root(), root_);
}

TEST_F(StateStoreTest, OpenOfAnExistingRootSucceeds) {
  auto again = StateStore::open(root_);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->root(), root_);
}

TEST_F(StateStoreTest, OpenOverAFileFails) {
  std::string file = tmp_.write("file", "x");
  auto s = StateStore::open(file);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "open " + file + ": Not a directory");
}

TEST_F(StateStoreTest, CreateMakesALockedDirectory) {
  auto dir = store().create("c1");
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  EXPECT_EQ(dir->id(), "c1");
  EXPECT_EQ(dir->path(), root_ + "/c1");
  EXPECT_GE(dir->fd(), 0);
  struct stat st;
  ASSERT_EQ(::stat(dir->path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_FALSE(dir->hasExecFifo());
}

TEST_F(StateStoreTest, CreateRejectsAnInvalidId) {
  auto dir = store().create("../escape");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message(),
            "invalid container id \"../escape\": only letters, digits and _+-. are allowed");
  EXPECT_FALSE(tmp_.exists("run/escape"));
}

TEST_F(StateStoreTest, CreateOfADuplicateIdFails) {
  {
    auto first = store().create("dup");
    ASSERT_TRUE(first.ok()) << first.error().message();
  }
  auto second = store().create("dup");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message(), "container with id \"dup\" already exists");
  EXPECT_EQ(second.error().code(), EEXIST);
}

TEST_F(StateStoreTest, WriteAndReadState) {
  {
    auto dir = store().create("c1");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    Status st = dir->writeState(R"({"id":"c1"})");
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  struct stat st;
  ASSERT_EQ(::stat((root_ + "/c1/state.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_FALSE(tmp_.exists("run/sangja/c1/.state.json.tmp"));

  auto dir = store().lookup("c1");
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  auto text = dir->readState();
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(*text, R"({"id":"c1"})");
}

TEST_F(StateStoreTest, WriteStateReplacesTheOldContent) {
  auto dir = store().create("c1");
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  ASSERT_TRUE(dir->writeState("a much longer first version").ok());
  ASSERT_TRUE(dir->writeState("v2").ok());
  auto text = dir->readState();
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(*text, "v2");
}

TEST_F(StateStoreTest, ReadStateWithoutAStateFileNamesTheContainer) {
  auto dir = store().create("c1");
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  auto text = dir->readState();
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().message(),
            "container \"c1\": state: open state.json: No such file or directory");
  EXPECT_EQ(text.error().code(), ENOENT);
}

TEST_F(StateStoreTest, HasExecFifo) {
  auto dir = store().create("c1");
  ASSERT_TRUE(dir.ok()) << dir.error().message();
  ASSERT_EQ(::mkfifo((dir->path() + "/exec.fifo").c_str(), 0600), 0);
  EXPECT_TRUE(dir->hasExecFifo());
}

TEST_F(StateStoreTest, LookupOfAMissingIdDoesNotExist) {
  auto dir = store().lookup("nope");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message(), "container \"nope\" does not exist");
  EXPECT_EQ(dir.error().code(), ENOENT);
}

TEST_F(StateStoreTest, LookupRejectsAnInvalidId) {
  auto dir = store().lookup("..");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message(), "invalid container id \"..\"");
}

TEST_F(StateStoreTest, LookupOfAnUnfinishedCreateDoesNotExist) {
  {
    auto dir = store().create("half");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
  }
  auto dir = store().lookup("half");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().message(), "container \"half\" does not exist");
}

TEST_F(StateStoreTest, ListIsSortedAndSkipsNonContainers) {
  for (const char* id : {"b", "a", "c10", "c9", "A"}) {
    auto dir = store().create(id);
    ASSERT_TRUE(dir.ok()) << dir.error().message();
  }
  tmp_.write("run/sangja/plainfile", "x");
  tmp_.mkdirs("run/sangja/bad name");
  auto ids = store().list();
  ASSERT_TRUE(ids.ok()) << ids.error().message();
  EXPECT_EQ(*ids, (std::vector<std::string>{"A", "a", "b", "c10", "c9"}));
}

TEST_F(StateStoreTest, ListOfAnEmptyRoot) {
  auto ids = store().list();
  ASSERT_TRUE(ids.ok()) << ids.error().message();
  EXPECT_TRUE(ids->empty());
}

TEST_F(StateStoreTest, RemoveDeletesTheDirectoryAndItsFiles) {
  {
    auto dir = store().create("gone");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    ASSERT_TRUE(dir->writeState("{}").ok());
    ASSERT_EQ(::mkfifo((dir->path() + "/exec.fifo").c_str(), 0600), 0);
  }
  {
    auto dir = store().lookup("gone");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    Status st = dir->remove();
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  EXPECT_FALSE(tmp_.exists("run/sangja/gone"));
  auto ids = store().list();
  ASSERT_TRUE(ids.ok()) << ids.error().message();
  EXPECT_TRUE(ids->empty());
  auto again = store().lookup("gone");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message(), "container \"gone\" does not exist");
}

TEST_F(StateStoreTest, RemovedIdCanBeCreatedAgain) {
  {
    auto dir = store().create("x");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    ASSERT_TRUE(dir->remove().ok());
  }
  auto dir = store().create("x");
  EXPECT_TRUE(dir.ok()) << dir.error().message();
}

// A lookup waits for the lock another command holds on the same id.
TEST_F(StateStoreTest, LookupWaitsForTheLock) {
  std::optional<Result<ContainerDir>> holder(store().create("busy"));
  ASSERT_TRUE(holder->ok()) << holder->error().message();
  ASSERT_TRUE((*holder)->writeState("{}").ok());

  std::atomic<bool> done{false};
  std::atomic<bool> found{false};
  std::thread waiter([&] {
    auto dir = store().lookup("busy");
    found = dir.ok();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_FALSE(done.load()) << "lookup did not wait for the lock held by create";
  holder.reset();  // releases the lock
  waiter.join();
  EXPECT_TRUE(done.load());
  EXPECT_TRUE(found.load());
}

// A delete that removes the container while a lookup waits makes that
// lookup report "does not exist", not a half-removed directory.
TEST_F(StateStoreTest, LookupWaitingOnARemovedContainerDoesNotExist) {
  std::optional<Result<ContainerDir>> holder(store().create("doomed"));
  ASSERT_TRUE(holder->ok()) << holder->error().message();
  ASSERT_TRUE((*holder)->writeState("{}").ok());

  std::atomic<bool> done{false};
  std::string message;
  std::thread waiter([&] {
    auto dir = store().lookup("doomed");
    message = dir.ok() ? "found" : dir.error().message();
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_FALSE(done.load());
  ASSERT_TRUE((*holder)->remove().ok());
  holder.reset();
  waiter.join();
  EXPECT_EQ(message, "container \"doomed\" does not exist");
}

}  // namespace
}  // namespace sangja
