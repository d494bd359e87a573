#include "base/fixed_text.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstring>
#include <string>

namespace sangja {
namespace {

TEST(FixedText, StartsEmpty) {
  FixedText<8> t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.view(), "");
  EXPECT_STREQ(t.c_str(), "");
}

TEST(FixedText, ConstructFromText) {
  FixedText<16> t("hello");
  EXPECT_EQ(t.view(), "hello");
  EXPECT_EQ(t.size(), 5u);
  EXPECT_STREQ(t.c_str(), "hello");
}

TEST(FixedText, AppendChains) {
  FixedText<32> t;
  t.append("a").append(std::string_view("bc")).append(std::string("def"));
  EXPECT_EQ(t.view(), "abcdef");
  EXPECT_STREQ(t.c_str(), "abcdef");
}

TEST(FixedText, AppendNullPointer) {
  FixedText<32> t("x=");
  const char* nothing = nullptr;
  t.append(nothing);
  EXPECT_EQ(t.view(), "x=(null)");
}

TEST(FixedText, AppendKeepsEmbeddedNul) {
  FixedText<8> t;
  t.append(std::string_view("a\0b", 3));
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.view(), std::string_view("a\0b", 3));
}

TEST(FixedText, TruncatesAtCapacity) {
  FixedText<8> t;  // room for 7 characters and the NUL
  t.append("0123456789");
  EXPECT_EQ(t.size(), 7u);
  EXPECT_EQ(t.view(), "0123456");
  EXPECT_STREQ(t.c_str(), "0123456");
}

TEST(FixedText, AppendWhenFullIsDropped) {
  FixedText<4> t("abc");
  t.append("def").appendInt(9);
  EXPECT_EQ(t.view(), "abc");
  EXPECT_STREQ(t.c_str(), "abc");
}

TEST(FixedText, TruncationAcrossAppends) {
  FixedText<6> t("abc");
  t.append("defgh");
  EXPECT_EQ(t.view(), "abcde");
  EXPECT_EQ(t.size(), 5u);
}

TEST(FixedText, CapacityOfOneHoldsNothing) {
  FixedText<1> t("abc");
  EXPECT_EQ(t.size(), 0u);
  EXPECT_STREQ(t.c_str(), "");
}

TEST(FixedText, AppendIntZero) {
  FixedText<8> t;
  t.appendInt(0);
  EXPECT_EQ(t.view(), "0");
}

TEST(FixedText, AppendIntPositive) {
  FixedText<32> t("fd ");
  t.appendInt(1234567890);
  EXPECT_EQ(t.view(), "fd 1234567890");
}

TEST(FixedText, AppendIntNegative) {
  FixedText<32> t;
  t.appendInt(-42);
  EXPECT_EQ(t.view(), "-42");
}

TEST(FixedText, AppendIntLimits) {
  FixedText<64> t;
  t.appendInt(LLONG_MAX).append(" ").appendInt(LLONG_MIN);
  EXPECT_EQ(t.view(), "9223372036854775807 -9223372036854775808");
}

TEST(FixedText, AppendIntTruncates) {
  FixedText<5> t;
  t.appendInt(-123456);
  EXPECT_EQ(t.view(), "-123");
}

TEST(FixedText, Clear) {
  FixedText<8> t("abc");
  t.clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_STREQ(t.c_str(), "");
  t.append("xy");
  EXPECT_EQ(t.view(), "xy");
}

TEST(ProcFdPath, SmallFd) {
  EXPECT_EQ(procFdPath(3).view(), "/proc/self/fd/3");
  EXPECT_STREQ(procFdPath(3).c_str(), "/proc/self/fd/3");
}

TEST(ProcFdPath, LargestFd) {
  EXPECT_EQ(procFdPath(INT_MAX).view(), "/proc/self/fd/2147483647");
}

}  // namespace
}  // namespace sangja
