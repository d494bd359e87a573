// User namespaces: id-map rendering and validation, the user plan, and the
// features list.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>

#include <string>
#include <vector>

#include "namespaces/features.h"
#include "namespaces/user.h"

namespace sangja::ns {
namespace {

using spec::IdMapping;

std::string render(const std::vector<IdMapping>& m) {
  Result<std::string> r = renderIdMap(m, "linux.uidMappings");
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : "";
}

std::string renderError(const std::vector<IdMapping>& m) {
  Result<std::string> r = renderIdMap(m, "linux.uidMappings");
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message();
}

// ---- renderIdMap ----

TEST(UserNsIdMap, OneRange) {
  EXPECT_EQ(render({{0, 100000, 65536}}), "0 100000 65536\n");
}

TEST(UserNsIdMap, SeveralRangesKeepTheirOrder) {
  EXPECT_EQ(render({{0, 100000, 1}, {1, 200001, 999}, {1000, 1000, 1}}),
            "0 100000 1\n1 200001 999\n1000 1000 1\n");
}

TEST(UserNsIdMap, AdjacentRangesDoNotOverlap) {
  EXPECT_EQ(render({{0, 100000, 10}, {10, 100010, 10}}), "0 100000 10\n10 100010 10\n");
}

TEST(UserNsIdMap, EmptyIsRefused) {
  EXPECT_EQ(renderError({}), "linux.uidMappings: needs at least one mapping");
}

TEST(UserNsIdMap, ZeroSizeIsRefused) {
  EXPECT_EQ(renderError({{0, 100000, 10}, {10, 5, 0}}),
            "linux.uidMappings[1]: size must be at least 1");
}

TEST(UserNsIdMap, OverlappingContainerRangesAreRefused) {
  EXPECT_EQ(renderError({{0, 100000, 100}, {50, 300000, 100}}),
            "linux.uidMappings[1]: containerID range 50-149 overlaps linux.uidMappings[0] (0-99)");
}

TEST(UserNsIdMap, OverlappingHostRangesAreRefused) {
  EXPECT_EQ(renderError({{0, 100000, 100}, {100, 100099, 1}}),
            "linux.uidMappings[1]: hostID range 100099-100099 overlaps linux.uidMappings[0] "
            "(100000-100099)");
}

TEST(UserNsIdMap, RangePastTheLastIdIsRefused) {
  // 4294967295 is (uid_t)-1, never an id.
  EXPECT_EQ(render({{4294967294u, 1, 1}}), "4294967294 1 1\n");
  EXPECT_EQ(renderError({{4294967295u, 1, 1}}),
            "linux.uidMappings[0]: containerID 4294967295 + size 1 goes past the largest id "
            "4294967294");
  EXPECT_EQ(renderError({{0, 4294967000u, 1000}}),
            "linux.uidMappings[0]: hostID 4294967000 + size 1000 goes past the largest id "
            "4294967294");
}

TEST(UserNsIdMap, AtMost340Lines) {
  std::vector<IdMapping> m;
  for (uint32_t i = 0; i < kMaxIdMapLines; ++i) m.push_back({i * 10, 100000 + i * 10, 10});
  std::string text = render(m);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 340);
  m.push_back({3400, 103400, 1});
  EXPECT_EQ(renderError(m), "linux.uidMappings: 341 mappings; the kernel takes at most 340");
}

TEST(UserNsIdMap, ErrorsNameTheGivenPath) {
  Result<std::string> r = renderIdMap({{0, 1, 0}}, "mounts[2].gidMappings");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "mounts[2].gidMappings[0]: size must be at least 1");
}

// ---- parseIdMap, isMapped, sameMappings ----

TEST(UserNsIdMap, ParsesTheKernelsPaddedFormat) {
  Result<std::vector<IdMapping>> r =
      parseIdMap("         0     100000      65536\n     65536          7          1\n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, (std::vector<IdMapping>{{0, 100000, 65536}, {65536, 7, 1}}));
}

TEST(UserNsIdMap, ParseRoundTripsRender) {
  std::vector<IdMapping> m = {{0, 100000, 1}, {1, 200000, 65535}};
  Result<std::vector<IdMapping>> r = parseIdMap(render(m));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, m);
}

TEST(UserNsIdMap, ParseRejectsGarbage) {
  EXPECT_FALSE(parseIdMap("0 100000\n").ok());
  EXPECT_FALSE(parseIdMap("0 1 2 3\n").ok());
  EXPECT_FALSE(parseIdMap("a b c\n").ok());
}

TEST(UserNsIdMap, IsMapped) {
  std::vector<IdMapping> m = {{0, 100000, 10}, {1000, 5000, 1}};
  EXPECT_TRUE(isMapped(m, 0));
  EXPECT_TRUE(isMapped(m, 9));
  EXPECT_FALSE(isMapped(m, 10));
  EXPECT_TRUE(isMapped(m, 1000));
  EXPECT_FALSE(isMapped(m, 1001));
  EXPECT_FALSE(isMapped({}, 0));
}

TEST(UserNsIdMap, SameMappingsIgnoresOrder) {
  EXPECT_TRUE(sameMappings({{0, 1, 2}, {5, 10, 1}}, {{5, 10, 1}, {0, 1, 2}}));
  EXPECT_FALSE(sameMappings({{0, 1, 2}}, {{0, 1, 3}}));
  EXPECT_FALSE(sameMappings({{0, 1, 2}}, {{0, 1, 2}, {5, 10, 1}}));
}

// ---- planUserNamespace ----

class UserNsPlanTest : public ::testing::Test {
 protected:
  UserNsPlanTest() {
    config_.linux.emplace();
    config_.process.emplace();
  }
  void newUserNs() { ns_.cloneFlags |= CLONE_NEWUSER; }
  void joinUserNs() { ns_.userNsToJoin = UniqueFd(::open("/proc/self/ns/user", O_RDONLY)); }
  void map(std::vector<IdMapping> uids, std::vector<IdMapping> gids) {
    config_.linux->uidMappings = std::move(uids);
    config_.linux->gidMappings = std::move(gids);
  }
  std::string error(bool privileged = true) {
    Result<UserPlan> r = planUserNamespace(config_, ns_, privileged);
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.error().message();
  }
  UserPlan plan(bool privileged = true) {
    Result<UserPlan> r = planUserNamespace(config_, ns_, privileged);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : UserPlan{};
  }

  spec::Config config_;
  NamespacePlan ns_;
};

TEST_F(UserNsPlanTest, NoUserNamespaceNoMaps) {
  UserPlan p = plan();
  EXPECT_EQ(p.uidMap, "");
  EXPECT_FALSE(p.becomeRoot);
}

TEST_F(UserNsPlanTest, RendersBothMaps) {
  newUserNs();
  map({{0, 100000, 65536}}, {{0, 200000, 1000}, {1000, 300000, 1}});
  UserPlan p = plan();
  EXPECT_EQ(p.uidMap, "0 100000 65536\n");
  EXPECT_EQ(p.gidMap, "0 200000 1000\n1000 300000 1\n");
  EXPECT_TRUE(p.becomeRoot);
  EXPECT_FALSE(p.denySetgroups) << "root keeps setgroups allowed";
}

TEST_F(UserNsPlanTest, UnprivilegedDeniesSetgroups) {
  newUserNs();
  map({{0, 1000, 1}}, {{0, 1000, 1}});
  EXPECT_TRUE(plan(false).denySetgroups);
}

TEST_F(UserNsPlanTest, UnprivilegedCannotHaveAdditionalGids) {
  newUserNs();
  map({{0, 1000, 1}}, {{0, 1000, 1}});
  config_.process->user.additionalGids = {0};
  EXPECT_EQ(error(false),
            "process.user.additionalGids: cannot be set without privilege: setgroups is denied in "
            "the user namespace (map more than the caller's own gid, from /etc/subgid, to allow "
            "it)");
}

// An ordinary user (uid/gid 1000, granted 100000-165535 in both files).
IdGrants grantsFor1000() {
  return IdGrants{IdGrant{1000, {{100000, 65536}}, "/etc/subuid"},
                  IdGrant{1000, {{100000, 65536}}, "/etc/subgid"}};
}

TEST_F(UserNsPlanTest, UnprivilegedOwnIdIsWrittenDirectly) {
  newUserNs();
  map({{0, 1000, 1}}, {{0, 1000, 1}});
  IdGrants grants = grantsFor1000();
  Result<UserPlan> p = planUserNamespace(config_, ns_, false, &grants);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(p->uidsViaHelper.empty());
  EXPECT_TRUE(p->gidsViaHelper.empty());
  EXPECT_TRUE(p->denySetgroups);
}

TEST_F(UserNsPlanTest, UnprivilegedRangesGoThroughTheHelpers) {
  newUserNs();
  map({{0, 1000, 1}, {1, 100000, 65536}}, {{0, 1000, 1}, {1, 100000, 65536}});
  config_.process->user.additionalGids = {5};
  IdGrants grants = grantsFor1000();
  Result<UserPlan> p = planUserNamespace(config_, ns_, false, &grants);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->uidsViaHelper.size(), 2u);
  EXPECT_EQ(p->gidsViaHelper.size(), 2u);
  EXPECT_FALSE(p->denySetgroups) << "newgidmap writes gid_map: setgroups stays for the groups";
}

TEST_F(UserNsPlanTest, UnprivilegedRangeOutsideTheGrantIsRefusedNamingTheFile) {
  newUserNs();
  map({{0, 1000, 1}}, {{0, 1000, 1}, {1, 200000, 10}});
  IdGrants grants = grantsFor1000();
  Result<UserPlan> p = planUserNamespace(config_, ns_, false, &grants);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(),
            "linux.gidMappings[1]: host ids 200000-200009 are not id 1000's own nor granted to it "
            "in /etc/subgid (100000-165535)");
}

TEST_F(UserNsPlanTest, UnprivilegedOtherSingleIdNeedsAGrant) {
  newUserNs();
  map({{0, 0, 1}}, {{0, 1000, 1}});  // host root: never an ordinary user's
  IdGrants grants = grantsFor1000();
  Result<UserPlan> p = planUserNamespace(config_, ns_, false, &grants);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code(), EPERM);
  EXPECT_NE(p.error().message().find("linux.uidMappings[0]: host ids 0-0"), std::string::npos)
      << p.error().message();
}

TEST_F(UserNsPlanTest, UserNamespaceWithoutMappingsIsAnError) {
  newUserNs();
  EXPECT_EQ(error(), "linux.uidMappings: a new user namespace needs uid mappings");
  map({{0, 100000, 65536}}, {});
  EXPECT_EQ(error(), "linux.gidMappings: a new user namespace needs gid mappings");
}

TEST_F(UserNsPlanTest, MappingsWithoutUserNamespaceAreAnError) {
  map({{0, 100000, 65536}}, {{0, 100000, 65536}});
  EXPECT_EQ(error(), "linux.uidMappings: needs a user namespace in linux.namespaces");
  map({}, {{0, 100000, 65536}});
  EXPECT_EQ(error(), "linux.gidMappings: needs a user namespace in linux.namespaces");
}

TEST_F(UserNsPlanTest, BadMapsNameTheirJsonPath) {
  newUserNs();
  map({{0, 100000, 65536}}, {{0, 100000, 10}, {5, 200000, 10}});
  EXPECT_EQ(error(),
            "linux.gidMappings[1]: containerID range 5-14 overlaps linux.gidMappings[0] (0-9)");
}

TEST_F(UserNsPlanTest, RootMustBeMapped) {
  newUserNs();
  map({{1, 100000, 10}}, {{0, 100000, 10}});
  EXPECT_EQ(error(), "container root uid: 0 is not mapped by linux.uidMappings");
  map({{0, 100000, 10}}, {{1, 100000, 10}});
  EXPECT_EQ(error(), "container root gid: 0 is not mapped by linux.gidMappings");
}

TEST_F(UserNsPlanTest, ProcessIdsMustBeMapped) {
  newUserNs();
  map({{0, 100000, 1000}}, {{0, 100000, 1000}});
  config_.process->user.uid = 1000;
  EXPECT_EQ(error(), "process.user.uid: 1000 is not mapped by linux.uidMappings");
  config_.process->user.uid = 999;
  config_.process->user.gid = 5000;
  EXPECT_EQ(error(), "process.user.gid: 5000 is not mapped by linux.gidMappings");
  config_.process->user.gid = 5;
  config_.process->user.additionalGids = {1, 1000};
  EXPECT_EQ(error(), "process.user.additionalGids[1]: 1000 is not mapped by linux.gidMappings");
  config_.process->user.additionalGids = {1, 999};
  EXPECT_TRUE(planUserNamespace(config_, ns_, true).ok());
}

TEST_F(UserNsPlanTest, JoinedNamespaceWritesNoMaps) {
  joinUserNs();
  UserPlan p = plan();
  EXPECT_EQ(p.uidMap, "");
  EXPECT_EQ(p.gidMap, "");
  EXPECT_TRUE(p.becomeRoot);
}

TEST_F(UserNsPlanTest, JoinedNamespaceAcceptsItsOwnMapsRepeated) {
  joinUserNs();
  map({{0, 100000, 65536}}, {{0, 100000, 65536}});
  std::vector<IdMapping> joined = {{0, 100000, 65536}};
  Result<UserPlan> r = planUserNamespace(config_, ns_, true, nullptr, &joined, &joined);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->uidMap, "");
}

TEST_F(UserNsPlanTest, JoinedNamespaceRefusesOtherMaps) {
  joinUserNs();
  map({{0, 100000, 65536}}, {{0, 100000, 65536}});
  std::vector<IdMapping> joined = {{0, 200000, 65536}};
  std::vector<IdMapping> same = {{0, 100000, 65536}};
  Result<UserPlan> r = planUserNamespace(config_, ns_, true, nullptr, &joined, &same);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "linux.uidMappings: differ from the maps of the user namespace joined by path (give a "
            "path or mappings, not both)");
  r = planUserNamespace(config_, ns_, true, nullptr, &same, &joined);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().rfind("linux.gidMappings: differ", 0), 0u) << r.error().message();
}

// ---- planNamespaces ----

TEST(UserNsNamespaces, UserAndTimeArePlanned) {
  std::vector<spec::Namespace> req = {{spec::NamespaceType::User, std::nullopt},
                                      {spec::NamespaceType::Time, std::nullopt},
                                      {spec::NamespaceType::Mount, std::nullopt}};
  Result<NamespacePlan> r = planNamespaces(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->cloneFlags, static_cast<unsigned long>(CLONE_NEWUSER | CLONE_NEWNS));
  EXPECT_TRUE(r->hasNew(CLONE_NEWUSER));
  EXPECT_TRUE(r->hasNew(CLONE_NEWTIME)) << "unshared by the init, not cloned";
  EXPECT_FALSE(r->userNsToJoin.valid());
}

TEST(UserNsNamespaces, JoinedUserNamespaceIsKeptApart) {
  std::vector<spec::Namespace> req = {{spec::NamespaceType::User, "/proc/self/ns/user"},
                                      {spec::NamespaceType::Time, "/proc/self/ns/time"}};
  Result<NamespacePlan> r = planNamespaces(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->userNsToJoin.valid());
  EXPECT_TRUE(r->has(CLONE_NEWUSER));
  EXPECT_FALSE(r->hasNew(CLONE_NEWUSER));
  EXPECT_EQ(r->cloneFlags, 0ul);
  ASSERT_EQ(r->joins.size(), 1u) << "the user namespace is not a plain setns join";
  EXPECT_EQ(r->joins[0].type, CLONE_NEWTIME);
  EXPECT_TRUE(r->has(CLONE_NEWTIME));
  EXPECT_FALSE(r->hasNew(CLONE_NEWTIME));
}

TEST(UserNsNamespaces, MissingPathIsAnError) {
  std::vector<spec::Namespace> req = {{spec::NamespaceType::User, "/nonexistent/ns/user"}};
  Result<NamespacePlan> r = planNamespaces(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("join user namespace"), std::string::npos)
      << r.error().message();
}

TEST(UserNsNamespaces, IpcNamespaceWaitsForRootInAUserNamespace) {
  std::vector<spec::Namespace> req = {{spec::NamespaceType::Ipc, std::nullopt},
                                      {spec::NamespaceType::User, std::nullopt}};
  Result<NamespacePlan> r = planNamespaces(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->cloneFlags, static_cast<unsigned long>(CLONE_NEWUSER));
  EXPECT_TRUE(r->ipcNsAfterRoot);
  EXPECT_TRUE(r->hasNew(CLONE_NEWIPC));

  req.pop_back();
  r = planNamespaces(req);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->cloneFlags, static_cast<unsigned long>(CLONE_NEWIPC)) << "cloned as before";
  EXPECT_FALSE(r->ipcNsAfterRoot);
}

// ---- features ----

TEST(UserNsFeatures, EveryNamespaceTypeIsListedAndIdmapIsOn) {
  NamespaceFeatures f = namespaceFeatures();
  std::vector<std::string> all;
  for (spec::NamespaceType t :
       {spec::NamespaceType::Cgroup, spec::NamespaceType::Ipc, spec::NamespaceType::Mount,
        spec::NamespaceType::Network, spec::NamespaceType::Pid, spec::NamespaceType::Time,
        spec::NamespaceType::User, spec::NamespaceType::Uts}) {
    all.emplace_back(spec::namespaceTypeName(t));
  }
  EXPECT_EQ(f.namespaces, all);
  EXPECT_TRUE(f.idmapMounts);
  EXPECT_EQ(f.mountOptions, (std::vector<std::string>{"idmap", "ridmap"}));
}

}  // namespace
}  // namespace sangja::ns
