// The cgroup v2 manager against a plain temp directory standing in for the
// hierarchy: no real cgroupfs is touched.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <vector>

#include "base/file.h"
#include "cgroups/cgroup_manager.h"
#include "tests/unit/temp_dir.h"

namespace sangja::cgroups {
namespace {

using testutil::isDir;
using testutil::TempDir;

// ---- resolveCgroupPath ----

std::string resolved(const std::string& cgroupsPath) {
  Result<std::string> r = resolveCgroupPath(cgroupsPath, "c1");
  return r.ok() ? *r : "error: " + r.error().message();
}

TEST(ResolveCgroupPath, DefaultIsUnderSangja) {
  EXPECT_EQ(resolved(""), "/sangja/c1");
}

TEST(ResolveCgroupPath, AbsolutePathIsKept) {
  EXPECT_EQ(resolved("/my/group"), "/my/group");
}

TEST(ResolveCgroupPath, RelativePathIsMadeAbsolute) {
  EXPECT_EQ(resolved("my/group"), "/my/group");
}

TEST(ResolveCgroupPath, ExtraSlashesAreDropped) {
  EXPECT_EQ(resolved("//a///b/"), "/a/b");
}

TEST(ResolveCgroupPath, SingleComponent) {
  EXPECT_EQ(resolved("leaf"), "/leaf");
}

TEST(ResolveCgroupPath, DotsAreResolvedLexically) {
  EXPECT_EQ(resolved("/a/./b"), "/a/b");
  EXPECT_EQ(resolved("a/../b"), "/b");
  EXPECT_EQ(resolved("/../../x"), "/x");
}

TEST(ResolveCgroupPath, EveryFormOfTheRootIsRefused) {
  for (const char* root : {"/", ".", "/.", "./", "/a/..", "a/b/../..", "//", "..", "/../.."}) {
    Result<std::string> r = resolveCgroupPath(root, "c1");
    ASSERT_FALSE(r.ok()) << root << " resolved to " << *r;
    EXPECT_NE(r.error().message().find("linux.cgroupsPath"), std::string::npos) << root;
    EXPECT_NE(r.error().message().find("root"), std::string::npos) << root;
  }
}

TEST(ResolveCgroupPath, NulByteIsRefused) {
  Result<std::string> r = resolveCgroupPath(std::string("/a\0/b", 5), "c1");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("NUL"), std::string::npos) << r.error().message();
}

TEST(CheckContainerCgroupPath, OnlyCleanAbsoluteNonRootPathsPass) {
  EXPECT_TRUE(checkContainerCgroupPath("/sangja/c1").ok());
  for (const std::string& bad :
       {std::string(""), std::string("/"), std::string("a/b"), std::string("/a/../b"),
        std::string("/./a"), std::string("/a\0", 3)}) {
    EXPECT_FALSE(checkContainerCgroupPath(bad).ok()) << bad;
  }
}

// ---- the manager ----

class Cgroup2Test : public ::testing::Test {
 protected:
  std::string mount() const { return tmp_.path(); }
  TempDir tmp_;
};

TEST_F(Cgroup2Test, PathIsTheGivenOne) {
  auto m = makeCgroup2Manager(mount(), "/sangja/c1");
  EXPECT_EQ(m->path(), "/sangja/c1");
}

TEST_F(Cgroup2Test, CreateMakesNestedDirectories) {
  auto m = makeCgroup2Manager(mount(), "/a/b/c");
  Status st = m->create();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(isDir(tmp_.sub("a")));
  EXPECT_TRUE(isDir(tmp_.sub("a/b")));
  EXPECT_TRUE(isDir(tmp_.sub("a/b/c")));
}

TEST_F(Cgroup2Test, CreateOfAnExistingEmptyCgroupSucceeds) {
  tmp_.mkdirs("a/b");
  tmp_.write("a/b/cgroup.events", "populated 0\nfrozen 0\n");
  auto m = makeCgroup2Manager(mount(), "/a/b");
  Status st = m->create();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_TRUE(isDir(tmp_.sub("a/b")));
}

// Someone else's processes live there (or below): the container would put
// its limits and device filter on them, and delete --force would kill them.
TEST_F(Cgroup2Test, CreateOfAPopulatedCgroupIsRefused) {
  tmp_.mkdirs("a/b");
  tmp_.write("a/b/cgroup.events", "populated 1\nfrozen 0\n");
  auto m = makeCgroup2Manager(mount(), "/a/b");
  Status st = m->create();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "cgroup /a/b already holds processes");
  EXPECT_EQ(st.error().code(), EBUSY);
}

// Without cgroup.events we cannot tell, and do not guess.
TEST_F(Cgroup2Test, CreateOfAnExistingCgroupThatCannotBeCheckedFails) {
  tmp_.mkdirs("a/b");
  Status st = makeCgroup2Manager(mount(), "/a/b")->create();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("check that cgroup /a/b is free"), std::string::npos)
      << st.error().message();
}

TEST_F(Cgroup2Test, CreateRefusesDotDot) {
  auto m = makeCgroup2Manager(mount(), "/../escape");
  Status st = m->create();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "cgroup path \"/../escape\" is not a container's cgroup");
  EXPECT_EQ(st.error().code(), EINVAL);
}

// Regression: ".." used to be found only after the components before it
// were made, leaving an empty cgroup "a" behind. Nothing may be created when
// the path is refused.
TEST_F(Cgroup2Test, RefusedPathCreatesNothing) {
  auto m = makeCgroup2Manager(mount(), "/a/../b");
  Status st = m->create();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "cgroup path \"/a/../b\" is not a container's cgroup");
  EXPECT_FALSE(tmp_.exists("a"));
}

TEST_F(Cgroup2Test, CreateUnderAFileFails) {
  tmp_.write("file", "");
  auto m = makeCgroup2Manager(mount(), "/file/c1");
  Status st = m->create();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "create cgroup " + tmp_.sub("file/c1") + ": Not a directory");
  EXPECT_EQ(st.error().code(), ENOTDIR);
}

TEST_F(Cgroup2Test, OpenDir) {
  auto m = makeCgroup2Manager(mount(), "/a");
  ASSERT_TRUE(m->create().ok());
  auto fd = m->openDir("");
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  struct stat st;
  ASSERT_EQ(::fstat(fd->get(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(Cgroup2Test, OpenDirOfAMissingCgroup) {
  auto m = makeCgroup2Manager(mount(), "/missing");
  auto fd = m->openDir("");
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.error().message(),
            "open cgroup: open " + tmp_.sub("missing") + ": No such file or directory");
}

TEST_F(Cgroup2Test, PidsParsesCgroupProcs) {
  auto m = makeCgroup2Manager(mount(), "/sangja/c1");
  ASSERT_TRUE(m->create().ok());
  tmp_.write("sangja/c1/cgroup.procs", "12\n345\n6789\n");
  auto pids = m->pids();
  ASSERT_TRUE(pids.ok()) << pids.error().message();
  EXPECT_EQ(*pids, (std::vector<pid_t>{12, 345, 6789}));
}

TEST_F(Cgroup2Test, PidsWithoutFinalNewline) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  tmp_.write("c/cgroup.procs", "1\n2");
  auto pids = m->pids();
  ASSERT_TRUE(pids.ok()) << pids.error().message();
  EXPECT_EQ(*pids, (std::vector<pid_t>{1, 2}));
}

TEST_F(Cgroup2Test, PidsOfAnEmptyCgroup) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  tmp_.write("c/cgroup.procs", "");
  auto pids = m->pids();
  ASSERT_TRUE(pids.ok()) << pids.error().message();
  EXPECT_TRUE(pids->empty());
}

TEST_F(Cgroup2Test, PidsWithoutCgroupProcsIsAnError) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  auto pids = m->pids();
  ASSERT_FALSE(pids.ok());
  EXPECT_EQ(pids.error().message(),
            "open " + tmp_.sub("c/cgroup.procs") + ": No such file or directory");
}

TEST_F(Cgroup2Test, AttachWritesThePid) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  tmp_.write("c/cgroup.procs", "old content that is longer");
  Status st = m->attach(4321, "");
  ASSERT_TRUE(st.ok()) << st.error().message();
  auto text = readFile(tmp_.sub("c/cgroup.procs"));
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(*text, "4321");
}

TEST_F(Cgroup2Test, AttachWithoutCgroupProcsIsAnError) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  Status st = m->attach(1, "");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "join cgroup /c: open " + tmp_.sub("c/cgroup.procs") + ": No such file or directory");
  EXPECT_FALSE(tmp_.exists("c/cgroup.procs"));
}

TEST_F(Cgroup2Test, SubCgroupIsOpenedAndJoinedBelowTheCgroup) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  ASSERT_EQ(::mkdir(tmp_.sub("c/sub").c_str(), 0755), 0);
  tmp_.write("c/sub/cgroup.procs", "");
  auto fd = m->openDir("sub");
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  Status st = m->attach(77, "sub");
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(readFile(tmp_.sub("c/sub/cgroup.procs")).valueOr(""), "77");
}

TEST_F(Cgroup2Test, MissingOrSymlinkedSubCgroupIsRefused) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  auto missing = m->openDir("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "sub-cgroup " + tmp_.sub("c") + "/nope: No such file or directory");
  ASSERT_EQ(::symlink(tmp_.path().c_str(), tmp_.sub("c/link").c_str()), 0);
  EXPECT_FALSE(m->openDir("link").ok()) << "a symlink out of the cgroup is not followed";
  EXPECT_FALSE(m->attach(1, "link").ok());
}

TEST_F(Cgroup2Test, FrozenIsWhatCgroupFreezeSays) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  EXPECT_FALSE(m->isFrozen()) << "no cgroup.freeze: not frozen";
  tmp_.write("c/cgroup.freeze", "1\n");
  EXPECT_TRUE(m->isFrozen());
  tmp_.write("c/cgroup.freeze", "0\n");
  EXPECT_FALSE(m->isFrozen());
}

TEST_F(Cgroup2Test, CurrentLimitsAndOomKillsAreRead) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  EXPECT_EQ(m->currentLimits(), (CurrentLimits{-1, std::nullopt})) << "no files: no limit";
  EXPECT_EQ(m->oomKills(), 0u);
  EXPECT_FALSE(m->watchOomKills().fd.valid());
  tmp_.write("c/memory.max", "1048576\n");
  tmp_.write("c/cpu.max", "max 20000\n");
  tmp_.write("c/memory.events", "low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\n");
  EXPECT_EQ(m->currentLimits(), (CurrentLimits{1048576, 20000u}));
  EXPECT_EQ(m->oomKills(), 2u);
  EXPECT_TRUE(m->watchOomKills().fd.valid());
  EXPECT_EQ(m->watchOomKills().events, POLLPRI);
}

// Signal 0 only checks the processes exist; a pid that is gone is skipped.
TEST_F(Cgroup2Test, SignalAllSignalsEveryListedProcess) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  tmp_.write("c/cgroup.procs",
             std::to_string(::getpid()) + "\n" + std::to_string(INT_MAX - 1) + "\n");
  Status st = m->signalAll(0);
  EXPECT_TRUE(st.ok()) << st.error().message();
}

TEST_F(Cgroup2Test, DestroyRemovesTheLeafAndTheParentsItMade) {
  tmp_.mkdirs("keep");
  auto m = makeCgroup2Manager(mount(), "/keep/made/leaf");
  ASSERT_TRUE(m->create().ok());
  Status st = m->destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_FALSE(tmp_.exists("keep/made/leaf"));
  EXPECT_FALSE(tmp_.exists("keep/made"));
  EXPECT_TRUE(isDir(tmp_.sub("keep")));
}

TEST_F(Cgroup2Test, DestroyKeepsAParentThatIsStillInUse) {
  auto first = makeCgroup2Manager(mount(), "/p/x/c1");
  ASSERT_TRUE(first->create().ok());
  auto second = makeCgroup2Manager(mount(), "/p/x/c2");
  ASSERT_TRUE(second->create().ok());
  Status st = first->destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_FALSE(tmp_.exists("p/x/c1"));
  EXPECT_TRUE(isDir(tmp_.sub("p/x/c2")));
  Status st2 = second->destroy();
  ASSERT_TRUE(st2.ok()) << st2.error().message();
  EXPECT_FALSE(tmp_.exists("p/x/c2"));
  // second made neither p nor p/x, and first left them while c2 lived.
  EXPECT_TRUE(isDir(tmp_.sub("p/x")));
}

TEST_F(Cgroup2Test, DestroyOfTheDefaultPathRemovesAnEmptySangja) {
  tmp_.mkdirs("sangja");  // made by someone else
  auto m = makeCgroup2Manager(mount(), *resolveCgroupPath("", "c1"));
  ASSERT_TRUE(m->create().ok());
  ASSERT_TRUE(isDir(tmp_.sub("sangja/c1")));
  Status st = m->destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_FALSE(tmp_.exists("sangja/c1"));
  EXPECT_FALSE(tmp_.exists("sangja"));
}

TEST_F(Cgroup2Test, DestroyOfTheDefaultPathKeepsSangjaWithOtherContainers) {
  auto a = makeCgroup2Manager(mount(), "/sangja/a");
  auto b = makeCgroup2Manager(mount(), "/sangja/b");
  ASSERT_TRUE(a->create().ok());
  ASSERT_TRUE(b->create().ok());
  Status st = a->destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_FALSE(tmp_.exists("sangja/a"));
  EXPECT_TRUE(isDir(tmp_.sub("sangja/b")));
  Status st2 = b->destroy();
  ASSERT_TRUE(st2.ok()) << st2.error().message();
  EXPECT_FALSE(tmp_.exists("sangja"));
}

TEST_F(Cgroup2Test, CreatedFromIsTheTopmostDirectoryMade) {
  tmp_.mkdirs("keep");
  auto m = makeCgroup2Manager(mount(), "/keep/made/leaf");
  ASSERT_TRUE(m->create().ok());
  EXPECT_EQ(m->createdFrom(), "/keep/made");
  tmp_.write("keep/made/leaf/cgroup.events", "populated 0\n");
  auto existing = makeCgroup2Manager(mount(), "/keep/made/leaf");
  ASSERT_TRUE(existing->create().ok());
  EXPECT_EQ(existing->createdFrom(), "");
}

// delete runs in another process than create: the recorded createdFrom is
// all it knows of which parents were made.
TEST_F(Cgroup2Test, AFreshManagerWithCreatedFromRemovesTheParentsMade) {
  tmp_.mkdirs("keep");
  ASSERT_TRUE(makeCgroup2Manager(mount(), "/keep/a/b/leaf")->create().ok());
  auto later = makeCgroup2Manager(mount(), "/keep/a/b/leaf", "/keep/a");
  Status st = later->destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_FALSE(tmp_.exists("keep/a"));
  EXPECT_TRUE(isDir(tmp_.sub("keep")));
}

TEST_F(Cgroup2Test, DestroyByAFreshManagerRemovesOnlyTheLeaf) {
  tmp_.mkdirs("x/y");
  auto m = makeCgroup2Manager(mount(), "/x/y");
  Status st = m->destroy();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_FALSE(tmp_.exists("x/y"));
  EXPECT_TRUE(isDir(tmp_.sub("x")));
}

TEST_F(Cgroup2Test, DestroyOfAMissingCgroupSucceeds) {
  auto m = makeCgroup2Manager(mount(), "/nothing/here");
  Status st = m->destroy();
  EXPECT_TRUE(st.ok()) << st.error().message();
}

TEST_F(Cgroup2Test, DestroyOfANonEmptyLeafFails) {
  auto m = makeCgroup2Manager(mount(), "/c");
  ASSERT_TRUE(m->create().ok());
  tmp_.mkdirs("c/child");
  Status st = m->destroy();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "remove cgroup " + tmp_.sub("c") + ": Directory not empty");
  EXPECT_EQ(st.error().code(), ENOTEMPTY);
}

TEST_F(Cgroup2Test, CreateAgainAfterDestroy) {
  auto m = makeCgroup2Manager(mount(), "/a/b");
  ASSERT_TRUE(m->create().ok());
  ASSERT_TRUE(m->destroy().ok());
  ASSERT_TRUE(m->create().ok());
  EXPECT_TRUE(isDir(tmp_.sub("a/b")));
  ASSERT_TRUE(m->destroy().ok());
  EXPECT_FALSE(tmp_.exists("a"));
}

TEST(HostCgroup2Flags, TakesTheRootFlagsOfTheMountAtThePoint) {
  std::string mountinfo =
      "25 1 0:22 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n"
      "30 25 0:26 / /sys/fs/cgroup/other rw - tmpfs tmpfs rw,nsdelegate\n";
  EXPECT_EQ(hostCgroup2Flags(mountinfo, "/sys/fs/cgroup"), "nsdelegate,memory_recursiveprot");
  EXPECT_EQ(hostCgroup2Flags(mountinfo, "/sys/fs/cgroup/other"), "");  // not cgroup2
  EXPECT_EQ(hostCgroup2Flags("38 32 0:32 / /x rw - cgroup2 cgroup2 rw\n", "/x"), "");
}

}  // namespace
}  // namespace sangja::cgroups
