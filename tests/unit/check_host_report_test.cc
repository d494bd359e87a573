// `sangja check`'s report: findings from facts, their levels, the text
// layout, the JSON keys tools rely on, and the exit status.
#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/check/host_report.h"
#include "tests/unit/check_fixtures.h"

namespace sangja::check {
namespace {

using testing::gatherFixture;
using testing::modernKernel;
using testing::ownLikeDebian;

const Finding* find(const std::vector<Finding>& findings, const std::string& topic,
                    const std::string& name) {
  for (const Finding& f : findings) {
    if (f.topic == topic && f.name == name) return &f;
  }
  return nullptr;
}

HostFacts hybridRoot() {
  HostFacts f = gatherFixture("hybrid", 0, 0);
  f.kernel = modernKernel();
  f.kernel.memlockBytes = 8u << 20;
  return f;
}

TEST(CheckReport, HybridHostAsRoot) {
  std::vector<Finding> findings = hostFindings(hybridRoot());
  const Finding* mode = find(findings, "cgroups", "mode");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->value,
            "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified; the v1 driver)");
  EXPECT_EQ(mode->level, Level::kOk);
  const Finding* delegated = find(findings, "cgroups", "delegated to uid 0 (root)");
  ASSERT_NE(delegated, nullptr);
  EXPECT_EQ(delegated->value, "all (root)");
  const Finding* systemd = find(findings, "systemd", "version");
  ASSERT_NE(systemd, nullptr);
  EXPECT_EQ(systemd->value, "252 (installed, not running)");
  const Finding* criu = find(findings, "tools", "criu");
  ASSERT_NE(criu, nullptr);
  EXPECT_EQ(criu->level, Level::kWarn);
  EXPECT_FALSE(criu->reason.empty());
  EXPECT_FALSE(criu->advice.empty());
  // No BPF rows: the v1 driver filters devices with devices.allow/deny.
  EXPECT_EQ(find(findings, "cgroups", "device filter (BPF)"), nullptr);
  EXPECT_EQ(exitStatus(Report{findings, std::nullopt, {}}), 0);
}

TEST(CheckReport, MissingNeededSyscallIsAnError) {
  HostFacts f = hybridRoot();
  f.kernel.openat2 = Probe::no("ENOSYS (Function not implemented)");
  f.kernel.clone3 = Probe::no("ENOSYS (Function not implemented)");
  std::vector<Finding> findings = hostFindings(f);
  EXPECT_EQ(find(findings, "kernel", "openat2")->level, Level::kError);
  EXPECT_EQ(find(findings, "kernel", "clone3")->level, Level::kWarn);  // clone does it
  Report report{findings, std::nullopt, {}};
  EXPECT_EQ(exitStatus(report), 1);
  std::string text = renderText(report);
  EXPECT_NE(text.find("  error openat2: no: ENOSYS (Function not implemented)\n"
                      "        why: paths inside the rootfs are resolved with openat2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("result: this host cannot run containers"), std::string::npos) << text;
}

TEST(CheckReport, DebianUserSeesItsDelegation) {
  HostFacts f = gatherFixture("unified-systemd", 1000, 1000);
  f.kernel = modernKernel();
  ownLikeDebian(f);
  std::vector<Finding> findings = hostFindings(f);
  const Finding* d = find(findings, "cgroups", "delegated to uid 1000 (user)");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->value,
            "/user.slice/user-1000.slice/user@1000.service (controllers: cpu memory pids)");
  EXPECT_EQ(find(findings, "systemd", "running")->value, "yes (pid 1 is systemd)");
  EXPECT_EQ(find(findings, "systemd", "version")->value, "252");
  EXPECT_EQ(find(findings, "user namespaces", "ranges in /etc/subuid")->value,
            "100000-165535 (65536 ids)");
  // git keeps no setuid bit: the recorded newuidmap looks unusable.
  EXPECT_EQ(find(findings, "user namespaces", "newuidmap")->level, Level::kWarn);
  EXPECT_EQ(find(findings, "kernel", "overlayfs")->level, Level::kWarn);
  EXPECT_EQ(find(findings, "LSMs", "AppArmor")->value, "enabled");
}

TEST(CheckReport, NoDelegationIsAWarningWithAdvice) {
  HostFacts f = gatherFixture("unified-systemd", 1000, 1000);
  f.kernel = modernKernel();
  ownLikeDebian(f);
  f.ownCgroupChain.back().owner = 0;
  std::vector<Finding> findings = hostFindings(f);
  const Finding* d = find(findings, "cgroups", "delegated to uid 1000 (user)");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->level, Level::kWarn);
  EXPECT_EQ(d->value, "none");
  EXPECT_NE(d->advice.find("systemd-run --user --scope"), std::string::npos) << d->advice;
}

TEST(CheckReport, HardenedHostExplainsUserNamespaces) {
  HostFacts f = gatherFixture("no-userns", 1000, 1000);
  f.kernel = modernKernel();
  std::vector<Finding> findings = hostFindings(f);
  const Finding* allowed = find(findings, "user namespaces", "allowed for uid 1000 (ubuntu)");
  ASSERT_NE(allowed, nullptr);
  EXPECT_EQ(allowed->value, "no");
  EXPECT_EQ(allowed->level, Level::kWarn);
  EXPECT_NE(allowed->reason.find("user.max_user_namespaces is 0"), std::string::npos);
  const Finding* subuid = find(findings, "user namespaces", "ranges in /etc/subuid");
  EXPECT_EQ(subuid->value, "none (/etc/subuid does not exist)");
  EXPECT_EQ(subuid->advice, "usermod --add-subuids 100000-165535 ubuntu");
  EXPECT_EQ(find(findings, "kernel", "time namespaces")->level, Level::kWarn);
  EXPECT_EQ(find(findings, "cgroups", "swap accounting")->level, Level::kWarn);
  EXPECT_EQ(find(findings, "cgroups", "mode")->value,
            "legacy (v1 controllers only; the v1 driver)");
}

TEST(CheckReport, OldKernelMemlockMatters) {
  HostFacts f = gatherFixture("unified-systemd", 0, 0);
  f.kernel = modernKernel();
  f.kernel.memlockBytes = 8u << 20;
  EXPECT_EQ(find(hostFindings(f), "cgroups", "RLIMIT_MEMLOCK")->value,
            "8 MiB (not used: Linux 5.11+ charges BPF to the memory cgroup)");
  f.kernelRelease = "5.10.0-26-amd64";
  f.kernel.memlockBytes = 16u << 10;
  std::vector<Finding> findings = hostFindings(f);
  const Finding* memlock = find(findings, "cgroups", "RLIMIT_MEMLOCK");
  EXPECT_EQ(memlock->value, "16 KiB");
  EXPECT_EQ(memlock->level, Level::kWarn);
}

TEST(CheckReport, SystemdCgroupWithoutSystemdIsAnError) {
  std::vector<Finding> findings = hostFindings(hybridRoot(), ReportOptions{true});
  EXPECT_EQ(find(findings, "systemd", "running")->level, Level::kError);
}

TEST(CheckReport, TextHasOneSectionPerTopic) {
  Report report{hostFindings(hybridRoot()), std::nullopt, {}};
  std::string text = renderText(report);
  EXPECT_TRUE(text.starts_with("caller\n  ok    identity: uid 0 (root), gid 0\n\nkernel\n"))
      << text;
  for (const char* topic : {"\nkernel\n", "\ncgroups\n", "\nsystemd\n", "\nuser namespaces\n",
                            "\nseccomp\n", "\nLSMs\n", "\ntools\n"}) {
    EXPECT_NE(text.find(topic), std::string::npos) << topic;
  }
  EXPECT_NE(text.find("  ok    time namespaces: yes\n"), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with("\nresult: this host can run containers (1 warning)\n")) << text;
}

TEST(CheckReport, BundleProblemsDecideTheExitStatus) {
  Report report{hostFindings(hybridRoot()), "/b", {}};
  EXPECT_EQ(exitStatus(report), 0);
  EXPECT_NE(renderText(report).find("bundle /b\n  ok    every field can be honoured here\n"),
            std::string::npos);
  report.problems = {{"linux.namespaces[3]", "time namespaces are not available on this kernel"},
                     {"linux.foo", "bad", "create"}};
  EXPECT_EQ(exitStatus(report), 1);
  std::string text = renderText(report);
  EXPECT_NE(text.find("  error linux.namespaces[3]: time namespaces are not available on this "
                      "kernel\n  error linux.foo: bad (create refuses it)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("result: this bundle cannot run here (2 problems, 1 warning)"),
            std::string::npos)
      << text;
}

TEST(CheckReport, JsonKeysAreStable) {
  HostFacts f = gatherFixture("unified-systemd", 1000, 1000);
  f.kernel = modernKernel();
  ownLikeDebian(f);
  Report report{hostFindings(f), "/b", {{"linux.resources", "why", "host"}}};
  nlohmann::ordered_json j = renderJson(report, f);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"ok", "caller", "kernel", "cgroup", "systemd",
                                            "userNamespaces", "seccomp", "lsm", "criu", "findings",
                                            "bundle"}));
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["caller"]["user"], "user");
  EXPECT_EQ(j["kernel"]["timeNamespace"], true);
  EXPECT_EQ(j["kernel"]["openat2"], true);
  EXPECT_EQ(j["cgroup"]["mode"], "unified");
  EXPECT_EQ(j["cgroup"]["delegated"]["path"], "/user.slice/user-1000.slice/user@1000.service");
  EXPECT_EQ(j["cgroup"]["delegated"]["controllers"],
            nlohmann::ordered_json({"cpu", "memory", "pids"}));
  EXPECT_EQ(j["systemd"]["running"], true);
  EXPECT_EQ(j["systemd"]["version"], "252");
  EXPECT_EQ(j["userNamespaces"]["allowed"], true);
  EXPECT_EQ(j["userNamespaces"]["subuid"][0]["start"], 100000);
  EXPECT_EQ(j["seccomp"]["libseccomp"], "2.5.4");
  EXPECT_EQ(j["lsm"]["apparmor"], true);
  EXPECT_EQ(j["bundle"]["problems"][0]["path"], "linux.resources");
  EXPECT_EQ(j["bundle"]["problems"][0]["source"], "host");
  const nlohmann::ordered_json& first = j["findings"][0];
  EXPECT_EQ(first["topic"], "caller");
  EXPECT_EQ(first["level"], "ok");
  // An unprobed feature is null, not false.
  f.kernel.idmappedMounts = Probe::unknown("needs root to probe");
  EXPECT_TRUE(renderJson(report, f)["kernel"]["idmappedMounts"].is_null());
}

}  // namespace
}  // namespace sangja::check
