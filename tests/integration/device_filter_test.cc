// linux.resources.devices through the cgroup v2 eBPF device filter, in real
// containers: the default config's "deny all" still leaves runc's default
// devices usable, linux.devices entries made but not allowed implicitly, a node the container
// makes itself is not, an allow rule opens it, and `update` changes the
// rules of a running container (replacing the program, not adding one).
// On a v1 host (this machine, hybrid) the rules go to the v1 devices
// controller instead, as runc's do; what the container can open is the same.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;

// Tries to open each path in the container for reading (dd reads nothing);
// prints "PATH open" or dd's error ("... Operation not permitted").
std::string openScript(const std::vector<std::string>& paths) {
  std::string s;
  for (const std::string& p : paths) {
    s += "if dd if=" + p + " of=/dev/null count=0 2>/tmp/err; then echo '" + p +
         " open'; else cat /tmp/err; fi; ";
  }
  return s;
}

// A host char device that none of the default rules allows and that opens
// harmlessly: "MAJOR MINOR", or "" when the host has none.
std::string spareCharDevice() {
  for (const char* path : {"/dev/fuse", "/dev/loop-control"}) {
    struct stat st;
    if (::stat(path, &st) == 0 && S_ISCHR(st.st_mode)) {
      return std::to_string(major(st.st_rdev)) + " " + std::to_string(minor(st.st_rdev));
    }
  }
  return "";
}

// The ids of the BPF_CGROUP_DEVICE programs attached to a v2 cgroup directory
// (raw bpf(2), not libsangja); nullopt if the query fails.
std::optional<std::vector<uint32_t>> devicePrograms(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::vector<uint32_t> ids(64);
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.query.target_fd = static_cast<uint32_t>(fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  long rc = ::syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof attr);
  ::close(fd);
  if (rc < 0) return std::nullopt;
  ids.resize(attr.query.prog_cnt);
  return ids;
}

class DeviceFilterTest : public ContainerTest {
 protected:
  void SetUp() override {
    // mknod needs CAP_MKNOD; the device filter still decides on opening.
    for (const char* set : {"bounding", "effective", "permitted"}) {
      b.config["process"]["capabilities"][set].push_back("CAP_MKNOD");
    }
    // /tmp/err for openScript.
    b.config["root"]["readonly"] = false;
  }
  void setDevices(const json& rules) { b.config["linux"]["resources"]["devices"] = rules; }
};

TEST_F(DeviceFilterTest, DefaultConfigDeniesAllButTheDefaultDevices) {
  ASSERT_EQ(b.config["linux"]["resources"]["devices"],
            json::parse(R"([{"allow": false, "access": "rwm"}])"))
      << "the default config changed";
  RunResult r = b.sh(
      "echo hi > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c && "
      "head -c 4 /dev/random | wc -c && echo works");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "works")) << r;
  EXPECT_FALSE(contains(r.err, "not permitted")) << r;
}

TEST_F(DeviceFilterTest, NodeMadeInTheContainerCannotBeOpened) {
  std::string dev = spareCharDevice();
  if (dev.empty()) GTEST_SKIP() << "NOT RUN HERE: no /dev/fuse or /dev/loop-control on this host";
  RunResult r =
      b.sh("mknod /dev/x c " + dev + " && echo made; " + openScript({"/dev/x", "/dev/null"}));
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "made")) << "mknod (allowed by c *:* m) failed: " << r;
  EXPECT_TRUE(contains(r.out, "/dev/x") && contains(r.out, "Operation not permitted")) << r;
  EXPECT_FALSE(contains(r.out, "/dev/x open")) << r;
  EXPECT_TRUE(contains(r.out, "/dev/null open")) << r;
}

TEST_F(DeviceFilterTest, AllowRuleOpensTheNode) {
  std::string dev = spareCharDevice();
  if (dev.empty()) GTEST_SKIP() << "NOT RUN HERE: no /dev/fuse or /dev/loop-control on this host";
  unsigned maj = 0, min = 0;
  std::sscanf(dev.c_str(), "%u %u", &maj, &min);
  setDevices(json::array(
      {{{"allow", false}, {"access", "rwm"}},
       {{"allow", true}, {"type", "c"}, {"major", maj}, {"minor", min}, {"access", "rw"}}}));
  RunResult r = b.sh("mknod /dev/x c " + dev + " && " + openScript({"/dev/x"}));
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "/dev/x open")) << r;
}

TEST_F(DeviceFilterTest, PartialAccessRule) {
  // Read only: reading works, writing does not.
  std::string dev = spareCharDevice();
  if (dev.empty()) GTEST_SKIP() << "NOT RUN HERE: no /dev/fuse or /dev/loop-control on this host";
  unsigned maj = 0, min = 0;
  std::sscanf(dev.c_str(), "%u %u", &maj, &min);
  setDevices(json::array(
      {{{"allow", false}, {"access", "rwm"}},
       {{"allow", true}, {"type", "c"}, {"major", maj}, {"minor", min}, {"access", "r"}}}));
  RunResult r = b.sh("mknod /dev/z c " + dev + " && " + openScript({"/dev/z"}) +
                     "if dd if=/dev/null of=/dev/z count=0 2>/tmp/err; then echo WROTE; "
                     "else cat /tmp/err; fi");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "/dev/z open")) << r;
  EXPECT_FALSE(contains(r.out, "WROTE")) << r;
  EXPECT_TRUE(contains(r.out, "Operation not permitted")) << r;
}

// linux.devices get their node, not an allow rule: with the default config's
// deny-all, only the default devices (here /dev/full as /dev/myfull) open,
// as with runc; a device beyond them needs its own rule in
// linux.resources.devices.
TEST_F(DeviceFilterTest, LinuxDevicesEntryIsCreatedButNotAllowedImplicitly) {
  b.config["linux"]["devices"] =
      json::parse(R"([{"path": "/dev/myfull", "type": "c", "major": 1, "minor": 7,
                       "fileMode": 438, "uid": 0, "gid": 0},
                      {"path": "/dev/myloop", "type": "b", "major": 7, "minor": 0,
                       "fileMode": 384}])");
  RunResult r = b.sh(
      "if echo x > /dev/myfull 2>/tmp/werr; then echo WROTE; else cat /tmp/werr; fi; "
      "head -c 2 /dev/myfull | wc -c; " +
      openScript({"/dev/myfull", "/dev/myloop"}) + "stat -c '%a %t:%T' /dev/myfull /dev/myloop");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "/dev/myfull open")) << r;
  EXPECT_TRUE(contains(r.out, "No space left on device")) << "writing /dev/full: " << r;
  EXPECT_TRUE(contains(r.out, "666 1:7")) << r;
  EXPECT_TRUE(contains(r.out, "600 7:0")) << "the node is made; " << r;
  EXPECT_FALSE(contains(r.out, "/dev/myloop open")) << "linux.devices widened a deny-all; " << r;
  EXPECT_TRUE(contains(r.out, "Operation not permitted")) << r;

  if (!pathExists("/dev/loop0")) return;  // no loop driver: the allowed half cannot run
  // An explicit rule opens it.
  b.config["linux"]["resources"]["devices"].push_back(
      json::parse(R"({"allow": true, "type": "b", "major": 7, "minor": 0, "access": "rw"})"));
  RunResult allowed = b.sh(openScript({"/dev/myloop"}));
  ASSERT_TRUE(allowed.ok()) << allowed;
  EXPECT_TRUE(contains(allowed.out, "/dev/myloop open")) << allowed;
}

TEST_F(DeviceFilterTest, UpdateChangesTheRulesOfARunningContainer) {
  if (v1Host()) SKIP_FOR_PEER("runc 1.1's update leaves the v1 device rules as they were");
  std::string dev = spareCharDevice();
  if (dev.empty()) GTEST_SKIP() << "NOT RUN HERE: no /dev/fuse or /dev/loop-control on this host";
  unsigned maj = 0, min = 0;
  std::sscanf(dev.c_str(), "%u %u", &maj, &min);
  // The container checks /dev/x every 50 ms and says so in /tmp/r.
  b.setArgs({"sh", "-c",
             "mknod /dev/x c " + dev +
                 "; while :; do "
                 "if dd if=/dev/x of=/dev/null count=0 2>/dev/null; then echo ok > /tmp/r.new; "
                 "else echo no > /tmp/r.new; fi; "
                 "mv /tmp/r.new /tmp/r; sleep 0.05; done"});
  ASSERT_TRUE(b.create().ok());
  ASSERT_TRUE(b.start().ok());
  auto result = [&] { return readFile(b.rootfs() + "/tmp/r"); };
  ASSERT_TRUE(waitUntil([&] { return result() == "no\n"; })) << "got " << result();

  std::string cgroupDir = v1Host() ? controllerDir("devices", cgroupOf(b.pid(), "devices"))
                                   : unifiedRoot() + unifiedCgroupOf(b.pid());
  // v1: the controller's own list of what is allowed.
  std::string rule = "c " + std::to_string(maj) + ":" + std::to_string(min) + " rwm";
  auto allowedByV1 = [&] { return contains(readFile(cgroupDir + "/devices.list"), rule); };
  std::optional<std::vector<uint32_t>> before;
  if (v1Host()) {
    EXPECT_FALSE(allowedByV1()) << readFile(cgroupDir + "/devices.list");
  } else {
    before = devicePrograms(cgroupDir);
    ASSERT_TRUE(before.has_value()) << "BPF_PROG_QUERY on " << cgroupDir << " failed";
    EXPECT_EQ(before->size(), 1u);
  }

  std::string allowFile = b.tmp() + "/allow.json";
  writeFile(allowFile, json{{"devices", json::array({{{"allow", false}, {"access", "rwm"}},
                                                     {{"allow", true},
                                                      {"type", "c"},
                                                      {"major", maj},
                                                      {"minor", min},
                                                      {"access", "rwm"}}})}}
                           .dump());
  RunResult up = b.rt({"update", "--resources", allowFile, b.id()});
  ASSERT_TRUE(up.ok()) << up;
  EXPECT_TRUE(waitUntil([&] { return result() == "ok\n"; })) << "got " << result();

  if (v1Host()) {
    EXPECT_TRUE(allowedByV1()) << readFile(cgroupDir + "/devices.list");
  } else {
    auto after = devicePrograms(cgroupDir);
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->size(), 1u) << "the old program was not detached";
    if (!before->empty() && !after->empty()) {
      EXPECT_NE(before->front(), after->front());
    }
  }

  std::string denyFile = b.tmp() + "/deny.json";
  writeFile(denyFile, R"({"devices": [{"allow": false, "access": "rwm"}]})");
  up = b.rt({"update", "--resources", denyFile, b.id()});
  ASSERT_TRUE(up.ok()) << up;
  EXPECT_TRUE(waitUntil([&] { return result() == "no\n"; })) << "got " << result();

  // An update without devices leaves the rules alone.
  std::string pidsFile = b.tmp() + "/pids.json";
  writeFile(pidsFile, R"({"pids": {"limit": 100}})");
  if (v1Host()) {
    std::string last = readFile(cgroupDir + "/devices.list");
    up = b.rt({"update", "--resources", pidsFile, b.id()});
    ASSERT_TRUE(up.ok()) << up;
    EXPECT_EQ(readFile(cgroupDir + "/devices.list"), last);
    return;
  }
  auto last = devicePrograms(cgroupDir);
  up = b.rt({"update", "--resources", pidsFile, b.id()});
  auto unchanged = devicePrograms(cgroupDir);
  ASSERT_TRUE(last.has_value() && unchanged.has_value());
  EXPECT_EQ(*last, *unchanged);
}

}  // namespace
}  // namespace sangja::it
