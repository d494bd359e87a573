// openInRoot: paths resolved inside a rootfs; what is missing is made there,
// including where an image's dangling symlink points (not on the host).
#include "namespaces/in_root.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "tests/unit/temp_dir.h"

namespace sangja::mnt {
namespace {

using testutil::TempDir;

class InRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_.mkdirs("rootfs/etc");
    root_.reset(::open(tmp_.sub("rootfs").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_.valid());
  }
  void link(const std::string& target, const std::string& at) {
    ASSERT_EQ(::symlink(target.c_str(), tmp_.sub("rootfs/" + at).c_str()), 0);
  }
  bool isRegular(const std::string& rel) {
    struct stat st;
    return ::lstat(tmp_.sub("rootfs/" + rel).c_str(), &st) == 0 && S_ISREG(st.st_mode);
  }
  int open(const char* path, Create create) {
    int fd = openInRoot(root_.get(), path, O_PATH, create);
    if (fd >= 0) ::close(fd);
    return fd < 0 ? fd : 0;
  }

  TempDir tmp_;
  UniqueFd root_;
};

TEST_F(InRootTest, DanglingAbsoluteLinkIsMadeInsideTheRoot) {
  std::string hostDir = "/run/sangja-unit-" + std::to_string(::getpid());
  link(hostDir + "/resolve/resolv.conf", "etc/resolv.conf");
  EXPECT_EQ(open("/etc/resolv.conf", Create::kFile), 0);
  EXPECT_TRUE(isRegular(hostDir.substr(1) + "/resolve/resolv.conf"));
  EXPECT_NE(::access(hostDir.c_str(), F_OK), 0) << "made on the host";
}

TEST_F(InRootTest, DanglingRelativeLinkAndLinksOnTheWay) {
  link("../tmp/hosts", "etc/hosts");
  EXPECT_EQ(open("etc/hosts", Create::kFile), 0);
  EXPECT_TRUE(isRegular("tmp/hosts"));
  // A dangling link to a directory, then more path after it.
  link("/var/lib/data", "etc/data");
  EXPECT_EQ(open("etc/data/sub/file", Create::kFile), 0);
  EXPECT_TRUE(isRegular("var/lib/data/sub/file"));
}

TEST_F(InRootTest, DotDotInALinkStaysInTheRoot) {
  link("../../../../../escaped", "etc/evil");
  EXPECT_EQ(open("etc/evil", Create::kFile), 0);
  EXPECT_TRUE(isRegular("escaped"));
}

TEST_F(InRootTest, LinkLoopIsELOOP) {
  link("b", "etc/a");
  link("a", "etc/b");
  EXPECT_EQ(open("etc/a", Create::kFile), -ELOOP);
}

TEST_F(InRootTest, WithoutCreateNothingIsMade) {
  link("/nowhere/x", "etc/x");
  EXPECT_EQ(open("etc/x", Create::kNone), -ENOENT);
  EXPECT_NE(::access(tmp_.sub("rootfs/nowhere").c_str(), F_OK), 0);
}

}  // namespace
}  // namespace sangja::mnt
