// Cgroup mode detection from recorded mountinfo: this host (hybrid), the
// qemu guest (unified), and a legacy v1-only host.
#include "cgroups/layout.h"

#include <gtest/gtest.h>

namespace sangja::cgroups {
namespace {

// This development machine, as /proc/self/mountinfo shows it.
constexpr std::string_view kHybrid =
    "23 1 0:20 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";

// The v2 guest (tests/vm).
constexpr std::string_view kUnified =
    "20 1 0:19 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n"
    "24 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

// A v1-only host with joint cpu,cpuacct and net_cls,net_prio mounts.
constexpr std::string_view kLegacy =
    "25 19 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
    "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "30 25 0:27 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
    "31 25 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "32 25 0:29 / /sys/fs/cgroup/hugetlb rw - cgroup cgroup rw,hugetlb\n";

TEST(CgroupLayout, ThisHostIsHybrid) {
  Result<CgroupLayout> l = parseCgroupLayout(kHybrid);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->mode, CgroupMode::kHybrid);
  EXPECT_EQ(l->v2Mount, "/sys/fs/cgroup/unified");
  ASSERT_EQ(l->v1.size(), 9u);
  EXPECT_EQ(l->v1[0], (V1Hierarchy{"/sys/fs/cgroup/cpu", "/", {"cpu"}}));
  const V1Hierarchy* systemd = l->hierarchyOf("name=systemd");
  ASSERT_NE(systemd, nullptr);
  EXPECT_EQ(systemd->mountPoint, "/sys/fs/cgroup/systemd");
  EXPECT_EQ(systemd->controllers, std::vector<std::string>{"name=systemd"})
      << "xattr and release_agent are options, not controllers";
  EXPECT_EQ(l->hierarchyOf("hugetlb"), nullptr) << "hugetlb is on the v2 side here";
}

TEST(CgroupLayout, TheGuestIsUnified) {
  Result<CgroupLayout> l = parseCgroupLayout(kUnified);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->mode, CgroupMode::kUnified);
  EXPECT_EQ(l->v2Mount, "/sys/fs/cgroup");
  EXPECT_TRUE(l->v1.empty());
}

TEST(CgroupLayout, AV1OnlyHostIsLegacyWithJointHierarchies) {
  Result<CgroupLayout> l = parseCgroupLayout(kLegacy);
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(l->mode, CgroupMode::kLegacy);
  EXPECT_EQ(l->v2Mount, "");
  const V1Hierarchy* cpuacct = l->hierarchyOf("cpuacct");
  ASSERT_NE(cpuacct, nullptr);
  EXPECT_EQ(cpuacct, l->hierarchyOf("cpu")) << "one joint hierarchy";
  EXPECT_EQ(cpuacct->mountPoint, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(l->hierarchyOf("net_prio")->controllers,
            (std::vector<std::string>{"net_cls", "net_prio"}));
}

TEST(CgroupLayout, MountsOutsideSysFsCgroupAreNotTheHosts) {
  std::string text(kUnified);
  text += "90 80 0:22 / /var/lib/c1/rootfs/sys/fs/cgroup ro - cgroup2 cgroup2 rw\n";
  text += "91 80 0:40 / /sys/fs/cgroupx rw - cgroup cgroup rw,memory\n";
  Result<CgroupLayout> l = parseCgroupLayout(text);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->mode, CgroupMode::kUnified);
  EXPECT_EQ(l->v2Mount, "/sys/fs/cgroup");
}

TEST(CgroupLayout, ALaterMountOnTheSamePointCoversTheEarlier) {
  std::string text(kLegacy);
  text += "40 31 0:41 /c1 /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
  Result<CgroupLayout> l = parseCgroupLayout(text);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->v1.size(), 5u);
  EXPECT_EQ(l->hierarchyOf("memory")->root, "/c1");
}

TEST(CgroupLayout, NoCgroupMountIsAClearError) {
  Result<CgroupLayout> l = parseCgroupLayout("23 1 0:20 / /sys rw - sysfs sysfs rw\n");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().message(), "no cgroup hierarchy is mounted under /sys/fs/cgroup");
}

// The container's view: its cgroup in each hierarchy under the mount
// point's name; a hybrid host's v2 one as "unified"; joint hierarchies
// with an alias per controller.
TEST(CgroupLayout, TheContainersViewBindsItsOwnCgroups) {
  std::vector<CgroupViewBind> hybrid = containerCgroupView(*parseCgroupLayout(kHybrid), "/s/c1");
  ASSERT_EQ(hybrid.size(), 10u);
  EXPECT_EQ(hybrid.front(), (CgroupViewBind{"/sys/fs/cgroup/cpu/s/c1", "cpu", {}}));
  EXPECT_EQ(hybrid.back(), (CgroupViewBind{"/sys/fs/cgroup/unified/s/c1", "unified", {}}));
  std::vector<CgroupViewBind> legacy = containerCgroupView(*parseCgroupLayout(kLegacy), "/c1");
  ASSERT_EQ(legacy.size(), 5u);
  EXPECT_EQ(legacy[1],
            (CgroupViewBind{"/sys/fs/cgroup/cpu,cpuacct/c1", "cpu,cpuacct", {"cpu", "cpuacct"}}));
  EXPECT_EQ(legacy[0].name, "systemd");
  EXPECT_TRUE(containerCgroupView(*parseCgroupLayout(kUnified), "/c1").empty());
}

TEST(CgroupLayout, ModeNamesGoBothWays) {
  for (CgroupMode m : {CgroupMode::kUnified, CgroupMode::kHybrid, CgroupMode::kLegacy}) {
    EXPECT_EQ(cgroupModeFromName(cgroupModeName(m)), m);
  }
  EXPECT_FALSE(cgroupModeFromName("v1").has_value());
}

}  // namespace
}  // namespace sangja::cgroups
