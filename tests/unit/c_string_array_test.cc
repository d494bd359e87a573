#include "base/c_string_array.h"

#include <gtest/gtest.h>

#include <utility>

namespace sangja {
namespace {

TEST(CStringArray, NullTerminatedInOrder) {
  CStringArray a({"sh", "-c", "", "true"});
  ASSERT_EQ(a.size(), 4u);
  EXPECT_STREQ(a[0], "sh");
  EXPECT_STREQ(a[1], "-c");
  EXPECT_STREQ(a[2], "");
  EXPECT_STREQ(a[3], "true");
  EXPECT_EQ(a.data()[4], nullptr);
}

TEST(CStringArray, EmptyIsJustTheTerminator) {
  CStringArray none;
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.data()[0], nullptr);
  CStringArray fromEmpty(std::vector<std::string>{});
  EXPECT_EQ(fromEmpty.size(), 0u);
  EXPECT_EQ(fromEmpty.data()[0], nullptr);
}

// Short strings are where std::string's own buffer would move with it.
TEST(CStringArray, MovingKeepsEveryPointer) {
  CStringArray a({"a", "bc"});
  char* const* before = a.data();
  const char* first = a[0];
  CStringArray moved(std::move(a));
  EXPECT_EQ(moved.data(), before);
  EXPECT_EQ(moved[0], first);
  CStringArray assigned;
  assigned = std::move(moved);
  EXPECT_EQ(assigned[0], first);
  EXPECT_STREQ(assigned[1], "bc");
}

TEST(CStringArray, ACopyPointsIntoItsOwnText) {
  CStringArray a({"x=1", "y=2"});
  CStringArray b(a);
  EXPECT_NE(b[0], a[0]);
  EXPECT_STREQ(b[0], "x=1");
  EXPECT_STREQ(b[1], "y=2");
  EXPECT_EQ(b.data()[2], nullptr);
  CStringArray c;
  c = b;
  EXPECT_NE(c[1], b[1]);
  EXPECT_STREQ(c[1], "y=2");
}

}  // namespace
}  // namespace sangja
