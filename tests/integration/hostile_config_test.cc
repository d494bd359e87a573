// Hostile and careless configs as data: each row is an edit of the default
// config and the phrase its one-line error must hold. Every row checks that
// nothing was left (state, processes, mounts, cgroups). Rows that could hurt
// the host if the runtime regressed run in a CgroupSandbox, where a victim
// process outside the container must survive and keep its devices.
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tests/integration/cgroup_sandbox.h"
#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

namespace fs = std::filesystem;

using Edit = std::function<void(Bundle&, pid_t victim)>;

struct HostileCase {
  const char* name;
  Edit edit;           // leaves config.json written
  const char* phrase;  // in the one-line error
  bool sandboxed;      // could hurt the host: run in a CgroupSandbox
};

void PrintTo(const HostileCase& c, std::ostream* os) {
  *os << c.name;
}

// An edit of b.config, then written.
Edit json(std::function<void(Bundle&, pid_t)> f) {
  return [f](Bundle& b, pid_t victim) {
    f(b, victim);
    b.write();
  };
}

void setCgroupsPath(Bundle& b, const std::string& path) {
  b.config["linux"]["cgroupsPath"] = path;
}

void setUnified(Bundle& b, const std::string& key, const std::string& value) {
  b.config["linux"]["resources"]["unified"][key] = value;
}

// config.json replaced by raw text (the json library cannot write it).
void writeRawConfig(Bundle& b, const std::string& text) {
  b.write();
  writeFile(b.dir() + "/config.json", text);
}

// The default config with `member` (raw JSON text) added to process.
void withRawProcessMember(Bundle& b, const std::string& member) {
  b.write();
  std::string text = readFile(b.dir() + "/config.json");
  size_t at = text.find("\"process\": {");
  ASSERT_NE(at, std::string::npos);
  text.insert(at + 12, member + ",");
  writeFile(b.dir() + "/config.json", text);
}

const std::vector<HostileCase>& cases() {
  static const std::vector<HostileCase> kCases = {
      // cgroupsPath forms of the root: the container would share the
      // (sandbox's) root cgroup and delete --force would kill the victim.
      {"CgroupsPathDot", json([](Bundle& b, pid_t) { setCgroupsPath(b, "."); }), "cgroupsPath",
       true},
      {"CgroupsPathSlashDot", json([](Bundle& b, pid_t) { setCgroupsPath(b, "/."); }),
       "cgroupsPath", true},
      {"CgroupsPathUpAgain", json([](Bundle& b, pid_t) { setCgroupsPath(b, "/a/.."); }),
       "cgroupsPath", true},
      {"CgroupsPathUpTwice", json([](Bundle& b, pid_t) { setCgroupsPath(b, "a/b/../.."); }),
       "cgroupsPath", true},
      {"CgroupsPathSlash", json([](Bundle& b, pid_t) { setCgroupsPath(b, "/"); }), "cgroupsPath",
       true},
      {"CgroupsPathNul",
       json([](Bundle& b, pid_t) { setCgroupsPath(b, std::string("/x\0/..", 6)); }), "NUL", true},
      // Somebody else's live cgroup.
      {"CgroupsPathOfTheVictim", json([](Bundle& b, pid_t) { setCgroupsPath(b, "/victim"); }),
       "already holds processes", true},
      // unified writes that move processes or reshape the hierarchy.
      {"UnifiedCgroupProcs",
       json([](Bundle& b, pid_t victim) { setUnified(b, "cgroup.procs", std::to_string(victim)); }),
       "cgroup.procs", true},
      {"UnifiedCgroupThreads", json([](Bundle& b, pid_t victim) {
         setUnified(b, "cgroup.threads", std::to_string(victim));
       }),
       "cgroup.threads", true},
      {"UnifiedCgroupKill", json([](Bundle& b, pid_t) { setUnified(b, "cgroup.kill", "1"); }),
       "cgroup.kill", true},
      {"UnifiedCgroupFreeze", json([](Bundle& b, pid_t) { setUnified(b, "cgroup.freeze", "1"); }),
       "cgroup.freeze", true},
      {"UnifiedSubtreeControl",
       json([](Bundle& b, pid_t) { setUnified(b, "cgroup.subtree_control", "+pids"); }),
       "cgroup.subtree_control", true},
      {"UnifiedCgroupType",
       json([](Bundle& b, pid_t) { setUnified(b, "cgroup.type", "threaded"); }), "cgroup.type",
       true},
      {"UnifiedWithASlash",
       json([](Bundle& b, pid_t) { setUnified(b, "../victim/cgroup.procs", "1"); }), "unified",
       true},
      // NUL bytes, silently cut before.
      {"NulInArgs", json([](Bundle& b, pid_t) {
         b.setArgs({"sh", std::string("-c\0x", 4)});
       }),
       "process.args[1]", false},
      {"NulInEnv", json([](Bundle& b, pid_t) {
         b.config["process"]["env"].push_back(std::string("A=1\0B", 5));
       }),
       "process.env", false},
      {"NulInHostname",
       json([](Bundle& b, pid_t) { b.config["hostname"] = std::string("h\0x", 3); }), "hostname",
       false},
      {"NulInCwd",
       json([](Bundle& b, pid_t) { b.config["process"]["cwd"] = std::string("/\0x", 3); }),
       "process.cwd", false},
      {"NulInMountDestination", json([](Bundle& b, pid_t) {
         b.config["mounts"].push_back(
             {{"destination", std::string("/mnt\0x", 6)}, {"type", "tmpfs"}, {"source", "tmpfs"}});
       }),
       "mounts[", false},
      // Clear errors instead of a bare errno from deep inside.
      {"RootfsIsASymlinkToTheHostRoot",
       [](Bundle& b, pid_t) {
         b.write();
         fs::remove_all(b.rootfs());
         fs::create_symlink("/", b.rootfs());
       },
       "host's /", false},
      {"TooManyAdditionalGids", json([](Bundle& b, pid_t) {
         std::vector<unsigned> gids(100000);
         for (unsigned i = 0; i < gids.size(); ++i) gids[i] = i;
         b.config["process"]["user"]["additionalGids"] = gids;
       }),
       "NGROUPS_MAX", false},
      // Numbers beyond a double: an abort (SIGABRT, core) before.
      {"NumberOutOfRangeInAnUnknownField",
       [](Bundle& b, pid_t) { withRawProcessMember(b, "\"x-vendor\": 1e309"); }, "number overflow",
       false},
      {"NumberOutOfRangeInAKnownField",
       [](Bundle& b, pid_t) { withRawProcessMember(b, "\"oomScoreAdj\": -1e309"); },
       "number overflow", false},
      // config.json that is no document.
      {"ConfigIsAFifo",
       [](Bundle& b, pid_t) {
         b.write();
         fs::remove(b.dir() + "/config.json");
         ::mkfifo((b.dir() + "/config.json").c_str(), 0600);
       },
       "not a regular file", false},
      {"ConfigIsDevZero",
       [](Bundle& b, pid_t) {
         b.write();
         fs::remove(b.dir() + "/config.json");
         fs::create_symlink("/dev/zero", b.dir() + "/config.json");
       },
       "not a regular file", false},
      {"ConfigOver16MiB",
       [](Bundle& b, pid_t) { writeRawConfig(b, "{" + std::string(17u << 20, ' ') + "}"); },
       "limit", false},
  };
  return kCases;
}

class HostileConfigTest : public ContainerTest, public ::testing::WithParamInterface<HostileCase> {
 protected:
  std::vector<std::string> sandboxCgroups(const CgroupSandbox& s) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(s.dir(), ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_directory(ec)) out.push_back(it->path().string().substr(s.dir().size()));
    }
    return out;
  }

  // A create that should have failed did not: undo it where it was made,
  // so that no delete ever runs with a host view of its cgroup path.
  void undoInSandbox(const CgroupSandbox& s) {
    s.runtime(b.stateRoot(), {"delete", "--force", b.id()});
    std::error_code ec;
    fs::remove_all(b.stateRoot(), ec);
    fs::create_directories(b.stateRoot(), ec);
  }

  // Refused, in one line naming the problem. For a peer, an accepted
  // config or other wording is a skip (its harm, if any, was checked first);
  // never for sangja.
  void expectRefused(const RunResult& r, const HostileCase& c) {
    EXPECT_FALSE(r.timed_out) << r;
    if (runtimeIsPeer() && !r.timed_out && (r.status == 0 || !contains(r.err, c.phrase))) {
      GTEST_SKIP() << runtimeName() << " limitation: " << (r.status == 0 ? "accepts" : "words")
                   << " it otherwise; " << r;
    }
    EXPECT_NE(r.status, 0) << r;
    EXPECT_TRUE(contains(r.err, c.phrase)) << "the error should name " << c.phrase << "; " << r;
    EXPECT_EQ(nonBlankLines(r.err).size(), 1u) << "expected a one-line error; " << r;
    EXPECT_FALSE(contains(r.err, "runc")) << r;
  }

  void expectNoState() {
    std::error_code ec;
    EXPECT_TRUE(fs::is_empty(b.stateRoot(), ec)) << "state left under --root";
    EXPECT_TRUE(waitUntil([&] { return taggedProcesses(b.tag()).empty(); }, milliseconds(3000)))
        << "processes left behind";
  }
};

TEST_P(HostileConfigTest, IsRefusedCleanly) {
  const HostileCase& c = GetParam();
  std::string devNull = devNullFingerprint();
  if (!c.sandboxed) {
    c.edit(b, 0);
    HostSnapshot before = HostSnapshot::take();
    RunResult r = b.rt({"create", "--bundle", b.dir(), b.id()}, kQuickTimeout);
    if (r.status == 0) b.del(true);
    expectNoState();
    EXPECT_EQ(before.addedSettled(), "") << "left on the host";
    EXPECT_EQ(devNullFingerprint(), devNull) << "the host's /dev/null changed";
    expectRefused(r, c);
    return;
  }
  CgroupSandbox sandbox(b.tag());
  c.edit(b, sandbox.victim());
  HostSnapshot before = HostSnapshot::take();
  RunResult r = sandbox.runtime(b.stateRoot(), {"create", "--bundle", b.dir(), b.id()});
  if (r.status == 0) {
    // Show the harm the accepted config does, then clean up in the sandbox.
    sandbox.runtime(b.stateRoot(), {"delete", "--force", b.id()});
    EXPECT_TRUE(sandbox.victimAlive()) << "delete --force killed a process outside the container";
    undoInSandbox(sandbox);
  }
  expectNoState();
  EXPECT_TRUE(sandbox.victimAlive()) << "a process outside the container was killed";
  EXPECT_TRUE(sandbox.victimCgroupReachesKmsg())
      << "a process outside the container lost /dev/kmsg (a device filter above it)";
  EXPECT_EQ(sandboxCgroups(sandbox), std::vector<std::string>{"/victim"})
      << "cgroups left in the sandbox";
  EXPECT_EQ(before.addedSettled(), "") << "left on the host";
  EXPECT_EQ(devNullFingerprint(), devNull) << "the host's /dev/null changed";
  expectRefused(r, c);
}

INSTANTIATE_TEST_SUITE_P(Rows, HostileConfigTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace sangja::it
