// The rootfs beyond the defaults: --no-pivot, recursive read-only binds and
// rootfsPropagation.
#include <sys/mount.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class RootfsTest : public ContainerTest {};

// The optional-fields part (field 7...) of the mountinfo line for point.
std::string propagationOf(const std::string& mountinfo, const std::string& point) {
  std::string found;
  for (const std::string& line : splitLines(mountinfo)) {
    // id parent major:minor root point options [optional...] - fstype ...
    std::istringstream in(line);
    std::string id, parent, dev, root, mp, opts, field, tags;
    in >> id >> parent >> dev >> root >> mp >> opts;
    if (mp != point) continue;
    tags.clear();
    while (in >> field && field != "-") tags += field + " ";
    found = tags;  // the last mount at point is the visible one
  }
  return found;
}

TEST_F(RootfsTest, NoPivotStillConfinesTheProcessToTheRootfs) {
  writeFile(b.tmp() + "/host-marker", "x");
  writeFile(b.rootfs() + "/inside-marker", "x");
  b.setArgs({"sh", "-c", "ls /; ls " + b.tmp() + " 2>&1; echo ==; cat /proc/self/mountinfo"});
  b.write();
  RunResult r = b.rt({"run", "--no-pivot", "--bundle", b.dir(), b.id()});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "inside-marker")) << r;
  EXPECT_FALSE(contains(r.out, "host-marker")) << r;
}

// A host directory with a mount inside it: "ro" makes only the top of an
// rbind read-only, "rro" the whole tree.
class RecursiveBindTest : public RootfsTest {
 protected:
  void SetUp() override {
    share_ = b.tmp() + "/share";
    fs::create_directories(share_ + "/sub");
    ASSERT_EQ(::mount("tmpfs", (share_ + "/sub").c_str(), "tmpfs", 0, "size=1m"), 0);
  }
  void TearDown() override { ::umount2((share_ + "/sub").c_str(), MNT_DETACH); }

  RunResult writeBoth(const std::vector<std::string>& options) {
    b.config["mounts"].push_back(json{
        {"destination", "/mnt/tree"}, {"type", "bind"}, {"source", share_}, {"options", options}});
    return b.sh(
        "touch /mnt/tree/top 2>/dev/null; echo top=$?; "
        "touch /mnt/tree/sub/inner 2>/dev/null; echo sub=$?");
  }
  std::string share_;
};

TEST_F(RecursiveBindTest, RroMakesTheWholeTreeReadOnly) {
  RunResult r = writeBoth({"rbind", "rro"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "top=1")) << r;
  EXPECT_TRUE(contains(r.out, "sub=1")) << r;
}

TEST_F(RecursiveBindTest, RoMakesOnlyTheTopReadOnly) {
  RunResult r = writeBoth({"rbind", "ro"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "top=1")) << r;
  EXPECT_TRUE(contains(r.out, "sub=0")) << r;
}

TEST_F(RootfsTest, DefaultRootIsNotShared) {
  RunResult r = b.sh("cat /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_FALSE(contains(propagationOf(r.out, "/"), "shared:")) << r;
}

TEST_F(RootfsTest, RootfsPropagationSharedMakesRootShared) {
  SKIP_FOR_PEER("runc 1.1.5 leaves the container's / unshared");
  b.config["linux"]["rootfsPropagation"] = "shared";
  RunResult r = b.sh("cat /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(propagationOf(r.out, "/"), "shared:")) << r;
  // shared, not "shared,slave": no master the host could push mounts from.
  EXPECT_FALSE(contains(propagationOf(r.out, "/"), "master:")) << r;
}

TEST_F(RootfsTest, RootfsPropagationPrivateMakesRootPrivate) {
  b.config["linux"]["rootfsPropagation"] = "private";
  RunResult r = b.sh("cat /proc/self/mountinfo");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(propagationOf(r.out, "/"), "") << r;
}

// tmpcopyup (Podman puts it on every tmpfs of --read-only and --tmpfs):
// the image's files under the target appear in the tmpfs, with their modes,
// owners and links, and the tmpfs is writable while the root is not.
TEST_F(RootfsTest, TmpcopyupCopiesTheImagesFilesIntoTheTmpfs) {
  SKIP_FOR_PEER("runc 1.1.5 has no tmpcopyup (crun and Podman's conmon setups do)");
  std::string dir = b.rootfs() + "/seeded";
  ASSERT_TRUE(host("mkdir -p " + dir + "/sub && echo data > " + dir + "/sub/file && chmod 0604 " +
                   dir + "/sub/file && chown 1000:1000 " + dir + "/sub/file && ln -s sub/file " +
                   dir + "/link && mkfifo " + dir + "/fifo")
                  .ok());
  b.config["mounts"].push_back({{"destination", "/seeded"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"nosuid", "tmpcopyup", "size=1m"}}});
  RunResult r = b.sh(
      "cat /seeded/link; stat -c '%a %u:%g' /seeded/sub/file; test -p /seeded/fifo && echo fifo; "
      "echo new > /seeded/new && echo writable; grep ' /seeded ' /proc/self/mounts | cut -d' ' "
      "-f3");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "data\n604 1000:1000\nfifo\nwritable\ntmpfs\n") << r;
  EXPECT_FALSE(pathExists(dir + "/new")) << "the write went to the image";
}

// Images link /etc/resolv.conf into /run (systemd-resolved) and clients
// bind their own file there: the dangling link is followed inside the
// rootfs and the file made where it points, never on the host.
TEST_F(RootfsTest, BindOntoADanglingSymlinkLandsInsideTheRootfs) {
  std::string hostDir = "/run/sangja-it-" + b.id();
  ASSERT_TRUE(host("rm -f " + b.rootfs() + "/etc/resolv.conf && ln -s " + hostDir +
                   "/resolv.conf " + b.rootfs() + "/etc/resolv.conf")
                  .ok());
  writeFile(b.tmp() + "/resolv.conf", "nameserver 192.0.2.1\n");
  b.config["mounts"].push_back({{"destination", "/etc/resolv.conf"},
                                {"type", "bind"},
                                {"source", b.tmp() + "/resolv.conf"},
                                {"options", {"rbind", "ro"}}});
  RunResult r = b.sh("cat /etc/resolv.conf");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "nameserver 192.0.2.1\n");
  EXPECT_TRUE(pathExists(b.rootfs() + hostDir + "/resolv.conf"));
  EXPECT_FALSE(pathExists(hostDir)) << "made on the host";
}

// A bind source that only an earlier mount of the same config makes
// (through the rootfs, in the container's mount namespace) is found, as
// under runc; a source missing for good is a clear error.
TEST_F(RootfsTest, BindSourceMadeByAnEarlierMountIsFound) {
  ASSERT_TRUE(
      host("mkdir -p " + b.tmp() + "/vol/sub && echo inside > " + b.tmp() + "/vol/sub/file").ok());
  b.config["mounts"].push_back({{"destination", "/vol"},
                                {"type", "bind"},
                                {"source", b.tmp() + "/vol"},
                                {"options", {"rbind"}}});
  b.config["mounts"].push_back({{"destination", "/sub"},
                                {"type", "bind"},
                                {"source", b.rootfs() + "/vol/sub"},
                                {"options", {"rbind", "ro"}}});
  ASSERT_FALSE(pathExists(b.rootfs() + "/vol/sub")) << "the host already has the source";
  RunResult r = b.sh("cat /sub/file");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "inside\n");
}

TEST_F(RootfsTest, BindSourceMissingForGoodIsNamed) {
  b.config["mounts"].push_back({{"destination", "/x"},
                                {"type", "bind"},
                                {"source", b.tmp() + "/no-such-source"},
                                {"options", {"rbind"}}});
  std::string skip = expectCleanCreateFailure(b, "no-such-source", nullptr);
  if (!skip.empty()) GTEST_SKIP() << skip;
}

// A read-only /dev still gets its device nodes (made before it turns
// read-only), and stays read-only for the process, as under runc.
TEST_F(RootfsTest, ReadOnlyDevStillHasItsDevices) {
  for (auto& m : b.config["mounts"]) {
    if (m["destination"] == "/dev") m["options"].push_back("ro");
  }
  RunResult r = b.sh(
      "echo x > /dev/null && head -c 3 /dev/zero | wc -c; touch /dev/new 2>/dev/null || echo "
      "refused; grep ' /dev ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1");
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "3\nrefused\nro\n") << r;
}

// The kernel says only EINVAL; the error names the options and the target.
TEST_F(RootfsTest, RefusedFilesystemOptionsAreNamed) {
  b.config["mounts"].push_back({{"destination", "/bogus"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"nosuid", "no-such-option"}}});
  std::string skip =
      expectCleanCreateFailure(b, "no-such-option", "runc says only 'invalid argument'");
  if (!skip.empty()) GTEST_SKIP() << skip;
}

}  // namespace
}  // namespace sangja::it
