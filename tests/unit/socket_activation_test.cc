#include "runtime/lifecycle/socket_activation.h"

#include <gtest/gtest.h>

namespace sangja {
namespace {

TEST(SocketActivationTest, CountsFdsMeantForThisProcess) {
  EXPECT_EQ(socketActivationFds("2", "1234", 1234), 2);
}

TEST(SocketActivationTest, IgnoresFdsMeantForAnotherProcess) {
  EXPECT_EQ(socketActivationFds("2", "999", 1234), 0);
  EXPECT_EQ(socketActivationFds("2", nullptr, 1234), 0);
}

TEST(SocketActivationTest, IgnoresMalformedValues) {
  EXPECT_EQ(socketActivationFds(nullptr, "1234", 1234), 0);
  EXPECT_EQ(socketActivationFds("", "1234", 1234), 0);
  EXPECT_EQ(socketActivationFds("two", "1234", 1234), 0);
  EXPECT_EQ(socketActivationFds("2x", "1234", 1234), 0);
  EXPECT_EQ(socketActivationFds("-1", "1234", 1234), 0);
  EXPECT_EQ(socketActivationFds("0", "1234", 1234), 0);
}

TEST(SocketActivationTest, EnvSaysHowManyAndPidOne) {
  std::vector<std::string> env{"PATH=/bin", "LISTEN_FDS=9", "LISTEN_FDSX=keep"};
  addSocketActivationEnv(env, 3);
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/bin", "LISTEN_FDS=3", "LISTEN_FDSX=keep",
                                           "LISTEN_PID=1"}));
}

}  // namespace
}  // namespace sangja
