// What the container sees: namespaces, its own root and mount table, masked
// and read-only paths, devices, network, sysctls and its cgroup.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class IsolationTest : public ContainerTest {};

// The part of out after a line holding exactly marker.
std::string after(const std::string& out, const std::string& marker) {
  auto pos = out.find(marker + "\n");
  return pos == std::string::npos ? "" : out.substr(pos + marker.size() + 1);
}
// The part of out before a line holding exactly marker.
std::string before(const std::string& out, const std::string& marker) {
  auto pos = out.find(marker + "\n");
  return pos == std::string::npos ? out : out.substr(0, pos);
}

json mountEntry(const std::string& dest, const std::string& type, const std::string& source,
                const std::vector<std::string>& options) {
  return json{{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

std::string hostName() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

// ---- pid namespace ----------------------------------------------------------

TEST_F(IsolationTest, ProcessIsPid1) {
  RunResult r = b.sh("echo $$");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1\n");
}

TEST_F(IsolationTest, Pid1IsTheContainerProcessAndAlone) {
  RunResult r = b.sh("tr '\\0' ' ' < /proc/1/cmdline; echo; echo ==ps==; ps");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(before(r.out, "==ps==").rfind("sh -c tr ", 0), 0u) << r;
  // ps lists the header, pid 1 and its children (tr is gone, ps itself).
  bool saw_init = false;
  int processes = 0;
  for (const auto& line : splitLines(after(r.out, "==ps=="))) {
    std::istringstream in(line);
    std::string pid;
    in >> pid;
    if (pid == "PID") continue;
    ++processes;
    if (pid == "1") saw_init = contains(line, "sh -c");
  }
  EXPECT_TRUE(saw_init) << r;
  EXPECT_LE(processes, 2) << "host processes visible in the container:\n" << r.out;
}

// ---- uts --------------------------------------------------------------------

TEST_F(IsolationTest, HostnameAsConfigured) {
  std::string host_before = hostName();
  b.config["hostname"] = "it-box";
  RunResult r = b.run({"hostname"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "it-box\n");
  EXPECT_EQ(hostName(), host_before) << "the host's hostname changed";
}

TEST_F(IsolationTest, DomainnameAsConfigured) {
  std::string host_before = readFile("/proc/sys/kernel/domainname");
  b.config["domainname"] = "it.example";
  RunResult r = b.run({"cat", "/proc/sys/kernel/domainname"});
  ASSERT_TRUE(r.ok()) << r;
  if (r.out == "(none)\n") SKIP_FOR_PEER("ignores the domainname field (added in runc 1.2)");
  EXPECT_EQ(r.out, "it.example\n");
  EXPECT_EQ(readFile("/proc/sys/kernel/domainname"), host_before);
}

TEST_F(IsolationTest, NamespacesDifferFromTheHost) {
  b.config["linux"]["namespaces"].push_back({{"type", "cgroup"}});
  RunResult r = b.sh(
      "for n in pid net ipc uts mnt cgroup; do echo $n=$(readlink /proc/self/ns/$n); done;"
      "echo ==cgroup==; cat /proc/self/cgroup");
  ASSERT_TRUE(r.ok()) << r;
  for (std::string ns : {"pid", "net", "ipc", "uts", "mnt", "cgroup"}) {
    std::string host_ns = fs::read_symlink("/proc/self/ns/" + ns).string();
    std::string want = ns + "=" + host_ns + "\n";
    EXPECT_TRUE(contains(r.out, ns + "=" + ns + ":[")) << r;
    EXPECT_FALSE(contains(r.out, want)) << ns << " namespace is the host's: " << r.out;
  }
  // In its own cgroup namespace the container's cgroup is its root.
  EXPECT_TRUE(contains(after(r.out, "==cgroup=="), "0::/\n")) << r;
}

// ---- root and mounts ----------------------------------------------------------

TEST_F(IsolationTest, RootIsTheBundleRootfs) {
  RunResult r = b.sh("cat /proc/self/mountinfo; echo ==ls==; ls -A /");
  ASSERT_TRUE(r.ok()) << r;
  auto root = findMount(before(r.out, "==ls=="), "/");
  ASSERT_TRUE(root.has_value()) << r;
  // The root field is the rootfs path relative to its filesystem's root.
  EXPECT_NE(root->root, "/") << "/ is not the rootfs: " << r.out;
  std::string rootfs = b.rootfs();
  EXPECT_TRUE(rootfs.size() >= root->root.size() &&
              rootfs.compare(rootfs.size() - root->root.size(), root->root.size(), root->root) == 0)
      << "/ inside is " << root->root << ", expected a suffix of " << rootfs;

  // ls / shows exactly the rootfs' top level: the old root is gone.
  std::set<std::string> inside, expected;
  for (const auto& l : splitLines(after(r.out, "==ls=="))) inside.insert(l);
  for (const auto& e : fs::directory_iterator(b.rootfs()))
    expected.insert(e.path().filename().string());
  EXPECT_EQ(inside, expected);
}

TEST_F(IsolationTest, HostPathsAreNotReachable) {
  std::string marker = b.tmp() + "/host-marker";
  writeFile(marker, "host\n");
  RunResult r = b.sh("for p in '" + marker + "' '" + b.tmp() + "' /proc/1/root'" + marker +
                     "'; do if [ -e \"$p\" ]; then echo \"visible $p\"; fi; done; echo done");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "done\n");
}

TEST_F(IsolationTest, ReadonlyRootRejectsWrites) {
  b.config["root"]["readonly"] = true;
  RunResult r = b.sh("touch /newfile 2>&1; echo rc=$?");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "Read-only file system")) << r;
  EXPECT_TRUE(contains(r.out, "rc=1")) << r;
  EXPECT_FALSE(pathExists(b.rootfs() + "/newfile"));
}

TEST_F(IsolationTest, WritableRootAcceptsWrites) {
  b.config["root"]["readonly"] = false;
  RunResult r = b.sh("echo inside > /newfile");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(readFile(b.rootfs() + "/newfile"), "inside\n");
}

TEST_F(IsolationTest, TmpfsMountWithSizeModeAndFlags) {
  b.config["mounts"].push_back(mountEntry("/scratch", "tmpfs", "tmpfs",
                                          {"nosuid", "nodev", "noexec", "size=2m", "mode=0710"}));
  RunResult r = b.sh("stat -c %a /scratch; cat /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(splitLines(r.out).at(0), "710") << r;
  auto m = findMount(r.out, "/scratch");
  ASSERT_TRUE(m.has_value()) << r;
  EXPECT_EQ(m->fstype, "tmpfs");
  EXPECT_TRUE(m->hasOption("nosuid")) << m->options;
  EXPECT_TRUE(m->hasOption("nodev")) << m->options;
  EXPECT_TRUE(m->hasOption("noexec")) << m->options;
  EXPECT_TRUE(m->hasSuperOption("size=2048k")) << m->super_options;
  EXPECT_TRUE(m->hasSuperOption("mode=710")) << m->super_options;
}

TEST_F(IsolationTest, ReadOnlyBindMount) {
  std::string share = b.tmp() + "/share";
  fs::create_directories(share);
  writeFile(share + "/data", "from-host\n");
  b.config["mounts"].push_back(mountEntry("/mnt/ro", "bind", share, {"rbind", "ro"}));
  RunResult r = b.sh(
      "cat /mnt/ro/data; touch /mnt/ro/new 2>&1; echo rc=$?; echo ==mi==; "
      "cat /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "from-host\n")) << r;
  EXPECT_TRUE(contains(r.out, "Read-only file system")) << r;
  EXPECT_TRUE(contains(r.out, "rc=1")) << r;
  EXPECT_FALSE(pathExists(share + "/new"));
  auto m = findMount(after(r.out, "==mi=="), "/mnt/ro");
  ASSERT_TRUE(m.has_value()) << r;
  EXPECT_TRUE(m->hasOption("ro")) << m->options;
  // The host's side of the bind stays writable.
  EXPECT_NO_THROW(writeFile(share + "/host-write", "ok"));
}

TEST_F(IsolationTest, ReadWriteBindMount) {
  std::string share = b.tmp() + "/share";
  fs::create_directories(share);
  b.config["mounts"].push_back(mountEntry("/mnt/rw", "bind", share, {"rbind", "rw"}));
  RunResult r = b.sh("echo written > /mnt/rw/new && cat /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(readFile(share + "/new"), "written\n");
  auto m = findMount(r.out, "/mnt/rw");
  ASSERT_TRUE(m.has_value()) << r;
  EXPECT_TRUE(m->hasOption("rw")) << m->options;
}

TEST_F(IsolationTest, BindMountFlagsAreApplied) {
  std::string share = b.tmp() + "/share";
  fs::create_directories(share);
  fs::copy_file(b.rootfs() + "/bin/busybox", share + "/bb");
  b.config["mounts"].push_back(
      mountEntry("/mnt/flags", "bind", share, {"bind", "nosuid", "nodev", "noexec"}));
  RunResult r = b.sh("/mnt/flags/bb true 2>&1; echo rc=$?; echo ==mi==; cat /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(before(r.out, "==mi=="), "rc=126")) << "noexec not applied: " << r;
  auto m = findMount(after(r.out, "==mi=="), "/mnt/flags");
  ASSERT_TRUE(m.has_value()) << r;
  EXPECT_TRUE(m->hasOption("nosuid")) << m->options;
  EXPECT_TRUE(m->hasOption("nodev")) << m->options;
  EXPECT_TRUE(m->hasOption("noexec")) << m->options;
}

// ---- masked and read-only paths ---------------------------------------------

TEST_F(IsolationTest, MaskedPathsAreUnreadable) {
  // A file and a directory of the rootfs, plus the defaults from runc spec.
  b.config["root"]["readonly"] = false;
  writeFile(b.rootfs() + "/etc/secret", "s3cret\n");
  fs::create_directories(b.rootfs() + "/etc/secretdir");
  writeFile(b.rootfs() + "/etc/secretdir/file", "s3cret\n");
  b.config["linux"]["maskedPaths"].push_back("/etc/secret");
  b.config["linux"]["maskedPaths"].push_back("/etc/secretdir");
  ASSERT_FALSE(readFile("/proc/timer_list").empty()) << "the host's timer_list is empty";
  RunResult r = b.sh(
      "echo secret=$(cat /etc/secret 2>/dev/null); "
      "echo secretdir=$(ls -A /etc/secretdir 2>/dev/null); "
      "echo timer_list=$(head -c 64 /proc/timer_list 2>/dev/null | wc -c); "
      "echo kcore=$(head -c 64 /proc/kcore 2>/dev/null | wc -c); "
      "echo firmware=$(ls -A /sys/firmware 2>/dev/null)");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "secret=\nsecretdir=\ntimer_list=0\nkcore=0\nfirmware=\n");
  EXPECT_EQ(readFile(b.rootfs() + "/etc/secret"), "s3cret\n");
}

TEST_F(IsolationTest, ReadonlyPathsAreReadOnly) {
  b.config["root"]["readonly"] = false;
  fs::create_directories(b.rootfs() + "/data");
  b.config["linux"]["readonlyPaths"].push_back("/data");
  // Not every kernel has /proc/sysrq-trigger (this VM's has not).
  bool sysrq = pathExists("/proc/sysrq-trigger");
  RunResult r = b.sh(std::string("echo 1 > /proc/sys/kernel/shm_rmid_forced; echo sys=$?; ") +
                     (sysrq ? "echo h > /proc/sysrq-trigger; echo sysrq=$?; " : "") +
                     "touch /data/x; echo data=$?; "
                     "touch /elsewhere; echo elsewhere=$?");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, std::string("sys=1\n") + (sysrq ? "sysrq=1\n" : "") + "data=1\nelsewhere=0\n")
      << r;
  // Each write fails because the mount is read-only, not for a permission.
  int rofs = 0;
  for (const auto& l : splitLines(r.err)) rofs += contains(l, "Read-only file system");
  EXPECT_EQ(rofs, sysrq ? 3 : 2) << r;
  EXPECT_FALSE(pathExists(b.rootfs() + "/data/x"));
  EXPECT_TRUE(pathExists(b.rootfs() + "/elsewhere"));
}

// ---- devices -------------------------------------------------------------------

TEST_F(IsolationTest, DefaultDevicesExist) {
  RunResult r =
      b.sh("for d in null zero full random urandom tty; do stat -c '%n %t:%T %F' /dev/$d; done");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out,
            "/dev/null 1:3 character special file\n"
            "/dev/zero 1:5 character special file\n"
            "/dev/full 1:7 character special file\n"
            "/dev/random 1:8 character special file\n"
            "/dev/urandom 1:9 character special file\n"
            "/dev/tty 5:0 character special file\n");
}

TEST_F(IsolationTest, DefaultDevicesWork) {
  RunResult r = b.sh(
      "echo x > /dev/null && echo null-ok; "
      "head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c; "
      "echo x > /dev/full 2>/dev/null || echo full-ok");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "null-ok\n4\n4\nfull-ok\n");
}

TEST_F(IsolationTest, LinuxDevicesEntryIsCreated) {
  b.config["linux"]["devices"] = json::array({json{{"path", "/dev/mydev"},
                                                   {"type", "c"},
                                                   {"major", 1},
                                                   {"minor", 3},
                                                   {"fileMode", 0600},
                                                   {"uid", 1000},
                                                   {"gid", 1001}}});
  RunResult r = b.run({"stat", "-c", "%t:%T %F %a %u %g", "/dev/mydev"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1:3 character special file 600 1000 1001\n");
}

TEST_F(IsolationTest, DevSymlinks) {
  RunResult r =
      b.sh("for l in fd stdin stdout stderr ptmx; do echo \"$l -> $(readlink /dev/$l)\"; done");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out,
            "fd -> /proc/self/fd\n"
            "stdin -> /proc/self/fd/0\n"
            "stdout -> /proc/self/fd/1\n"
            "stderr -> /proc/self/fd/2\n"
            "ptmx -> pts/ptmx\n");
}

// ---- network --------------------------------------------------------------------

TEST_F(IsolationTest, LoopbackIsUpInNewNetworkNamespace) {
  RunResult r = b.sh("cat /sys/class/net/lo/flags; ip -o link show | wc -l; ip link show lo");
  ASSERT_TRUE(r.ok()) << r;
  auto lines = splitLines(r.out);
  ASSERT_GE(lines.size(), 3u) << r;
  unsigned long flags = std::stoul(lines[0], nullptr, 16);
  EXPECT_TRUE(flags & 0x1) << "IFF_UP not set on lo: " << lines[0];
  EXPECT_EQ(lines[1], "1") << "a new network namespace has only lo: " << r;
  EXPECT_TRUE(contains(r.out, ",UP")) << r;
}

// A network namespace pinned on a file in the test's temp dir, holding lo
// with a marker address; unmounted at scope exit.
class PinnedNetns {
 public:
  explicit PinnedNetns(const std::string& path) : path_(path) {
    writeFile(path_, "");
    setup_ = host("unshare --net=" + path_ +
                  " sh -c 'ip link set lo up && ip addr add 10.123.45.67/32 dev lo'");
  }
  ~PinnedNetns() {
    RunResult r = host("umount " + path_);
    EXPECT_TRUE(r.ok()) << r;
  }
  const RunResult& setup() const { return setup_; }

 private:
  std::string path_;
  RunResult setup_;
};

TEST_F(IsolationTest, JoinsNetworkNamespaceByPath) {
  std::string ns = b.tmp() + "/netns";
  PinnedNetns pinned(ns);
  ASSERT_TRUE(pinned.setup().ok()) << pinned.setup();
  for (auto& n : b.config["linux"]["namespaces"])
    if (n["type"] == "network") n["path"] = ns;
  RunResult r = b.sh("ip -o addr show dev lo; readlink /proc/self/ns/net");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "10.123.45.67/32")) << r;
  struct stat st {};
  ASSERT_EQ(stat(ns.c_str(), &st), 0);
  EXPECT_TRUE(contains(r.out, "net:[" + std::to_string(st.st_ino) + "]")) << r;
}

// ---- sysctl -----------------------------------------------------------------------

TEST_F(IsolationTest, SysctlIsApplied) {
  std::string host_shm = readFile("/proc/sys/kernel/shm_rmid_forced");
  std::string host_fwd = readFile("/proc/sys/net/ipv4/ip_forward");
  b.config["linux"]["sysctl"] = {{"kernel.shm_rmid_forced", "1"}, {"net.ipv4.ip_forward", "1"}};
  RunResult r = b.run({"cat", "/proc/sys/kernel/shm_rmid_forced", "/proc/sys/net/ipv4/ip_forward"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1\n1\n");
  EXPECT_EQ(readFile("/proc/sys/kernel/shm_rmid_forced"), host_shm) << "host sysctl changed";
  EXPECT_EQ(readFile("/proc/sys/net/ipv4/ip_forward"), host_fwd) << "host sysctl changed";
}

// ---- cgroup -------------------------------------------------------------------------

TEST_F(IsolationTest, CgroupFromCgroupsPathAndRemovedOnDelete) {
  std::string path = "/sangja-it-" + b.id();
  b.config["linux"]["cgroupsPath"] = path;
  b.setArgs({"sleep", "100"});
  RunResult r = b.create();
  ASSERT_TRUE(r.ok()) << r;
  pid_t pid = b.pid();
  // The init is in its cgroup already before start.
  EXPECT_EQ(unifiedCgroupOf(pid), path);
  EXPECT_TRUE(fs::is_directory(unifiedRoot() + path));
  r = b.start();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(unifiedCgroupOf(pid), path);
  EXPECT_TRUE(
      contains(readFile(unifiedRoot() + path + "/cgroup.procs"), std::to_string(pid) + "\n"));
  ASSERT_TRUE(b.kill("KILL").ok());
  ASSERT_TRUE(b.waitStatus("stopped"));
  r = b.del();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_FALSE(pathExists(unifiedRoot() + path)) << "cgroup left behind";
}

TEST_F(IsolationTest, DefaultCgroupIsNotTheRootAndIsRemoved) {
  b.setArgs({"sleep", "100"});
  RunResult r = b.create();
  ASSERT_TRUE(r.ok()) << r;
  std::string cg = unifiedCgroupOf(b.pid());
  ASSERT_FALSE(cg.empty()) << "no 0:: line";
  EXPECT_NE(cg, "/") << "the container shares the root cgroup";
  EXPECT_NE(cg, unifiedCgroupOf(getpid())) << "the container shares the caller's cgroup";
  r = b.del(/*force=*/true);
  ASSERT_TRUE(r.ok()) << r;
  if (cg != "/") {
    EXPECT_FALSE(pathExists(unifiedRoot() + cg)) << cg;
  }
}

// process.apparmorProfile on a kernel with AppArmor (the qemu guest's Debian
// kernel; this host's has none): a profile loaded for the test confines the
// container's process from its first instruction.
TEST_F(IsolationTest, AppArmorProfileIsApplied) {
  if (std::string why = appArmorUnavailable(); !why.empty()) GTEST_SKIP() << why;
  AppArmorTestProfile profile(b.id(), b.tmp());
  ASSERT_TRUE(profile.loaded());
  b.config["root"]["readonly"] = false;
  b.config["process"]["apparmorProfile"] = profile.name();
  RunResult r = b.sh(
      "cat /proc/self/attr/current; touch /tmp/allowed && echo allowed; "
      "touch /tmp/denied-by-apparmor 2>/dev/null && echo written || echo denied");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, profile.name() + " (enforce)\nallowed\ndenied\n") << r;
}

}  // namespace
}  // namespace sangja::it
