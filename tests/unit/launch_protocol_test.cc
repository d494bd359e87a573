#include "runtime/launch/protocol.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sangja::launch {
namespace {

// A parent end and a child end, as the launcher makes them.
class LaunchProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    parent_ = UniqueFd(pair[0]);
    child_ = UniqueFd(pair[1]);
  }
  ChildChannel child() const { return ChildChannel(child_.get()); }

  UniqueFd parent_;
  UniqueFd child_;
};

TEST_F(LaunchProtocolTest, TheExpectedMessagePasses) {
  uint64_t phases[kChildPhases] = {1, 2, 3, 4, 5};
  ASSERT_TRUE(child().send(SyncType::kReady, 0, {}, phases));
  Result<SyncMessage> msg = expectFromChild(parent_.get(), SyncType::kReady);
  ASSERT_TRUE(msg.ok()) << msg.error().message();
  EXPECT_EQ(msg->phaseNs[4], 5u);
}

TEST_F(LaunchProtocolTest, AMessageOutOfTurnNamesBoth) {
  ASSERT_TRUE(child().send(SyncType::kHooks));
  Result<SyncMessage> msg = expectFromChild(parent_.get(), SyncType::kReady);
  ASSERT_FALSE(msg.ok());
  EXPECT_EQ(msg.error().message(), "container process: expected \"ready\", got \"hooks pause\"");
}

TEST_F(LaunchProtocolTest, TheChildsErrorComesInsteadOfAnyMessage) {
  ASSERT_TRUE(child().send(SyncType::kError, ENOENT, "mount proc on /proc"));
  Result<SyncMessage> msg = expectFromChild(parent_.get(), SyncType::kConsoleFd);
  ASSERT_FALSE(msg.ok());
  EXPECT_EQ(msg.error().code(), ENOENT);
  EXPECT_NE(msg.error().message().find("mount proc on /proc"), std::string::npos);
}

TEST_F(LaunchProtocolTest, AnFdMessageMustCarryItsFd) {
  ASSERT_TRUE(child().send(SyncType::kConsoleFd));
  UniqueFd fd;
  Result<SyncMessage> bare = expectFromChild(parent_.get(), SyncType::kConsoleFd, &fd);
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error().message(), "container process: \"console fd\" came without its fd");

  UniqueFd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(child().sendFd(SyncType::kSeccompFd, devNull.get()));
  Result<SyncMessage> withFd = expectFromChild(parent_.get(), SyncType::kSeccompFd, &fd);
  ASSERT_TRUE(withFd.ok()) << withFd.error().message();
  EXPECT_TRUE(fd);
  EXPECT_NE(fd.get(), devNull.get());
}

TEST_F(LaunchProtocolTest, AChildThatWentAwayIsAnError) {
  child_.reset();
  Result<SyncMessage> msg = expectFromChild(parent_.get(), SyncType::kReady);
  ASSERT_FALSE(msg.ok());
  EXPECT_EQ(msg.error().message(), "container init exited before it was set up");
}

TEST_F(LaunchProtocolTest, ExecIsTheChannelClosing) {
  child_.reset();
  EXPECT_TRUE(waitForExec(parent_.get()).ok());
}

TEST_F(LaunchProtocolTest, AnErrorInsteadOfTheExecIsReturned) {
  ASSERT_TRUE(child().send(SyncType::kError, EACCES, "exec: cannot run /x"));
  Status st = waitForExec(parent_.get());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), EACCES);
}

TEST_F(LaunchProtocolTest, AnythingElseInsteadOfTheExecIsOutOfTurn) {
  ASSERT_TRUE(child().send(SyncType::kReady));
  Status st = waitForExec(parent_.get());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "container process: expected its exec, got \"ready\"");
}

// The child's side of the go after the clone: mount sources before kGo.
TEST_F(LaunchProtocolTest, MountSourcesRideBeforeTheGo) {
  UniqueFd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(sendMountSource(parent_.get(), 2, devNull.get()).ok());
  ASSERT_TRUE(sendGo(parent_.get()).ok());
  int sources[4] = {-1, -1, -1, -1};
  ASSERT_TRUE(child().waitForGoCollecting(sources, 4));
  EXPECT_EQ(sources[0], -1);
  EXPECT_GE(sources[2], 0);
  if (sources[2] >= 0) ::close(sources[2]);
}

TEST_F(LaunchProtocolTest, AMountSourceOutOfRangeEndsTheWait) {
  UniqueFd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(sendMountSource(parent_.get(), 4, devNull.get()).ok());
  int sources[4] = {-1, -1, -1, -1};
  EXPECT_FALSE(child().waitForGoCollecting(sources, 4));
}

}  // namespace
}  // namespace sangja::launch
