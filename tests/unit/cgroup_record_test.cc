#include "runtime/lifecycle/cgroup_record.h"

#include <gtest/gtest.h>

namespace sangja {
namespace {

using cgroups::CgroupMode;
using cgroups::CgroupRef;

TEST(CgroupRecord, RoundTrips) {
  for (const CgroupRecord& r :
       {CgroupRecord{CgroupRef{"/sangja/c1", "", CgroupMode::kUnified}, false},
        CgroupRecord{CgroupRef{"/a/b/c", "/a/b", CgroupMode::kHybrid}, true},
        CgroupRecord{CgroupRef{"/a", "/a", CgroupMode::kLegacy}, false}}) {
    std::optional<CgroupRecord> back = parseCgroupRecord(formatCgroupRecord(r));
    ASSERT_TRUE(back.has_value()) << formatCgroupRecord(r);
    EXPECT_EQ(back->cgroup, r.cgroup);
    EXPECT_EQ(back->verifiedFree, r.verifiedFree);
  }
}

// create rewrites the record in place: the verified text must be the
// longer one, so nothing of the first is left after it.
TEST(CgroupRecord, TheVerifiedRecordIsLonger) {
  CgroupRecord first{CgroupRef{"/sangja/c1", "", CgroupMode::kLegacy}, false};
  CgroupRecord verified = first;
  verified.verifiedFree = true;
  EXPECT_GT(formatCgroupRecord(verified).size(), formatCgroupRecord(first).size());
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
  EXPECT_EQ(*ref, (CgroupRef{"/sangja/c1", "/sangja", CgroupMode::kHybrid}));
  state.cgroupMode = "";  // written before the v1 driver
  EXPECT_EQ(cgroupRefOf(state)->mode, CgroupMode::kUnified);
  state.cgroupMode = "Hybrid";
  EXPECT_FALSE(cgroupRefOf(state).ok());
}

}  // namespace
}  // namespace sangja
