#include "runtime/lifecycle/cgroup_record.h"

#include <gtest/gtest.h>

namespace sangja {
namespace {

using cgroups::CgroupDriver;
using cgroups::CgroupMode;
using cgroups::CgroupRef;

CgroupRef ref(std::string path, std::string createdFrom, CgroupMode mode,
              CgroupDriver driver = CgroupDriver::kCgroupfs, std::string madeSlice = "") {
  CgroupRef r;
  r.path = std::move(path);
  r.createdFrom = std::move(createdFrom);
  r.mode = mode;
  r.driver = driver;
  r.madeSlice = std::move(madeSlice);
  return r;
}

TEST(CgroupRecord, RoundTrips) {
  for (const CgroupRecord& r :
       {CgroupRecord{ref("/sangja/c1", "", CgroupMode::kUnified), false},
        CgroupRecord{ref("/a/b/c", "/a/b", CgroupMode::kHybrid), true},
        CgroupRecord{ref("/a", "/a", CgroupMode::kLegacy), false},
        CgroupRecord{
            ref("/system.slice/d-1.scope", "", CgroupMode::kUnified, CgroupDriver::kSystemd), true},
        CgroupRecord{ref("/x.slice/d-1.scope", "/x.slice", CgroupMode::kHybrid,
                         CgroupDriver::kSystemd, "x.slice"),
                     false},
        CgroupRecord{ref("/user.slice/user-1000.slice/user@1000.service/user.slice/d-1.scope", "",
                         CgroupMode::kUnified, CgroupDriver::kSystemdUser),
                     true}}) {
    std::optional<CgroupRecord> back = parseCgroupRecord(formatCgroupRecord(r));
    ASSERT_TRUE(back.has_value()) << formatCgroupRecord(r);
    EXPECT_EQ(back->cgroup, r.cgroup);
    EXPECT_EQ(back->verifiedFree, r.verifiedFree);
  }
}

// create rewrites the record in place: the verified text must be the
// longer one, so nothing of the first is left after it.
TEST(CgroupRecord, TheVerifiedRecordIsLonger) {
  CgroupRecord first{ref("/sangja/c1", "", CgroupMode::kLegacy), false};
  CgroupRecord verified = first;
  verified.verifiedFree = true;
  EXPECT_GT(formatCgroupRecord(verified).size(), formatCgroupRecord(first).size());
}

TEST(CgroupRecord, NoCgroupHasNoPath) {
  CgroupRecord none;
  none.cgroup.driver = cgroups::CgroupDriver::kNone;
  none.cgroup.mode = cgroups::CgroupMode::kHybrid;
  none.verifiedFree = true;
  std::optional<CgroupRecord> back = parseCgroupRecord(formatCgroupRecord(none));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->cgroup, none.cgroup);
  // A path with the none driver, or none without it, is not a record.
  EXPECT_FALSE(parseCgroupRecord("/x\n\nunified\nnone\n\n").has_value());
  EXPECT_FALSE(parseCgroupRecord("\n\nunified\ncgroupfs\n\n").has_value());
}

TEST(CgroupRecord, TornOrForeignTextIsNoRecord) {
  for (const char* text : {"", "/sangja/c1", "/sangja/c1\n", "\n\n", "/a\n\n", "/a\n\nhybrid",
                           "/a\n\nv1\n", "/a\n\nunified\nyes\n", "/a\n\nunified\nfree\nmore\n"}) {
    EXPECT_FALSE(parseCgroupRecord(text).has_value()) << text;
  }
}

TEST(CgroupRecord, AStateNamesItsCgroupAndMode) {
  spec::StoredState state;
  state.cgroupPath = "/sangja/c1";
  state.cgroupCreatedFrom = "/sangja";
  state.cgroupMode = "hybrid";
  Result<CgroupRef> ref = cgroupRefOf(state);
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(*ref, sangja::ref("/sangja/c1", "/sangja", CgroupMode::kHybrid));
  state.cgroupMode = "";  // written before the v1 driver
  EXPECT_EQ(cgroupRefOf(state)->mode, CgroupMode::kUnified);
  state.cgroupMode = "Hybrid";
  EXPECT_FALSE(cgroupRefOf(state).ok());
}

// Records written before the driver was recorded (three lines) are
// cgroupfs's.
TEST(CgroupRecord, AnOlderRecordIsTheCgroupfsDriver) {
  std::optional<CgroupRecord> r = parseCgroupRecord("/sangja/c1\n/sangja\nhybrid\nfree\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->cgroup, ref("/sangja/c1", "/sangja", CgroupMode::kHybrid));
  EXPECT_TRUE(r->verifiedFree);
  EXPECT_FALSE(parseCgroupRecord("/a\n\nunified\nsystemd\n").has_value());  // torn
  EXPECT_FALSE(parseCgroupRecord("/a\n\nunified\nsystemd2\n\n").has_value());
}

TEST(CgroupRecord, AStateNamesItsDriverAndSlice) {
  spec::StoredState state;
  state.cgroupPath = "/x.slice/d-1.scope";
  state.cgroupMode = "unified";
  state.cgroupDriver = "systemd";
  state.cgroupMadeSlice = "x.slice";
  EXPECT_EQ(*cgroupRefOf(state),
            ref("/x.slice/d-1.scope", "", CgroupMode::kUnified, CgroupDriver::kSystemd, "x.slice"));
  state.cgroupDriver = "";  // written before the systemd driver
  EXPECT_EQ(cgroupRefOf(state)->driver, CgroupDriver::kCgroupfs);
  state.cgroupDriver = "openrc";
  Result<CgroupRef> bad = cgroupRefOf(state);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("cgroupDriver"), std::string::npos);
}

}  // namespace
}  // namespace sangja
