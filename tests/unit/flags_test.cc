#include "cli/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sangja::cli {
namespace {

constexpr FlagSpec kSpecs[] = {
    {"bundle", "b", true},  {"pid-file", "", true}, {"debug", "", false},
    {"detach", "d", false}, {"env", "e", true},     {"no-subreaper", "", false},
};

Result<ParsedFlags> parse(std::vector<std::string> args) {
  return parseFlags(args, kSpecs);
}

TEST(Flags, DoubleDashWithSeparateValue) {
  auto r = parse({"--bundle", "/b", "ID"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->value("bundle"), std::optional<std::string>("/b"));
  EXPECT_EQ(r->positional, std::vector<std::string>{"ID"});
}

TEST(Flags, SingleDashWithInlineValue) {
  auto r = parse({"-bundle=/b", "ID"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->value("bundle"), std::optional<std::string>("/b"));
  EXPECT_EQ(r->positional, std::vector<std::string>{"ID"});
}

TEST(Flags, DoubleDashWithInlineValueKeepsLaterEquals) {
  auto r = parse({"--pid-file=/run/a=b.pid"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->value("pid-file"), std::optional<std::string>("/run/a=b.pid"));
  EXPECT_TRUE(r->positional.empty());
}

TEST(Flags, EmptyInlineValueIsAValue) {
  auto r = parse({"--bundle=", "ID"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->has("bundle"));
  EXPECT_EQ(r->value("bundle"), std::optional<std::string>(""));
}

TEST(Flags, SeparateValueMayStartWithDash) {
  auto r = parse({"--bundle", "-weird", "ID"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->value("bundle"), std::optional<std::string>("-weird"));
  EXPECT_EQ(r->positional, std::vector<std::string>{"ID"});
}

TEST(Flags, ShortNameIsKeyedByLongName) {
  auto r = parse({"-b", "/b", "-d", "ID"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->value("bundle"), std::optional<std::string>("/b"));
  EXPECT_TRUE(r->isSet("detach"));
  EXPECT_FALSE(r->has("b"));
  EXPECT_FALSE(r->has("d"));
}

TEST(Flags, BoolFlagWithoutValueIsTrue) {
  auto r = parse({"--debug"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->has("debug"));
  EXPECT_TRUE(r->isSet("debug"));
  EXPECT_EQ(r->value("debug"), std::optional<std::string>("true"));
}

TEST(Flags, SingleDashBoolAsRestorePassesIt) {
  auto r = parse({"-no-subreaper", "ID"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->isSet("no-subreaper"));
  EXPECT_EQ(r->positional, std::vector<std::string>{"ID"});
}

TEST(Flags, BoolFlagExplicitFalse) {
  auto r = parse({"--debug=false", "--detach=0"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->has("debug"));
  EXPECT_FALSE(r->isSet("debug"));
  EXPECT_TRUE(r->has("detach"));
  EXPECT_FALSE(r->isSet("detach"));
}

TEST(Flags, BoolFlagExplicitTrue) {
  auto r = parse({"--debug=true", "--detach=1"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->isSet("debug"));
  EXPECT_TRUE(r->isSet("detach"));
}

TEST(Flags, BoolFlagDoesNotConsumeNextArgument) {
  auto r = parse({"--debug", "false"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->isSet("debug"));
  EXPECT_EQ(r->positional, std::vector<std::string>{"false"});
}

TEST(Flags, InvalidBoolValueIsAnError) {
  auto r = parse({"--debug=yes"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "invalid boolean value \"yes\" for -debug");
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST(Flags, UnknownFlagIsAnErrorNamingIt) {
  auto r = parse({"--nope", "ID"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "flag provided but not defined: -nope");
}

TEST(Flags, UnknownFlagWithInlineValueNamesOnlyTheFlag) {
  auto r = parse({"-nope=3"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "flag provided but not defined: -nope");
}

TEST(Flags, MissingValueIsAnError) {
  auto r = parse({"--pid-file"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "flag needs an argument: -pid-file");
}

TEST(Flags, MissingValueOfShortFlagNamesTheLongName) {
  auto r = parse({"-b"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "flag needs an argument: -bundle");
}

TEST(Flags, DoubleDashEndsFlags) {
  auto r = parse({"--debug", "--", "--bundle", "x"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->isSet("debug"));
  EXPECT_FALSE(r->has("bundle"));
  EXPECT_EQ(r->positional, (std::vector<std::string>{"--bundle", "x"}));
}

TEST(Flags, FirstPositionalEndsFlags) {
  auto r = parse({"-d", "ID", "sh", "-c", "--debug"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->isSet("detach"));
  EXPECT_FALSE(r->has("debug"));
  EXPECT_EQ(r->positional, (std::vector<std::string>{"ID", "sh", "-c", "--debug"}));
}

TEST(Flags, LoneDashIsPositional) {
  auto r = parse({"-", "x"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->positional, (std::vector<std::string>{"-", "x"}));
}

TEST(Flags, LastValueWinsAndAllValuesAreKept) {
  auto r = parse({"--env", "A=1", "-e=B=2", "--env=C=3"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->value("env"), std::optional<std::string>("C=3"));
  EXPECT_EQ(r->values("env"), (std::vector<std::string>{"A=1", "B=2", "C=3"}));
}

TEST(Flags, AbsentFlag) {
  auto r = parse({});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->has("bundle"));
  EXPECT_FALSE(r->isSet("debug"));
  EXPECT_EQ(r->value("bundle"), std::nullopt);
  EXPECT_EQ(r->valueOr("bundle", "."), ".");
  EXPECT_TRUE(r->values("env").empty());
  EXPECT_TRUE(r->positional.empty());
}

TEST(Flags, ValueOrPrefersTheGivenValue) {
  auto r = parse({"--bundle", "/x"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->valueOr("bundle", "."), "/x");
}

TEST(ParseIntFlag, Decimal) {
  auto r = parseIntFlag("preserve-fds", "12");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, 12);
}

TEST(ParseIntFlag, Negative) {
  auto r = parseIntFlag("preserve-fds", "-3");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, -3);
}

TEST(ParseIntFlag, NotANumber) {
  auto r = parseIntFlag("preserve-fds", "abc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "invalid value \"abc\" for flag -preserve-fds: must be an integer");
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST(ParseIntFlag, TrailingGarbage) {
  auto r = parseIntFlag("preserve-fds", "3x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "invalid value \"3x\" for flag -preserve-fds: must be an integer");
}

TEST(ParseIntFlag, Empty) {
  auto r = parseIntFlag("preserve-fds", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "invalid value \"\" for flag -preserve-fds: must be an integer");
}

TEST(ParseIntFlag, Overflow) {
  auto r = parseIntFlag("preserve-fds", "99999999999");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "invalid value \"99999999999\" for flag -preserve-fds: must be an integer");
}

TEST(ParseDuration, GoDurations) {
  EXPECT_EQ(*parseDurationMs("interval", "5s"), 5000);
  EXPECT_EQ(*parseDurationMs("interval", "250ms"), 250);
  EXPECT_EQ(*parseDurationMs("interval", "1m30s"), 90000);
  EXPECT_EQ(*parseDurationMs("interval", "1.5s"), 1500);
  EXPECT_EQ(*parseDurationMs("interval", "2h"), 7200000);
  EXPECT_EQ(*parseDurationMs("interval", "2.01s"), 2010);
  EXPECT_EQ(*parseDurationMs("interval", "0.035s"), 35);
  EXPECT_EQ(*parseDurationMs("interval", "1.5ms"), 1);  // whole ms, truncated as before
  EXPECT_EQ(*parseDurationMs("interval", "1500us"), 1);
  EXPECT_EQ(*parseDurationMs("interval", "2500000ns"), 2);
  EXPECT_FALSE(parseDurationMs("interval", "2562048h").ok());  // beyond int64 ns, as Go
}

TEST(ParseDuration, BadDurationsNameTheFlag) {
  for (const char* bad : {"", "5", "s", "5x", "-1s", "1..5s"}) {
    auto r = parseDurationMs("interval", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message(), std::string("invalid duration \"") + bad +
                                       "\" for flag -interval (like 5s, 250ms, 1m)");
  }
}

TEST(ParseSize, RuncStyleSizes) {
  EXPECT_EQ(*parseSize("memory", "1048576"), 1048576);
  EXPECT_EQ(*parseSize("memory", "512m"), 512LL << 20);
  EXPECT_EQ(*parseSize("memory", "1G"), 1LL << 30);
  EXPECT_EQ(*parseSize("memory", "4kb"), 4096);
  EXPECT_EQ(*parseSize("memory", "-1"), -1);
}

TEST(ParseSize, BadSizesNameTheFlag) {
  for (const char* bad : {"", "m", "12q", "1.5g", "-2", "99999999999p"}) {
    auto r = parseSize("memory", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message(), std::string("invalid size \"") + bad +
                                       "\" for flag -memory (like 512m, 1g or a number of bytes)");
  }
}

}  // namespace
}  // namespace sangja::cli
