#include "base/trace.h"

#include <gtest/gtest.h>

namespace sangja::trace {
namespace {

TEST(Trace, OffRecordsNothing) {
  enable(false);
  markAt("ignored", 5);
  EXPECT_EQ(render().find("ignored"), std::string::npos);
}

TEST(Trace, RendersPhasesInTimeOrderWithSteps) {
  enable(true);  // records "start" now
  uint64_t t0 = nowNs() + 1000000;
  markAt("second", t0 + 2500000);
  markAt("first", t0);
  std::string out = render();
  size_t first = out.find("trace: first");
  size_t second = out.find("trace: second");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  EXPECT_LT(first, second);
  // The step from "first" to "second" is 2.5 ms.
  EXPECT_NE(out.find("(  2.500)", first), std::string::npos) << out;
  enable(false);
}

}  // namespace
}  // namespace sangja::trace
