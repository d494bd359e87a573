// `sangja check` against reality: what it claims about this host must hold
// when real containers run (a user namespace, a time namespace, the cgroup
// mode as statfs sees it), and a bundle it passes must run while one it
// refuses must fail create too. `check` exists only in sangja: for a peer
// (SANGJA_RUNTIME=runc) the suite skips saying so.
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr unsigned kHostBase = 100000;

// The cgroup mode from statfs alone, independent of the runtime's reading
// of mountinfo.
std::string cgroupModeByStatfs() {
  struct statfs fs {};
  if (::statfs("/sys/fs/cgroup", &fs) != 0) return "none";
  if (fs.f_type == CGROUP2_SUPER_MAGIC) return "unified";
  struct statfs unified {};
  bool v2 =
      ::statfs("/sys/fs/cgroup/unified", &unified) == 0 && unified.f_type == CGROUP2_SUPER_MAGIC;
  return v2 ? "hybrid" : "legacy";
}

class CheckTest : public ContainerTest {
 protected:
  void SetUp() override {
    if (runtimeIsPeer()) GTEST_SKIP() << "the check verb exists only in sangja";
  }

  // `check --format json [args]`, parsed; the exit status in *status.
  json checkJson(const std::vector<std::string>& args, int* status) {
    std::vector<std::string> argv = {"check", "--format", "json"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = b.rt(argv);
    *status = r.status;
    json doc = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << "not JSON: " << r;
    return doc;
  }

  json hostJson() {
    int status = -1;
    json doc = checkJson({}, &status);
    EXPECT_EQ(status, 0) << doc.dump(2);
    return doc;
  }

  // A problem with this JSON path in a check --bundle document.
  static bool names(const json& doc, const std::string& path) {
    for (const json& p : doc["bundle"]["problems"]) {
      if (p["path"] == path) return true;
    }
    return false;
  }

  void useUserNamespace() {
    json maps = json::array({{{"containerID", 0}, {"hostID", kHostBase}, {"size", 65536}}});
    b.config["linux"]["namespaces"].push_back({{"type", "user"}});
    b.config["linux"]["uidMappings"] = maps;
    b.config["linux"]["gidMappings"] = maps;
    std::string ids = std::to_string(kHostBase) + ":" + std::to_string(kHostBase);
    RunResult r = host("chown -R " + ids + " '" + b.rootfs() + "' && chmod 0711 '" + b.base() +
                       "' '" + fs::path(b.base()).parent_path().string() + "'");
    ASSERT_TRUE(r.ok()) << r;
  }
};

TEST_F(CheckTest, HostFactsMatchThisHost) {
  json doc = hostJson();
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["caller"]["uid"], ::geteuid());
  EXPECT_EQ(doc["cgroup"]["mode"], cgroupModeByStatfs()) << doc["cgroup"].dump();
  EXPECT_EQ(doc["cgroup"]["mode"], hostCgroupMode());
  EXPECT_EQ(doc["kernel"]["timeNamespace"], pathExists("/proc/self/ns/time"));
  EXPECT_EQ(doc["systemd"]["running"], pathExists("/run/systemd/system"));
  EXPECT_EQ(doc["kernel"]["overlayfs"], contains(readFile("/proc/filesystems"), "\toverlay\n"));
  EXPECT_EQ(doc["seccomp"]["available"], contains(readFile("/proc/self/status"), "\nSeccomp:"));
  // Every v1 controller it lists is a mounted hierarchy here.
  for (const json& c : doc["cgroup"]["v1Controllers"]) {
    std::string name = c.get<std::string>();
    if (name.starts_with("name=")) continue;
    EXPECT_TRUE(hostHasController(name)) << name;
  }
  // Root: the whole tree is its own.
  if (::geteuid() == 0) {
    EXPECT_EQ(doc["cgroup"]["delegated"]["all"], true);
  }
}

TEST_F(CheckTest, TextReportHasEveryTopicAndAVerdict) {
  RunResult r = b.rt({"check"});
  ASSERT_TRUE(r.ok()) << r;
  for (const char* topic : {"caller\n", "\nkernel\n", "\ncgroups\n", "\nsystemd\n",
                            "\nuser namespaces\n", "\nseccomp\n", "\nLSMs\n", "\ntools\n"}) {
    EXPECT_TRUE(contains(r.out, topic)) << topic << "\n" << r.out;
  }
  EXPECT_TRUE(contains(r.out, "  ok    mode: " + hostCgroupMode())) << r.out;
  EXPECT_TRUE(contains(r.out, "\nresult: this host can run containers")) << r.out;
}

TEST_F(CheckTest, UserNamespaceClaimHolds) {
  json doc = hostJson();
  useUserNamespace();
  RunResult r = b.run({"sh", "-c", "cat /proc/self/uid_map"});
  if (doc["userNamespaces"]["allowed"] == true) {
    ASSERT_TRUE(r.ok()) << "check said user namespaces are allowed; " << r;
    EXPECT_TRUE(contains(r.out, std::to_string(kHostBase))) << r.out;
  } else {
    EXPECT_FALSE(r.ok()) << "check said user namespaces are not allowed; " << r;
  }
}

TEST_F(CheckTest, TimeNamespaceClaimHolds) {
  json doc = hostJson();
  b.config["linux"]["namespaces"].push_back({{"type", "time"}});
  b.config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 864000}, {"nanosecs", 0}}}};
  RunResult r = b.run({"cat", "/proc/uptime"});
  if (doc["kernel"]["timeNamespace"] == true) {
    ASSERT_TRUE(r.ok()) << "check said time namespaces are available; " << r;
    // Ten days of boottime offset.
    EXPECT_GE(std::stod(r.out), 864000.0) << r.out;
  } else {
    EXPECT_FALSE(r.ok()) << "check said time namespaces are not available; " << r;
  }
}

TEST_F(CheckTest, IdmappedMountClaimHolds) {
  json doc = hostJson();
  if (!doc["kernel"]["idmappedMounts"].is_boolean()) {
    GTEST_SKIP() << "check could not probe idmapped mounts here (not root)";
  }
  std::string data = b.tmp() + "/data";
  fs::create_directories(data);
  writeFile(data + "/file", "x");
  b.config["mounts"].push_back({{"destination", "/data"},
                                {"type", "bind"},
                                {"source", data},
                                {"options", {"rbind", "idmap"}}});
  useUserNamespace();
  RunResult r = b.run({"stat", "-c", "%u", "/data/file"});
  if (doc["kernel"]["idmappedMounts"] == true) {
    ASSERT_TRUE(r.ok()) << "check said idmapped mounts work; " << r;
    EXPECT_EQ(nonBlankLines(r.out), std::vector<std::string>{"0"}) << r.out;
  } else {
    EXPECT_FALSE(r.ok()) << "check said idmapped mounts do not work; " << r;
  }
}

TEST_F(CheckTest, BundleItPassesRuns) {
  b.setArgs({"true"});
  b.write();
  int status = -1;
  json doc = checkJson({"--bundle", b.dir()}, &status);
  EXPECT_EQ(status, 0) << doc.dump(2);
  EXPECT_EQ(doc["bundle"]["ok"], true) << doc["bundle"].dump(2);
  EXPECT_EQ(doc["bundle"]["dir"], fs::canonical(b.dir()).string());
  RunResult r = b.run({"true"});
  EXPECT_TRUE(r.ok()) << "check passed the bundle; " << r;
}

// Something this host cannot honour: an AppArmor profile where AppArmor is
// off, else v2-only resources on a v1 host, else a controller no kernel has.
TEST_F(CheckTest, BundleItRefusesFailsCreateToo) {
  json host = hostJson();
  std::string path;
  if (host["lsm"]["apparmor"] == false) {
    b.config["process"]["apparmorProfile"] = "sangja-check-test";
    path = "process.apparmorProfile";
  } else if (host["cgroup"]["mode"] != "unified") {
    b.config["linux"]["resources"]["unified"] = {{"pids.max", "10"}};
    path = "linux.resources.unified";
  } else {
    b.config["linux"]["resources"]["unified"] = {{"nosuchctl.max", "10"}};
    path = "linux.resources.unified[\"nosuchctl.max\"]";
  }
  b.setArgs({"true"});
  b.write();
  int status = -1;
  json doc = checkJson({"--bundle", b.dir()}, &status);
  EXPECT_EQ(status, 1) << doc.dump(2);
  EXPECT_EQ(doc["ok"], false);
  EXPECT_TRUE(names(doc, path)) << path << " not named: " << doc["bundle"].dump(2);
  EXPECT_EQ(expectCleanCreateFailure(b, path.substr(0, path.find('['))), "");
}

// A config create's own planning refuses (a namespace path that does not
// exist) is reported with create's error, and create indeed fails.
TEST_F(CheckTest, CreatesOwnRefusalIsReported) {
  b.config["linux"]["namespaces"][0]["path"] = b.tmp() + "/no-such-namespace";
  b.setArgs({"true"});
  b.write();
  int status = -1;
  json doc = checkJson({"--bundle", b.dir()}, &status);
  EXPECT_EQ(status, 1) << doc.dump(2);
  ASSERT_FALSE(doc["bundle"]["problems"].empty()) << doc.dump(2);
  const json& first = doc["bundle"]["problems"][0];
  EXPECT_EQ(first["source"], "create") << first.dump();
  RunResult r = b.create();
  EXPECT_FALSE(r.ok()) << r;
  EXPECT_TRUE(contains(r.err, "no-such-namespace")) << r;
  EXPECT_TRUE(contains(first["reason"].get<std::string>(), "no-such-namespace")) << first.dump();
}

TEST_F(CheckTest, BadFlagsAreUsageErrors) {
  EXPECT_NE(b.rt({"check", "--format", "yaml"}).status, 0);
  EXPECT_NE(b.rt({"check", "extra"}).status, 0);
  RunResult missing = b.rt({"check", "--bundle", b.tmp() + "/nowhere"});
  EXPECT_EQ(missing.status, 1) << missing;
  EXPECT_EQ(nonBlankLines(missing.err).size(), 1u) << missing;
}

}  // namespace
}  // namespace sangja::it
