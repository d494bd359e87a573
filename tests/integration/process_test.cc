// The container process as configured by config.json's `process`: args, env,
// cwd, user and groups, umask, rlimits, capabilities, no_new_privs,
// oom_score_adj.
#include <sys/resource.h>

#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;

class ProcessTest : public ContainerTest {};

// "Key:\tvalue" lines of /proc/self/status, as printed inside the container.
std::map<std::string, std::string> statusFields(const std::string& text) {
  std::map<std::string, std::string> fields;
  for (const auto& line : splitLines(text)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    auto start = value.find_first_not_of(" \t");
    value = start == std::string::npos ? "" : value.substr(start);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    fields[line.substr(0, colon)] = value;
  }
  return fields;
}

uint64_t capBits(std::initializer_list<int> caps) {
  uint64_t bits = 0;
  for (int c : caps) bits |= uint64_t{1} << c;
  return bits;
}

uint64_t hex(const std::string& s) {
  return std::stoull(s, nullptr, 16);
}

constexpr int kChown = 0, kKill = 5, kNetBindService = 10, kNetRaw = 13, kSysAdmin = 21;

TEST_F(ProcessTest, ArgsArePassedVerbatim) {
  RunResult r = b.run({"printf", "%s|", "a b", "", "c\"d", "$HOME", "*"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "a b||c\"d|$HOME|*|");
}

TEST_F(ProcessTest, EnvIsExactlyAsConfigured) {
  b.config["process"]["env"] = {"PATH=/usr/bin:/bin", "HOME=/home/it", "FOO=bar baz",
                                "EMPTY=", "MULTI=a=b"};
  b.write();  // adds the harness tag
  std::set<std::string> expected(b.config["process"]["env"].begin(),
                                 b.config["process"]["env"].end());
  RunResult r = b.run({"env"});
  ASSERT_TRUE(r.ok()) << r;
  auto lines = splitLines(r.out);
  EXPECT_EQ(std::set<std::string>(lines.begin(), lines.end()), expected) << r;
}

TEST_F(ProcessTest, CwdAsConfigured) {
  b.config["process"]["cwd"] = "/usr/bin";
  RunResult r = b.run({"pwd"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "/usr/bin\n");
}

// A name given twice keeps its later value, once.
TEST_F(ProcessTest, DuplicateEnvNamesKeepTheLast) {
  b.config["process"]["env"] = {"PATH=/usr/bin:/bin", "A=first", "B=b", "A=second"};
  RunResult r = b.run({"env"});  // no shell: env prints the block execve got
  ASSERT_TRUE(r.ok()) << r;
  std::multiset<std::string> ours;  // the order differs: runc keeps A where it first was
  for (const std::string& line : splitLines(r.out)) {
    if (line.rfind("A=", 0) == 0 || line.rfind("B=", 0) == 0) ours.insert(line);
  }
  EXPECT_EQ(ours, (std::multiset<std::string>{"B=b", "A=second"})) << r;
}

// Clients write an empty HOME= when the image sets none: it is filled from
// the rootfs's /etc/passwd like a missing one.
TEST_F(ProcessTest, EmptyHomeIsFilledFromPasswd) {
  b.config["process"]["env"] = {"PATH=/usr/bin:/bin", "HOME="};
  RunResult r = b.sh("echo \"[$HOME]\"");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "[/root]\n") << r;
}

// The cwd is entered before the uid changes: a user without search
// permission on a parent still works in a directory it may use.
TEST_F(ProcessTest, CwdBehindADirectoryTheUserCannotSearch) {
  ASSERT_TRUE(host("mkdir -p " + b.rootfs() + "/locked/work && chmod 0700 " + b.rootfs() +
                   "/locked && chmod 0777 " + b.rootfs() + "/locked/work")
                  .ok());
  b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.config["process"]["cwd"] = "/locked/work";
  RunResult r = b.sh("pwd; ls . >/dev/null && echo listed");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "/locked/work\nlisted\n") << r;
}

// args[0] is looked up as execve will judge it: with the effective
// capabilities, so CAP_DAC_OVERRIDE lets a non-root user run a file only
// root may execute.
TEST_F(ProcessTest, ExecutableFoundWithCapDacOverride) {
  writeFile(b.rootfs() + "/bin/only-root", "#!/bin/sh\necho ran as $(id -u)\n");
  ASSERT_TRUE(host("chmod 0700 " + b.rootfs() + "/bin/only-root").ok());
  b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  json caps = {"CAP_DAC_OVERRIDE"};
  b.config["process"]["capabilities"] = {{"bounding", caps},
                                         {"effective", caps},
                                         {"permitted", caps},
                                         {"inheritable", caps},
                                         {"ambient", caps}};
  RunResult r = b.run({"only-root"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "ran as 1000\n") << r;
}

TEST_F(ProcessTest, UserGroupsAndAdditionalGids) {
  b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {5, 2000}}};
  RunResult r = b.sh("id -u; id -g; cat /proc/self/status");
  ASSERT_TRUE(r.ok()) << r;
  auto lines = splitLines(r.out);
  ASSERT_GE(lines.size(), 2u) << r;
  EXPECT_EQ(lines[0], "1000");
  EXPECT_EQ(lines[1], "1001");
  auto st = statusFields(r.out);
  EXPECT_EQ(st["Uid"], "1000\t1000\t1000\t1000");
  EXPECT_EQ(st["Gid"], "1001\t1001\t1001\t1001");
  std::istringstream groups(st["Groups"]);
  std::set<int> gids;
  for (int g; groups >> g;) gids.insert(g);
  EXPECT_EQ(gids, (std::set<int>{5, 2000})) << "Groups: " << st["Groups"];
}

TEST_F(ProcessTest, UmaskAsConfigured) {
  b.config["root"]["readonly"] = false;
  b.config["process"]["user"]["umask"] = 027;
  RunResult r = b.sh("umask; touch /f; mkdir /d; stat -c %a /f /d");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "0027\n640\n750\n");
}

TEST_F(ProcessTest, RlimitsAsConfigured) {
  struct rlimit core {};
  ASSERT_EQ(getrlimit(RLIMIT_CORE, &core), 0);
  ASSERT_GE(core.rlim_max, 4096u) << "the host's core hard limit is too low for this test";
  b.config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 512}, {"hard", 768}},
                                    {{"type", "RLIMIT_CORE"}, {"soft", 1024}, {"hard", 4096}}};
  RunResult r = b.sh("ulimit -n; ulimit -Hn; cat /proc/self/limits");
  ASSERT_TRUE(r.ok()) << r;
  auto lines = splitLines(r.out);
  ASSERT_GE(lines.size(), 2u) << r;
  EXPECT_EQ(lines[0], "512");
  EXPECT_EQ(lines[1], "768");
  bool nofile = false, core_seen = false;
  for (const auto& l : lines) {
    std::istringstream in(l);
    std::vector<std::string> tok;
    for (std::string t; in >> t;) tok.push_back(t);
    if (l.rfind("Max open files", 0) == 0 && tok.size() >= 5) {
      nofile = true;
      EXPECT_EQ(tok[3], "512") << l;
      EXPECT_EQ(tok[4], "768") << l;
    }
    if (l.rfind("Max core file size", 0) == 0 && tok.size() >= 6) {
      core_seen = true;
      EXPECT_EQ(tok[4], "1024") << l;
      EXPECT_EQ(tok[5], "4096") << l;
    }
  }
  EXPECT_TRUE(nofile && core_seen) << r;
}

TEST_F(ProcessTest, CapabilitiesOfRoot) {
  // Root gains its whole bounding set at exec, so that is what we see.
  b.config["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"}},
                                         {"effective", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"}},
                                         {"permitted", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"}},
                                         {"inheritable", json::array()},
                                         {"ambient", json::array()}};
  RunResult r = b.run({"grep", "^Cap", "/proc/self/status"});
  ASSERT_TRUE(r.ok()) << r;
  auto st = statusFields(r.out);
  uint64_t want = capBits({kChown, kKill, kNetRaw});
  EXPECT_EQ(hex(st["CapBnd"]), want) << r.out;
  EXPECT_EQ(hex(st["CapEff"]), want) << r.out;
  EXPECT_EQ(hex(st["CapPrm"]), want) << r.out;
  EXPECT_EQ(hex(st["CapInh"]), 0u) << r.out;
  EXPECT_EQ(hex(st["CapAmb"]), 0u) << r.out;
  EXPECT_FALSE(hex(st["CapEff"]) & capBits({kSysAdmin}));
}

TEST_F(ProcessTest, CapabilitiesOfNonRootWithAmbient) {
  b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.config["process"]["capabilities"] = {
      {"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"}},
      {"effective", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
      {"permitted", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
      {"inheritable", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
      {"ambient", {"CAP_NET_BIND_SERVICE"}}};
  RunResult r = b.run({"grep", "^Cap", "/proc/self/status"});
  ASSERT_TRUE(r.ok()) << r;
  auto st = statusFields(r.out);
  EXPECT_EQ(hex(st["CapBnd"]), capBits({kChown, kKill, kNetBindService, kNetRaw})) << r.out;
  EXPECT_EQ(hex(st["CapInh"]), capBits({kKill, kNetBindService})) << r.out;
  // A non-root exec keeps exactly the ambient set.
  EXPECT_EQ(hex(st["CapAmb"]), capBits({kNetBindService})) << r.out;
  EXPECT_EQ(hex(st["CapPrm"]), capBits({kNetBindService})) << r.out;
  EXPECT_EQ(hex(st["CapEff"]), capBits({kNetBindService})) << r.out;
}

TEST_F(ProcessTest, NoNewPrivilegesTrue) {
  b.config["process"]["noNewPrivileges"] = true;
  RunResult r = b.run({"grep", "^NoNewPrivs", "/proc/self/status"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "NoNewPrivs:\t1\n");
}

TEST_F(ProcessTest, NoNewPrivilegesFalse) {
  b.config["process"]["noNewPrivileges"] = false;
  RunResult r = b.run({"grep", "^NoNewPrivs", "/proc/self/status"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "NoNewPrivs:\t0\n");
}

TEST_F(ProcessTest, OomScoreAdjAsConfigured) {
  b.config["process"]["oomScoreAdj"] = 500;
  RunResult r = b.run({"cat", "/proc/self/oom_score_adj"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "500\n");
}

// Signals ignored by whoever started the runtime must not stay ignored in
// the container (exec keeps SIG_IGN): `kill` has to be able to stop it.
TEST_F(ProcessTest, SignalsStartAtTheirDefaults) {
  b.setArgs({"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"});
  b.write();
  RunResult r = runCommand({"sh", "-c", "trap '' TERM INT HUP; exec \"$@\"", "sh", runtimePath(),
                            "--root", b.stateRoot(), "run", "--bundle", b.dir(), b.id()});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

}  // namespace
}  // namespace sangja::it
