// User namespaces, idmapped mounts and time namespaces, in real containers.
//
// The user namespace tests map container 0 to host 100000 (65536 ids) and
// chown the bundle's rootfs copy to 100000:100000, as a user of a runtime
// would. The container's root must also be able to reach the rootfs: the
// suite's temp dirs are mkdtemp'd 0700, so the tests open them to 0711.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr unsigned kHostBase = 100000;

json idMap(unsigned container, unsigned host, unsigned size) {
  return json{{"containerID", container}, {"hostID", host}, {"size", size}};
}

json bindEntry(const std::string& dest, const std::string& source,
               const std::vector<std::string>& options) {
  return json{{"destination", dest}, {"type", "bind"}, {"source", source}, {"options", options}};
}

// The part of out after a line holding exactly marker.
std::string after(const std::string& out, const std::string& marker) {
  auto pos = out.find(marker + "\n");
  return pos == std::string::npos ? "" : out.substr(pos + marker.size() + 1);
}

// "Uid:" / "Gid:" line of /proc/PID/status, fields joined by spaces.
std::string statusIds(pid_t pid, const std::string& key) {
  for (const auto& line : splitLines(readFile("/proc/" + std::to_string(pid) + "/status"))) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream in(line.substr(key.size() + 1));
    std::string out, field;
    while (in >> field) out += (out.empty() ? "" : " ") + field;
    return out;
  }
  return "";
}

struct StatIds {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
  dev_t rdev = 0;
  bool operator==(const StatIds&) const = default;
};
StatIds statOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {st.st_uid, st.st_gid, st.st_mode, st.st_rdev};
}

class UserNsTest : public ContainerTest {
 protected:
  // A new user namespace with `maps` for both uids and gids; the rootfs is
  // given to the container's root.
  void useUserNamespace(const json& maps = json::array({idMap(0, kHostBase, 65536)})) {
    b.config["linux"]["namespaces"].push_back({{"type", "user"}});
    b.config["linux"]["uidMappings"] = maps;
    b.config["linux"]["gidMappings"] = maps;
    giveRootfsTo(kHostBase);
  }
  void giveRootfsTo(unsigned hostId) {
    std::string ids = std::to_string(hostId) + ":" + std::to_string(hostId);
    RunResult r = host("chown -R " + ids + " '" + b.rootfs() + "' && chmod 0711 '" + b.base() +
                       "' '" + fs::path(b.base()).parent_path().string() + "'");
    ASSERT_TRUE(r.ok()) << r;
  }
  void addNamespace(const std::string& type, const std::string& path = "") {
    json ns{{"type", type}};
    if (!path.empty()) ns["path"] = path;
    b.config["linux"]["namespaces"].push_back(ns);
  }
  void removeNamespace(const std::string& type) {
    json& list = b.config["linux"]["namespaces"];
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i]["type"] == type) {
        list.erase(i);
        return;
      }
    }
  }
  // A second container of this bundle, created (and started when asked)
  // running sleep, for its namespaces; returns its pid.
  pid_t helperContainer(const std::string& id, bool start) {
    setArgsKeep({"sleep", "600"});
    RunResult r = b.createAs(id);
    EXPECT_TRUE(r.ok()) << r;
    if (start) {
      RunResult s = b.rt({"start", id});
      EXPECT_TRUE(s.ok()) << s;
    }
    json st = b.stateJson(id);
    return st.is_object() && st.contains("pid") ? st["pid"].get<pid_t>() : 0;
  }
  void setArgsKeep(const std::vector<std::string>& args) { b.config["process"]["args"] = args; }

  // A failed create, checked by the harness (see expectCleanCreateFailure).
  void expectCleanCreateFailure(const std::string& what, const char* peerGap = nullptr) {
    std::string skip = it::expectCleanCreateFailure(b, what, peerGap);
    if (!skip.empty()) GTEST_SKIP() << skip;
  }
};

// ---- the id maps -------------------------------------------------------------

TEST_F(UserNsTest, ContainerRootIsTheMappedHostUid) {
  useUserNamespace();
  pid_t pid = helperContainer(b.id(), false);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(statusIds(pid, "Uid"), "100000 100000 100000 100000");
  EXPECT_EQ(statusIds(pid, "Gid"), "100000 100000 100000 100000");
  std::string uidMap = readFile("/proc/" + std::to_string(pid) + "/uid_map");
  std::istringstream in(uidMap);
  unsigned c = 1, h = 0, n = 0;
  in >> c >> h >> n;
  EXPECT_EQ(c, 0u) << uidMap;
  EXPECT_EQ(h, kHostBase) << uidMap;
  EXPECT_EQ(n, 65536u) << uidMap;
  EXPECT_NE(fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/user"),
            fs::read_symlink("/proc/self/ns/user"));
}

TEST_F(UserNsTest, IdSaysRootInside) {
  useUserNamespace();
  RunResult r = b.sh("id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map");
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_GE(lines.size(), 4u) << r;
  EXPECT_EQ(lines[0], "0");
  EXPECT_EQ(lines[1], "0");
  EXPECT_TRUE(contains(lines[2], "100000")) << r;
  EXPECT_TRUE(contains(lines[3], "100000")) << r;
}

TEST_F(UserNsTest, HostOwnershipShowsThroughTheMaps) {
  useUserNamespace();
  b.config["root"]["readonly"] = false;
  std::string file = b.rootfs() + "/owned";
  writeFile(file, "x");
  ASSERT_EQ(::chown(file.c_str(), kHostBase + 5, kHostBase + 7), 0);
  std::string hostRoot = b.rootfs() + "/hostroot";
  writeFile(hostRoot, "x");
  ASSERT_EQ(::chown(hostRoot.c_str(), 0, 0), 0);
  RunResult r = b.sh(
      "stat -c %u:%g /owned /hostroot / /dev /dev/shm /dev/mqueue; echo new > /created; "
      "cat /proc/sys/kernel/overflowuid");
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_EQ(lines.size(), 7u) << r;
  EXPECT_EQ(lines[0], "5:7");
  std::string overflow = lines[6];
  EXPECT_EQ(lines[1], overflow + ":" + overflow) << "host root is nobody inside";
  EXPECT_EQ(lines[2], "0:0") << "the chowned rootfs is root's";
  EXPECT_EQ(lines[3], "0:0") << "/dev belongs to the container's root";
  EXPECT_EQ(lines[4], "0:0");
  EXPECT_EQ(lines[5], "0:0") << "the ipc namespace's mqueue belongs to the container's root";
  // What the container's root creates is host 100000's.
  StatIds created = statOf(b.rootfs() + "/created");
  EXPECT_EQ(created.uid, kHostBase);
  EXPECT_EQ(created.gid, kHostBase);
}

TEST_F(UserNsTest, SeveralRanges) {
  json maps =
      json::array({idMap(0, kHostBase, 1000), idMap(1000, 300000, 1000), idMap(2000, 400000, 1)});
  useUserNamespace(maps);
  b.config["process"]["user"] = {{"uid", 1010}, {"gid", 2000}, {"additionalGids", {5}}};
  setArgsKeep({"sleep", "600"});
  RunResult r = b.create();
  ASSERT_TRUE(r.ok()) << r;
  pid_t pid = b.pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(statusIds(pid, "Uid"), "300010 300010 300010 300010");
  EXPECT_EQ(statusIds(pid, "Gid"), "400000 400000 400000 400000");
  EXPECT_EQ(statusIds(pid, "Groups"), "100005");
  std::string uidMap = readFile("/proc/" + std::to_string(pid) + "/uid_map");
  EXPECT_EQ(splitLines(uidMap).size(), 3u) << uidMap;
}

// ---- devices -----------------------------------------------------------------

TEST_F(UserNsTest, DevicesAreUsableAndTheHostsAreUntouched) {
  StatIds hostNull = statOf("/dev/null");
  StatIds hostZero = statOf("/dev/zero");
  useUserNamespace();
  RunResult r = b.sh(
      "echo discard > /dev/null && echo null-ok; head -c 5 /dev/zero | wc -c; "
      "head -c 7 /dev/urandom | wc -c; head -c 3 /dev/random | wc -c; "
      "stat -c '%F %t:%T' /dev/null /dev/zero /dev/full /dev/tty; "
      "echo x > /dev/full 2>/dev/null || echo full-ok");
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_EQ(lines.size(), 9u) << r;
  EXPECT_EQ(lines[0], "null-ok");
  EXPECT_EQ(lines[1], "5");
  EXPECT_EQ(lines[2], "7");
  EXPECT_EQ(lines[3], "3");
  EXPECT_EQ(lines[4], "character special file 1:3");
  EXPECT_EQ(lines[5], "character special file 1:5");
  EXPECT_EQ(lines[6], "character special file 1:7");
  EXPECT_EQ(lines[7], "character special file 5:0");
  EXPECT_EQ(lines[8], "full-ok");
  EXPECT_EQ(statOf("/dev/null"), hostNull) << "the host's /dev/null changed";
  EXPECT_EQ(statOf("/dev/zero"), hostZero) << "the host's /dev/zero changed";
  EXPECT_EQ(hostNull.uid, 0u);
}

TEST_F(UserNsTest, ConfiguredDeviceIsBoundFromTheHost) {
  StatIds hostFull = statOf("/dev/full");
  useUserNamespace();
  // uid/gid/fileMode cannot apply to a bound host device: the host's stays.
  b.config["linux"]["devices"] = json::array(
      {{{"path", "/dev/extra-full"}, {"type", "c"}, {"major", 1}, {"minor", 7}, {"uid", 5}},
       {{"path", "/dev/full"}, {"type", "c"}, {"major", 1}, {"minor", 7}}});
  // /dev/extra-full has no host twin: the error says so.
  expectCleanCreateFailure("/dev/extra-full", "words the error differently");
  b.config["linux"]["devices"].erase(0);
  RunResult r = b.sh("stat -c '%t:%T' /dev/full");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1:7\n");
  EXPECT_EQ(statOf("/dev/full"), hostFull);
}

// ---- mounts inside a user namespace -------------------------------------------

TEST_F(UserNsTest, SysfsWithoutItsOwnNetworkNamespaceIsTheHostsReadOnly) {
  useUserNamespace();
  removeNamespace("network");
  RunResult r = b.sh(
      "ls /sys/kernel >/dev/null && echo sys-ok; touch /sys/kernel/x 2>/dev/null || echo ro-ok; "
      "echo ==mi==; cat /proc/self/mountinfo");
  if (!r.ok() && contains(r.err, "sysfs")) SKIP_FOR_PEER("no sysfs fallback without a netns");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "sys-ok\nro-ok\n")) << r;
  auto sys = findMount(after(r.out, "==mi=="), "/sys");
  ASSERT_TRUE(sys.has_value()) << r;
  EXPECT_TRUE(sys->hasOption("ro")) << sys->options;
  EXPECT_TRUE(sys->hasOption("nosuid")) << sys->options;
  EXPECT_TRUE(sys->hasOption("noexec")) << sys->options;
}

// The container's /sys/fs/cgroup, read-only: cgroup2 on a unified host; on
// a v1 host a tmpfs with the container's own cgroup bound per hierarchy.
void expectCgroupView(const std::string& mountinfo, const RunResult& r) {
  auto cg = findMount(mountinfo, "/sys/fs/cgroup");
  ASSERT_TRUE(cg.has_value()) << r;
  // (runc 1.1 leaves the v1 view's tmpfs itself writable; its binds are ro.)
  if (!v1Host() || !runtimeIsPeer()) {
    EXPECT_TRUE(cg->hasOption("ro")) << cg->options;
  }
  if (!v1Host()) {
    EXPECT_EQ(cg->fstype, "cgroup2");
    return;
  }
  EXPECT_EQ(cg->fstype, "tmpfs");
  auto memory = findMount(mountinfo, "/sys/fs/cgroup/memory");
  ASSERT_TRUE(memory.has_value()) << r;
  EXPECT_EQ(memory->fstype, "cgroup");
  EXPECT_TRUE(memory->hasOption("ro")) << memory->options;
}

TEST_F(UserNsTest, SysfsAndCgroupWithTheirOwnNamespaces) {
  useUserNamespace();
  addNamespace("cgroup");
  RunResult r = b.sh("cat /proc/self/cgroup; echo ==mi==; cat /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "0::/\n")) << r;
  std::string mi = after(r.out, "==mi==");
  auto sys = findMount(mi, "/sys");
  ASSERT_TRUE(sys.has_value()) << r;
  EXPECT_EQ(sys->fstype, "sysfs");
  EXPECT_EQ(sys->root, "/");
  expectCgroupView(mi, r);
}

TEST_F(UserNsTest, CgroupWithoutItsOwnNamespaceIsBoundReadOnly) {
  useUserNamespace();
  RunResult r = b.sh("ls /sys/fs/cgroup/ | grep -c cgroup; echo ==mi==; cat /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  expectCgroupView(after(r.out, "==mi=="), r);
}

// A bind in a user namespace keeps the flags the host's mount locks.
class LockedSource {
 public:
  explicit LockedSource(const std::string& dir) : dir_(dir) {
    fs::create_directories(dir_);
    ok_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m") == 0;
  }
  ~LockedSource() {
    if (ok_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }

 private:
  std::string dir_;
  bool ok_ = false;
};

TEST_F(UserNsTest, ReadOnlyBindKeepsTheSourcesLockedFlags) {
  useUserNamespace();
  LockedSource src(b.tmp() + "/locked");
  ASSERT_TRUE(src.ok());
  writeFile(b.tmp() + "/locked/data", "locked\n");
  b.config["mounts"].push_back(bindEntry("/mnt/locked", b.tmp() + "/locked", {"rbind", "ro"}));
  RunResult r = b.sh("cat /mnt/locked/data; echo ==mi==; cat /proc/self/mountinfo");
  if (!r.ok() && contains(r.err, "operation not permitted"))
    SKIP_FOR_PEER("runc before 1.1.9 clears locked flags when it remounts a bind");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "locked\n")) << r;
  auto m = findMount(after(r.out, "==mi=="), "/mnt/locked");
  ASSERT_TRUE(m.has_value()) << r;
  for (const char* opt : {"ro", "nosuid", "nodev", "noexec"}) {
    EXPECT_TRUE(m->hasOption(opt)) << opt << " missing: " << m->options;
  }
}

TEST_F(UserNsTest, ClearingALockedFlagFailsClearly) {
  SKIP_FOR_PEER("wording of the locked-flags error");
  useUserNamespace();
  LockedSource src(b.tmp() + "/locked");
  ASSERT_TRUE(src.ok());
  b.config["mounts"].push_back(bindEntry("/mnt/locked", b.tmp() + "/locked", {"rbind", "dev"}));
  expectCleanCreateFailure("cannot clear flags");
}

// A bind source below a directory only the host's root may search: the
// container's root could not look it up itself; the runtime opens it.
TEST_F(UserNsTest, BindSourceOutOfTheMappedRootsReachIsMounted) {
  useUserNamespace();
  std::string hidden = b.tmp() + "/root-only";
  fs::create_directories(hidden + "/data");
  writeFile(hidden + "/data/file", "reached\n");
  ASSERT_EQ(::chmod(hidden.c_str(), 0700), 0);
  b.config["mounts"].push_back(bindEntry("/mnt/data", hidden + "/data", {"rbind", "ro"}));
  RunResult r = b.sh("cat /mnt/data/file");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "reached\n");
}

// The same, from a mount with flags the host set: the copy the container
// gets is made in its own mount namespace, where the user namespace locked
// them, so it cannot clear them.
TEST_F(UserNsTest, BindSourceOutOfReachKeepsTheHostsLockedFlags) {
  useUserNamespace();
  std::string hidden = b.tmp() + "/root-only";
  fs::create_directories(hidden);
  ASSERT_EQ(::chmod(hidden.c_str(), 0700), 0);
  LockedSource src(hidden + "/locked");
  ASSERT_TRUE(src.ok());
  writeFile(hidden + "/locked/data", "locked\n");
  b.config["mounts"].push_back(bindEntry("/mnt/locked", hidden + "/locked", {"rbind"}));
  RunResult r = b.sh("cat /mnt/locked/data; echo ==mi==; cat /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "locked\n")) << r;
  auto m = findMount(after(r.out, "==mi=="), "/mnt/locked");
  ASSERT_TRUE(m.has_value()) << r;
  for (const char* opt : {"nosuid", "nodev", "noexec"}) {
    EXPECT_TRUE(m->hasOption(opt)) << opt << " missing: " << m->options;
  }
  b.config["mounts"].back() = bindEntry("/mnt/locked", hidden + "/locked", {"rbind", "dev"});
  SKIP_FOR_PEER("wording of the locked-flags error");
  expectCleanCreateFailure("cannot clear flags");
}

// ---- joining -----------------------------------------------------------------

TEST_F(UserNsTest, JoinsAUserNamespaceByPath) {
  useUserNamespace();
  std::string helperId = b.id() + "-h";
  pid_t helper = helperContainer(helperId, false);
  ASSERT_GT(helper, 0);
  std::string nsPath = "/proc/" + std::to_string(helper) + "/ns/user";
  std::string nsId = fs::read_symlink(nsPath).string();
  // Join it: no mappings of our own.
  removeNamespace("user");
  addNamespace("user", nsPath);
  b.config["linux"].erase("uidMappings");
  b.config["linux"].erase("gidMappings");
  RunResult r = b.sh(
      "readlink /proc/self/ns/user; id -u; cat /proc/self/uid_map; "
      "echo ok > /dev/null && echo null-ok");
  if (!r.ok() && contains(r.err, "no uid mappings"))
    SKIP_FOR_PEER("runc 1.1 wants the maps repeated to join a user namespace");
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r;
  EXPECT_EQ(lines[0], nsId);
  EXPECT_EQ(lines[1], "0");
  EXPECT_TRUE(contains(lines[2], "100000")) << r;
  EXPECT_EQ(lines[3], "null-ok");
}

TEST_F(UserNsTest, JoinedNamespaceOwnsTheNewOnes) {
  useUserNamespace();
  pid_t helper = helperContainer(b.id() + "-h", false);
  ASSERT_GT(helper, 0);
  std::string nsPath = "/proc/" + std::to_string(helper) + "/ns/user";
  removeNamespace("user");
  addNamespace("user", nsPath);
  // The maps repeated, as containerd writes them, are accepted.
  setArgsKeep({"sleep", "600"});
  RunResult r = b.create();
  ASSERT_TRUE(r.ok()) << r;
  pid_t pid = b.pid();
  ASSERT_GT(pid, 0);
  std::string proc = "/proc/" + std::to_string(pid);
  EXPECT_EQ(fs::read_symlink(proc + "/ns/user"), fs::read_symlink(nsPath));
  EXPECT_EQ(statusIds(pid, "Uid"), "100000 100000 100000 100000");
  // Its own pid and mount namespaces, not the helper's.
  for (const char* ns : {"pid", "mnt", "net"}) {
    EXPECT_NE(fs::read_symlink(proc + "/ns/" + ns),
              fs::read_symlink("/proc/" + std::to_string(helper) + "/ns/" + ns))
        << ns;
  }
}

TEST_F(UserNsTest, JoinWithDifferentMappingsIsRefused) {
  useUserNamespace();
  pid_t helper = helperContainer(b.id() + "-h", false);
  ASSERT_GT(helper, 0);
  removeNamespace("user");
  addNamespace("user", "/proc/" + std::to_string(helper) + "/ns/user");
  b.config["linux"]["uidMappings"] = json::array({idMap(0, 200000, 65536)});
  expectCleanCreateFailure("linux.uidMappings", "runc 1.1 does not compare the maps");
}

// ---- idmapped mounts -----------------------------------------------------------

// runc 1.1.5 (Debian's) has no idmapped mounts, crun 1.8 cannot run on this
// hybrid host at all.
class IdmapTest : public UserNsTest {
 protected:
  void SetUp() override { SKIP_FOR_PEER("idmapped mounts need runc 1.2"); }
  // b.tmp()/share holding `file`, both owned by host 1000:1000.
  std::string makeShare() {
    std::string share = b.tmp() + "/share";
    fs::create_directories(share);
    writeFile(share + "/file", "shared\n");
    RunResult r = host("chown -R 1000:1000 '" + share + "' && chmod 0711 '" + b.base() + "' '" +
                       fs::path(b.base()).parent_path().string() + "'");
    EXPECT_TRUE(r.ok()) << r;
    return share;
  }
};

// Kernels before 6.3 cannot idmap tmpfs (nor, before 6.x, overlayfs): the
// qemu guest's 6.1, where every writable place is one of those. The host
// runs these tests; in the guest they say why they cannot.
bool kernelBefore(int major, int minor) {
  struct utsname u {};
  ::uname(&u);
  int ma = 0, mi = 0;
  std::sscanf(u.release, "%d.%d", &ma, &mi);
  return ma < major || (ma == major && mi < minor);
}
#define SKIP_IF_NO_TMPFS_IDMAP(r)                                                            \
  do {                                                                                       \
    if (!(r).ok() && contains((r).err, "does the filesystem support idmapped mounts") &&     \
        kernelBefore(6, 3))                                                                  \
      GTEST_SKIP() << "this kernel (< 6.3) has no idmapped mounts on tmpfs, where the test " \
                      "files live; the host's kernel runs this test";                        \
  } while (0)

TEST_F(IdmapTest, MountMapsTurnHostOwnerIntoTheMappedId) {
  useUserNamespace();
  std::string share = makeShare();
  json m = bindEntry("/mnt/idm", share, {"bind", "idmap"});
  // On disk 1000 -> host 100005 -> 5 in the container's namespace.
  m["uidMappings"] = json::array({idMap(1000, kHostBase + 5, 1)});
  m["gidMappings"] = json::array({idMap(1000, kHostBase + 7, 1)});
  b.config["mounts"].push_back(m);
  b.config["mounts"].push_back(bindEntry("/mnt/plain", share, {"bind"}));
  RunResult r = b.sh(
      "stat -c %u:%g /mnt/idm/file /mnt/plain/file; cat /mnt/idm/file; "
      "grep /mnt/idm /proc/self/mountinfo");
  SKIP_IF_NO_TMPFS_IDMAP(r);
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r;
  EXPECT_EQ(lines[0], "5:7");
  EXPECT_EQ(lines[1], "65534:65534") << "without the idmap 1000 is unmapped";
  EXPECT_EQ(lines[2], "shared");
  EXPECT_TRUE(contains(lines[3], "idmapped")) << r;
  // The host's files are untouched.
  EXPECT_EQ(statOf(share + "/file").uid, 1000u);
}

TEST_F(IdmapTest, WithoutAUserNamespaceTheMountShowsHostIds) {
  std::string share = makeShare();
  json m = bindEntry("/mnt/idm", share, {"rbind", "idmap", "ro"});
  m["uidMappings"] = json::array({idMap(1000, 2000, 1)});
  m["gidMappings"] = json::array({idMap(1000, 3000, 1)});
  b.config["mounts"].push_back(m);
  RunResult r = b.sh("stat -c %u:%g /mnt/idm/file; touch /mnt/idm/x 2>/dev/null || echo ro");
  SKIP_IF_NO_TMPFS_IDMAP(r);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "2000:3000\nro\n");
}

TEST_F(IdmapTest, RidmapWithoutMapsTakesTheContainers) {
  useUserNamespace();
  std::string share = makeShare();
  // A submount in the source: ridmap maps it too.
  std::string sub = share + "/sub";
  fs::create_directories(sub);
  LockedSource subMount(sub);
  ASSERT_TRUE(subMount.ok());
  writeFile(sub + "/inner", "x");
  ASSERT_EQ(::chown((sub + "/inner").c_str(), 1001, 1001), 0);
  b.config["mounts"].push_back(bindEntry("/mnt/idm", share, {"rbind", "ridmap"}));
  RunResult r = b.sh("stat -c %u:%g /mnt/idm/file /mnt/idm/sub/inner");
  SKIP_IF_NO_TMPFS_IDMAP(r);
  ASSERT_TRUE(r.ok()) << r;
  // On disk 1000 -> host 101000 -> 1000 inside, the container's own maps.
  EXPECT_EQ(r.out, "1000:1000\n1001:1001\n");
}

// An idmapped bind of a mount the host made read-only: the user namespace
// locks that flag on the container's copy, so its root (CAP_SYS_ADMIN over
// its own mount namespace) cannot remount the bind writable and write
// through to the host.
TEST_F(IdmapTest, BindOfAHostReadOnlyMountStaysReadOnly) {
  useUserNamespace();
  std::string share = makeShare();
  ASSERT_EQ(::chmod(share.c_str(), 0777), 0) << "so that only the read-only flag stops a write";
  std::string ro = b.tmp() + "/ro-view";
  fs::create_directories(ro);
  ASSERT_EQ(::mount(share.c_str(), ro.c_str(), nullptr, MS_BIND, nullptr), 0);
  ASSERT_EQ(::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), 0);
  struct Unmount {
    std::string dir;
    ~Unmount() { ::umount2(dir.c_str(), MNT_DETACH); }
  } unmount{ro};
  json caps = json::array({"CAP_SYS_ADMIN"});
  for (const char* set : {"bounding", "effective", "permitted"})
    b.config["process"]["capabilities"][set] = caps;
  b.config["mounts"].push_back(bindEntry("/mnt/idm", ro, {"rbind", "ridmap"}));
  RunResult r = b.sh(
      "mount -o remount,bind,rw /mnt/idm 2>/dev/null && echo remounted; "
      "echo x > /mnt/idm/written 2>/dev/null && echo wrote; "
      "grep /mnt/idm /proc/self/mountinfo");
  SKIP_IF_NO_TMPFS_IDMAP(r);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_FALSE(contains(r.out, "remounted")) << r;
  EXPECT_FALSE(contains(r.out, "wrote")) << r;
  EXPECT_TRUE(contains(r.out, " ro,")) << r;
  EXPECT_FALSE(fs::exists(share + "/written"))
      << "the container wrote to the host's read-only view";
}

TEST_F(IdmapTest, MissingSourceIsNamed) {
  useUserNamespace();
  b.config["mounts"].push_back(bindEntry("/mnt/idm", b.tmp() + "/nowhere", {"rbind", "ridmap"}));
  expectCleanCreateFailure("idmapped mount of " + b.tmp() + "/nowhere on /mnt/idm: open_tree");
}

TEST_F(IdmapTest, IdmapWithoutMapsOrUserNamespaceIsRefused) {
  std::string share = makeShare();
  b.config["mounts"].push_back(bindEntry("/mnt/idm", share, {"rbind", "idmap"}));
  expectCleanCreateFailure("mounts[");
}

// ---- time namespace ------------------------------------------------------------

class TimeNsTest : public UserNsTest {
 protected:
  void SetUp() override { SKIP_FOR_PEER("time namespaces need runc 1.2"); }
  double hostUptime() {
    std::istringstream in(readFile("/proc/uptime"));
    double up = 0;
    in >> up;
    return up;
  }
};

TEST_F(TimeNsTest, BoottimeOffsetShowsInUptime) {
  addNamespace("time");
  b.config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 864000}, {"nanosecs", 0}}}};
  double before = hostUptime();
  RunResult r = b.run({"cat", "/proc/uptime"});
  double afterUp = hostUptime();
  ASSERT_TRUE(r.ok()) << r;
  double inside = std::stod(r.out);
  EXPECT_GE(inside, 864000 + before) << r;
  EXPECT_LE(inside, 864000 + afterUp + 1) << r;
}

TEST_F(TimeNsTest, MonotonicOffsetIsTheNamespaces) {
  addNamespace("time");
  // Negative, but small: the kernel refuses (ERANGE) an offset that would
  // make the clock negative, and the qemu guest has been up for seconds.
  b.config["linux"]["timeOffsets"] = {{"monotonic", {{"secs", -2}, {"nanosecs", 250}}},
                                      {"boottime", {{"secs", 7200}, {"nanosecs", 0}}}};
  RunResult r = b.sh(
      "cat /proc/self/timens_offsets; readlink /proc/self/ns/time; "
      "readlink /proc/self/ns/time_for_children");
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r;
  std::istringstream mono(lines[0]), boot(lines[1]);
  std::string clock;
  long long secs = 0, nsecs = 0;
  mono >> clock >> secs >> nsecs;
  EXPECT_EQ(clock, "monotonic");
  EXPECT_EQ(secs, -2);
  EXPECT_EQ(nsecs, 250);
  boot >> clock >> secs >> nsecs;
  EXPECT_EQ(clock, "boottime");
  EXPECT_EQ(secs, 7200);
  EXPECT_NE(lines[2], fs::read_symlink("/proc/self/ns/time").string()) << "still the host's";
  EXPECT_EQ(lines[2], lines[3]) << "the process itself is in the new namespace";
}

TEST_F(TimeNsTest, TimeNamespaceInsideAUserNamespace) {
  useUserNamespace();
  addNamespace("time");
  b.config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 864000}, {"nanosecs", 0}}}};
  RunResult r = b.run({"cat", "/proc/uptime"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_GE(std::stod(r.out), 864000 + hostUptime() - 5) << r;
}

TEST_F(TimeNsTest, JoinsATimeNamespaceByPath) {
  addNamespace("time");
  b.config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 500000}, {"nanosecs", 0}}}};
  pid_t helper = helperContainer(b.id() + "-h", true);  // started: exec put it in the namespace
  ASSERT_GT(helper, 0);
  std::string nsPath = "/proc/" + std::to_string(helper) + "/ns/time";
  ASSERT_TRUE(waitUntil(
      [&] { return fs::read_symlink(nsPath) != fs::read_symlink("/proc/self/ns/time"); }));
  removeNamespace("time");
  addNamespace("time", nsPath);
  b.config["linux"].erase("timeOffsets");
  RunResult r = b.sh("readlink /proc/self/ns/time; cat /proc/uptime");
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r;
  EXPECT_EQ(lines[0], fs::read_symlink(nsPath).string());
  EXPECT_GE(std::stod(lines[1]), 500000 + hostUptime() - 5) << r;
}

// ---- bad input -----------------------------------------------------------------

TEST_F(UserNsTest, MappingsWithoutUserNamespaceFailCleanly) {
  b.config["linux"]["uidMappings"] = json::array({idMap(0, kHostBase, 65536)});
  b.config["linux"]["gidMappings"] = json::array({idMap(0, kHostBase, 65536)});
  expectCleanCreateFailure("linux.uidMappings", "accepts or words differently");
}

TEST_F(UserNsTest, UserNamespaceWithoutMappingsFailsCleanly) {
  addNamespace("user");
  expectCleanCreateFailure("linux.uidMappings", "words the error differently");
}

TEST_F(UserNsTest, OverlappingMappingsFailCleanly) {
  useUserNamespace(json::array({idMap(0, kHostBase, 1000), idMap(500, 300000, 10)}));
  expectCleanCreateFailure("linux.uidMappings[1]", "words the error differently");
}

TEST_F(UserNsTest, UnmappedProcessUserFailsCleanly) {
  useUserNamespace(json::array({idMap(0, kHostBase, 1000)}));
  b.config["process"]["user"] = {{"uid", 5000}, {"gid", 0}};
  expectCleanCreateFailure("process.user.uid", "words the error differently");
}

TEST_F(TimeNsTest, OffsetsWithoutTimeNamespaceFailCleanly) {
  b.config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 10}, {"nanosecs", 0}}}};
  expectCleanCreateFailure("linux.timeOffsets");
}

TEST_F(TimeNsTest, OffsetsThatWouldMakeAClockNegativeFailCleanly) {
  addNamespace("time");
  b.config["linux"]["timeOffsets"] = {{"monotonic", {{"secs", -1000000000}, {"nanosecs", 0}}}};
  expectCleanCreateFailure("timens_offsets");
}

}  // namespace
}  // namespace sangja::it
