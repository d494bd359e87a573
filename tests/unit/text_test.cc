#include "base/text.h"

#include <gtest/gtest.h>

#include <string>

namespace sangja {
namespace {

TEST(Text, TrailingBlanksGoAndInnerOnesStay) {
  EXPECT_EQ(withoutTrailingBlanks("max\n"), "max");
  EXPECT_EQ(withoutTrailingBlanks("10 20 \t\r\n\n"), "10 20");
  EXPECT_EQ(withoutTrailingBlanks("  lead"), "  lead");
  EXPECT_EQ(withoutTrailingBlanks("\n \t"), "");
  EXPECT_EQ(withoutTrailingBlanks(""), "");
}

TEST(Text, SurroundingBlanksGoFromBothEnds) {
  EXPECT_EQ(withoutSurroundingBlanks("\t hook said no \n"), "hook said no");
  EXPECT_EQ(withoutSurroundingBlanks(" \n"), "");
  EXPECT_EQ(withoutSurroundingBlanks("x"), "x");
}

TEST(Text, OnlyAsciiBlanksCount) {
  // A NUL or a non-breaking space is data, not padding.
  std::string withNul("41\0", 3);
  EXPECT_EQ(withoutTrailingBlanks(withNul).size(), 3u);
  EXPECT_EQ(withoutTrailingBlanks("41\xc2\xa0"), "41\xc2\xa0");
  EXPECT_EQ(withoutTrailingBlanks("41\v"), "41\v");
}

static_assert(withoutTrailingBlanks("1\n") == "1", "usable at compile time");

}  // namespace
}  // namespace sangja
