// Rootless mode's pure rules: the flag, the default state root, where a
// rootless container's cgroup goes (or none), and the subordinate ids an
// ordinary user may map.
#include "runtime/lifecycle/rootless.h"

#include <gtest/gtest.h>

#include "cgroups/delegation.h"
#include "namespaces/subordinate_ids.h"

namespace sangja {
namespace {

using cgroups::CgroupDriver;
using cgroups::CgroupMode;
using cgroups::DelegationFacts;

TEST(RootlessFlag, TakesRuncsValuesOnly) {
  EXPECT_EQ(*parseRootlessFlag("auto"), RootlessFlag::kAuto);
  EXPECT_EQ(*parseRootlessFlag("true"), RootlessFlag::kTrue);
  EXPECT_EQ(*parseRootlessFlag("false"), RootlessFlag::kFalse);
  Result<RootlessFlag> bad = parseRootlessFlag("1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "invalid --rootless value \"1\": use true, false or auto");
}

TEST(RootlessFlag, AutoIsRootlessUnlessRealRoot) {
  Caller root;
  Caller user{.euid = 1000};
  Caller rootInUserNs{.euid = 0, .ownsAllIds = false};
  EXPECT_FALSE(isRootless(RootlessFlag::kAuto, root));
  EXPECT_TRUE(isRootless(RootlessFlag::kAuto, user));
  EXPECT_TRUE(isRootless(RootlessFlag::kAuto, rootInUserNs));
  EXPECT_TRUE(isRootless(RootlessFlag::kTrue, root));
  EXPECT_FALSE(isRootless(RootlessFlag::kFalse, user));
}

TEST(RootlessFlag, OnlyTheFullMapIsTheInitialNamespace) {
  EXPECT_TRUE(mapsEveryId("         0          0 4294967295\n"));
  EXPECT_FALSE(mapsEveryId("0 1000 1\n"));
  EXPECT_FALSE(mapsEveryId("0 0 4294967294\n"));
  EXPECT_FALSE(mapsEveryId("0 0 4294967295\n1 1 1\n"));
  EXPECT_FALSE(mapsEveryId(""));
}

TEST(StateRoot, AnOrdinaryUserGetsXdgRuntimeDir) {
  EXPECT_EQ(defaultStateRoot(Caller{.euid = 1000, .xdgRuntimeDir = "/run/user/1000"}),
            "/run/user/1000/sangja");
  // Without it: root's place, which the state store then refuses clearly.
  EXPECT_EQ(defaultStateRoot(Caller{.euid = 1000}), "/run/sangja");
}

TEST(StateRoot, RealRootKeepsRunSangjaWhateverItsLoginSet) {
  EXPECT_EQ(defaultStateRoot(Caller{.euid = 0, .xdgRuntimeDir = "/run/user/0"}), "/run/sangja");
}

TEST(StateRoot, RootInAUserNamespaceFollowsUser) {
  Caller c{.euid = 0, .ownsAllIds = false, .xdgRuntimeDir = "/run/user/1000"};
  EXPECT_EQ(defaultStateRoot(c), "/run/user/1000/sangja");
  c.user = "root";
  EXPECT_EQ(defaultStateRoot(c), "/run/sangja");
}

spec::Config rootlessConfig() {
  spec::Config c;
  c.process.emplace();
  c.linux.emplace();
  c.linux->namespaces = {{spec::NamespaceType::Pid, std::nullopt},
                         {spec::NamespaceType::User, std::nullopt}};
  return c;
}

TEST(RootlessConfig, OomScoreAdjMayOnlyGoUp) {
  spec::Config c = rootlessConfig();
  RootlessFacts facts;
  EXPECT_TRUE(checkRootlessConfig(c, facts).ok());
  c.process->oomScoreAdj = 500;
  EXPECT_TRUE(checkRootlessConfig(c, facts).ok());
  facts.callersOomScoreAdj = 500;
  EXPECT_TRUE(checkRootlessConfig(c, facts).ok());
  facts.callersOomScoreAdj = 0;
  c.process->oomScoreAdj = -500;
  Status lower = checkRootlessConfig(c, facts);
  ASSERT_FALSE(lower.ok());
  EXPECT_EQ(lower.error().message(),
            "process.oomScoreAdj: -500 is below the caller's 0: a rootless container may only "
            "raise it (lowering needs CAP_SYS_RESOURCE on the host)");
}

TEST(RootlessConfig, AnOrdinaryUserNeedsAUserNamespace) {
  spec::Config c = rootlessConfig();
  c.linux->namespaces.pop_back();
  Status st = checkRootlessConfig(c, RootlessFacts{});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message().rfind("linux.namespaces: a rootless container needs a user", 0),
            0u);
  // Root in a user namespace (rootless Podman's) may go without one.
  EXPECT_TRUE(checkRootlessConfig(c, RootlessFacts{.callerIsRoot = true}).ok());
}

TEST(RootlessConfig, HooksInTheContainerAreTaken) {
  spec::Config c = rootlessConfig();
  c.hooks.createContainer.push_back(spec::Hook{});
  c.hooks.startContainer.push_back(spec::Hook{});
  EXPECT_TRUE(checkRootlessConfig(c, RootlessFacts{}).ok());
}

TEST(RootlessConfig, NoCgroupNeedsItsOwnPidNamespace) {
  spec::Config c = rootlessConfig();
  EXPECT_TRUE(checkRootlessConfig(c, RootlessFacts{.hasCgroup = false}).ok());
  c.linux->namespaces[0].path = "/proc/1/ns/pid";  // joined: not its own
  Status st = checkRootlessConfig(c, RootlessFacts{.hasCgroup = false});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("without a cgroup needs a new pid namespace"),
            std::string::npos);
  EXPECT_TRUE(checkRootlessConfig(c, RootlessFacts{.hasCgroup = true}).ok());
}

TEST(Delegation, OwnCgroupIsTheV2Line) {
  EXPECT_EQ(cgroups::ownCgroup2Path("12:pids:/user.slice\n0::/user.slice/user-1000.slice/"
                                    "user@1000.service/app.slice/x.scope\n"),
            "/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope");
  EXPECT_EQ(cgroups::ownCgroup2Path("4:memory:/a\n"), "");
}

TEST(Delegation, PathsFollowRuncsRootlessPlacement) {
  std::string own = "/deleg/runner";
  EXPECT_EQ(*cgroups::rootlessCgroupPath("", "c1", own), "/deleg/c1");
  EXPECT_EQ(*cgroups::rootlessCgroupPath("pods/c1", "c1", own), "/deleg/pods/c1");
  EXPECT_EQ(*cgroups::rootlessCgroupPath("/abs/c1", "c1", own), "/abs/c1");
  EXPECT_EQ(*cgroups::rootlessCgroupPath("../../x", "c1", own), "/x") << "no higher than the root";
  EXPECT_EQ(*cgroups::rootlessCgroupPath("", "c1", "/"), "/c1");
  EXPECT_FALSE(cgroups::rootlessCgroupPath("..", "c1", "/a").ok()) << "the root itself";
}

DelegationFacts unifiedFacts(bool writable) {
  return DelegationFacts{CgroupMode::kUnified, 1000, "/deleg/c1", writable, "/sys/fs/cgroup/deleg"};
}

TEST(Delegation, AWritablePlaceIsTheContainersCgroup) {
  Result<cgroups::CgroupRef> ref =
      cgroups::decideRootlessCgroup("", {"memory"}, unifiedFacts(true));
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  EXPECT_EQ(ref->path, "/deleg/c1");
  EXPECT_EQ(ref->driver, CgroupDriver::kCgroupfs);
}

TEST(Delegation, NoLimitsAndNoPathRunWithoutACgroup) {
  for (CgroupMode mode : {CgroupMode::kUnified, CgroupMode::kHybrid, CgroupMode::kLegacy}) {
    DelegationFacts facts = unifiedFacts(false);
    facts.mode = mode;
    Result<cgroups::CgroupRef> ref = cgroups::decideRootlessCgroup("", {}, facts);
    ASSERT_TRUE(ref.ok()) << ref.error().message();
    EXPECT_EQ(ref->driver, CgroupDriver::kNone);
    EXPECT_EQ(ref->path, "");
  }
}

TEST(Delegation, LimitsWithoutDelegationAreRefusedNamingTheField) {
  Result<cgroups::CgroupRef> ref =
      cgroups::decideRootlessCgroup("", {"memory", "pids"}, unifiedFacts(false));
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().message(),
            "linux.resources: limits on memory, pids need a cgroup, and a rootless container "
            "cannot make one: /sys/fs/cgroup/deleg is not writable by uid 1000 (no cgroup v2 "
            "subtree is delegated to it there)");
}

TEST(Delegation, AV1HostDelegatesNothingEvenWhenWritable) {
  DelegationFacts facts = unifiedFacts(true);
  facts.mode = CgroupMode::kHybrid;
  Result<cgroups::CgroupRef> ref = cgroups::decideRootlessCgroup("", {"cpu"}, facts);
  ASSERT_FALSE(ref.ok());
  EXPECT_NE(ref.error().message().find("v1 (hybrid), which cannot be delegated to uid 1000"),
            std::string::npos)
      << ref.error().message();
}

TEST(Delegation, AGivenPathWithoutDelegationIsRefused) {
  Result<cgroups::CgroupRef> ref = cgroups::decideRootlessCgroup("/x", {}, unifiedFacts(false));
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().message().rfind("linux.cgroupsPath \"/x\": ", 0), 0u)
      << ref.error().message();
}

TEST(Delegation, AUserInstancesScopeIsBelowTheInstancesOwnCgroup) {
  const std::string manager = "/user.slice/user-1000.slice/user@1000.service";
  EXPECT_EQ(cgroups::userScopePath(manager, "/user.slice/libpod-x.scope"),
            manager + "/user.slice/libpod-x.scope");
  EXPECT_EQ(cgroups::userScopePath(manager + "/", "/x.scope"), manager + "/x.scope");
  EXPECT_EQ(cgroups::userScopePath("/", "/user.slice/x.scope"), "/user.slice/x.scope");
}

TEST(SubordinateIds, ByNameOrNumberMalformedLinesSkipped) {
  std::string text =
      "alice:100000:65536\n"
      "1000:300000:10\n"
      "bob:165536:65536\n"
      "alice:bad:1\n"
      "alice:5:0\n"
      "alice:400000\n"
      "alice:500000:1";  // no newline at the end
  std::vector<ns::SubIdRange> got = ns::parseSubIds(text, "alice", 1000);
  std::vector<ns::SubIdRange> want{{100000, 65536}, {300000, 10}, {500000, 1}};
  EXPECT_EQ(got, want);
  EXPECT_TRUE(ns::parseSubIds(text, "", 1001).empty());
}

TEST(SubordinateIds, OwnIdAloneNeedsNoHelper) {
  EXPECT_TRUE(ns::mapsOnlyOwnId({{0, 1000, 1}}, 1000));
  EXPECT_TRUE(ns::mapsOnlyOwnId({{5, 1000, 1}}, 1000));
  EXPECT_FALSE(ns::mapsOnlyOwnId({{0, 1000, 2}}, 1000));
  EXPECT_FALSE(ns::mapsOnlyOwnId({{0, 1001, 1}}, 1000));
  EXPECT_FALSE(ns::mapsOnlyOwnId({{0, 1000, 1}, {1, 100000, 1}}, 1000));
}

TEST(SubordinateIds, RangesMustFitInOneGrant) {
  ns::IdGrant grant{1000, {{100000, 10}, {100010, 10}}, "/etc/subuid"};
  EXPECT_TRUE(ns::checkGranted({{0, 1000, 1}, {1, 100000, 10}}, grant, "linux.uidMappings").ok());
  Status across = ns::checkGranted({{0, 100005, 10}}, grant, "linux.uidMappings");
  ASSERT_FALSE(across.ok()) << "two adjacent lines are two grants, as newuidmap checks them";
  EXPECT_EQ(across.error().message(),
            "linux.uidMappings[0]: host ids 100005-100014 are not id 1000's own nor granted to it "
            "in /etc/subuid (100000-100009, 100010-100019)");
  Status none =
      ns::checkGranted({{1, 100000, 1}}, ns::IdGrant{1000, {}, "/etc/subuid"}, "linux.uidMappings");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message().find("(no range)"), std::string::npos);
}

TEST(SubordinateIds, HelperArgumentsArePidThenTriples) {
  std::vector<std::string> want{"42", "0", "1000", "1", "1", "100000", "65536"};
  EXPECT_EQ(ns::idMapHelperArgs(42, {{0, 1000, 1}, {1, 100000, 65536}}), want);
}

}  // namespace
}  // namespace sangja
