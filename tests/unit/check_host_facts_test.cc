// `sangja check`'s host facts, read from recorded hosts, and the pure rules
// on top of them (delegation, user namespaces, /etc/subuid).
#include <gtest/gtest.h>

#include "runtime/check/host_facts.h"
#include "tests/unit/check_fixtures.h"

namespace sangja::check {
namespace {

using testing::gatherFixture;
using testing::ownLikeDebian;
using Strings = std::vector<std::string>;

TEST(CheckHostFacts, HybridHostAsRecorded) {
  HostFacts f = gatherFixture("hybrid", 0, 0);
  EXPECT_EQ(f.userName, "root");
  EXPECT_EQ(f.kernelRelease, "6.18.44-fc-v1272");
  ASSERT_TRUE(f.cgroupLayout.has_value()) << f.cgroupError;
  EXPECT_EQ(f.cgroupLayout->mode, cgroups::CgroupMode::kHybrid);
  EXPECT_EQ(f.cgroupLayout->v2Mount, "/sys/fs/cgroup/unified");
  EXPECT_EQ(f.cgroupLayout->v1.size(), 9u);
  EXPECT_EQ(f.cgroup2Controllers, Strings{"hugetlb"});
  EXPECT_EQ(f.cgroup2Options, "rw");
  EXPECT_EQ(f.ownCgroup, "/");
  ASSERT_EQ(f.ownCgroupChain.size(), 1u);
  EXPECT_EQ(f.ownCgroupChain[0].path, "/");
  EXPECT_TRUE(f.v1.memsw);
  EXPECT_TRUE(f.v1.kmem);
  EXPECT_TRUE(f.v1.cfsBurst);
  EXPECT_FALSE(f.v1.bfqWeight);
  EXPECT_TRUE(f.v1.mounted.has("name=systemd"));
  EXPECT_FALSE(f.systemdRunning);
  EXPECT_EQ(f.pid1Name, "process_api");
  EXPECT_EQ(f.systemdVersion, "252");  // installed: libsystemd-shared-252.so
  EXPECT_EQ(f.namespaceKinds,
            (Strings{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}));
  EXPECT_EQ(f.maxUserNamespaces, 96367);
  EXPECT_FALSE(f.unprivilegedUsernsClone.has_value());
  EXPECT_FALSE(f.apparmorRestrictUnprivilegedUserns.has_value());
  EXPECT_TRUE(f.subuidFile);
  EXPECT_TRUE(f.subuid.empty());  // only sjtest has a range
  EXPECT_EQ(f.newuidmap.path, "/usr/bin/newuidmap");
  EXPECT_FALSE(f.newuidmap.setuidRoot);  // git does not keep the bit
  EXPECT_EQ(f.seccompMode, 0);
  EXPECT_FALSE(f.lsms.has_value());  // securityfs is not mounted there
  EXPECT_FALSE(f.apparmorEnabled);
  EXPECT_EQ(f.selinuxMode, "");
  EXPECT_TRUE(f.overlayfs);
  EXPECT_EQ(f.criuPath, "");
}

TEST(CheckHostFacts, HybridHostForAnUnprivilegedUser) {
  HostFacts f = gatherFixture("hybrid", 1001, 1001);
  EXPECT_EQ(f.userName, "sjtest");
  EXPECT_EQ(f.subuid, (std::vector<IdRange>{{100000, 65536}}));
  EXPECT_EQ(f.subgid, (std::vector<IdRange>{{100000, 65536}}));
}

TEST(CheckHostFacts, UnifiedSystemdHost) {
  HostFacts f = gatherFixture("unified-systemd", 1000, 1000);
  EXPECT_EQ(f.userName, "user");
  ASSERT_TRUE(f.cgroupLayout.has_value()) << f.cgroupError;
  EXPECT_EQ(f.cgroupLayout->mode, cgroups::CgroupMode::kUnified);
  EXPECT_EQ(f.cgroupLayout->v2Mount, "/sys/fs/cgroup");
  EXPECT_EQ(f.cgroup2Options, "rw,nsdelegate,memory_recursiveprot");
  EXPECT_EQ(f.cgroup2Controllers,
            (Strings{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"}));
  EXPECT_TRUE(f.cgroup2SwapAccounting);
  ASSERT_EQ(f.ownCgroupChain.size(), 6u);
  EXPECT_EQ(f.ownCgroupChain[3].path, "/user.slice/user-1000.slice/user@1000.service");
  EXPECT_EQ(f.ownCgroupChain[3].controllers, (Strings{"cpu", "memory", "pids"}));
  EXPECT_EQ(f.ownCgroupChain[5].controllers, (Strings{"memory", "pids"}));
  EXPECT_NE(f.ownCgroupChain[5].procsMode, 0u);  // cgroup.procs is there
  EXPECT_TRUE(f.systemdRunning);
  EXPECT_EQ(f.pid1Name, "systemd");
  EXPECT_EQ(f.systemdVersion, "252");  // from pid 1's maps
  EXPECT_EQ(f.unprivilegedUsernsClone, 1);
  EXPECT_EQ(f.subuid, (std::vector<IdRange>{{100000, 65536}}));
  EXPECT_EQ(f.lsms, (Strings{"lockdown", "capability", "landlock", "yama", "apparmor"}));
  EXPECT_TRUE(f.apparmorEnabled);
  EXPECT_FALSE(f.overlayfs);  // a module nobody loaded yet
}

TEST(CheckHostFacts, HardenedHostWithoutUserNamespaces) {
  HostFacts f = gatherFixture("no-userns", 1000, 1000);
  ASSERT_TRUE(f.cgroupLayout.has_value()) << f.cgroupError;
  EXPECT_EQ(f.cgroupLayout->mode, cgroups::CgroupMode::kLegacy);
  EXPECT_EQ(f.ownCgroup, "");  // no 0:: line on a legacy host
  EXPECT_FALSE(f.v1.memsw);
  EXPECT_TRUE(f.v1.realtime);
  EXPECT_EQ(f.systemdVersion, "245");
  EXPECT_FALSE(f.hasNamespaceKind("time"));
  EXPECT_EQ(f.maxUserNamespaces, 0);
  EXPECT_EQ(f.unprivilegedUsernsClone, 0);
  EXPECT_FALSE(f.subuidFile);
  EXPECT_TRUE(f.subuid.empty());
  EXPECT_EQ(f.newuidmap.path, "");
  EXPECT_FALSE(delegatedCgroup(f).has_value());
}

TEST(CheckHostFacts, RootMustBeADirectory) {
  HostPaths paths;
  paths.root = testing::fixtureRoot("hybrid") + "/etc/passwd";
  Result<HostFacts> f = gatherHostFacts(paths);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find("not a directory"), std::string::npos) << f.error().message();
}

TEST(CheckDelegation, UserManagerSubtreeAsDebianOwnsIt) {
  HostFacts f = gatherFixture("unified-systemd", 1000, 1000);
  ownLikeDebian(f);
  std::optional<Delegation> d = delegatedCgroup(f);
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->all);
  EXPECT_EQ(d->path, "/user.slice/user-1000.slice/user@1000.service");
  EXPECT_EQ(d->controllers, (Strings{"cpu", "memory", "pids"}));
}

TEST(CheckDelegation, RootAlwaysGetsAll) {
  HostFacts f = gatherFixture("unified-systemd", 0, 0);
  std::optional<Delegation> d = delegatedCgroup(f);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(d->all);
}

TEST(CheckDelegation, ARootOwnedOwnCgroupDelegatesNothing) {
  // A login session's scope is root's: nothing above it counts.
  HostFacts f = gatherFixture("unified-systemd", 1000, 1000);
  ownLikeDebian(f);
  f.ownCgroupChain.back().owner = 0;
  EXPECT_FALSE(delegatedCgroup(f).has_value());
}

TEST(CheckDelegation, AReadOnlyCgroupProcsStopsTheWalk) {
  HostFacts f = gatherFixture("unified-systemd", 1000, 1000);
  ownLikeDebian(f);
  f.ownCgroupChain[3].procsMode = 0444;  // user@1000.service
  std::optional<Delegation> d = delegatedCgroup(f);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->path, "/user.slice/user-1000.slice/user@1000.service/app.slice");
}

TEST(CheckDelegation, GroupWritableCgroupProcsCounts) {
  HostFacts f = gatherFixture("unified-systemd", 1000, 1000);
  ownLikeDebian(f);
  for (CgroupDir& d : f.ownCgroupChain) {
    if (d.owner == 1000) {
      d.procsOwner = 0;
      d.procsMode = 0664;
    }
  }
  EXPECT_TRUE(delegatedCgroup(f).has_value());
  for (CgroupDir& d : f.ownCgroupChain) d.procsMode = 0644;
  EXPECT_FALSE(delegatedCgroup(f).has_value());
}

TEST(CheckUserNamespaces, Verdicts) {
  HostFacts f;
  f.uid = 1000;
  f.namespaceKinds = {"mnt", "user"};
  EXPECT_TRUE(userNamespacesFor(f).allowed);
  f.maxUserNamespaces = 0;
  EXPECT_EQ(userNamespacesFor(f).reason, "user.max_user_namespaces is 0");
  f.uid = 0;
  EXPECT_FALSE(userNamespacesFor(f).allowed);  // binds root too
  f.maxUserNamespaces = 100;
  f.unprivilegedUsernsClone = 0;
  EXPECT_TRUE(userNamespacesFor(f).allowed);  // root is not "unprivileged"
  f.uid = 1000;
  EXPECT_EQ(userNamespacesFor(f).reason, "kernel.unprivileged_userns_clone is 0");
  f.unprivilegedUsernsClone = 1;
  f.apparmorRestrictUnprivilegedUserns = 1;
  EXPECT_FALSE(userNamespacesFor(f).allowed);
  EXPECT_NE(userNamespacesFor(f).reason.find("apparmor_restrict_unprivileged_userns is 1"),
            std::string::npos);
  f.namespaceKinds = {"mnt"};
  EXPECT_EQ(userNamespacesFor(f).reason, "the kernel has no user namespaces (CONFIG_USER_NS)");
}

TEST(CheckParsers, SubIdFileByNameOrUid) {
  std::string text =
      "# comment\n"
      "alice:100000:65536\n"
      "1001:200000:1000\n"
      "bob:300000:65536\n"
      "alice:400000:0\n"  // empty: skipped
      "broken line\n"
      "alice:500000:10\n";
  EXPECT_EQ(parseSubIdFile(text, "alice", 1001),
            (std::vector<IdRange>{{100000, 65536}, {200000, 1000}, {500000, 10}}));
  EXPECT_EQ(parseSubIdFile(text, "", 1002), std::vector<IdRange>{});
  EXPECT_EQ(parseSubIdFile(text, "bob", 7), (std::vector<IdRange>{{300000, 65536}}));
}

TEST(CheckParsers, SmallOnes) {
  EXPECT_EQ(userNameOf("root:x:0:0::/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n", 1000), "u");
  EXPECT_EQ(userNameOf("root:x:0:0::/root:/bin/sh\n", 10), "");
  EXPECT_EQ(unifiedCgroupPath("1:name=systemd:/a\n0::/b/c\n"), "/b/c");
  EXPECT_FALSE(unifiedCgroupPath("1:name=systemd:/a\n").has_value());
  EXPECT_EQ(systemdVersionFromLibrary("libsystemd-shared-252.so"), "252");
  EXPECT_EQ(systemdVersionFromLibrary("libsystemd-shared-255.4-1.fc40.so"), "255");
  EXPECT_EQ(systemdVersionFromLibrary("libsystemd-core-252.so"), "");
  EXPECT_EQ(kernelVersion("6.1.0-13-amd64"), (std::pair<int, int>{6, 1}));
  EXPECT_EQ(kernelVersion("5.10.0"), (std::pair<int, int>{5, 10}));
  EXPECT_EQ(kernelVersion("garbage"), (std::pair<int, int>{0, 0}));
}

}  // namespace
}  // namespace sangja::check
