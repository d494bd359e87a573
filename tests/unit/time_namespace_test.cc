// Time namespaces: timens_offsets rendering and the time plan.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>

#include "namespaces/time.h"

namespace sangja::ns {
namespace {

TEST(TimeNsOffsets, RendersBothClocks) {
  Result<std::string> r =
      renderTimensOffsets({{"monotonic", {-100, 5}}, {"boottime", {864000, 999999999}}});
  ASSERT_TRUE(r.ok()) << r.error().message();
  // std::map order: boottime first.
  EXPECT_EQ(*r, "boottime 864000 999999999\nmonotonic -100 5\n");
}

TEST(TimeNsOffsets, EmptyIsEmpty) {
  Result<std::string> r = renderTimensOffsets({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "");
}

TEST(TimeNsOffsets, NanosecondsMustStayBelowOneSecond) {
  Result<std::string> r = renderTimensOffsets({{"monotonic", {1, 1000000000}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "linux.timeOffsets.monotonic.nanosecs: 1000000000 is not below one second "
            "(1000000000)");
}

TEST(TimeNsOffsets, UnknownClockIsRefused) {
  Result<std::string> r = renderTimensOffsets({{"realtime", {1, 0}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "linux.timeOffsets.realtime: unknown clock (want monotonic or boottime)");
}

class TimeNsPlanTest : public ::testing::Test {
 protected:
  TimeNsPlanTest() { config_.linux.emplace(); }
  spec::Config config_;
  NamespacePlan ns_;
};

TEST_F(TimeNsPlanTest, NoTimeNamespace) {
  Result<TimePlan> r = planTimeNamespace(config_, ns_);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->unshare);
  EXPECT_EQ(r->offsets, "");
}

TEST_F(TimeNsPlanTest, NewNamespaceWithOffsets) {
  ns_.newTimeNs = true;
  config_.linux->timeOffsets = {{"boottime", {86400, 0}}};
  Result<TimePlan> r = planTimeNamespace(config_, ns_);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->unshare);
  EXPECT_EQ(r->offsets, "boottime 86400 0\n");
}

TEST_F(TimeNsPlanTest, NewNamespaceWithoutOffsets) {
  ns_.newTimeNs = true;
  Result<TimePlan> r = planTimeNamespace(config_, ns_);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->unshare);
  EXPECT_EQ(r->offsets, "");
}

TEST_F(TimeNsPlanTest, OffsetsWithoutTimeNamespaceAreAnError) {
  config_.linux->timeOffsets = {{"monotonic", {1, 0}}};
  Result<TimePlan> r = planTimeNamespace(config_, ns_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "linux.timeOffsets: needs a time namespace in linux.namespaces");
}

TEST_F(TimeNsPlanTest, OffsetsForAJoinedNamespaceAreAnError) {
  ns_.joins.push_back(Join{CLONE_NEWTIME, "/proc/self/ns/time", UniqueFd()});
  config_.linux->timeOffsets = {{"monotonic", {1, 0}}};
  Result<TimePlan> r = planTimeNamespace(config_, ns_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "linux.timeOffsets: cannot change the offsets of a time namespace joined by path");
}

TEST_F(TimeNsPlanTest, BadOffsetIsAnErrorWithItsPath) {
  ns_.newTimeNs = true;
  config_.linux->timeOffsets = {{"boottime", {1, 2000000000}}};
  Result<TimePlan> r = planTimeNamespace(config_, ns_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().rfind("linux.timeOffsets.boottime.nanosecs:", 0), 0u)
      << r.error().message();
}

}  // namespace
}  // namespace sangja::ns
