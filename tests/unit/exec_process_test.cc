// exec's pure part: runc's inline flags on top of the container's process,
// a process file's defaults, --user and --cgroup parsing, terminal checks.
#include <gtest/gtest.h>

#include "runtime/lifecycle/exec.h"
#include "spec/state.h"

namespace sangja::exec {
namespace {

spec::Process containerProcess() {
  spec::Process p;
  p.args = {"sleep", "1000"};
  p.env = {"PATH=/bin:/usr/bin", "TERM=xterm", "A=1"};
  p.cwd = "/";
  p.user.uid = 0;
  p.user.gid = 0;
  p.user.additionalGids = {10};
  p.user.umask = 022;
  p.noNewPrivileges = true;
  p.oomScoreAdj = -500;
  p.capabilities = spec::Capabilities{{"CAP_CHOWN"}, {"CAP_CHOWN"}, {}, {"CAP_CHOWN"}, {}};
  p.rlimits = {{"RLIMIT_NOFILE", 1024, 1024}};
  p.apparmorProfile = "container-profile";
  return p;
}

TEST(ExecInlineProcess, ReplacesArgsAndKeepsTheRest) {
  ExecFlags f;
  f.args = {"ls", "-l"};
  spec::Process p = inlineProcess(containerProcess(), f).value();
  EXPECT_EQ(p.args, (std::vector<std::string>{"ls", "-l"}));
  EXPECT_EQ(p.cwd, "/");
  EXPECT_EQ(p.env, containerProcess().env);
  EXPECT_EQ(p.user.additionalGids, (std::vector<uint32_t>{10}));
  EXPECT_TRUE(p.noNewPrivileges);
  EXPECT_FALSE(p.terminal);
  EXPECT_EQ(p.apparmorProfile, "container-profile");
}

TEST(ExecInlineProcess, NoCommandIsAnError) {
  Result<spec::Process> p = inlineProcess(containerProcess(), ExecFlags{});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("exec: no command"), std::string::npos);
}

TEST(ExecInlineProcess, FlagsApplyOnTop) {
  ExecFlags f;
  f.args = {"id"};
  f.cwd = "/tmp";
  f.env = {"A=2", "B=3"};
  f.user = "1000:1001";
  f.extraGids = {"5", "7"};
  f.noNewPrivileges = false;
  f.apparmorProfile = "other";
  f.processLabel = "label";
  f.tty = true;
  spec::Process p = inlineProcess(containerProcess(), f).value();
  EXPECT_EQ(p.cwd, "/tmp");
  EXPECT_EQ(p.env,
            (std::vector<std::string>{"PATH=/bin:/usr/bin", "TERM=xterm", "A=1", "A=2", "B=3"}));
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 1001u);
  EXPECT_EQ(p.user.additionalGids, (std::vector<uint32_t>{10, 5, 7}));
  EXPECT_FALSE(p.noNewPrivileges);
  EXPECT_EQ(p.apparmorProfile, "other");
  EXPECT_EQ(p.selinuxLabel, "label");
  EXPECT_TRUE(p.terminal);
}

TEST(ExecInlineProcess, UserWithoutGidKeepsTheContainersGid) {
  spec::Process base = containerProcess();
  base.user.gid = 42;
  ExecFlags f;
  f.args = {"id"};
  f.user = "7";
  spec::Process p = inlineProcess(base, f).value();
  EXPECT_EQ(p.user.uid, 7u);
  EXPECT_EQ(p.user.gid, 42u);
}

TEST(ExecInlineProcess, CapsGoToBoundingEffectivePermitted) {
  ExecFlags f;
  f.args = {"sh"};
  f.caps = {"CAP_NET_ADMIN", "CAP_CHOWN"};
  spec::Process p = inlineProcess(containerProcess(), f).value();
  const spec::Capabilities& c = *p.capabilities;
  std::vector<std::string> both{"CAP_CHOWN", "CAP_NET_ADMIN"};
  EXPECT_EQ(c.bounding, both);
  EXPECT_EQ(c.effective, both);
  EXPECT_EQ(c.permitted, both);
  EXPECT_TRUE(c.inheritable.empty());
  EXPECT_TRUE(c.ambient.empty()) << "no inheritable set: no ambient (runc)";
}

TEST(ExecInlineProcess, CapsGoToAmbientWhenInheritableIsSet) {
  spec::Process base = containerProcess();
  base.capabilities->inheritable = {"CAP_CHOWN"};
  ExecFlags f;
  f.args = {"sh"};
  f.caps = {"CAP_NET_ADMIN"};
  spec::Process p = inlineProcess(base, f).value();
  EXPECT_EQ(p.capabilities->ambient, (std::vector<std::string>{"CAP_NET_ADMIN"}));
  EXPECT_EQ(p.capabilities->inheritable, (std::vector<std::string>{"CAP_CHOWN"}));
}

TEST(ExecInlineProcess, BadUserAndGidsAreErrors) {
  ExecFlags f;
  f.args = {"sh"};
  f.user = "root";
  EXPECT_FALSE(inlineProcess(containerProcess(), f).ok());
  f.user = "1:x";
  EXPECT_FALSE(inlineProcess(containerProcess(), f).ok());
  f.user = "";
  f.extraGids = {"-1"};
  Result<spec::Process> p = inlineProcess(containerProcess(), f);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("additional-gids must be a positive number"),
            std::string::npos);
}

TEST(ExecParseUser, UidAndOptionalGid) {
  EXPECT_EQ(parseUser("0").value().uid, 0u);
  EXPECT_FALSE(parseUser("0").value().gid.has_value());
  UserSpec u = parseUser("4294967295:12").value();
  EXPECT_EQ(u.uid, 4294967295u);
  EXPECT_EQ(u.gid, 12u);
  EXPECT_FALSE(parseUser("").ok());
  EXPECT_FALSE(parseUser(":1").ok());
  EXPECT_FALSE(parseUser("1:").ok());
  EXPECT_FALSE(parseUser("4294967296").ok());
  EXPECT_FALSE(parseUser("-1").ok());
}

TEST(ExecProcessFile, MissingFieldsComeFromTheContainer) {
  spec::Process file;
  file.args = {"true"};
  file.cwd = "/";
  spec::Process p = withContainerDefaults(file, containerProcess());
  EXPECT_EQ(p.capabilities, containerProcess().capabilities);
  EXPECT_EQ(p.rlimits, containerProcess().rlimits);
  EXPECT_EQ(p.apparmorProfile, "container-profile");
  EXPECT_EQ(p.user.umask, containerProcess().user.umask);
  EXPECT_EQ(p.args, file.args);
  EXPECT_TRUE(p.env.empty()) << "env is the file's alone";
  EXPECT_FALSE(p.noNewPrivileges) << "a plain bool in the file: its value counts";
}

TEST(ExecProcessFile, GivenFieldsWin) {
  spec::Process file;
  file.args = {"true"};
  file.cwd = "/";
  file.capabilities = spec::Capabilities{};
  file.rlimits = {{"RLIMIT_NPROC", 5, 5}};
  file.apparmorProfile = "mine";
  spec::Process p = withContainerDefaults(file, containerProcess());
  EXPECT_EQ(p.capabilities, spec::Capabilities{});
  EXPECT_EQ(p.rlimits, file.rlimits);
  EXPECT_EQ(p.apparmorProfile, "mine");
}

TEST(ExecFinishProcess, LaterEnvWinsInItsPlace) {
  spec::Process p = containerProcess();
  p.env = {"A=1", "B=2", "A=3", "C=4"};
  spec::Process out = finishProcess(p).value();
  EXPECT_EQ(out.env, (std::vector<std::string>{"B=2", "A=3", "C=4"}));
  EXPECT_FALSE(out.oomScoreAdj.has_value()) << "the OOM score is the init's";
}

TEST(ExecFinishProcess, RefusesBadEnvCwdAndArgs) {
  spec::Process p = containerProcess();
  p.env = {"NOEQUALS"};
  EXPECT_FALSE(finishProcess(p).ok());
  p.env = {"=x"};
  EXPECT_FALSE(finishProcess(p).ok());
  p = containerProcess();
  p.cwd = "tmp";
  EXPECT_FALSE(finishProcess(p).ok());
  p = containerProcess();
  p.args.clear();
  EXPECT_FALSE(finishProcess(p).ok());
}

TEST(ExecSubCgroupPath, PlainAndControllerForms) {
  EXPECT_EQ(subCgroupPath({}).value(), "");
  EXPECT_EQ(subCgroupPath({"sub"}).value(), "sub");
  EXPECT_EQ(subCgroupPath({"/a//b/./c/"}).value(), "a/b/c");
  EXPECT_EQ(subCgroupPath({"cpu,memory:sub"}).value(), "sub");
  EXPECT_EQ(subCgroupPath({"cpu:sub", "pids:sub"}).value(), "sub");
  EXPECT_EQ(subCgroupPath({"/"}).value(), "");
}

TEST(ExecSubCgroupPath, Refusals) {
  EXPECT_FALSE(subCgroupPath({"a", "b"}).ok()) << "two plain paths";
  EXPECT_FALSE(subCgroupPath({":sub"}).ok()) << "empty controller";
  EXPECT_FALSE(subCgroupPath({"cpu,:sub"}).ok()) << "empty controller in a list";
  EXPECT_FALSE(subCgroupPath({"cpu:a", "memory:b"}).ok()) << "v2 has one hierarchy";
  EXPECT_FALSE(subCgroupPath({"../x"}).ok());
  EXPECT_FALSE(subCgroupPath({"a/../../x"}).ok());
}

TEST(ExecStoredState, NoNewKeyringRoundTrips) {
  spec::StoredState s;
  s.id = "x";
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.pid = 1;
  s.noNewKeyring = true;
  EXPECT_EQ(spec::parseStoredState(spec::toJson(s)).value(), s);
  s.noNewKeyring = false;
  EXPECT_EQ(spec::toJson(s).find("noNewKeyring"), std::string::npos);
  EXPECT_EQ(spec::parseStoredState(spec::toJson(s)).value(), s);
}

}  // namespace
}  // namespace sangja::exec
