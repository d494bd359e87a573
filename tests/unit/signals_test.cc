#include "runtime/lifecycle/signals.h"

#include <gtest/gtest.h>

#include <csignal>
#include <string>

namespace sangja {
namespace {

int ok(std::string_view text) {
  Result<int> r = parseSignal(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error().message();
  return r.ok() ? *r : -1;
}

std::string err(std::string_view text) {
  Result<int> r = parseSignal(text);
  EXPECT_FALSE(r.ok()) << text << " parsed as " << (r.ok() ? *r : 0);
  return r.ok() ? std::string() : r.error().message();
}

TEST(Signals, Numbers) {
  EXPECT_EQ(ok("9"), 9);
  EXPECT_EQ(ok("15"), 15);
  EXPECT_EQ(ok("1"), 1);
  EXPECT_EQ(ok("64"), SIGRTMAX);
}

// As with runc and kill(2): signal 0 checks that the process exists.
TEST(Signals, ZeroIsTheExistenceCheck) {
  EXPECT_EQ(ok("0"), 0);
}

TEST(Signals, NegativeIsRejected) {
  EXPECT_EQ(err("-9"), "unknown signal \"-9\"");
}

TEST(Signals, AboveRtmaxIsRejected) {
  EXPECT_EQ(err(std::to_string(SIGRTMAX + 1)),
            "unknown signal \"" + std::to_string(SIGRTMAX + 1) + "\"");
}

TEST(Signals, ErrorCodeIsEinval) {
  Result<int> r = parseSignal("NOPE");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().message(), "unknown signal \"NOPE\"");
}

TEST(Signals, NamesWithAndWithoutPrefix) {
  EXPECT_EQ(ok("KILL"), SIGKILL);
  EXPECT_EQ(ok("SIGKILL"), SIGKILL);
  EXPECT_EQ(ok("TERM"), SIGTERM);
  EXPECT_EQ(ok("SIGTERM"), SIGTERM);
  EXPECT_EQ(ok("WINCH"), SIGWINCH);
  EXPECT_EQ(ok("SIGUSR2"), SIGUSR2);
}

TEST(Signals, AnyCase) {
  EXPECT_EQ(ok("kill"), SIGKILL);
  EXPECT_EQ(ok("sigterm"), SIGTERM);
  EXPECT_EQ(ok("SigHup"), SIGHUP);
}

TEST(Signals, Aliases) {
  EXPECT_EQ(ok("IOT"), SIGABRT);
  EXPECT_EQ(ok("CLD"), SIGCHLD);
  EXPECT_EQ(ok("POLL"), SIGIO);
}

TEST(Signals, Realtime) {
  EXPECT_EQ(ok("RTMIN"), SIGRTMIN);
  EXPECT_EQ(ok("SIGRTMIN"), SIGRTMIN);
  EXPECT_EQ(ok("RTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(ok("rtmin+1"), SIGRTMIN + 1);
  EXPECT_EQ(ok("RTMAX"), SIGRTMAX);
  EXPECT_EQ(ok("SIGRTMAX-2"), SIGRTMAX - 2);
}

TEST(Signals, RealtimeAtTheEdges) {
  int span = SIGRTMAX - SIGRTMIN;
  EXPECT_EQ(ok("RTMIN+" + std::to_string(span)), SIGRTMAX);
  EXPECT_EQ(ok("RTMAX-" + std::to_string(span)), SIGRTMIN);
}

TEST(Signals, RealtimeOutOfRange) {
  std::string past = "RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN + 1);
  EXPECT_EQ(err(past), "unknown signal \"" + past + "\"");
  std::string below = "RTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN + 1);
  EXPECT_EQ(err(below), "unknown signal \"" + below + "\"");
}

TEST(Signals, RealtimeWrongSign) {
  EXPECT_EQ(err("RTMIN-1"), "unknown signal \"RTMIN-1\"");
  EXPECT_EQ(err("RTMAX+1"), "unknown signal \"RTMAX+1\"");
}

TEST(Signals, RealtimeNegativeOffsetsCannotEscapeTheRange) {
  EXPECT_EQ(err("RTMIN+-1"), "unknown signal \"RTMIN+-1\"");
  EXPECT_EQ(err("RTMAX--1"), "unknown signal \"RTMAX--1\"");
}

TEST(Signals, RealtimeMissingOrBadOffset) {
  EXPECT_EQ(err("RTMIN+"), "unknown signal \"RTMIN+\"");
  EXPECT_EQ(err("RTMIN3"), "unknown signal \"RTMIN3\"");
  EXPECT_EQ(err("RTMAX-x"), "unknown signal \"RTMAX-x\"");
}

TEST(Signals, EmptyAndBarePrefix) {
  EXPECT_EQ(err(""), "unknown signal \"\"");
  EXPECT_EQ(err("SIG"), "unknown signal \"SIG\"");
}

TEST(Signals, PrefixIsStrippedOnlyOnce) {
  EXPECT_EQ(err("SIGSIGKILL"), "unknown signal \"SIGSIGKILL\"");
}

TEST(Signals, NumbersWithJunk) {
  EXPECT_EQ(err("9x"), "unknown signal \"9x\"");
  EXPECT_EQ(err(" 9"), "unknown signal \" 9\"");
  EXPECT_EQ(err("+9"), "unknown signal \"+9\"");
}

}  // namespace
}  // namespace sangja
