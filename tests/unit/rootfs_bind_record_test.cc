#include "runtime/lifecycle/rootfs_bind_record.h"

#include <gtest/gtest.h>

namespace sangja {
namespace {

TEST(RootfsBindRecord, RoundTrips) {
  for (const RootfsBindRecord& r :
       {RootfsBindRecord{"/b/rootfs", {412, 0}}, RootfsBindRecord{"/a b/x\ny", {7, 1u << 31}}}) {
    std::optional<RootfsBindRecord> back = parseRootfsBindRecord(formatRootfsBindRecord(r));
    ASSERT_TRUE(back.has_value()) << formatRootfsBindRecord(r);
    EXPECT_EQ(back->rootfs, r.rootfs);
    EXPECT_EQ(back->mount.legacy, r.mount.legacy);
    EXPECT_EQ(back->mount.unique, r.mount.unique);
  }
}

TEST(RootfsBindRecord, TornOrForeignTextIsNoRecord) {
  for (const char* text : {"", "/b/rootfs", "/b/rootfs\n", "/b/rootfs\n412", "/b/rootfs\n412 \n",
                           "/b/rootfs\n0 0\n", "b/rootfs\n4 0\n", "/b\n4 x\n", "\n4 0\n"}) {
    EXPECT_FALSE(parseRootfsBindRecord(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace sangja
