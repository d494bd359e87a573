#include "runtime/lifecycle/cgroup_record.h"

#include <gtest/gtest.h>

namespace sangja {
namespace {

TEST(CgroupRecord, RoundTrips) {
  for (const CgroupRecord& r :
       {CgroupRecord{"/sangja/c1", "", false}, CgroupRecord{"/a/b/c", "/a/b", true}}) {
    std::optional<CgroupRecord> back = parseCgroupRecord(formatCgroupRecord(r));
    ASSERT_TRUE(back.has_value()) << formatCgroupRecord(r);
    EXPECT_EQ(back->path, r.path);
    EXPECT_EQ(back->createdFrom, r.createdFrom);
    EXPECT_EQ(back->verifiedFree, r.verifiedFree);
  }
}

TEST(CgroupRecord, TornOrForeignTextIsNoRecord) {
  for (const char* text :
       {"", "/sangja/c1", "/sangja/c1\n", "\n\n", "/a\n\nyes\n", "/a\n\nfree\nmore\n"}) {
    EXPECT_FALSE(parseCgroupRecord(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace sangja
