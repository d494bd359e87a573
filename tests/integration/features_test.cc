// `features` and `--version` as a client (containerd) reads them.
#include <string>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

TEST(FeaturesCli, PrintsTheFeaturesDocument) {
  RunResult r = runCommand({runtimePath(), "features"}, kQuickTimeout);
  ASSERT_TRUE(r.ok()) << r;
  nlohmann::json doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "not JSON: " << r.out;
  EXPECT_TRUE(doc.contains("ociVersionMin")) << r.out;
  ASSERT_TRUE(doc.contains("linux")) << r.out;
  const nlohmann::json& linux = doc["linux"];
  for (const char* key : {"namespaces", "capabilities", "cgroup", "seccomp"}) {
    EXPECT_TRUE(linux.contains(key)) << key;
  }
  SKIP_FOR_PEER("older runtimes list less (runc 1.1: no idmap, spec 1.0.2)");
  EXPECT_EQ(doc["ociVersionMax"], "1.3.0");
  EXPECT_TRUE(linux["mountExtensions"]["idmap"]["enabled"]);
  std::string namespaces = linux["namespaces"].dump();
  EXPECT_TRUE(contains(namespaces, "\"user\"") && contains(namespaces, "\"time\"")) << namespaces;
  EXPECT_TRUE(contains(linux["seccomp"]["actions"].dump(), "SCMP_ACT_NOTIFY"));
}

TEST(FeaturesCli, VersionNamesTheSpec) {
  RunResult r = runCommand({runtimePath(), "--version"}, kQuickTimeout);
  ASSERT_TRUE(r.ok()) << r;
  // (A test build of sangja, sangja-childcheck, still calls itself sangja.)
  std::string name = runtimeIsPeer() ? runtimeName() : "sangja";
  EXPECT_TRUE(contains(r.out, name + " version ")) << r;
  EXPECT_TRUE(contains(r.out, "spec: 1.")) << r;
  EXPECT_TRUE(contains(r.out, "commit: ")) << r;
}

TEST(FeaturesCli, ExtraArgumentsAreAUsageError) {
  RunResult r = runCommand({runtimePath(), "features", "extra"}, kQuickTimeout);
  EXPECT_NE(r.status, 0) << r;
}

}  // namespace
}  // namespace sangja::it
