#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "runtime/process/process.h"
#include "tests/unit/temp_dir.h"

namespace sangja {
namespace {

using testutil::TempDir;

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "short:x:2000\n"
    "nohome:x:3000:3000:::/bin/sh\n"
    "user:x:1000:1000:A User,,,:/home/user:/bin/bash\n"
    "later:x:1000:1000::/home/later:/bin/sh\n"
    "last:x:4000:4000::/home/last";  // no final newline

class ProcessPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rootfs_ = tmp_.mkdirs("rootfs");
    rootfd_.reset(::open(rootfs_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(rootfd_.valid());
    process_.args = {"sh", "-c", "true"};
    process_.cwd = "/";
  }

  ProcessPlan plan() {
    Result<ProcessPlan> r = planProcess(process_, rootfd_.get());
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? std::move(r).value() : ProcessPlan{};
  }

  std::string planError() {
    Result<ProcessPlan> r = planProcess(process_, rootfd_.get());
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message();
  }

  // The HOME= entry planProcess added (last in env).
  std::string homeFor(uid_t uid) {
    process_.user.uid = uid;
    ProcessPlan p = plan();
    return p.env.empty() ? std::string() : p.env.back();
  }

  TempDir tmp_;
  std::string rootfs_;
  UniqueFd rootfd_;
  spec::Process process_;
};

TEST_F(ProcessPlanTest, CopiesTheProcessFields) {
  process_.env = {"A=1", "HOME=/h"};
  process_.cwd = "/work";
  process_.user.uid = 1000;
  process_.user.gid = 1001;
  process_.user.additionalGids = {5, 6};
  process_.user.umask = 022;
  process_.noNewPrivileges = true;
  process_.oomScoreAdj = -500;
  ProcessPlan p = plan();
  EXPECT_EQ(p.args, (std::vector<std::string>{"sh", "-c", "true"}));
  EXPECT_EQ(p.env, (std::vector<std::string>{"A=1", "HOME=/h"}));
  EXPECT_EQ(p.cwd, "/work");
  EXPECT_EQ(p.uid, 1000u);
  EXPECT_EQ(p.gid, 1001u);
  EXPECT_EQ(p.groups, (std::vector<gid_t>{5, 6}));
  ASSERT_TRUE(p.umask.has_value());
  EXPECT_EQ(*p.umask, 022u);
  EXPECT_TRUE(p.noNewPrivileges);
  EXPECT_EQ(p.oomScoreAdj, "-500");
  EXPECT_FALSE(p.caps.has_value());
  EXPECT_TRUE(p.rlimits.empty());
}

TEST_F(ProcessPlanTest, UnsetOptionalFieldsStayUnset) {
  ProcessPlan p = plan();
  EXPECT_FALSE(p.umask.has_value());
  EXPECT_EQ(p.oomScoreAdj, "");
  EXPECT_FALSE(p.noNewPrivileges);
  EXPECT_TRUE(p.groups.empty());
}

TEST_F(ProcessPlanTest, ZeroOomScoreAdjIsKept) {
  process_.oomScoreAdj = 0;
  EXPECT_EQ(plan().oomScoreAdj, "0");
}

TEST_F(ProcessPlanTest, CapabilitiesArePlanned) {
  process_.capabilities.emplace();
  process_.capabilities->bounding = {"CAP_KILL"};
  process_.capabilities->permitted = {"CAP_CHOWN"};
  ProcessPlan p = plan();
  ASSERT_TRUE(p.caps.has_value());
  EXPECT_EQ(p.caps->bounding, uint64_t{1} << 5);
  EXPECT_EQ(p.caps->permitted, uint64_t{1} << 0);
}

TEST_F(ProcessPlanTest, CapabilityErrorsRise) {
  process_.capabilities.emplace();
  process_.capabilities->effective = {"CAP_NOPE"};
  EXPECT_EQ(planError(), "process.capabilities.effective: unknown capability \"CAP_NOPE\"");
}

// ---- HOME ----

TEST_F(ProcessPlanTest, HomeFromPasswd) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  process_.env = {"A=1"};
  process_.user.uid = 1000;
  ProcessPlan p = plan();
  EXPECT_EQ(p.env, (std::vector<std::string>{"A=1", "HOME=/home/user"}));
}

TEST_F(ProcessPlanTest, EmptyHomeIsFilledInPlace) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  process_.env = {"HOME=", "A=1"};
  process_.user.uid = 1000;
  EXPECT_EQ(plan().env, (std::vector<std::string>{"HOME=/home/user", "A=1"}));
}

TEST_F(ProcessPlanTest, SetHomeIsKept) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  process_.env = {"HOME=/elsewhere"};
  EXPECT_EQ(plan().env, (std::vector<std::string>{"HOME=/elsewhere"}));
}

TEST(KeepLastOfEachName, LaterValuesWinAtTheirPlace) {
  EXPECT_EQ(keepLastOfEachName({"A=1", "B=2", "A=3", "C=", "B=4"}),
            (std::vector<std::string>{"A=3", "C=", "B=4"}));
}

TEST(KeepLastOfEachName, NamesAreExactAndEntriesWithoutEqualsCount) {
  EXPECT_EQ(keepLastOfEachName({"AB=1", "A=2", "A", "AB=3", "A"}),
            (std::vector<std::string>{"AB=3", "A"}));
  EXPECT_EQ(keepLastOfEachName({}), std::vector<std::string>{});
}

TEST_F(ProcessPlanTest, HomeOfRoot) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  EXPECT_EQ(homeFor(0), "HOME=/root");
}

TEST_F(ProcessPlanTest, HomeOfTheLastLineWithoutNewline) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  EXPECT_EQ(homeFor(4000), "HOME=/home/last");
}

TEST_F(ProcessPlanTest, HomeIsSlashForAnUnknownUid) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  EXPECT_EQ(homeFor(4242), "HOME=/");
}

TEST_F(ProcessPlanTest, HomeIsSlashForAnEntryWithoutHome) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  EXPECT_EQ(homeFor(3000), "HOME=/");
}

TEST_F(ProcessPlanTest, HomeIsSlashForATruncatedEntry) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  EXPECT_EQ(homeFor(2000), "HOME=/");
}

TEST_F(ProcessPlanTest, HomeIsSlashWithoutPasswd) {
  EXPECT_EQ(homeFor(1000), "HOME=/");
}

TEST_F(ProcessPlanTest, HomeIsSlashForAnEmptyPasswd) {
  tmp_.write("rootfs/etc/passwd", "");
  EXPECT_EQ(homeFor(0), "HOME=/");
}

TEST_F(ProcessPlanTest, HomeIsNotOverridden) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  process_.env = {"HOME=/custom", "B=2"};
  process_.user.uid = 1000;
  ProcessPlan p = plan();
  EXPECT_EQ(p.env, (std::vector<std::string>{"HOME=/custom", "B=2"}));
}

TEST_F(ProcessPlanTest, HomePrefixIsNotHome) {
  tmp_.write("rootfs/etc/passwd", kPasswd);
  process_.env = {"HOMEDIR=/x"};
  process_.user.uid = 0;
  ProcessPlan p = plan();
  EXPECT_EQ(p.env, (std::vector<std::string>{"HOMEDIR=/x", "HOME=/root"}));
}

// The rootfs's /etc/passwd is read inside the rootfs: a symlink cannot make
// the runtime read a host file.
TEST_F(ProcessPlanTest, PasswdSymlinkStaysInsideTheRootfs) {
  tmp_.write("host-passwd", "user:x:1000:1000::/from/the/host:/bin/sh\n");
  tmp_.mkdirs("rootfs/etc");
  ASSERT_EQ(::symlink("../../host-passwd", tmp_.sub("rootfs/etc/passwd").c_str()), 0);
  EXPECT_EQ(homeFor(1000), "HOME=/");
}

TEST_F(ProcessPlanTest, AbsolutePasswdSymlinkResolvesInTheRootfs) {
  tmp_.write("rootfs/real/passwd", "user:x:1000:1000::/home/inside:/bin/sh\n");
  tmp_.mkdirs("rootfs/etc");
  ASSERT_EQ(::symlink("/real/passwd", tmp_.sub("rootfs/etc/passwd").c_str()), 0);
  EXPECT_EQ(homeFor(1000), "HOME=/home/inside");
}

// Regression: a FIFO at the rootfs's etc/passwd used to block planProcess,
// so a hostile image could hang `create`. A non-regular etc/passwd is
// ignored (HOME=/) without blocking. The test unblocks the call itself after a second.
TEST_F(ProcessPlanTest, PasswdFifoDoesNotBlock) {
  tmp_.mkdirs("rootfs/etc");
  std::string fifo = tmp_.sub("rootfs/etc/passwd");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  process_.user.uid = 1000;
  auto pending = std::async(std::launch::async, [this] {
    Result<ProcessPlan> r = planProcess(process_, rootfd_.get());
    return r.ok() && !r->env.empty() ? r->env.back() : std::string("error");
  });
  bool finished = pending.wait_for(std::chrono::seconds(1)) == std::future_status::ready;
  EXPECT_TRUE(finished) << "planProcess blocked on a FIFO at etc/passwd";
  if (!finished) {
    // Give the blocked open(2) its writer, then EOF.
    int w = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
    if (w >= 0) ::close(w);
  }
  EXPECT_EQ(pending.get(), "HOME=/");
}

// ---- PATH ----

TEST_F(ProcessPlanTest, SearchPathFromEnv) {
  process_.env = {"PATH=/a:/b/c:/d"};
  EXPECT_EQ(plan().searchPath, (std::vector<std::string>{"/a", "/b/c", "/d"}));
}

TEST_F(ProcessPlanTest, DefaultSearchPath) {
  process_.env = {"PATHX=/x", "A=1"};
  EXPECT_EQ(plan().searchPath,
            (std::vector<std::string>{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
                                      "/sbin", "/bin"}));
}

TEST_F(ProcessPlanTest, EmptyPathEntriesAreKept) {
  process_.env = {"PATH=/a::/b:"};
  EXPECT_EQ(plan().searchPath, (std::vector<std::string>{"/a", "", "/b", ""}));
}

TEST_F(ProcessPlanTest, EmptyPath) {
  process_.env = {"PATH="};
  EXPECT_EQ(plan().searchPath, (std::vector<std::string>{""}));
}

// ---- rlimits ----

spec::Rlimit rlimitOf(std::string type, uint64_t soft, uint64_t hard) {
  spec::Rlimit r;
  r.type = std::move(type);
  r.soft = soft;
  r.hard = hard;
  return r;
}

// From /proc/self/status, not the code under test.
bool hasSysResource() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      return (std::stoull(line.substr(7), nullptr, 16) >> CAP_SYS_RESOURCE) & 1U;
    }
  }
  return false;
}

TEST_F(ProcessPlanTest, RlimitsWithinTheCurrentHardLimit) {
  rlimit nofile{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &nofile), 0);
  rlimit memlock{};
  ASSERT_EQ(::getrlimit(RLIMIT_MEMLOCK, &memlock), 0);
  process_.rlimits = {rlimitOf("RLIMIT_NOFILE", 1024, nofile.rlim_max),
                      rlimitOf("RLIMIT_MEMLOCK", 0, memlock.rlim_max)};
  ProcessPlan p = plan();
  ASSERT_EQ(p.rlimits.size(), 2u);
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits[0].name, "RLIMIT_NOFILE");
  EXPECT_EQ(p.rlimits[0].value.rlim_cur, 1024u);
  EXPECT_EQ(p.rlimits[0].value.rlim_max, nofile.rlim_max);
  EXPECT_EQ(p.rlimits[1].resource, RLIMIT_MEMLOCK);
  EXPECT_EQ(p.rlimits[1].name, "RLIMIT_MEMLOCK");
  EXPECT_EQ(p.rlimits[1].value.rlim_cur, 0u);
  EXPECT_EQ(p.rlimits[1].value.rlim_max, memlock.rlim_max);
}

TEST_F(ProcessPlanTest, LoweringAHardLimitIsFine) {
  rlimit nofile{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &nofile), 0);
  ASSERT_GT(nofile.rlim_max, 10u);
  process_.rlimits = {rlimitOf("RLIMIT_NOFILE", 10, 10)};
  ProcessPlan p = plan();
  ASSERT_EQ(p.rlimits.size(), 1u);
  EXPECT_EQ(p.rlimits[0].value.rlim_max, 10u);
}

TEST_F(ProcessPlanTest, UnknownRlimitIsAnError) {
  process_.rlimits = {rlimitOf("RLIMIT_BOGUS", 1, 1)};
  EXPECT_EQ(planError(), "process.rlimits: unknown rlimit \"RLIMIT_BOGUS\"");
}

TEST_F(ProcessPlanTest, RaisingAHardLimitNeedsCapSysResource) {
  if (hasSysResource()) {
    GTEST_SKIP() << "\n\n*** SKIPPED: this process HAS CAP_SYS_RESOURCE, so raising a hard "
                    "rlimit is allowed and the CAP_SYS_RESOURCE error path cannot be "
                    "exercised. Run the unit tests without that capability (e.g. "
                    "`capsh --drop=cap_sys_resource -- -c unit_tests`). ***\n";
  }
  rlimit memlock{};
  ASSERT_EQ(::getrlimit(RLIMIT_MEMLOCK, &memlock), 0);
  if (memlock.rlim_max == RLIM_INFINITY) {
    GTEST_SKIP() << "\n\n*** SKIPPED: RLIMIT_MEMLOCK's hard limit is unlimited here, so no "
                    "request can be above it. ***\n";
  }
  uint64_t want = memlock.rlim_max + 1;
  process_.rlimits = {rlimitOf("RLIMIT_MEMLOCK", want, want)};
  Result<ProcessPlan> r = planProcess(process_, rootfd_.get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "process.rlimits: RLIMIT_MEMLOCK: hard limit " +
                                     std::to_string(want) + " is above the current hard limit " +
                                     std::to_string(memlock.rlim_max) +
                                     " and raising it needs CAP_SYS_RESOURCE");
  EXPECT_EQ(r.error().code(), EPERM);
}

// ---- argv and envp ----

TEST_F(ProcessPlanTest, ExecArraysAreTheFinalArgsAndEnv) {
  process_.env = {"A=1", "PATH=/bin", "A=2"};
  ProcessPlan p = plan();
  ASSERT_EQ(p.argv.size(), 3u);
  EXPECT_STREQ(p.argv[0], "sh");
  EXPECT_STREQ(p.argv[1], "-c");
  EXPECT_STREQ(p.argv[2], "true");
  EXPECT_EQ(p.argv.data()[3], nullptr);
  ASSERT_EQ(p.envp.size(), 3u);
  EXPECT_STREQ(p.envp[0], "PATH=/bin");
  EXPECT_STREQ(p.envp[1], "A=2");
  EXPECT_STREQ(p.envp[2], "HOME=/");
  EXPECT_EQ(p.envp.data()[3], nullptr);
}

// The child reads the plan wherever the parent moved it to.
TEST_F(ProcessPlanTest, ExecArraysSurviveAMoveOfThePlan) {
  ProcessPlan p = plan();
  const char* first = p.argv[0];
  ProcessPlan moved = std::move(p);
  EXPECT_EQ(moved.argv[0], first);
  EXPECT_STREQ(moved.argv[0], "sh");
}

}  // namespace
}  // namespace sangja
