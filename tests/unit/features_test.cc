// `features` must list exactly what this build accepts: every name it
// reports is checked against the parser that would meet it in a config.
#include "runtime/lifecycle/features.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "namespaces/mount_options.h"
#include "runtime/process/seccomp.h"
#include "spec/config.h"

namespace sangja {
namespace {

const nlohmann::json& doc() {
  static const nlohmann::json d = featuresDocument();
  return d;
}

TEST(Features, VersionsAndHooks) {
  EXPECT_EQ(doc()["ociVersionMin"], "1.0.0");
  EXPECT_EQ(doc()["ociVersionMax"], "1.3.0");
  EXPECT_EQ(doc()["hooks"].size(), 6u);
}

TEST(Features, EveryCapabilityIsOneTheSpecParserKnows) {
  const nlohmann::json& caps = doc()["linux"]["capabilities"];
  ASSERT_EQ(caps.size(), static_cast<size_t>(spec::kLastCapability + 1));
  for (const auto& c : caps) EXPECT_TRUE(spec::capabilityNumber(c.get<std::string>())) << c;
}

TEST(Features, EveryMountOptionHasAMeaningOfItsOwn) {
  std::set<std::string> seen;
  for (const auto& o : doc()["mountOptions"]) {
    std::string name = o.get<std::string>();
    EXPECT_TRUE(seen.insert(name).second) << "listed twice: " << name;
    Result<mnt::MountOptions> parsed = mnt::parseMountOptions({name});
    ASSERT_TRUE(parsed.ok()) << name;
    // Not passed on to the filesystem as data: the parser knows it.
    EXPECT_EQ(parsed->data, "") << name;
  }
  EXPECT_TRUE(seen.count("rro") && seen.count("idmap") && seen.count("rslave"));
}

TEST(Features, EverySeccompNameIsAccepted) {
  const nlohmann::json& s = doc()["linux"]["seccomp"];
  EXPECT_TRUE(s["enabled"]);
  for (const auto& a : s["actions"])
    EXPECT_TRUE(seccomp::actionValue(a.get<std::string>(), 1)) << a;
  for (const auto& o : s["operators"])
    EXPECT_TRUE(seccomp::operatorValue(o.get<std::string>())) << o;
  for (const auto& a : s["archs"]) EXPECT_TRUE(seccomp::archValue(a.get<std::string>())) << a;
  for (const auto& f : s["knownFlags"]) EXPECT_TRUE(seccomp::flagValue(f.get<std::string>())) << f;
  std::set<std::string> known(s["knownFlags"].begin(), s["knownFlags"].end());
  for (const auto& f : s["supportedFlags"]) EXPECT_TRUE(known.count(f.get<std::string>())) << f;
  EXPECT_EQ(s["actions"].size(), 9u) << s["actions"];  // every action of the spec
}

TEST(Features, NamespacesAndIdmap) {
  const nlohmann::json& linux = doc()["linux"];
  std::set<std::string> ns(linux["namespaces"].begin(), linux["namespaces"].end());
  for (const char* want : {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}) {
    EXPECT_TRUE(ns.count(want)) << want;
  }
  EXPECT_TRUE(linux["mountExtensions"]["idmap"]["enabled"]);
  EXPECT_TRUE(linux["cgroup"]["v1"]);
  EXPECT_TRUE(linux["cgroup"]["v2"]);
  EXPECT_FALSE(linux["intelRdt"]["enabled"]);
  EXPECT_TRUE(linux["netDevices"]["enabled"]);
}

}  // namespace
}  // namespace sangja
