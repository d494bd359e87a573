#include "base/result.h"

#include <gtest/gtest.h>

namespace sangja {
namespace {

Result<int> half(int v) {
  if (v % 2) return Error::invalid("odd value " + std::to_string(v));
  return v / 2;
}

Result<int> quarter(int v) {
  int h = TRY_CTX(half(v), "first half");
  return TRY(half(h));
}

TEST(Result, CarriesValue) {
  Result<int> r = quarter(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);
}

TEST(Result, ErrorGainsContextAsItRises) {
  Result<int> r = quarter(3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "first half: odd value 3");
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST(Result, ErrnoErrorNamesTheCause) {
  Error e = Error::fromErrno(ENOENT, "open /nope").wrap("load");
  EXPECT_EQ(e.message(), "load: open /nope: No such file or directory");
  EXPECT_EQ(e.code(), ENOENT);
}

TEST(Result, VoidStatus) {
  Status ok = okStatus();
  EXPECT_TRUE(ok.ok());
  Status bad = Error::invalid("boom");
  Status wrapped = std::move(bad).context("ctx");
  ASSERT_FALSE(wrapped.ok());
  EXPECT_EQ(wrapped.error().message(), "ctx: boom");
}

}  // namespace
}  // namespace sangja
