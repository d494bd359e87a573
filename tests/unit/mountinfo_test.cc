#include "base/mountinfo.h"

#include <gtest/gtest.h>

namespace sangja {
namespace {

TEST(Mountinfo, IdsParentsAndUnescapedMountPoints) {
  std::vector<MountinfoEntry> m = parseMountinfo(
      "22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
      "96 94 8:1 /b/rootfs /tmp/a\\040b/rootfs rw - ext4 /dev/sda1 rw\n"
      "97 96 8:1 / /x\\134y\\011z rw - ext4 /dev/sda1 rw\n"
      "not a line\n"
      "98 97 8:1 / /trailing\\04 rw - ext4 /dev/sda1 rw");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].id, 22u);
  EXPECT_EQ(m[0].parent, 1u);
  EXPECT_EQ(m[0].mountPoint, "/proc");
  EXPECT_EQ(m[1].mountPoint, "/tmp/a b/rootfs");
  EXPECT_EQ(m[1].parent, 94u);
  EXPECT_EQ(m[2].mountPoint, "/x\\y\tz");
  EXPECT_EQ(m[3].mountPoint, "/trailing\\04");  // not a whole escape: kept as is
}

TEST(Mountinfo, RootFilesystemAndSuperOptions) {
  std::vector<MountinfoEntry> m = parseMountinfo(
      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "22 1 0:21 /sub\\040dir /proc rw,nosuid shared:12 master:3 - proc proc rw\n"
      "23 1 0:22 / /no-tail rw\n");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].root, "/");
  EXPECT_EQ(m[0].fstype, "cgroup");
  EXPECT_EQ(m[0].superOptions, "rw,cpu,cpuacct");
  EXPECT_EQ(m[1].root, "/sub dir");
  EXPECT_EQ(m[1].fstype, "proc") << "past the optional fields";
  EXPECT_EQ(m[1].superOptions, "rw");
  EXPECT_EQ(m[2].fstype, "");
}

}  // namespace
}  // namespace sangja
