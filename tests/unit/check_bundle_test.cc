// `sangja check --bundle`: each field a host (and caller) cannot honour is
// refused with its JSON path and why; a config the host can run has none.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime/check/bundle_check.h"
#include "tests/unit/check_fixtures.h"

namespace sangja::check {
namespace {

using nlohmann::json;
using testing::gatherFixture;
using testing::modernKernel;
using testing::ownLikeDebian;

// `runc spec`'s shape, cut down: namespaces pid, network, ipc, uts, mount.
json baseConfig() {
  return json::parse(R"({
    "ociVersion": "1.2.0",
    "root": {"path": "rootfs"},
    "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
    "linux": {
      "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                     {"type": "mount"}]
    }
  })");
}

spec::Config parsed(const json& j) {
  Result<spec::Config> c = spec::parseConfig(j.dump());
  if (!c.ok()) throw std::runtime_error(c.error().message());
  return std::move(c).value();
}

// A rootless-style config: a user namespace mapping 0 -> the given host ids.
json withUserNamespace(json j, uint32_t hostUid, uint32_t size) {
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", hostUid}, {"size", size}}};
  j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", hostUid}, {"size", size}}};
  return j;
}

HostFacts hybridRoot() {
  HostFacts f = gatherFixture("hybrid", 0, 0);
  f.kernel = modernKernel();
  return f;
}

// uid 1000 on Debian 12 in its delegated scope, newuidmap setuid as the
// uidmap package installs it.
HostFacts debianUser() {
  HostFacts f = gatherFixture("unified-systemd", 1000, 1000);
  f.kernel = modernKernel();
  f.kernel.idmappedMounts = Probe::unknown("needs root to probe");
  f.kernel.bpfDeviceFilter = Probe::unknown("needs root to probe");
  ownLikeDebian(f);
  f.newuidmap.setuidRoot = true;
  f.newgidmap.setuidRoot = true;
  return f;
}

HostFacts hardenedUser() {
  HostFacts f = gatherFixture("no-userns", 1000, 1000);
  f.kernel = modernKernel();
  return f;
}

TEST(CheckBundle, PlainConfigRunsAsRootOnTheHybridHost) {
  EXPECT_EQ(checkBundle(parsed(baseConfig()), hybridRoot()), std::vector<BundleProblem>{});
}

TEST(CheckBundle, RootlessConfigRunsForADelegatedDebianUser) {
  json j = withUserNamespace(baseConfig(), 100000, 65536);
  j["linux"]["resources"] = {{"memory", {{"limit", 1 << 30}}}, {"pids", {{"limit", 100}}}};
  EXPECT_EQ(checkBundle(parsed(j), debianUser()), std::vector<BundleProblem>{});
}

TEST(CheckBundle, TimeNamespaceOnAKernelWithout) {
  json j = baseConfig();
  j["linux"]["namespaces"].push_back({{"type", "time"}});
  HostFacts f = gatherFixture("no-userns", 0, 0);
  f.kernel = modernKernel();
  EXPECT_EQ(checkBundle(parsed(j), f),
            (std::vector<BundleProblem>{
                {"linux.namespaces[5]", "time namespaces are not available on this kernel"}}));
}

TEST(CheckBundle, TimeOffsetsOnAKernelWithout) {
  json j = baseConfig();
  j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 10}, {"nanosecs", 0}}}};
  HostFacts f = gatherFixture("no-userns", 0, 0);
  std::vector<BundleProblem> problems = checkBundle(parsed(j), f);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].jsonPath, "linux.timeOffsets");
}

TEST(CheckBundle, UserNamespaceForbiddenBySysctl) {
  json j = withUserNamespace(baseConfig(), 1000, 1);
  std::vector<BundleProblem> problems = checkBundle(parsed(j), hardenedUser());
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].jsonPath, "linux.namespaces[5]");
  EXPECT_EQ(problems[0].reason,
            "user namespaces are not allowed for uid 1000: user.max_user_namespaces is 0");
}

TEST(CheckBundle, UidWithoutSubuidRange) {
  json j = withUserNamespace(baseConfig(), 100000, 65536);
  std::vector<BundleProblem> problems = checkBundle(parsed(j), hardenedUser());
  BundleProblem want{"linux.uidMappings[0]", "uid 1000 has no range in /etc/subuid"};
  EXPECT_NE(std::find(problems.begin(), problems.end(), want), problems.end())
      << ::testing::PrintToString(problems.size());
  BundleProblem wantGid{"linux.gidMappings[0]", "gid 1000 has no range in /etc/subgid"};
  EXPECT_NE(std::find(problems.begin(), problems.end(), wantGid), problems.end());
}

TEST(CheckBundle, OwnIdAloneNeedsNoRange) {
  json j = withUserNamespace(baseConfig(), 1000, 1);
  for (const BundleProblem& p : checkBundle(parsed(j), hardenedUser())) {
    EXPECT_EQ(p.jsonPath.find("Mappings"), std::string::npos) << p.jsonPath << ": " << p.reason;
  }
}

TEST(CheckBundle, MappingOutsideTheSubuidRange) {
  json j = withUserNamespace(baseConfig(), 200000, 65536);
  std::vector<BundleProblem> problems = checkBundle(parsed(j), debianUser());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].jsonPath, "linux.uidMappings[0]");
  EXPECT_EQ(problems[0].reason,
            "host ids 200000-265535 are outside uid 1000's ranges in /etc/subuid (100000-165535)");
  EXPECT_EQ(problems[1].jsonPath, "linux.gidMappings[0]");
}

TEST(CheckBundle, MappingRangesNeedASetuidNewuidmap) {
  json j = withUserNamespace(baseConfig(), 100000, 65536);
  HostFacts f = debianUser();
  f.newuidmap.setuidRoot = false;
  std::vector<BundleProblem> problems = checkBundle(parsed(j), f);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].jsonPath, "linux.uidMappings[0]");
  EXPECT_EQ(problems[0].reason,
            "mapping more than uid 1000 itself needs newuidmap (/usr/bin/newuidmap), which is "
            "neither setuid root nor has file capabilities");
}

TEST(CheckBundle, LimitsWithoutADelegatedCgroup) {
  json j = withUserNamespace(baseConfig(), 1000, 1);
  j["linux"]["resources"] = {{"pids", {{"limit", 10}}}};
  HostFacts f = debianUser();
  f.ownCgroupChain.back().owner = 0;  // a login session's scope, root's
  EXPECT_EQ(checkBundle(parsed(j), f),
            (std::vector<BundleProblem>{
                {"linux.resources", "no cgroup is delegated to uid 1000 and limits are set"}}));
}

TEST(CheckBundle, LimitsOnAV1HostForAnUnprivilegedUser) {
  json j = baseConfig();
  j["linux"]["resources"] = {{"memory", {{"limit", 1 << 20}}}};
  std::vector<BundleProblem> problems = checkBundle(parsed(j), hardenedUser());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].jsonPath, "linux.namespaces");  // uid 1000 without a user namespace
  EXPECT_EQ(problems[1].jsonPath, "linux.resources");
  EXPECT_NE(problems[1].reason.find("cgroup v1 (legacy)"), std::string::npos) << problems[1].reason;
}

TEST(CheckBundle, ControllerNotDelegated) {
  json j = withUserNamespace(baseConfig(), 100000, 65536);
  j["linux"]["resources"] = {{"blockIO", {{"weight", 500}}}, {"pids", {{"limit", 10}}}};
  std::vector<BundleProblem> problems = checkBundle(parsed(j), debianUser());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].jsonPath, "linux.resources.blockIO");  // io is not delegated
  EXPECT_EQ(problems[0].reason, "the io controller is not available in this cgroup");
}

TEST(CheckBundle, SwapWithoutSwapAccounting) {
  json j = baseConfig();
  j["linux"]["resources"] = {{"memory", {{"limit", 1 << 30}, {"swap", int64_t{1} << 31}}}};
  HostFacts f = gatherFixture("unified-systemd", 0, 0);
  f.kernel = modernKernel();
  f.cgroup2SwapAccounting = false;
  std::vector<BundleProblem> problems = checkBundle(parsed(j), f);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].jsonPath, "linux.resources.memory.swap");
  f.cgroup2SwapAccounting = true;
  EXPECT_TRUE(checkBundle(parsed(j), f).empty());
}

TEST(CheckBundle, EveryRefusedResourceGroupIsNamed) {
  json j = baseConfig();
  j["linux"]["resources"] = {{"memory", {{"limit", 1 << 30}, {"swap", 1 << 20}}},
                             {"unified", {{"memory.high", "1G"}}}};
  std::vector<BundleProblem> problems = checkBundle(parsed(j), hybridRoot());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].jsonPath, "linux.resources.memory.swap");
  EXPECT_EQ(problems[1].jsonPath, "linux.resources.unified");
  EXPECT_EQ(problems[1].reason, "needs cgroup v2; this host's controllers are cgroup v1");
}

TEST(CheckBundle, DeviceRulesNeedBpfOnV2) {
  json j = baseConfig();
  j["linux"]["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
  HostFacts f = gatherFixture("unified-systemd", 0, 0);
  f.kernel = modernKernel();
  EXPECT_TRUE(checkBundle(parsed(j), f).empty());
  f.kernel.bpfDeviceFilter = Probe::no("EPERM (Operation not permitted)");
  std::vector<BundleProblem> problems = checkBundle(parsed(j), f);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].jsonPath, "linux.resources.devices");
}

TEST(CheckBundle, AppArmorProfileWithoutAppArmor) {
  json j = baseConfig();
  j["process"]["apparmorProfile"] = "docker-default";
  j["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0";
  EXPECT_EQ(checkBundle(parsed(j), hybridRoot()),
            (std::vector<BundleProblem>{{"process.apparmorProfile", "AppArmor is not enabled"},
                                        {"process.selinuxLabel", "SELinux is not enabled"}}));
  HostFacts f = gatherFixture("unified-systemd", 0, 0);  // AppArmor enabled
  f.kernel = modernKernel();
  EXPECT_EQ(checkBundle(parsed(j), f),
            (std::vector<BundleProblem>{{"process.selinuxLabel", "SELinux is not enabled"}}));
}

TEST(CheckBundle, IdmappedMountOnAKernelWithout) {
  json j = baseConfig();
  j["mounts"] = {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                 {{"destination", "/data"},
                  {"type", "bind"},
                  {"source", "/srv/data"},
                  {"options", {"rbind", "idmap"}}}};
  HostFacts f = hybridRoot();
  EXPECT_TRUE(checkBundle(parsed(j), f).empty());
  f.kernel.idmappedMounts = Probe::no("mount_setattr(MOUNT_ATTR_IDMAP) on /tmp: EINVAL");
  std::vector<BundleProblem> problems = checkBundle(parsed(j), f);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].jsonPath, "mounts[1]");
  EXPECT_EQ(problems[0].reason,
            "idmapped mounts are not available: mount_setattr(MOUNT_ATTR_IDMAP) on /tmp: EINVAL");
}

TEST(CheckBundle, SeccompActionsAndFlagsTheKernelLacks) {
  json j = baseConfig();
  j["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"flags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}},
      {"syscalls",
       {{{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}},
        {{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}},
      {"listenerPath", "/run/listener.sock"}};
  HostFacts f = hybridRoot();
  EXPECT_TRUE(checkBundle(parsed(j), f).empty());
  // A 5.4 kernel: no user notification of the kind needed, no killable wait.
  std::erase(f.kernel.seccompActions, "SCMP_ACT_NOTIFY");
  std::erase(f.kernel.seccompFlags, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
  EXPECT_EQ(
      checkBundle(parsed(j), f),
      (std::vector<BundleProblem>{
          {"linux.seccomp.syscalls[1].action", "SCMP_ACT_NOTIFY is not supported by this kernel"},
          {"linux.seccomp.flags[1]",
           "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by this kernel"}}));
  f.kernel.seccomp = Probe::no("prctl(PR_GET_SECCOMP): EINVAL");
  std::vector<BundleProblem> none = checkBundle(parsed(j), f);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].jsonPath, "linux.seccomp");
}

TEST(CheckBundle, CreateErrorsKeepTheirPath) {
  EXPECT_EQ(
      problemFromCreateError(
          "config.json: linux.namespaces[2].type: unknown namespace type \"foo\""),
      (BundleProblem{"linux.namespaces[2].type", "unknown namespace type \"foo\"", "create"}));
  EXPECT_EQ(
      problemFromCreateError("process.apparmorProfile: AppArmor is not enabled on this host"),
      (BundleProblem{"process.apparmorProfile", "AppArmor is not enabled on this host", "create"}));
  EXPECT_EQ(problemFromCreateError("config.json: invalid JSON at line 3, column 1: oops"),
            (BundleProblem{"", "invalid JSON at line 3, column 1: oops", "create"}));
  EXPECT_EQ(problemFromCreateError("bundle /x: No such file or directory"),
            (BundleProblem{"", "bundle /x: No such file or directory", "create"}));
}

}  // namespace
}  // namespace sangja::check
