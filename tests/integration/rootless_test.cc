// Rootless containers: the runtime run by an ordinary user, as rootless
// Podman or a user's own `runc run` does.
//
// The suite makes a system user of its own (no home, no shell) with one
// range in /etc/subuid and /etc/subgid, and removes both afterwards. Each
// test's temp dir is handed to that user (its bundle, state root and
// scratch); the runtime runs through setpriv with the user's ids and a
// clean supplementary group list. Where the host delegates no cgroup to
// the user (this hybrid host; the v2 guest until a test delegates one),
// a container without limits runs in the caller's cgroup and one with
// limits is refused; the v2 guest also runs a delegated subtree.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kUser = "sangja-it-rootless";
// The user's subordinate ids: away from useradd's automatic ones.
constexpr unsigned kSubBase = 1700000;
constexpr unsigned kSubCount = 65536;

json idMap(unsigned container, unsigned host, unsigned size) {
  return json{{"containerID", container}, {"hostID", host}, {"size", size}};
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct TestUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string error;  // why it could not be made
};

TestUser& testUser() {
  static TestUser user;
  return user;
}

class RootlessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestUser& u = testUser();
    host(std::string("userdel ") + kUser + " 2>/dev/null");  // a crashed run's
    std::string range = std::to_string(kSubBase) + "-" + std::to_string(kSubBase + kSubCount - 1);
    RunResult made =
        host(std::string("useradd --system --no-create-home --shell /usr/sbin/nologin ") + kUser +
             " && usermod --add-subuids " + range + " --add-subgids " + range + " " + kUser);
    if (!made.ok()) {
      u.error = "useradd/usermod failed: " + made.err;
      return;
    }
    struct passwd* pw = ::getpwnam(kUser);
    if (pw == nullptr) {
      u.error = "the user made by useradd has no passwd entry";
      return;
    }
    u.uid = pw->pw_uid;
    u.gid = pw->pw_gid;
  }

  static void TearDownTestSuite() {
    RunResult gone = host(std::string("userdel ") + kUser);
    EXPECT_TRUE(gone.ok()) << "remove the test user: " << gone;
    EXPECT_FALSE(contains(readFile("/etc/subuid"), kUser)) << "its /etc/subuid range stays";
  }

  void SetUp() override {
    const TestUser& u = testUser();
    ASSERT_TRUE(u.error.empty()) << u.error;
    // The user must reach its temp dir (the suite's is root's 0700) and
    // own what is in it; the runtime must be executable by it.
    ASSERT_EQ(::chmod(fs::path(b.base()).parent_path().c_str(), 0711), 0);
    ASSERT_TRUE(
        host("chown -R " + std::to_string(u.uid) + ":" + std::to_string(u.gid) + " " + b.base())
            .ok());
    ASSERT_EQ(::access(runtimePath().c_str(), X_OK), 0);
    xdg = b.tmp() + "/xdg";
    ASSERT_TRUE(host("install -d -m 0700 -o " + std::to_string(u.uid) + " " + xdg).ok());
    b.runtimePrefix = asUser();
    b.config = rootlessConfig();
  }

  // setpriv with the user's ids and no supplementary groups, then env to
  // give it a session's variables whatever the suite's environment holds.
  std::vector<std::string> asUser() const {
    const TestUser& u = testUser();
    return {"setpriv",
            "--reuid=" + std::to_string(u.uid),
            "--regid=" + std::to_string(u.gid),
            "--clear-groups",
            "--",
            "env",
            "XDG_RUNTIME_DIR=" + xdg,
            std::string("USER=") + kUser,
            "HOME=" + b.tmp()};
  }

  // The runtime's own `spec --rootless`, made by the user, with the suite's
  // rootfs and no terminal: what its documentation tells a user to run.
  json rootlessConfig() {
    std::string dir = b.tmp() + "/spec";
    EXPECT_TRUE(host("install -d -o " + std::to_string(testUser().uid) + " " + dir).ok());
    std::vector<std::string> argv = asUser();
    argv.insert(argv.end(), {runtimePath(), "spec", "--rootless", "--bundle", dir});
    RunResult r = runCommand(argv, kQuickTimeout);
    EXPECT_TRUE(r.ok()) << r;
    json c = json::parse(readFile(dir + "/config.json"), nullptr, false);
    if (c.is_discarded()) {
      ADD_FAILURE() << "spec --rootless wrote no JSON";
      return b.config;
    }
    c["root"]["path"] = "rootfs";
    c["process"]["terminal"] = false;
    return c;
  }

  void mapSeveralRanges() {
    const TestUser& u = testUser();
    b.config["linux"]["uidMappings"] =
        json::array({idMap(0, u.uid, 1), idMap(1, kSubBase, kSubCount)});
    b.config["linux"]["gidMappings"] =
        json::array({idMap(0, u.gid, 1), idMap(1, kSubBase, kSubCount)});
  }

  // The default state root's name: the runtime's own ("runc"); every
  // build of sangja (the childcheck one too) keeps "sangja".
  static std::string stateDirName() { return runtimeIsPeer() ? runtimeName() : "sangja"; }

  // Nothing of the container's id in its state root, nor in the default one.
  void expectNoState() {
    EXPECT_FALSE(pathExists(b.stateRoot() + "/" + b.id())) << "a state dir is left";
    EXPECT_FALSE(pathExists(xdg + "/" + stateDirName() + "/" + b.id())) << "a state dir is left";
  }

  Bundle b;
  std::string xdg;
};

TEST_F(RootlessTest, LifecycleAsAnOrdinaryUser) {
  b.setArgs({"sleep", "100"});
  RunResult created = b.create();
  ASSERT_TRUE(created.ok()) << created;
  EXPECT_EQ(b.status(), "created");
  pid_t init = b.stateJson().value("pid", 0);
  ASSERT_GT(init, 0);
  struct stat st {};
  ASSERT_EQ(::stat(("/proc/" + std::to_string(init)).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, testUser().uid) << "the init is the user's process on the host";
  ASSERT_TRUE(b.start().ok());
  EXPECT_EQ(b.status(), "running");

  RunResult id = b.rt({"exec", b.id(), "id", "-u"});
  ASSERT_TRUE(id.ok()) << id;
  EXPECT_EQ(id.out, "0\n") << "root inside";
  RunResult map = b.rt({"exec", b.id(), "cat", "/proc/self/uid_map"});
  ASSERT_TRUE(map.ok()) << map;
  std::vector<std::string> fields;
  for (const std::string& line : nonBlankLines(map.out)) {
    std::istringstream in(line);
    std::string f;
    while (in >> f) fields.push_back(f);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"0", std::to_string(testUser().uid), "1"}));

  ASSERT_TRUE(b.kill("KILL").ok());
  EXPECT_TRUE(b.waitStatus("stopped"));
  RunResult del = b.del();
  EXPECT_TRUE(del.ok()) << del;
  expectNoState();
  EXPECT_FALSE(processAlive(init));
}

// Without --root the state goes under $XDG_RUNTIME_DIR/<runtime>, as runc
// and crun keep theirs.
TEST_F(RootlessTest, TheDefaultStateRootIsUnderXdgRuntimeDir) {
  b.setArgs({"sleep", "100"});
  b.write();
  std::vector<std::string> argv = asUser();
  argv.insert(argv.end(), {runtimePath(), "create", "--bundle", b.dir(), b.id()});
  Process create(argv, b.tmp(), {"SANGJA_IT_TAG=" + b.id()});
  RunResult r = create.wait();
  ASSERT_TRUE(r.ok()) << r;
  std::string dir = xdg + "/" + stateDirName() + "/" + b.id();
  EXPECT_TRUE(pathExists(dir)) << dir << " should hold the state";
  argv = asUser();
  argv.insert(argv.end(), {runtimePath(), "delete", "--force", b.id()});
  RunResult del = runCommand(argv, kQuickTimeout);
  EXPECT_TRUE(del.ok()) << del;
  EXPECT_FALSE(pathExists(dir));
}

// Several ranges: newuidmap and newgidmap write the maps from the user's
// /etc/subuid and /etc/subgid grant; a process user from the range works,
// with supplementary groups (setgroups stays allowed).
TEST_F(RootlessTest, SeveralRangesGoThroughTheIdMapHelpers) {
  ASSERT_EQ(::access("/usr/bin/newuidmap", X_OK), 0)
      << "newuidmap is missing: scripts/install-deps.sh --tests installs uidmap";
  mapSeveralRanges();
  b.config["process"]["user"] = json{{"uid", 1000}, {"gid", 1000}};
  RunResult r = b.run({"sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"});
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = nonBlankLines(r.out);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[0], "1000");
  EXPECT_EQ(lines[1], "1000");
  EXPECT_TRUE(contains(lines[3], std::to_string(kSubBase))) << r.out;
  EXPECT_TRUE(contains(lines[5], std::to_string(kSubBase))) << r.out;
  b.config["process"]["user"]["additionalGids"] = {5};
  r = b.run({"id", "-G"});
  if (!r.ok() && contains(r.err, "additional groups")) {
    SKIP_FOR_PEER("it refuses supplementary groups in every rootless container");
  }
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1000 5\n");
  expectNoState();
}

// A range the user was not granted: refused before anything runs, naming
// the file that would have to grant it.
TEST_F(RootlessTest, ARangeNotGrantedIsRefused) {
  mapSeveralRanges();
  b.config["linux"]["uidMappings"][1]["hostID"] = kSubBase + kSubCount;  // just past the grant
  RunResult r = b.run({"true"});
  EXPECT_NE(r.status, 0) << r;
  expectNoState();
  if (!contains(r.err, "/etc/subuid")) {
    SKIP_FOR_PEER("its error is newuidmap's, which names no file");
    ADD_FAILURE() << "the error must name /etc/subuid: " << r;
  }
  EXPECT_EQ(nonBlankLines(r.err).size(), 1u) << r;
  EXPECT_TRUE(contains(r.err, "linux.uidMappings[1]")) << r;
}

// No cgroup is delegated to the user here: a container without limits
// runs where the caller is, and no cgroup is made for it.
TEST_F(RootlessTest, WithoutDelegationTheContainerStaysInTheCallersCgroup) {
  b.setArgs({"sleep", "100"});
  ASSERT_TRUE(b.create().ok());
  pid_t init = b.stateJson().value("pid", 0);
  ASSERT_GT(init, 0);
  std::string ours = readFile("/proc/self/cgroup");
  std::string its = readFile("/proc/" + std::to_string(init) + "/cgroup");
  EXPECT_EQ(its, ours) << "the init was moved somewhere";
  RunResult del = b.del(true);
  EXPECT_TRUE(del.ok()) << del;
  expectNoState();
}

// Limits need a cgroup: with none delegated, the container is refused,
// naming the field, and nothing is left.
TEST_F(RootlessTest, LimitsWithoutDelegationAreRefused) {
  b.config["linux"]["resources"] = json{{"memory", {{"limit", 64 << 20}}}};
  RunResult r = b.run({"true"});
  EXPECT_NE(r.status, 0) << r;
  EXPECT_TRUE(containsNoCase(r.err, "cgroup")) << r;
  expectNoState();
  if (!contains(r.err, "linux.resources")) {
    SKIP_FOR_PEER("its error names no field");
    ADD_FAILURE() << "the error must name linux.resources: " << r;
  }
}

// kill --all without a cgroup reaches every process of the container's pid
// namespace: the init (sh as pid 1 ignores TERM) only stops once its child
// got the signal too.
TEST_F(RootlessTest, KillAllWithoutACgroupReachesThePidNamespace) {
  b.setArgs({"sh", "-c", "sleep 100 & wait"});
  ASSERT_TRUE(b.create().ok());
  ASSERT_TRUE(b.start().ok());
  RunResult k = b.kill("TERM", true);
  if (!k.ok()) SKIP_FOR_PEER("kill --all needs a cgroup: " + k.err);
  ASSERT_TRUE(k.ok()) << k;
  EXPECT_TRUE(b.waitStatus("stopped")) << "the child did not get TERM";
  EXPECT_TRUE(b.del().ok());
  expectNoState();
}

// Hooks that run in the container's namespaces cannot, rootless: refused
// by name before anything runs.
// createContainer and startContainer hooks run in the container's
// namespaces (its pid namespace too, which a runtime without real root
// enters only from inside the container's user namespace), as its root.
TEST_F(RootlessTest, HooksRunInTheContainersNamespaces) {
  std::string created = b.tmp() + "/create-hook";  // the user's directory
  b.config["hooks"]["createContainer"] = json::array(
      {json{{"path", "/bin/sh"},
            {"args",
             {"sh", "-c",
              "echo $(id -u) $(readlink /proc/self/ns/pid) $(readlink /proc/self/ns/mnt) > " +
                  created}}}});
  b.config["hooks"]["startContainer"] = json::array({json{
      {"path", "/bin/sh"},
      {"args", {"sh", "-c", "echo $(id -u) $(readlink /proc/self/ns/pid) > /tmp/start-hook"}}}});
  b.config["root"]["readonly"] = false;  // for the startContainer hook's file
  b.setArgs({"sleep", "100"});
  RunResult r = b.create();
  ASSERT_TRUE(r.ok()) << r;
  RunResult started = b.start();
  ASSERT_TRUE(started.ok()) << started;
  pid_t init = b.stateJson().value("pid", 0);
  ASSERT_GT(init, 0) << b.stateJson().dump();
  std::string proc = "/proc/" + std::to_string(init) + "/ns/";
  std::string pidNs = fs::read_symlink(proc + "pid").string();
  std::string mntNs = fs::read_symlink(proc + "mnt").string();
  EXPECT_EQ(trimmed(readFile(created)), "0 " + pidNs + " " + mntNs);
  EXPECT_TRUE(waitUntil([&] { return pathExists(b.rootfs() + "/tmp/start-hook"); }));
  EXPECT_EQ(trimmed(readFile(b.rootfs() + "/tmp/start-hook")), "0 " + pidNs);
  RunResult del = b.del(true);
  EXPECT_TRUE(del.ok()) << del;
  expectNoState();
}

// What only real root may do is refused by name.
TEST_F(RootlessTest, LoweringOomScoreAdjIsRefused) {
  b.config["process"]["oomScoreAdj"] = -500;
  RunResult r = b.run({"true"});
  EXPECT_NE(r.status, 0) << r;
  expectNoState();
  if (!contains(r.err, "process.oomScoreAdj")) {
    SKIP_FOR_PEER("its error is the kernel's, naming no field");
    ADD_FAILURE() << "the error must name process.oomScoreAdj: " << r;
  }
}

TEST_F(RootlessTest, RaisingOomScoreAdjWorks) {
  b.config["process"]["oomScoreAdj"] = 500;
  RunResult r = b.run({"cat", "/proc/self/oom_score_adj"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "500\n");
}

// A cgroup v2 subtree delegated by hand, as an administrator (or systemd's
// user@UID.service) does: the user owns the directory and its
// cgroup.procs, and runs from a leaf inside it. The container's cgroup is
// made beside that leaf, gets its limits, and goes with it.
TEST_F(RootlessTest, ADelegatedSubtreeHoldsTheContainerWithItsLimits) {
  if (hostCgroupMode() != "unified") {
    GTEST_SKIP() << "NOT RUN HERE: only cgroup v2 can be delegated and this host's controllers "
                    "are v1; runs in the v2 guest (vm_smoke)";
  }
  const TestUser& u = testUser();
  std::string deleg = "/sys/fs/cgroup/sangja-it-deleg-" + b.id();
  std::string owner = std::to_string(u.uid) + ":" + std::to_string(u.gid);
  ASSERT_TRUE(host("mkdir " + deleg + " && echo '+memory +pids' > " + deleg +
                   "/cgroup.subtree_control && mkdir " + deleg + "/runner && chown " + owner + " " +
                   deleg + " " + deleg + "/cgroup.procs " + deleg + "/cgroup.subtree_control " +
                   deleg + "/cgroup.threads && chown -R " + owner + " " + deleg + "/runner")
                  .ok());
  b.config["linux"]["resources"] =
      json{{"memory", {{"limit", 64 << 20}}}, {"pids", {{"limit", 50}}}};
  b.setArgs({"sleep", "100"});
  b.write();
  // The runtime starts inside the user's leaf, as from a delegated session.
  std::vector<std::string> argv{"sh", "-c",
                                "echo $$ > " + deleg + "/runner/cgroup.procs && exec \"$@\"", "sh"};
  std::vector<std::string> user = asUser();
  argv.insert(argv.end(), user.begin(), user.end());
  argv.insert(argv.end(),
              {runtimePath(), "--root", b.stateRoot(), "create", "--bundle", b.dir(), b.id()});
  RunResult created = Process(argv, b.tmp(), {"SANGJA_IT_TAG=" + b.id()}).wait();
  EXPECT_TRUE(created.ok()) << created;
  std::string cg = deleg + "/" + b.id();
  if (created.ok()) {
    EXPECT_EQ(trimmed(readFile(cg + "/memory.max")), std::to_string(64 << 20));
    EXPECT_EQ(trimmed(readFile(cg + "/pids.max")), "50");
    pid_t init = b.stateJson().value("pid", 0);
    EXPECT_EQ(unifiedCgroupOf(init), "/sangja-it-deleg-" + b.id() + "/" + b.id());
    // The cgroup mount over the /sys bind cannot be a new cgroup2 (EBUSY):
    // it binds the container's own cgroup, not the host's whole tree.
    RunResult inode = b.rt({"exec", b.id(), "stat", "-c", "%i", "/sys/fs/cgroup"});
    struct stat st {};
    ASSERT_EQ(::stat(cg.c_str(), &st), 0);
    EXPECT_EQ(trimmed(inode.out), std::to_string(st.st_ino))
        << "/sys/fs/cgroup in the container is not its own cgroup " << cg << ": " << inode;
    RunResult del = b.del(true);
    EXPECT_TRUE(del.ok()) << del;
    EXPECT_FALSE(pathExists(cg)) << "the container's cgroup stays";
  }
  expectNoState();
  host("rmdir " + deleg + "/" + b.id() + " 2>/dev/null; rmdir " + deleg + "/runner " + deleg);
  EXPECT_FALSE(pathExists(deleg));
}

// The user's systemd instance (user@UID.service), started as a login
// starts it, and stopped when the test ends (the user cannot be removed
// while it runs), with what came up with it (logind, user.slice) if that
// was not running before. Its session bus is dbus-user-session's socket.
class UserManager {
 public:
  explicit UserManager(uid_t uid)
      : unit_("user@" + std::to_string(uid) + ".service"),
        runtimeDir_("/run/user/" + std::to_string(uid)) {
    for (const char* unit : {"systemd-logind.service", "user.slice"}) {
      if (!host(std::string("systemctl is-active --quiet ") + unit).ok()) {
        broughtUp_ += std::string(" ") + unit;
      }
    }
    // Slow under TCG on a busy machine: PAM, logind and the session bus
    // start with it (over 20 s once in CI's hybrid guest).
    RunResult r = host("systemctl start " + unit_, std::chrono::milliseconds(120000));
    if (!r.ok()) {
      error_ = "systemctl start " + unit_ + ": " + r.err;
      return;
    }
    if (!waitUntil([&] { return pathExists(bus()); }, std::chrono::milliseconds(60000))) {
      error_ = "no session bus at " + bus() + " after starting " + unit_;
    }
  }
  ~UserManager() {
    host("systemctl stop " + unit_, std::chrono::milliseconds(120000));
    if (!broughtUp_.empty()) host("systemctl stop" + broughtUp_, std::chrono::milliseconds(60000));
  }
  UserManager(const UserManager&) = delete;
  UserManager& operator=(const UserManager&) = delete;

  const std::string& error() const { return error_; }
  const std::string& runtimeDir() const { return runtimeDir_; }
  std::string bus() const { return runtimeDir_ + "/bus"; }
  // The instance's own cgroup, where its units' cgroups are.
  std::string cgroup(uid_t uid) const {
    std::string u = std::to_string(uid);
    return "/user.slice/user-" + u + ".slice/user@" + u + ".service";
  }

 private:
  std::string unit_;
  std::string runtimeDir_;
  std::string broughtUp_;  // " unit..." not running before
  std::string error_;
};

// --systemd-cgroup rootless, as rootless Podman runs on a systemd host: the
// user's own systemd instance makes the scope in its delegated subtree and
// the limits apply there; delete stops it. cgroup v1 cannot be delegated:
// there it is refused by name.
TEST_F(RootlessTest, TheUsersSystemdInstanceMakesTheScope) {
  if (::access("/run/systemd/system", F_OK) != 0) {
    GTEST_SKIP() << "NOT FOR THIS HOST: systemd is not running here; this runs in the systemd "
                    "guest (ctest vm_systemd_cgroups)";
  }
  const TestUser& u = testUser();
  UserManager manager(u.uid);
  ASSERT_TRUE(manager.error().empty()) << manager.error();
  b.runtimePrefix.insert(b.runtimePrefix.end(),
                         {"XDG_RUNTIME_DIR=" + manager.runtimeDir(),
                          "DBUS_SESSION_BUS_ADDRESS=unix:path=" + manager.bus()});
  b.globalFlags = {"--systemd-cgroup"};
  std::string scope = "sangja-it-" + b.id() + ".scope";
  b.config["linux"]["cgroupsPath"] = "user.slice:sangja-it:" + b.id();
  b.config["linux"]["resources"] =
      json{{"memory", {{"limit", 64 << 20}}}, {"pids", {{"limit", 50}}}};
  b.setArgs({"sleep", "100"});
  RunResult created = b.create();
  if (hostCgroupMode() != "unified") {
    EXPECT_FALSE(created.ok()) << "a rootless systemd scope on a v1 host";
    if (!runtimeIsPeer()) {
      EXPECT_TRUE(contains(created.err, "needs cgroup v2")) << created;
    }
    expectNoState();
    return;
  }
  ASSERT_TRUE(created.ok()) << created;
  std::string cgroup = manager.cgroup(u.uid) + "/user.slice/" + scope;
  pid_t init = b.stateJson().value("pid", 0);
  EXPECT_EQ(unifiedCgroupOf(init), cgroup);
  EXPECT_EQ(trimmed(readFile("/sys/fs/cgroup" + cgroup + "/memory.max")), std::to_string(64 << 20));
  EXPECT_EQ(trimmed(readFile("/sys/fs/cgroup" + cgroup + "/pids.max")), "50");
  // The user's systemd knows the scope as its unit.
  std::vector<std::string> show = asUser();
  show.insert(show.end(), {"XDG_RUNTIME_DIR=" + manager.runtimeDir(), "systemctl", "--user", "show",
                           "-p", "ActiveState", "--value", scope});
  RunResult state = runCommand(show, kQuickTimeout);
  EXPECT_EQ(trimmed(state.out), "active") << state;
  ASSERT_TRUE(b.start().ok());
  RunResult del = b.del(true);
  EXPECT_TRUE(del.ok()) << del;
  EXPECT_FALSE(pathExists("/sys/fs/cgroup" + cgroup)) << "the scope's cgroup stays";
  show.back() = scope;
  show[show.size() - 3] = "LoadState";
  state = runCommand(show, kQuickTimeout);
  EXPECT_EQ(trimmed(state.out), "not-found") << "the scope stays loaded: " << state;
  expectNoState();
}

}  // namespace
}  // namespace sangja::it
