#include "spec/config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sangja::spec {
namespace {

using json = nlohmann::json;

constexpr const char* kMinimal = R"({
  "ociVersion": "1.3.0",
  "root": {"path": "rootfs"},
  "process": {"args": ["sh"], "cwd": "/"}
})";

// kMinimal with the value at a JSON pointer replaced (or added).
std::string patched(const std::string& pointer, const json& value) {
  json j = json::parse(kMinimal);
  j[json::json_pointer(pointer)] = value;
  return j.dump();
}

// kMinimal without the value at a JSON pointer.
std::string without(const std::string& pointer) {
  json j = json::parse(kMinimal);
  json::json_pointer p(pointer);
  j[p.parent_pointer()].erase(p.back());
  return j.dump();
}

std::string errorOf(std::string_view text) {
  Result<Config> r = parseConfig(text);
  if (r.ok()) return "(parsed fine)";
  return r.error().message();
}

std::string errorAt(const std::string& pointer, const json& value) {
  return errorOf(patched(pointer, value));
}

TEST(SpecConfig, MinimalConfigParses) {
  Result<Config> r = parseConfig(kMinimal);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->ociVersion, "1.3.0");
  EXPECT_EQ(r->root.path, "rootfs");
  EXPECT_FALSE(r->root.readonly);
  ASSERT_TRUE(r->process.has_value());
  EXPECT_EQ(r->process->args, std::vector<std::string>{"sh"});
  EXPECT_EQ(r->process->user.uid, 0u);
  EXPECT_FALSE(r->process->capabilities.has_value());
  EXPECT_FALSE(r->process->oomScoreAdj.has_value());
  EXPECT_FALSE(r->linux.has_value());
  EXPECT_TRUE(r->hooks.empty());
}

// --- ociVersion ------------------------------------------------------------

class AcceptedVersion : public testing::TestWithParam<const char*> {};

TEST_P(AcceptedVersion, Parses) {
  Result<Config> r = parseConfig(patched("/ociVersion", GetParam()));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->ociVersion, GetParam());
}

INSTANTIATE_TEST_SUITE_P(SpecConfig, AcceptedVersion,
                         testing::Values("1.0.0", "1.0.2-dev", "1.1.0", "1.2.1", "1.3.0",
                                         "1.0.0-rc5", "1.3.0+dev", "1.2.0-rc.1+build.5"));

// Before 1.3.0, pids.limit 0 meant "unlimited" (runc 1.1, crun; Podman
// 4.3 writes it for --pids-limit -1); from 1.3.0 on it is a limit of 0.
TEST(SpecConfig, PidsLimitZeroMeansUnlimitedBefore13) {
  json j = json::parse(kMinimal);
  j["linux"]["resources"]["pids"]["limit"] = 0;
  for (auto [version, want] : {std::pair{"1.0.2", -1}, {"1.2.1", -1}, {"1.3.0", 0}}) {
    j["ociVersion"] = version;
    Result<Config> r = parseConfig(j.dump());
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->linux->resources->pids->limit, std::optional<int64_t>(want)) << version;
  }
  j["ociVersion"] = "1.2.0";
  j["linux"]["resources"]["pids"]["limit"] = 5;
  EXPECT_EQ(parseConfig(j.dump())->linux->resources->pids->limit, std::optional<int64_t>(5));
}

// Go cannot tell an empty string from a missing one: "" is "no path".
TEST(SpecConfig, EmptyNamespacePathIsNoPath) {
  Result<Config> r =
      parseConfig(patched("/linux", {{"namespaces", {{{"type", "uts"}, {"path", ""}}}}}));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->linux->namespaces.at(0).path.has_value());
}

// Go's encoding/json matches member names ignoring case; an exact match
// wins over a folded one.
TEST(SpecConfig, MemberNamesMatchIgnoringCaseAsGoDoes) {
  json j = json::parse(kMinimal);
  j["linux"]["resources"]["hugepageLimits"] = {{{"pagesize", "2MB"}, {"LIMIT", 4096}}};
  j["process"]["CWD"] = "/ignored";  // the exact "cwd" is there too
  j["Hostname"] = "folded";
  Result<Config> r = parseConfig(j.dump());
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->linux->resources->hugepageLimits.size(), 1u);
  EXPECT_EQ(r->linux->resources->hugepageLimits[0].pageSize, "2MB");
  EXPECT_EQ(r->linux->resources->hugepageLimits[0].limit, 4096u);
  EXPECT_EQ(r->process->cwd, "/");
  EXPECT_EQ(r->hostname, "folded");
}

TEST(SpecConfig, RejectsVersion2) {
  EXPECT_EQ(errorAt("/ociVersion", "2.0.0"),
            "config.json: ociVersion: unsupported version \"2.0.0\" (sangja supports 1.0.0 "
            "through 1.3.x)");
}

TEST(SpecConfig, RejectsVersion14) {
  EXPECT_EQ(errorAt("/ociVersion", "1.4.0"),
            "config.json: ociVersion: unsupported version \"1.4.0\" (sangja supports 1.0.0 "
            "through 1.3.x)");
}

TEST(SpecConfig, RejectsNonSemverVersion) {
  EXPECT_EQ(errorAt("/ociVersion", "1.0"),
            "config.json: ociVersion: \"1.0\" is not a semantic version");
  EXPECT_EQ(errorAt("/ociVersion", "01.0.0"),
            "config.json: ociVersion: \"01.0.0\" is not a semantic version");
  EXPECT_EQ(errorAt("/ociVersion", "1.0.0-"),
            "config.json: ociVersion: \"1.0.0-\" is not a semantic version");
}

TEST(SpecConfig, VersionRequired) {
  EXPECT_EQ(errorOf(without("/ociVersion")), "config.json: ociVersion: required");
}

// --- document-level errors ---------------------------------------------------

TEST(SpecConfig, InvalidJsonNamesLineAndColumn) {
  std::string err = errorOf("{\n  \"ociVersion\": \"1.3.0\",\n  oops\n}");
  EXPECT_EQ(err.rfind("config.json: invalid JSON at line 3, column 3: ", 0), 0u) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
}

TEST(SpecConfig, EmptyInputIsInvalidJson) {
  std::string err = errorOf("");
  EXPECT_EQ(err.rfind("config.json: invalid JSON at line 1, column 1: ", 0), 0u) << err;
}

TEST(SpecConfig, InvalidUtf8KeepsTheMessageClean) {
  std::string err = errorOf("{\"hostname\": \"\xff\"}");
  EXPECT_EQ(err.rfind("config.json: invalid JSON at line 1, column 15: ", 0), 0u) << err;
  for (char c : err) EXPECT_LT(static_cast<unsigned char>(c), 0x80) << err;
}

TEST(SpecConfig, TopLevelMustBeObject) {
  EXPECT_EQ(errorOf("[1]"), "config.json: expected object, got array");
}

TEST(SpecConfig, WrongTypeNamesPath) {
  EXPECT_EQ(errorOf(patched("/mounts", json::parse(R"([{"destination": 5}])"))),
            "config.json: mounts[0].destination: expected string, got number");
}

TEST(SpecConfig, WrongTypeForBool) {
  EXPECT_EQ(errorAt("/process/terminal", "yes"),
            "config.json: process.terminal: expected boolean, got string");
}

TEST(SpecConfig, WrongTypeForObject) {
  EXPECT_EQ(errorAt("/linux", json::array()), "config.json: linux: expected object, got array");
}

TEST(SpecConfig, WrongTypeForArrayElement) {
  EXPECT_EQ(errorAt("/process/args", json::parse(R"(["sh", 1])")),
            "config.json: process.args[1]: expected string, got number");
}

TEST(SpecConfig, WrongTypeForMapValue) {
  EXPECT_EQ(errorAt("/annotations", json::parse(R"({"a": 1})")),
            "config.json: annotations[\"a\"]: expected string, got number");
}

TEST(SpecConfig, FractionalNumberForInteger) {
  EXPECT_EQ(errorAt("/process/user", json::parse(R"({"uid": 1.5, "gid": 0})")),
            "config.json: process.user.uid: expected integer, got 1.5");
}

TEST(SpecConfig, NegativeUid) {
  EXPECT_EQ(errorAt("/process/user", json::parse(R"({"uid": -1, "gid": 0})")),
            "config.json: process.user.uid: -1 is out of range (0 to 4294967295)");
}

TEST(SpecConfig, UidAbove32Bits) {
  EXPECT_EQ(errorAt("/process/user", json::parse(R"({"uid": 4294967296, "gid": 0})")),
            "config.json: process.user.uid: 4294967296 is out of range (0 to 4294967295)");
}

TEST(SpecConfig, IntegerBeyond64Bits) {
  EXPECT_EQ(errorAt("/process/rlimits", json::parse(R"([{"type": "RLIMIT_CORE", "soft": 1,
                                     "hard": 18446744073709551616}])")),
            "config.json: process.rlimits[0].hard: 1.8446744073709552e+19 is out of range (0 to "
            "18446744073709551615)");
}

TEST(SpecConfig, NullCountsAsAbsent) {
  Result<Config> r = parseConfig(patched("/hostname", nullptr));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->hostname, "");
}

TEST(SpecConfig, UnknownFieldsIgnored) {
  json j = json::parse(kMinimal);
  j["futureField"] = {{"x", 1}};
  j["process"]["someNewThing"] = true;
  j["root"]["extra"] = "y";
  j["linux"] = {{"newKnob", json::array({1, 2})}, {"namespaces", json::array()}};
  j["windows"] = {{"layerFolders", json::array({"C:\\x"})}};
  Result<Config> r = parseConfig(j.dump());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->linux.has_value());
}

// --- required fields ---------------------------------------------------------

TEST(SpecConfig, RootRequired) {
  EXPECT_EQ(errorOf(without("/root")), "config.json: root: required");
}

TEST(SpecConfig, RootPathRequired) {
  EXPECT_EQ(errorOf(without("/root/path")), "config.json: root.path: required");
}

TEST(SpecConfig, RootPathNonEmpty) {
  EXPECT_EQ(errorAt("/root/path", ""), "config.json: root.path: must be a non-empty string");
}

// Optional in config.json (runtime-spec: required only when start is
// called; create takes it without).
TEST(SpecConfig, ProcessIsOptional) {
  Result<Config> r = parseConfig(without("/process"));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->process.has_value());
}

TEST(SpecConfig, ArgsRequired) {
  EXPECT_EQ(errorOf(without("/process/args")),
            "config.json: process.args: must be a non-empty array");
}

TEST(SpecConfig, ArgsNonEmpty) {
  EXPECT_EQ(errorAt("/process/args", json::array()),
            "config.json: process.args: must be a non-empty array");
}

TEST(SpecConfig, FirstArgNonEmpty) {
  EXPECT_EQ(errorAt("/process/args", json::array({""})),
            "config.json: process.args[0]: must be a non-empty string");
}

TEST(SpecConfig, CwdRequired) {
  EXPECT_EQ(errorOf(without("/process/cwd")), "config.json: process.cwd: required");
}

TEST(SpecConfig, CwdAbsolute) {
  EXPECT_EQ(errorAt("/process/cwd", "home"),
            "config.json: process.cwd: must be an absolute path, got \"home\"");
}

TEST(SpecConfig, UserUidRequired) {
  EXPECT_EQ(errorAt("/process/user", json::parse(R"({"gid": 0})")),
            "config.json: process.user.uid: required");
}

TEST(SpecConfig, UserGidRequired) {
  EXPECT_EQ(errorAt("/process/user", json::parse(R"({"uid": 0})")),
            "config.json: process.user.gid: required");
}

TEST(SpecConfig, EnvNeedsEquals) {
  EXPECT_EQ(errorAt("/process/env", json::array({"A=1", "PATH"})),
            "config.json: process.env[1]: must be of the form KEY=VALUE, got \"PATH\"");
}

TEST(SpecConfig, MountDestinationRequired) {
  EXPECT_EQ(errorAt("/mounts", json::parse(R"([{"source": "proc", "type": "proc"}])")),
            "config.json: mounts[0].destination: required");
}

TEST(SpecConfig, MountIdMappingsTogether) {
  EXPECT_EQ(errorAt("/mounts", json::parse(R"([{"destination": "/x", "uidMappings":
                                               [{"containerID": 0, "hostID": 1, "size": 1}]}])")),
            "config.json: mounts[0].uidMappings: uidMappings and gidMappings must be given "
            "together");
}

// --- process -----------------------------------------------------------------

TEST(SpecConfig, UnknownRlimit) {
  EXPECT_EQ(
      errorAt("/process/rlimits", json::parse(R"([{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}])")),
      "config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
}

TEST(SpecConfig, DuplicateRlimit) {
  EXPECT_EQ(
      errorAt("/process/rlimits", json::parse(R"([{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                    {"type": "RLIMIT_CORE", "soft": 1, "hard": 1},
                                    {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}])")),
      "config.json: process.rlimits[2].type: duplicate rlimit \"RLIMIT_NOFILE\"");
}

TEST(SpecConfig, RlimitSoftAboveHard) {
  EXPECT_EQ(errorAt("/process/rlimits",
                    json::parse(R"([{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}])")),
            "config.json: process.rlimits[0]: soft limit 2048 exceeds hard limit 1024");
}

TEST(SpecConfig, RlimitHardRequired) {
  EXPECT_EQ(errorAt("/process/rlimits", json::parse(R"([{"type": "RLIMIT_NOFILE", "soft": 1}])")),
            "config.json: process.rlimits[0].hard: required");
}

TEST(SpecConfig, UnknownCapability) {
  EXPECT_EQ(errorAt("/process/capabilities",
                    json::parse(R"({"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN",
                                                 "CAP_FOO"]})")),
            "config.json: process.capabilities.bounding[3]: unknown capability \"CAP_FOO\"");
}

TEST(SpecConfig, UnknownAmbientCapability) {
  EXPECT_EQ(errorAt("/process/capabilities", json::parse(R"({"ambient": ["chown"]})")),
            "config.json: process.capabilities.ambient[0]: unknown capability \"chown\"");
}

TEST(SpecConfig, OomScoreAdjTooHigh) {
  EXPECT_EQ(errorAt("/process/oomScoreAdj", 1001),
            "config.json: process.oomScoreAdj: 1001 is out of range (-1000 to 1000)");
}

TEST(SpecConfig, OomScoreAdjTooLow) {
  EXPECT_EQ(errorAt("/process/oomScoreAdj", -1001),
            "config.json: process.oomScoreAdj: -1001 is out of range (-1000 to 1000)");
}

TEST(SpecConfig, OomScoreAdjZeroIsPresent) {
  Result<Config> r = parseConfig(patched("/process/oomScoreAdj", 0));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->process->oomScoreAdj, std::optional<int>(0));
}

TEST(SpecConfig, UmaskOutOfRange) {
  EXPECT_EQ(errorAt("/process/user", json::parse(R"({"uid": 0, "gid": 0, "umask": 512})")),
            "config.json: process.user.umask: 512 is out of range (0 to 0777)");
}

TEST(SpecConfig, UmaskZeroIsPresent) {
  Result<Config> r = parseConfig(patched("/process/user", json::parse(R"({"uid": 1, "gid": 2,
                                                                          "umask": 0})")));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->process->user.umask, std::optional<uint32_t>(0));
}

TEST(SpecConfig, UnknownSchedulerPolicy) {
  EXPECT_EQ(errorAt("/process/scheduler", json::parse(R"({"policy": "SCHED_FAST"})")),
            "config.json: process.scheduler.policy: unknown scheduler policy \"SCHED_FAST\"");
}

TEST(SpecConfig, IoPriorityOutOfRange) {
  EXPECT_EQ(
      errorAt("/process/ioPriority", json::parse(R"({"class": "IOPRIO_CLASS_BE", "priority": 8})")),
      "config.json: process.ioPriority.priority: 8 is out of range (0 to 7)");
}

TEST(SpecConfig, UnknownIoPriorityClass) {
  EXPECT_EQ(errorAt("/process/ioPriority", json::parse(R"({"class": "BE"})")),
            "config.json: process.ioPriority.class: unknown I/O priority class \"BE\"");
}

// --- hooks -------------------------------------------------------------------

TEST(SpecConfig, HookPathRequired) {
  EXPECT_EQ(errorAt("/hooks", json::parse(R"({"prestart": [{"args": ["x"]}]})")),
            "config.json: hooks.prestart[0].path: required");
}

TEST(SpecConfig, HookPathAbsolute) {
  EXPECT_EQ(errorAt("/hooks", json::parse(R"({"poststop": [{"path": "/bin/true"},
                                                          {"path": "true"}]})")),
            "config.json: hooks.poststop[1].path: must be an absolute path, got \"true\"");
}

TEST(SpecConfig, HookTimeoutPositive) {
  EXPECT_EQ(errorAt("/hooks", json::parse(R"({"createRuntime": [{"path": "/x", "timeout": 0}]})")),
            "config.json: hooks.createRuntime[0].timeout: must be greater than zero, got 0");
}

TEST(SpecConfig, HookEnvNeedsEquals) {
  EXPECT_EQ(errorAt("/hooks", json::parse(R"({"poststart": [{"path": "/x", "env": ["X"]}]})")),
            "config.json: hooks.poststart[0].env[0]: must be of the form KEY=VALUE, got \"X\"");
}

// --- linux -------------------------------------------------------------------

TEST(SpecConfig, UnknownNamespaceType) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"namespaces": [{"type": "pid"}, {"type": "ipc"},
                                                             {"type": "foo"}]})")),
            "config.json: linux.namespaces[2].type: unknown namespace type \"foo\"");
}

TEST(SpecConfig, DuplicateNamespaceType) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"namespaces": [{"type": "pid"}, {"type": "net"}]})")),
            "config.json: linux.namespaces[1].type: unknown namespace type \"net\"");
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"namespaces": [{"type": "pid"}, {"type": "uts"},
                                                             {"type": "pid"}]})")),
            "config.json: linux.namespaces[2].type: duplicate namespace type \"pid\"");
}

TEST(SpecConfig, NamespacePathAbsolute) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"namespaces": [{"type": "network",
                                                              "path": "proc/1/ns/net"}]})")),
            "config.json: linux.namespaces[0].path: must be an absolute path, got "
            "\"proc/1/ns/net\"");
}

TEST(SpecConfig, NamespaceTypeRequired) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"namespaces": [{"path": "/x"}]})")),
            "config.json: linux.namespaces[0].type: required");
}

TEST(SpecConfig, UnknownDeviceType) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"devices": [{"type": "x", "path": "/dev/x"}]})")),
            "config.json: linux.devices[0].type: unknown device type \"x\" (want c, b, u or p)");
}

TEST(SpecConfig, DeviceMajorRequired) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"devices": [{"type": "c", "path": "/dev/x",
                                                           "minor": 3}]})")),
            "config.json: linux.devices[0].major: required for type \"c\"");
}

TEST(SpecConfig, DeviceMinorRequired) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"devices": [{"type": "b", "path": "/dev/x",
                                                           "major": 3}]})")),
            "config.json: linux.devices[0].minor: required for type \"b\"");
}

// dev_t has 32 bits for each number: a bigger one would be cut by makedev.
TEST(SpecConfig, DeviceNumbersBeyond32BitsAreRefused) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"devices": [{"type": "c", "path": "/dev/x",
                                                           "major": 1, "minor": 4294967296}]})")),
            "config.json: linux.devices[0].minor: 4294967296 is out of range (0 to 4294967295)");
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"devices": [{"type": "b", "path": "/dev/x",
                                                           "major": -1, "minor": 0}]})")),
            "config.json: linux.devices[0].major: -1 is out of range (0 to 4294967295)");
}

TEST(SpecConfig, FifoDeviceNeedsNoNumbers) {
  Result<Config> r = parseConfig(
      patched("/linux", json::parse(R"({"devices": [{"type": "p", "path": "/dev/f"}]})")));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->linux->devices[0].type, 'p');
}

TEST(SpecConfig, DevicePathAbsolute) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"devices": [{"type": "c", "path": "dev/x",
                                                           "major": 1, "minor": 3}]})")),
            "config.json: linux.devices[0].path: must be an absolute path, got \"dev/x\"");
}

TEST(SpecConfig, UnknownRootfsPropagation) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"rootfsPropagation": "rshare"})")),
            "config.json: linux.rootfsPropagation: unknown propagation \"rshare\" (want private, "
            "rprivate, slave, rslave, shared, rshared, unbindable or runbindable)");
}

TEST(SpecConfig, AllRootfsPropagationsAccepted) {
  for (const char* p : {"", "private", "rprivate", "slave", "rslave", "shared", "rshared",
                        "unbindable", "runbindable"}) {
    Result<Config> r = parseConfig(patched("/linux", {{"rootfsPropagation", p}}));
    EXPECT_TRUE(r.ok()) << p << ": " << r.error().message();
  }
}

TEST(SpecConfig, EmptySysctlKey) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"sysctl": {"": "1"}})")),
            "config.json: linux.sysctl: keys must be non-empty");
}

TEST(SpecConfig, EmptyAnnotationKey) {
  EXPECT_EQ(errorAt("/annotations", json::parse(R"({"": "1"})")),
            "config.json: annotations: keys must be non-empty");
}

TEST(SpecConfig, MaskedPathAbsolute) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"maskedPaths": ["/proc/kcore", "proc/keys"]})")),
            "config.json: linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"");
}

TEST(SpecConfig, ReadonlyPathAbsolute) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"readonlyPaths": [""]})")),
            "config.json: linux.readonlyPaths[0]: must be an absolute path, got \"\"");
}

TEST(SpecConfig, UnknownTimeOffsetClock) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"timeOffsets": {"realtime": {"secs": 1}}})")),
            "config.json: linux.timeOffsets[\"realtime\"]: unknown clock (want monotonic or "
            "boottime)");
}

TEST(SpecConfig, IdMappingSizeRequired) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"uidMappings": [{"containerID": 0,
                                                              "hostID": 1000}]})")),
            "config.json: linux.uidMappings[0].size: required");
}

TEST(SpecConfig, DeviceRuleAllowRequired) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"resources": {"devices": [{"access": "rwm"}]}})")),
            "config.json: linux.resources.devices[0].allow: required");
}

TEST(SpecConfig, DeviceRuleAccess) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"resources": {"devices": [{"allow": true,
                                                                        "access": "rwx"}]}})")),
            "config.json: linux.resources.devices[0].access: invalid access \"rwx\" (want a "
            "subset of \"rwm\")");
}

TEST(SpecConfig, MemoryLimitWrongType) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"resources": {"memory": {"limit": "1G"}}})")),
            "config.json: linux.resources.memory.limit: expected integer, got string");
}

TEST(SpecConfig, BlockIoWeightOutOfRange) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"resources": {"blockIO": {"weight": 70000}}})")),
            "config.json: linux.resources.blockIO.weight: 70000 is out of range (0 to 65535)");
}

TEST(SpecConfig, WeightDeviceNeedsAWeight) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"resources": {"blockIO": {"weightDevice":
                                                               [{"major": 8, "minor": 0}]}}})")),
            "config.json: linux.resources.blockIO.weightDevice[0]: needs weight or leafWeight");
}

TEST(SpecConfig, RdmaNeedsALimit) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"resources": {"rdma": {"mlx5_1": {}}}})")),
            "config.json: linux.resources.rdma[\"mlx5_1\"]: needs hcaHandles or hcaObjects");
}

TEST(SpecConfig, UnknownSeccompAction) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_DENY"}]}})")),
            "config.json: linux.seccomp.syscalls[0].action: unknown seccomp action "
            "\"SCMP_ACT_DENY\"");
}

TEST(SpecConfig, SeccompSyscallNamesNonEmpty) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}})")),
            "config.json: linux.seccomp.syscalls[0].names: must be a non-empty array");
}

TEST(SpecConfig, SeccompErrnoRetNeedsErrnoAction) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"seccomp": {"defaultAction": "SCMP_ACT_KILL",
                                                          "defaultErrnoRet": 1}})")),
            "config.json: linux.seccomp.defaultErrnoRet: only allowed with SCMP_ACT_ERRNO or "
            "SCMP_ACT_TRACE, not SCMP_ACT_KILL");
}

TEST(SpecConfig, SeccompArgOp) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                    "args": [{"index": 0, "value": 8, "op": "=="}]}]}})")),
            "config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"==\"");
}

TEST(SpecConfig, SeccompListenerMetadataNeedsPath) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                                                          "listenerMetadata": "x"}})")),
            "config.json: linux.seccomp.listenerMetadata: requires listenerPath");
}

TEST(SpecConfig, UnknownPersonalityDomain) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"personality": {"domain": "BSD"}})")),
            "config.json: linux.personality.domain: unknown personality domain \"BSD\"");
}

TEST(SpecConfig, UnknownMemoryPolicyMode) {
  EXPECT_EQ(errorAt("/linux", json::parse(R"({"memoryPolicy": {"mode": "MPOL_ANY"}})")),
            "config.json: linux.memoryPolicy.mode: unknown memory policy mode \"MPOL_ANY\"");
}

// --- the maximal config: every field ------------------------------------------

constexpr const char* kMaximal = R"json({
  "ociVersion": "1.3.0",
  "root": {"path": "/var/lib/c1/rootfs", "readonly": true},
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "bind", "source": "/srv/data",
     "options": ["rbind", "ro", "idmap"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 1000}]}
  ],
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 6],
             "username": "alice"},
    "args": ["/bin/app", "--flag"],
    "commandLine": "app.exe --flag",
    "env": ["PATH=/usr/bin:/bin", "EMPTY="],
    "cwd": "/work",
    "capabilities": {
      "bounding": ["CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"],
      "effective": ["CAP_KILL"],
      "inheritable": ["CAP_NET_RAW"],
      "permitted": ["CAP_KILL", "CAP_SYS_ADMIN"],
      "ambient": ["CAP_BPF"]
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
    ],
    "apparmorProfile": "sangja-default",
    "noNewPrivileges": true,
    "oomScoreAdj": -500,
    "scheduler": {"policy": "SCHED_DEADLINE", "nice": -5, "priority": 3,
                  "flags": ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM"],
                  "runtime": 10000000, "deadline": 20000000, "period": 30000000},
    "selinuxLabel": "system_u:system_r:container_t:s0:c1,c2",
    "ioPriority": {"class": "IOPRIO_CLASS_RT", "priority": 4},
    "execCPUAffinity": {"initial": "0-1", "final": "2,3"}
  },
  "hostname": "box",
  "domainname": "example.org",
  "hooks": {
    "prestart": [{"path": "/usr/bin/pre", "args": ["pre", "a"], "env": ["K=V"], "timeout": 5}],
    "createRuntime": [{"path": "/usr/bin/cr"}],
    "createContainer": [{"path": "/usr/bin/cc", "args": ["cc"]}],
    "startContainer": [{"path": "/usr/bin/sc", "timeout": 1}],
    "poststart": [{"path": "/usr/bin/ps1"}, {"path": "/usr/bin/ps2"}],
    "poststop": [{"path": "/usr/bin/stop", "env": ["A=B", "C=D"]}]
  },
  "annotations": {"org.example.key": "value", "b": ""},
  "linux": {
    "namespaces": [
      {"type": "pid"}, {"type": "network", "path": "/var/run/netns/n1"}, {"type": "mount"},
      {"type": "ipc"}, {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 32000}],
    "gidMappings": [{"containerID": 0, "hostID": 2000, "size": 16000},
                    {"containerID": 16000, "hostID": 40000, "size": 1}],
    "timeOffsets": {"monotonic": {"secs": -86400, "nanosecs": 5},
                    "boottime": {"secs": 3600}},
    "devices": [
      {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438,
       "uid": 0, "gid": 0},
      {"type": "b", "path": "/dev/sda", "major": 8, "minor": 0},
      {"type": "p", "path": "/dev/fifo"}
    ],
    "netDevices": {"eth1": {"name": "ctr1"}, "veth9": {}},
    "cgroupsPath": "/sangja/c1",
    "resources": {
      "devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"},
        {"allow": true, "type": "b", "major": 8, "access": "r"}
      ],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": -1,
                 "kernel": 0, "kernelTCP": 1048576, "swappiness": 60,
                 "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": -1, "burst": 1000, "period": 100000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000,
              "cpus": "0-3", "mems": "0", "idle": 1},
      "blockIO": {
        "weight": 500, "leafWeight": 300,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 200},
                         {"major": 8, "minor": 16, "leafWeight": 100}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 104857600}],
        "throttleWriteBpsDevice": [{"major": 8, "minor": 1, "rate": 52428800}],
        "throttleReadIOPSDevice": [{"major": 8, "minor": 2, "rate": 1000}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 3, "rate": 500}]
      },
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200},
                         {"pageSize": "1GB", "limit": 0}],
      "network": {"classID": 1048577,
                  "priorities": [{"name": "eth0", "priority": 500}, {"name": "lo", "priority": 0}]},
      "pids": {"limit": -1},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "mlx4_0": {"hcaObjects": 7}},
      "unified": {"memory.high": "1G", "io.weight": "default 100"}
    },
    "intelRdt": {"closID": "guaranteed_group", "l3CacheSchema": "L3:0=7f0;1=1f",
                 "memBwSchema": "MB:0=20;1=70", "schemata": ["L2:0=ff", "L3:0=f"],
                 "enableMonitoring": true},
    "memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0-3,7",
                     "flags": ["MPOL_F_STATIC_NODES"]},
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"},
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
      "listenerPath": "/run/seccomp-agent.sock",
      "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 4294967295, "valueTwo": 18446744073709551615,
                   "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}
      ]
    },
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore", "/sys/firmware"],
    "readonlyPaths": ["/proc/sys"],
    "mountLabel": "system_u:object_r:container_file_t:s0:c1,c2",
    "personality": {"domain": "LINUX32", "flags": []}
  }
})json";

TEST(SpecConfig, MaximalConfigTopLevel) {
  Result<Config> r = parseConfig(kMaximal);
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Config& c = *r;
  EXPECT_EQ(c.ociVersion, "1.3.0");
  EXPECT_EQ(c.root, (Root{"/var/lib/c1/rootfs", true}));
  EXPECT_EQ(c.hostname, "box");
  EXPECT_EQ(c.domainname, "example.org");
  EXPECT_EQ(c.annotations,
            (std::map<std::string, std::string>{{"org.example.key", "value"}, {"b", ""}}));

  ASSERT_EQ(c.mounts.size(), 2u);
  EXPECT_EQ(c.mounts[0].destination, "/proc");
  EXPECT_EQ(c.mounts[0].type, "proc");
  EXPECT_EQ(c.mounts[0].source, "proc");
  EXPECT_TRUE(c.mounts[0].options.empty());
  EXPECT_EQ(c.mounts[1].options, (std::vector<std::string>{"rbind", "ro", "idmap"}));
  EXPECT_EQ(c.mounts[1].uidMappings, (std::vector<IdMapping>{{0, 100000, 65536}}));
  EXPECT_EQ(c.mounts[1].gidMappings, (std::vector<IdMapping>{{0, 200000, 1000}}));

  const Hooks& h = c.hooks;
  ASSERT_EQ(h.prestart.size(), 1u);
  EXPECT_EQ(h.prestart[0].path, "/usr/bin/pre");
  EXPECT_EQ(h.prestart[0].args, (std::vector<std::string>{"pre", "a"}));
  EXPECT_EQ(h.prestart[0].env, (std::vector<std::string>{"K=V"}));
  EXPECT_EQ(h.prestart[0].timeout, std::optional<int>(5));
  ASSERT_EQ(h.createRuntime.size(), 1u);
  EXPECT_EQ(h.createRuntime[0].path, "/usr/bin/cr");
  EXPECT_FALSE(h.createRuntime[0].timeout.has_value());
  ASSERT_EQ(h.createContainer.size(), 1u);
  EXPECT_EQ(h.createContainer[0].args, (std::vector<std::string>{"cc"}));
  ASSERT_EQ(h.startContainer.size(), 1u);
  EXPECT_EQ(h.startContainer[0].timeout, std::optional<int>(1));
  ASSERT_EQ(h.poststart.size(), 2u);
  EXPECT_EQ(h.poststart[1].path, "/usr/bin/ps2");
  ASSERT_EQ(h.poststop.size(), 1u);
  EXPECT_EQ(h.poststop[0].env, (std::vector<std::string>{"A=B", "C=D"}));
}

TEST(SpecConfig, MaximalConfigProcess) {
  Result<Config> r = parseConfig(kMaximal);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(r->process.has_value());
  const Process& p = *r->process;
  EXPECT_TRUE(p.terminal);
  EXPECT_EQ(p.consoleSize, (Box{25, 80}));
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1001u);
  EXPECT_EQ(p.user.umask, std::optional<uint32_t>(022));
  EXPECT_EQ(p.user.additionalGids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.user.username, "alice");
  EXPECT_EQ(p.args, (std::vector<std::string>{"/bin/app", "--flag"}));
  EXPECT_EQ(p.commandLine, "app.exe --flag");
  EXPECT_EQ(p.env, (std::vector<std::string>{"PATH=/usr/bin:/bin", "EMPTY="}));
  EXPECT_EQ(p.cwd, "/work");
  ASSERT_TRUE(p.capabilities.has_value());
  EXPECT_EQ(p.capabilities->bounding,
            (std::vector<std::string>{"CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"}));
  EXPECT_EQ(p.capabilities->effective, (std::vector<std::string>{"CAP_KILL"}));
  EXPECT_EQ(p.capabilities->inheritable, (std::vector<std::string>{"CAP_NET_RAW"}));
  EXPECT_EQ(p.capabilities->permitted, (std::vector<std::string>{"CAP_KILL", "CAP_SYS_ADMIN"}));
  EXPECT_EQ(p.capabilities->ambient, (std::vector<std::string>{"CAP_BPF"}));
  ASSERT_EQ(p.rlimits.size(), 2u);
  EXPECT_EQ(p.rlimits[0], (Rlimit{"RLIMIT_NOFILE", 4096, 1024}));
  EXPECT_EQ(p.rlimits[1], (Rlimit{"RLIMIT_CORE", UINT64_MAX, 0}));
  EXPECT_EQ(p.apparmorProfile, "sangja-default");
  EXPECT_TRUE(p.noNewPrivileges);
  EXPECT_EQ(p.oomScoreAdj, std::optional<int>(-500));
  ASSERT_TRUE(p.scheduler.has_value());
  EXPECT_EQ(p.scheduler->policy, "SCHED_DEADLINE");
  EXPECT_EQ(p.scheduler->nice, -5);
  EXPECT_EQ(p.scheduler->priority, 3);
  EXPECT_EQ(p.scheduler->flags,
            (std::vector<std::string>{"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM"}));
  EXPECT_EQ(p.scheduler->runtime, 10000000u);
  EXPECT_EQ(p.scheduler->deadline, 20000000u);
  EXPECT_EQ(p.scheduler->period, 30000000u);
  EXPECT_EQ(p.selinuxLabel, "system_u:system_r:container_t:s0:c1,c2");
  EXPECT_EQ(p.ioPriority, (IoPriority{"IOPRIO_CLASS_RT", 4}));
  EXPECT_EQ(p.execCPUAffinity, (CpuAffinity{"0-1", "2,3"}));
}

TEST(SpecConfig, MaximalConfigLinux) {
  Result<Config> r = parseConfig(kMaximal);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(r->linux.has_value());
  const Linux& l = *r->linux;
  ASSERT_EQ(l.namespaces.size(), 8u);
  EXPECT_EQ(l.namespaces[0], (Namespace{NamespaceType::Pid, std::nullopt}));
  EXPECT_EQ(l.namespaces[1], (Namespace{NamespaceType::Network, "/var/run/netns/n1"}));
  EXPECT_EQ(l.namespaces[7].type, NamespaceType::Time);
  EXPECT_TRUE(l.hasNamespace(NamespaceType::Cgroup));
  EXPECT_EQ(l.findNamespace(NamespaceType::Network)->path, "/var/run/netns/n1");
  EXPECT_EQ(l.uidMappings, (std::vector<IdMapping>{{0, 1000, 32000}}));
  EXPECT_EQ(l.gidMappings, (std::vector<IdMapping>{{0, 2000, 16000}, {16000, 40000, 1}}));
  EXPECT_EQ(l.timeOffsets, (std::map<std::string, TimeOffset>{{"monotonic", {-86400, 5}},
                                                              {"boottime", {3600, 0}}}));
  ASSERT_EQ(l.devices.size(), 3u);
  EXPECT_EQ(l.devices[0], (Device{'c', "/dev/fuse", 10, 229, 0666u, 0u, 0u}));
  EXPECT_EQ(l.devices[1],
            (Device{'b', "/dev/sda", 8, 0, std::nullopt, std::nullopt, std::nullopt}));
  EXPECT_EQ(l.devices[2].type, 'p');
  EXPECT_EQ(l.netDevices, (std::map<std::string, NetDevice>{{"eth1", {"ctr1"}}, {"veth9", {""}}}));
  EXPECT_EQ(l.cgroupsPath, "/sangja/c1");
  EXPECT_EQ(l.sysctl, (std::map<std::string, std::string>{{"net.ipv4.ip_forward", "1"},
                                                          {"kernel.shmmax", "4096"}}));
  EXPECT_EQ(l.rootfsPropagation, "rslave");
  EXPECT_EQ(l.maskedPaths, (std::vector<std::string>{"/proc/kcore", "/sys/firmware"}));
  EXPECT_EQ(l.readonlyPaths, (std::vector<std::string>{"/proc/sys"}));
  EXPECT_EQ(l.mountLabel, "system_u:object_r:container_file_t:s0:c1,c2");
  EXPECT_EQ(l.personality, (Personality{"LINUX32", {}}));
  ASSERT_TRUE(l.intelRdt.has_value());
  EXPECT_EQ(l.intelRdt->closID, "guaranteed_group");
  EXPECT_EQ(l.intelRdt->l3CacheSchema, "L3:0=7f0;1=1f");
  EXPECT_EQ(l.intelRdt->memBwSchema, "MB:0=20;1=70");
  EXPECT_EQ(l.intelRdt->schemata, (std::vector<std::string>{"L2:0=ff", "L3:0=f"}));
  EXPECT_TRUE(l.intelRdt->enableMonitoring);
  EXPECT_EQ(l.memoryPolicy, (MemoryPolicy{"MPOL_INTERLEAVE", "0-3,7", {"MPOL_F_STATIC_NODES"}}));
}

TEST(SpecConfig, MaximalConfigResources) {
  Result<Config> r = parseConfig(kMaximal);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(r->linux->resources.has_value());
  const Resources& res = *r->linux->resources;
  ASSERT_EQ(res.devices.size(), 3u);
  EXPECT_EQ(res.devices[0], (DeviceCgroupRule{false, "", std::nullopt, std::nullopt, "rwm"}));
  EXPECT_EQ(res.devices[1], (DeviceCgroupRule{true, "c", 10, 229, "rw"}));
  EXPECT_EQ(res.devices[2], (DeviceCgroupRule{true, "b", 8, std::nullopt, "r"}));

  ASSERT_TRUE(res.memory.has_value());
  const Memory& m = *res.memory;
  EXPECT_EQ(m.limit, std::optional<int64_t>(536870912));
  EXPECT_EQ(m.reservation, std::optional<int64_t>(268435456));
  EXPECT_EQ(m.swap, std::optional<int64_t>(-1));
  EXPECT_EQ(m.kernel, std::optional<int64_t>(0));
  EXPECT_EQ(m.kernelTCP, std::optional<int64_t>(1048576));
  EXPECT_EQ(m.swappiness, std::optional<uint64_t>(60));
  EXPECT_EQ(m.disableOOMKiller, std::optional<bool>(false));
  EXPECT_EQ(m.useHierarchy, std::optional<bool>(true));
  EXPECT_EQ(m.checkBeforeUpdate, std::optional<bool>(true));

  ASSERT_TRUE(res.cpu.has_value());
  const Cpu& c = *res.cpu;
  EXPECT_EQ(c.shares, std::optional<uint64_t>(1024));
  EXPECT_EQ(c.quota, std::optional<int64_t>(-1));
  EXPECT_EQ(c.burst, std::optional<uint64_t>(1000));
  EXPECT_EQ(c.period, std::optional<uint64_t>(100000));
  EXPECT_EQ(c.realtimeRuntime, std::optional<int64_t>(950000));
  EXPECT_EQ(c.realtimePeriod, std::optional<uint64_t>(1000000));
  EXPECT_EQ(c.cpus, "0-3");
  EXPECT_EQ(c.mems, "0");
  EXPECT_EQ(c.idle, std::optional<int64_t>(1));

  ASSERT_TRUE(res.blockIO.has_value());
  const BlockIo& b = *res.blockIO;
  EXPECT_EQ(b.weight, std::optional<uint16_t>(500));
  EXPECT_EQ(b.leafWeight, std::optional<uint16_t>(300));
  EXPECT_EQ(b.weightDevice,
            (std::vector<WeightDevice>{{8, 0, 600, 200}, {8, 16, std::nullopt, 100}}));
  EXPECT_EQ(b.throttleReadBpsDevice, (std::vector<ThrottleDevice>{{8, 0, 104857600}}));
  EXPECT_EQ(b.throttleWriteBpsDevice, (std::vector<ThrottleDevice>{{8, 1, 52428800}}));
  EXPECT_EQ(b.throttleReadIOPSDevice, (std::vector<ThrottleDevice>{{8, 2, 1000}}));
  EXPECT_EQ(b.throttleWriteIOPSDevice, (std::vector<ThrottleDevice>{{8, 3, 500}}));

  EXPECT_EQ(res.hugepageLimits, (std::vector<HugepageLimit>{{"2MB", 209715200}, {"1GB", 0}}));
  ASSERT_TRUE(res.network.has_value());
  EXPECT_EQ(res.network->classID, std::optional<uint32_t>(1048577));
  EXPECT_EQ(res.network->priorities, (std::vector<InterfacePriority>{{"eth0", 500}, {"lo", 0}}));
  EXPECT_EQ(res.pids, (Pids{-1}));
  EXPECT_EQ(res.rdma,
            (std::map<std::string, Rdma>{{"mlx5_1", {3, 10000}}, {"mlx4_0", {std::nullopt, 7}}}));
  EXPECT_EQ(res.unified, (std::map<std::string, std::string>{{"memory.high", "1G"},
                                                             {"io.weight", "default 100"}}));
}

TEST(SpecConfig, MaximalConfigSeccomp) {
  Result<Config> r = parseConfig(kMaximal);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_TRUE(r->linux->seccomp.has_value());
  const Seccomp& s = *r->linux->seccomp;
  EXPECT_EQ(s.defaultAction, "SCMP_ACT_ERRNO");
  EXPECT_EQ(s.defaultErrnoRet, std::optional<uint32_t>(38));
  EXPECT_EQ(s.architectures,
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_EQ(s.flags, (std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG",
                                               "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}));
  EXPECT_EQ(s.listenerPath, "/run/seccomp-agent.sock");
  EXPECT_EQ(s.listenerMetadata, "meta");
  ASSERT_EQ(s.syscalls.size(), 3u);
  EXPECT_EQ(s.syscalls[0], (Syscall{{"read", "write"}, "SCMP_ACT_ALLOW", std::nullopt, {}}));
  EXPECT_EQ(s.syscalls[1].names, (std::vector<std::string>{"personality"}));
  EXPECT_EQ(s.syscalls[1].errnoRet, std::optional<uint32_t>(1));
  EXPECT_EQ(s.syscalls[1].args,
            (std::vector<SeccompArg>{{0, 8, 0, "SCMP_CMP_EQ"},
                                     {1, 4294967295u, UINT64_MAX, "SCMP_CMP_MASKED_EQ"}}));
  EXPECT_EQ(s.syscalls[2].action, "SCMP_ACT_NOTIFY");
}

TEST(SpecConfig, MaximalConfigRoundTrips) {
  Result<Config> r = parseConfig(kMaximal);
  ASSERT_TRUE(r.ok()) << r.error().message();
  std::string once = toJson(*r);
  Result<Config> again = parseConfig(once);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(*again, *r);
  EXPECT_EQ(toJson(*again), once);
  // Pretty output parses to the same too.
  Result<Config> pretty = parseConfig(toJson(*r, 2));
  ASSERT_TRUE(pretty.ok()) << pretty.error().message();
  EXPECT_EQ(*pretty, *r);
}

TEST(SpecConfig, SerializesInSpecFieldOrder) {
  Result<Config> r = parseConfig(kMinimal);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(toJson(*r),
            R"({"ociVersion":"1.3.0","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},)"
            R"("root":{"path":"rootfs"}})");
}

// --- exec's process.json and update's resources -------------------------------

TEST(SpecConfig, ParseProcessDocument) {
  Result<Process> p = parseProcess(R"({"args": ["ls", "-l"], "cwd": "/tmp", "env": ["A=1"],
                                       "user": {"uid": 5, "gid": 6}})");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->args, (std::vector<std::string>{"ls", "-l"}));
  EXPECT_EQ(p->user.uid, 5u);
  Result<Process> again = parseProcess(toJson(*p));
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(*again, *p);
}

TEST(SpecConfig, ParseProcessErrorNamesDocument) {
  Result<Process> p = parseProcess(R"({"args": [], "cwd": "/"})", "/tmp/p.json");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), "/tmp/p.json: args: must be a non-empty array");
}

TEST(SpecConfig, ParseResourcesDocument) {
  Result<Resources> r = parseResources(R"({"memory": {"limit": 1048576}, "pids": {"limit": 10}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->memory->limit, std::optional<int64_t>(1048576));
  EXPECT_FALSE(r->cpu.has_value());
  EXPECT_EQ(toJson(*r), R"({"memory":{"limit":1048576},"pids":{"limit":10}})");
  Result<Resources> bad = parseResources(R"({"cpu": {"shares": -2}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "resources: cpu.shares: -2 is out of range (0 to 18446744073709551615)");
}

// --- loadConfig ----------------------------------------------------------------

class TempBundle : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sangja-spec-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    ::unlink((dir_ + "/config.json").c_str());
    ::rmdir(dir_.c_str());
  }
  void write(const std::string& text) { std::ofstream(dir_ + "/config.json") << text; }
  std::string dir_;
};

TEST_F(TempBundle, LoadsConfig) {
  write(kMinimal);
  Result<Config> r = loadConfig(dir_);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->root.path, "rootfs");
  Result<Config> slash = loadConfig(dir_ + "/");
  ASSERT_TRUE(slash.ok()) << slash.error().message();
}

TEST_F(TempBundle, MissingConfig) {
  Result<Config> r = loadConfig(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "open " + dir_ + "/config.json: No such file or directory");
  EXPECT_EQ(r.error().code(), ENOENT);
}

TEST_F(TempBundle, BrokenJson) {
  write("{\n  \"ociVersion\": \"1.3.0\",\n  \"root\": {\"path\": \"rootfs\",}\n}\n");
  Result<Config> r = loadConfig(dir_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().rfind("config.json: invalid JSON at line 3, column ", 0), 0u)
      << r.error().message();
  EXPECT_EQ(r.error().code(), EINVAL);
}

// --- name tables ---------------------------------------------------------------

TEST(SpecNames, Capabilities) {
  EXPECT_EQ(capabilityNumber("CAP_CHOWN"), std::optional<int>(0));
  EXPECT_EQ(capabilityNumber("CAP_NET_BIND_SERVICE"), std::optional<int>(10));
  EXPECT_EQ(capabilityNumber("CAP_SYS_ADMIN"), std::optional<int>(21));
  EXPECT_EQ(capabilityNumber("CAP_AUDIT_WRITE"), std::optional<int>(29));
  EXPECT_EQ(capabilityNumber("CAP_PERFMON"), std::optional<int>(38));
  EXPECT_EQ(capabilityNumber("CAP_BPF"), std::optional<int>(39));
  EXPECT_EQ(capabilityNumber("CAP_CHECKPOINT_RESTORE"), std::optional<int>(40));
  EXPECT_EQ(capabilityNumber("CAP_FOO"), std::nullopt);
  EXPECT_EQ(capabilityNumber("cap_chown"), std::nullopt);
  for (int i = 0; i <= kLastCapability; ++i)
    EXPECT_EQ(capabilityNumber(capabilityName(i)), std::optional<int>(i)) << i;
  EXPECT_EQ(capabilityName(41), "");
  EXPECT_EQ(capabilityName(-1), "");
}

TEST(SpecNames, Rlimits) {
  EXPECT_EQ(rlimitResource("RLIMIT_NOFILE"), std::optional<int>(RLIMIT_NOFILE));
  EXPECT_EQ(rlimitResource("RLIMIT_RTTIME"), std::optional<int>(RLIMIT_RTTIME));
  EXPECT_EQ(rlimitResource("RLIMIT_AS"), std::optional<int>(RLIMIT_AS));
  EXPECT_EQ(rlimitResource("NOFILE"), std::nullopt);
}

TEST(SpecNames, Namespaces) {
  for (const char* n : {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"}) {
    auto t = namespaceType(n);
    ASSERT_TRUE(t.has_value()) << n;
    EXPECT_EQ(namespaceTypeName(*t), n);
    EXPECT_NE(namespaceCloneFlag(*t), 0) << n;
  }
  EXPECT_EQ(namespaceCloneFlag(NamespaceType::Network), CLONE_NEWNET);
  EXPECT_EQ(namespaceCloneFlag(NamespaceType::Mount), CLONE_NEWNS);
  EXPECT_EQ(namespaceType("net"), std::nullopt);
}

}  // namespace
}  // namespace sangja::spec
