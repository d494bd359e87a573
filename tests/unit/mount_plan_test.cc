#include "namespaces/mount_plan.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/unit/temp_dir.h"

namespace sangja::mnt {
namespace {

using testutil::TempDir;

class MountPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_.mkdirs("rootfs");
    bundle_ = tmp_.path();
    rootfs_ = std::filesystem::canonical(tmp_.sub("rootfs")).string();
    config_.root.path = "rootfs";
  }

  RootfsPlan plan(bool noPivot = false) {
    Result<RootfsPlan> r = planRootfs(config_, RootfsOptions{bundle_, noPivot, ""});
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : RootfsPlan{};
  }

  std::string planError() {
    Result<RootfsPlan> r = planRootfs(config_, RootfsOptions{bundle_, false, ""});
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message();
  }

  spec::Linux& linux() {
    if (!config_.linux) config_.linux.emplace();
    return *config_.linux;
  }

  TempDir tmp_;
  std::string bundle_;
  std::string rootfs_;
  spec::Config config_;
};

spec::Mount mount(std::string destination, std::string type, std::string source,
                  std::vector<std::string> options = {}) {
  spec::Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

// ---- rootfs ----

TEST_F(MountPlanTest, MaskedAndReadonlyPathsOnceEach) {
  linux().maskedPaths = {"/proc/kcore", "/proc/kcore", "/proc//kcore/", "/proc/keys"};
  linux().readonlyPaths = {"/proc/sys", "/proc/sys/"};
  RootfsPlan p = plan();
  EXPECT_EQ(p.maskedPaths, (std::vector<std::string>{"proc/kcore", "proc/keys"}));
  EXPECT_EQ(p.readonlyPaths, (std::vector<std::string>{"proc/sys"}));
}

// A read-only tmpfs is mounted writable and turned read-only at the end,
// so that devices and copied files can be made in it first.
TEST_F(MountPlanTest, ReadOnlyTmpfsTurnsReadOnlyAfterSetup) {
  config_.mounts = {mount("/dev", "tmpfs", "tmpfs", {"nosuid", "ro", "mode=755"}),
                    mount("/sys", "sysfs", "sysfs", {"ro"})};
  RootfsPlan p = plan();
  EXPECT_TRUE(p.mounts.at(0).readonlyAfterSetup);
  EXPECT_EQ(p.mounts.at(0).options.flags & MS_RDONLY, 0ul);
  EXPECT_FALSE(p.mounts.at(1).readonlyAfterSetup);
  EXPECT_NE(p.mounts.at(1).options.flags & MS_RDONLY, 0ul);
}

// A cgroup mount on a v1 host: a tmpfs (read-only after the setup), in it
// a bind of the container's own cgroup per hierarchy with the mount's
// flags, and a symlink per controller of a joint hierarchy.
TEST_F(MountPlanTest, CgroupMountOnAV1HostIsATmpfsOfTheContainersOwnCgroups) {
  config_.mounts = {
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
      mount("/tmp", "tmpfs", "tmpfs")};
  RootfsOptions options{bundle_, false, ""};
  options.cgroupV1View = {
      {"/sys/fs/cgroup/memory/sangja/c1", "memory", {}},
      {"/sys/fs/cgroup/cpu,cpuacct/sangja/c1", "cpu,cpuacct", {"cpu", "cpuacct"}}};
  Result<RootfsPlan> r = planRootfs(config_, options);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->mounts.size(), 4u);
  EXPECT_EQ(r->mounts[0].fstype, "tmpfs");
  EXPECT_EQ(r->mounts[0].target, "sys/fs/cgroup");
  EXPECT_TRUE(r->mounts[0].readonlyAfterSetup);
  EXPECT_EQ(r->mounts[1].source, "/sys/fs/cgroup/memory/sangja/c1");
  EXPECT_EQ(r->mounts[1].target, "sys/fs/cgroup/memory");
  EXPECT_TRUE(r->mounts[1].options.bind());
  EXPECT_FALSE(r->mounts[1].options.recursiveBind());
  EXPECT_NE(r->mounts[1].options.attrs.set & MOUNT_ATTR_RDONLY, 0u) << "the bind is read-only";
  EXPECT_NE(r->mounts[1].options.attrs.set & MOUNT_ATTR_NOEXEC, 0u);
  EXPECT_EQ(r->mounts[2].target, "sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(r->mounts[3].target, "tmp") << "later mounts keep their order";
  bool cpu = false, cpuacct = false;
  for (const Symlink& link : r->symlinks) {
    cpu = cpu || (link.path == "sys/fs/cgroup/cpu" && link.target == "cpu,cpuacct");
    cpuacct = cpuacct || (link.path == "sys/fs/cgroup/cpuacct" && link.target == "cpu,cpuacct");
  }
  EXPECT_TRUE(cpu && cpuacct);
  // A unified host (no view) keeps cgroup2.
  EXPECT_EQ(plan().mounts.at(0).fstype, "cgroup2");
}

TEST_F(MountPlanTest, TmpcopyupOnlyOnTmpfs) {
  config_.mounts = {mount("/x", "tmpfs", "tmpfs", {"tmpcopyup"})};
  EXPECT_TRUE(plan().mounts.at(0).options.copyUp);
  config_.mounts = {mount("/x", "proc", "proc", {"tmpcopyup"})};
  EXPECT_EQ(planError(), "mounts[0] (/x): tmpcopyup applies to tmpfs mounts only");
}

TEST_F(MountPlanTest, RelativeRootfsIsResolvedAgainstTheBundle) {
  RootfsPlan p = plan();
  EXPECT_EQ(p.rootfs, rootfs_);
}

TEST_F(MountPlanTest, AbsoluteRootfsIsUsedAsGiven) {
  config_.root.path = tmp_.mkdirs("elsewhere/root");
  RootfsPlan p = plan();
  EXPECT_EQ(p.rootfs, std::filesystem::canonical(tmp_.sub("elsewhere/root")).string());
}

TEST_F(MountPlanTest, RootfsSymlinkIsResolved) {
  ASSERT_EQ(::symlink("rootfs", tmp_.sub("link").c_str()), 0);
  config_.root.path = "link";
  RootfsPlan p = plan();
  EXPECT_EQ(p.rootfs, rootfs_);
}

TEST_F(MountPlanTest, MissingRootfsIsAnError) {
  config_.root.path = "nope";
  Result<RootfsPlan> r = planRootfs(config_, RootfsOptions{bundle_, false, ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "rootfs " + bundle_ + "/nope: No such file or directory");
  EXPECT_EQ(r.error().code(), ENOENT);
}

TEST_F(MountPlanTest, RootfsThatIsAFileIsAnError) {
  tmp_.write("file", "x");
  config_.root.path = "file";
  Result<RootfsPlan> r = planRootfs(config_, RootfsOptions{bundle_, false, ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "rootfs " + bundle_ + "/file: not a directory");
  EXPECT_EQ(r.error().code(), ENOTDIR);
}

TEST_F(MountPlanTest, ReadonlyRootCwdAndNoPivot) {
  config_.root.readonly = true;
  config_.process.emplace();
  config_.process->cwd = "/home/user";
  RootfsPlan p = plan(true);
  EXPECT_TRUE(p.readonlyRoot);
  EXPECT_TRUE(p.noPivot);
  EXPECT_EQ(p.cwd, "home/user");
}

TEST_F(MountPlanTest, DefaultsWithoutProcessOrLinux) {
  RootfsPlan p = plan();
  EXPECT_FALSE(p.readonlyRoot);
  EXPECT_FALSE(p.noPivot);
  EXPECT_EQ(p.cwd, "");
  EXPECT_TRUE(p.mounts.empty());
  EXPECT_TRUE(p.maskedPaths.empty());
  EXPECT_TRUE(p.readonlyPaths.empty());
  EXPECT_TRUE(p.sysctls.empty());
}

// ---- mounts ----

TEST_F(MountPlanTest, FilesystemMount) {
  config_.mounts = {mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"})};
  RootfsPlan p = plan();
  ASSERT_EQ(p.mounts.size(), 1u);
  const MountStep& m = p.mounts[0];
  EXPECT_EQ(m.target, "proc");
  EXPECT_EQ(m.fstype, "proc");
  EXPECT_EQ(m.source, "proc");
  EXPECT_EQ(m.options.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV));
}

TEST_F(MountPlanTest, FilesystemMountKeepsData) {
  config_.mounts = {mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755"})};
  RootfsPlan p = plan();
  ASSERT_EQ(p.mounts.size(), 1u);
  EXPECT_EQ(p.mounts[0].options.data, "mode=755");
  EXPECT_EQ(p.mounts[0].target, "dev");
}

TEST_F(MountPlanTest, EmptySourceDefaultsToTheType) {
  config_.mounts = {mount("/dev/mqueue", "mqueue", "")};
  RootfsPlan p = plan();
  ASSERT_EQ(p.mounts.size(), 1u);
  EXPECT_EQ(p.mounts[0].source, "mqueue");
  EXPECT_EQ(p.mounts[0].target, "dev/mqueue");
}

TEST_F(MountPlanTest, CgroupTypeBecomesCgroup2) {
  config_.mounts = {mount("/sys/fs/cgroup", "cgroup", "cgroup", {"ro"}), mount("/x", "cgroup", "")};
  RootfsPlan p = plan();
  ASSERT_EQ(p.mounts.size(), 2u);
  EXPECT_EQ(p.mounts[0].fstype, "cgroup2");
  EXPECT_EQ(p.mounts[0].source, "cgroup");
  EXPECT_EQ(p.mounts[0].target, "sys/fs/cgroup");
  EXPECT_EQ(p.mounts[1].fstype, "cgroup2");
  EXPECT_EQ(p.mounts[1].source, "cgroup2");
}

TEST_F(MountPlanTest, BindOfAFileLandsOnAFile) {
  std::string hosts = tmp_.write("hosts", "127.0.0.1 localhost\n");
  config_.mounts = {mount("/etc/hosts", "bind", hosts, {"rbind", "ro"})};
  RootfsPlan p = plan();
  ASSERT_EQ(p.mounts.size(), 1u);
  const MountStep& m = p.mounts[0];
  EXPECT_EQ(m.source, hosts);
  EXPECT_EQ(m.target, "etc/hosts");
  EXPECT_EQ(m.fstype, "");
  EXPECT_TRUE(m.options.recursiveBind());
  EXPECT_EQ(m.options.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY));
}

TEST_F(MountPlanTest, BindOfADirectoryLandsOnADirectory) {
  std::string data = tmp_.mkdirs("data");
  config_.mounts = {mount("/data", "none", data, {"bind"})};
  RootfsPlan p = plan();
  ASSERT_EQ(p.mounts.size(), 1u);
  EXPECT_EQ(p.mounts[0].source, data);
  EXPECT_EQ(p.mounts[0].fstype, "");
}

TEST_F(MountPlanTest, BindTypeWithoutBindOptionIsABind) {
  std::string data = tmp_.mkdirs("data");
  config_.mounts = {mount("/data", "bind", data, {"ro"})};
  RootfsPlan p = plan();
  ASSERT_EQ(p.mounts.size(), 1u);
  EXPECT_TRUE(p.mounts[0].options.bind());
  EXPECT_FALSE(p.mounts[0].options.recursiveBind());
  EXPECT_EQ(p.mounts[0].options.flags, static_cast<unsigned long>(MS_BIND | MS_RDONLY));
  EXPECT_EQ(p.mounts[0].fstype, "");
}

TEST_F(MountPlanTest, RelativeBindSourceIsResolvedAgainstTheBundle) {
  tmp_.write("conf/app.conf", "x=1\n");
  config_.mounts = {mount("/etc/app.conf", "bind", "conf/app.conf", {"bind"})};
  RootfsPlan p = plan();
  ASSERT_EQ(p.mounts.size(), 1u);
  EXPECT_EQ(p.mounts[0].source, bundle_ + "/conf/app.conf");
}

// A missing source may be made by an earlier mount of the same config: the
// init judges it at its turn. Other errors are final at once.
TEST_F(MountPlanTest, MissingBindSourceWaitsForTheInit) {
  config_.mounts = {mount("/proc", "proc", "proc"), mount("/x", "bind", "nope", {"rbind"})};
  EXPECT_EQ(plan().mounts.at(1).source, bundle_ + "/nope");
  tmp_.write("file", "");
  config_.mounts = {mount("/x", "bind", "file/below", {"rbind"})};
  EXPECT_EQ(planError(), "mounts[0] (/x): source " + bundle_ + "/file/below: Not a directory");
}

TEST_F(MountPlanTest, NonBindMountNeedsAType) {
  config_.mounts = {mount("/x", "", "something")};
  EXPECT_EQ(planError(), "mounts[0] (/x): type is required for a non-bind mount");
}

TEST_F(MountPlanTest, MountOverTheRootIsRefused) {
  config_.mounts = {mount("/", "tmpfs", "tmpfs")};
  EXPECT_EQ(planError(), "mounts[0] (/): cannot mount over the rootfs itself");
}

TEST_F(MountPlanTest, BadMountOptionNamesTheMount) {
  config_.mounts = {mount("/proc", "proc", "proc"), mount("/y", "tmpfs", "tmpfs", {"idmap"})};
  EXPECT_EQ(planError(),
            "mounts[1] (/y): idmapped mounts (idmap, ridmap, uidMappings) need a bind mount");
}

// ---- devices ----

void expectDevice(const DeviceNode& d, const std::string& path, mode_t mode, unsigned major,
                  unsigned minor, uid_t uid = 0, gid_t gid = 0) {
  EXPECT_EQ(d.path, path);
  EXPECT_EQ(d.mode, mode) << path;
  EXPECT_EQ(d.dev, makedev(major, minor)) << path;
  EXPECT_EQ(d.uid, uid) << path;
  EXPECT_EQ(d.gid, gid) << path;
}

TEST_F(MountPlanTest, DefaultDevicesAndSymlinks) {
  RootfsPlan p = plan();
  ASSERT_EQ(p.devices.size(), 6u);
  expectDevice(p.devices[0], "dev/null", S_IFCHR | 0666, 1, 3);
  expectDevice(p.devices[1], "dev/zero", S_IFCHR | 0666, 1, 5);
  expectDevice(p.devices[2], "dev/full", S_IFCHR | 0666, 1, 7);
  expectDevice(p.devices[3], "dev/random", S_IFCHR | 0666, 1, 8);
  expectDevice(p.devices[4], "dev/urandom", S_IFCHR | 0666, 1, 9);
  expectDevice(p.devices[5], "dev/tty", S_IFCHR | 0666, 5, 0);
  ASSERT_EQ(p.symlinks.size(), 5u);
  EXPECT_EQ(p.symlinks[0].target, "/proc/self/fd");
  EXPECT_EQ(p.symlinks[0].path, "dev/fd");
  EXPECT_EQ(p.symlinks[1].target, "/proc/self/fd/0");
  EXPECT_EQ(p.symlinks[1].path, "dev/stdin");
  EXPECT_EQ(p.symlinks[2].target, "/proc/self/fd/1");
  EXPECT_EQ(p.symlinks[2].path, "dev/stdout");
  EXPECT_EQ(p.symlinks[3].target, "/proc/self/fd/2");
  EXPECT_EQ(p.symlinks[3].path, "dev/stderr");
  EXPECT_EQ(p.symlinks[4].target, "pts/ptmx");
  EXPECT_EQ(p.symlinks[4].path, "dev/ptmx");
}

TEST_F(MountPlanTest, ConfigDevicesOverrideDefaultsByPath) {
  spec::Device null;
  null.type = 'c';
  null.path = "/dev/null";
  null.major = 1;
  null.minor = 3;
  null.fileMode = 0600;
  null.uid = 1000;
  null.gid = 1001;
  spec::Device sda;
  sda.type = 'b';
  sda.path = "/dev/sda";
  sda.major = 8;
  sda.minor = 0;
  spec::Device fifo;
  fifo.type = 'p';
  fifo.path = "/dev/myfifo";
  fifo.fileMode = 0100644;  // type bits in fileMode are ignored
  spec::Device unbuffered;
  unbuffered.type = 'u';
  unbuffered.path = "dev/fuse";  // relative path matches too
  unbuffered.major = 10;
  unbuffered.minor = 229;
  unbuffered.gid = 7;
  linux().devices = {null, sda, fifo, unbuffered};

  RootfsPlan p = plan();
  ASSERT_EQ(p.devices.size(), 9u);
  expectDevice(p.devices[0], "dev/zero", S_IFCHR | 0666, 1, 5);
  expectDevice(p.devices[1], "dev/full", S_IFCHR | 0666, 1, 7);
  expectDevice(p.devices[2], "dev/random", S_IFCHR | 0666, 1, 8);
  expectDevice(p.devices[3], "dev/urandom", S_IFCHR | 0666, 1, 9);
  expectDevice(p.devices[4], "dev/tty", S_IFCHR | 0666, 5, 0);
  expectDevice(p.devices[5], "dev/null", S_IFCHR | 0600, 1, 3, 1000, 1001);
  expectDevice(p.devices[6], "dev/sda", S_IFBLK | 0666, 8, 0);
  expectDevice(p.devices[7], "dev/myfifo", S_IFIFO | 0644, 0, 0);
  expectDevice(p.devices[8], "dev/fuse", S_IFCHR | 0666, 10, 229, 0, 7);
}

TEST_F(MountPlanTest, RelativeDevicePathOverridesDefault) {
  spec::Device tty;
  tty.type = 'c';
  tty.path = "dev/tty";
  tty.major = 5;
  tty.minor = 0;
  tty.fileMode = 0620;
  linux().devices = {tty};
  RootfsPlan p = plan();
  ASSERT_EQ(p.devices.size(), 6u);
  expectDevice(p.devices[4], "dev/urandom", S_IFCHR | 0666, 1, 9);
  expectDevice(p.devices[5], "dev/tty", S_IFCHR | 0620, 5, 0);
}

TEST_F(MountPlanTest, UnknownDeviceTypeIsAnError) {
  spec::Device bad;
  bad.type = 'x';
  bad.path = "/dev/bad";
  spec::Device ok;
  ok.path = "/dev/ok";
  linux().devices = {ok, bad};
  EXPECT_EQ(planError(), "linux.devices[1]: unknown device type 'x'");
}

TEST_F(MountPlanTest, HostDevBindMeansNoDevicesOrSymlinks) {
  config_.mounts = {mount("/dev", "bind", "/dev", {"rbind", "nosuid"})};
  RootfsPlan p = plan();
  EXPECT_TRUE(p.devices.empty());
  EXPECT_TRUE(p.symlinks.empty());
  ASSERT_EQ(p.mounts.size(), 1u);
  EXPECT_EQ(p.mounts[0].source, "/dev");
}

TEST_F(MountPlanTest, HostDevBindByOptionOnly) {
  config_.mounts = {mount("/dev", "none", "/dev", {"bind"})};
  RootfsPlan p = plan();
  EXPECT_TRUE(p.devices.empty());
  EXPECT_TRUE(p.symlinks.empty());
}

TEST_F(MountPlanTest, HostDevBindByTypeOnly) {
  config_.mounts = {mount("/dev", "bind", "/dev")};
  RootfsPlan p = plan();
  EXPECT_TRUE(p.devices.empty());
  EXPECT_TRUE(p.symlinks.empty());
}

// Regression: the destination used to be compared with "/dev" literally, so
// a bind of the host's /dev at "/dev/" or "//dev" still got device nodes
// planned, made through that bind on the host's devtmpfs. Any spelling of
// /dev counts.
TEST_F(MountPlanTest, HostDevBindIsRecognisedForAnySpellingOfDev) {
  for (const char* destination : {"/dev/", "//dev", "/dev/."}) {
    SCOPED_TRACE(destination);
    config_.mounts = {mount(destination, "bind", "/dev", {"rbind"})};
    RootfsPlan p = plan();
    EXPECT_TRUE(p.devices.empty()) << p.devices.size() << " device nodes planned";
    EXPECT_TRUE(p.symlinks.empty());
  }
}

TEST_F(MountPlanTest, TmpfsDevStillGetsDevices) {
  config_.mounts = {mount("/dev", "tmpfs", "tmpfs", {"nosuid", "mode=755"})};
  RootfsPlan p = plan();
  EXPECT_EQ(p.devices.size(), 6u);
  EXPECT_EQ(p.symlinks.size(), 5u);
}

TEST_F(MountPlanTest, BindUnderDevIsNotAHostDevBind) {
  std::string file = tmp_.write("thing", "");
  config_.mounts = {mount("/dev/thing", "bind", file, {"bind"})};
  RootfsPlan p = plan();
  EXPECT_EQ(p.devices.size(), 6u);
  EXPECT_EQ(p.symlinks.size(), 5u);
}

// ---- masked / readonly paths ----

TEST_F(MountPlanTest, MaskedAndReadonlyPathsAreMadeRelative) {
  linux().maskedPaths = {"/proc/kcore", "/proc/keys", "//sys/firmware"};
  linux().readonlyPaths = {"/proc/sys", "/proc/sysrq-trigger"};
  RootfsPlan p = plan();
  EXPECT_EQ(p.maskedPaths, (std::vector<std::string>{"proc/kcore", "proc/keys", "sys/firmware"}));
  EXPECT_EQ(p.readonlyPaths, (std::vector<std::string>{"proc/sys", "proc/sysrq-trigger"}));
}

// ---- rootfs propagation ----

TEST_F(MountPlanTest, NoRootfsPropagationStartsFromSlave) {
  RootfsPlan p = plan();
  EXPECT_EQ(p.finalPropagation, 0ul);
  EXPECT_EQ(p.rootPropagation, static_cast<unsigned long>(MS_REC | MS_SLAVE));
}

TEST_F(MountPlanTest, EmptyRootfsPropagationStartsFromSlave) {
  linux().rootfsPropagation = "";
  RootfsPlan p = plan();
  EXPECT_EQ(p.finalPropagation, 0ul);
  EXPECT_EQ(p.rootPropagation, static_cast<unsigned long>(MS_REC | MS_SLAVE));
}

TEST_F(MountPlanTest, PrivateRootfsPropagationStartsFromPrivate) {
  linux().rootfsPropagation = "rprivate";
  RootfsPlan p = plan();
  EXPECT_EQ(p.finalPropagation, static_cast<unsigned long>(MS_REC | MS_PRIVATE));
  EXPECT_EQ(p.rootPropagation, static_cast<unsigned long>(MS_REC | MS_PRIVATE));

  linux().rootfsPropagation = "private";
  RootfsPlan q = plan();
  EXPECT_EQ(q.finalPropagation, static_cast<unsigned long>(MS_PRIVATE));
  EXPECT_EQ(q.rootPropagation, static_cast<unsigned long>(MS_REC | MS_PRIVATE));
}

TEST_F(MountPlanTest, SharedRootfsPropagationStartsFromSlave) {
  linux().rootfsPropagation = "rshared";
  RootfsPlan p = plan();
  EXPECT_EQ(p.finalPropagation, static_cast<unsigned long>(MS_REC | MS_SHARED));
  EXPECT_EQ(p.rootPropagation, static_cast<unsigned long>(MS_REC | MS_SLAVE));
}

TEST_F(MountPlanTest, SlaveAndUnbindableRootfsPropagation) {
  linux().rootfsPropagation = "slave";
  RootfsPlan p = plan();
  EXPECT_EQ(p.finalPropagation, static_cast<unsigned long>(MS_SLAVE));
  EXPECT_EQ(p.rootPropagation, static_cast<unsigned long>(MS_REC | MS_SLAVE));

  linux().rootfsPropagation = "runbindable";
  RootfsPlan q = plan();
  EXPECT_EQ(q.finalPropagation, static_cast<unsigned long>(MS_REC | MS_UNBINDABLE));
  EXPECT_EQ(q.rootPropagation, static_cast<unsigned long>(MS_REC | MS_SLAVE));
}

TEST_F(MountPlanTest, UnknownRootfsPropagationIsAnError) {
  linux().rootfsPropagation = "bogus";
  EXPECT_EQ(planError(), "linux.rootfsPropagation: unknown propagation \"bogus\"");
}

// ---- sysctls in the plan ----

spec::Namespace ns(spec::NamespaceType type) {
  spec::Namespace n;
  n.type = type;
  return n;
}

TEST_F(MountPlanTest, SysctlsWithTheirNamespaces) {
  linux().namespaces = {ns(spec::NamespaceType::Network), ns(spec::NamespaceType::Ipc)};
  linux().sysctl = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "4096"}};
  RootfsPlan p = plan();
  ASSERT_EQ(p.sysctls.size(), 2u);
  // std::map order: "kernel..." < "net..."
  EXPECT_EQ(p.sysctls[0].procPath, "/proc/sys/kernel/shmmax");
  EXPECT_EQ(p.sysctls[0].value, "4096");
  EXPECT_EQ(p.sysctls[1].procPath, "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(p.sysctls[1].value, "1");
}

TEST_F(MountPlanTest, SysctlWithoutItsNamespaceIsAnError) {
  linux().namespaces = {ns(spec::NamespaceType::Ipc)};
  linux().sysctl = {{"net.ipv4.ip_forward", "1"}};
  EXPECT_EQ(planError(),
            "linux.sysctl: sysctl \"net.ipv4.ip_forward\" needs the container's own network "
            "namespace");
}

// ---- sysctlProcPath ----

std::string sysctlError(const std::string& key, bool net, bool ipc, bool uts) {
  Result<std::string> r = sysctlProcPath(key, net, ipc, uts);
  EXPECT_FALSE(r.ok()) << key << " -> " << (r.ok() ? *r : "");
  return r.ok() ? std::string() : r.error().message();
}

std::string sysctlPath(const std::string& key, bool net, bool ipc, bool uts) {
  Result<std::string> r = sysctlProcPath(key, net, ipc, uts);
  EXPECT_TRUE(r.ok()) << key << ": " << r.error().message();
  return r.ok() ? *r : std::string();
}

TEST(SysctlProcPath, NetNeedsNetworkNamespace) {
  EXPECT_EQ(sysctlError("net.ipv4.ip_forward", false, true, true),
            "sysctl \"net.ipv4.ip_forward\" needs the container's own network namespace");
}

TEST(SysctlProcPath, NetWithNetworkNamespace) {
  EXPECT_EQ(sysctlPath("net.ipv4.ip_forward", true, false, false), "/proc/sys/net/ipv4/ip_forward");
}

TEST(SysctlProcPath, SlashFormIsAccepted) {
  EXPECT_EQ(sysctlPath("net/core/somaxconn", true, false, false), "/proc/sys/net/core/somaxconn");
}

// In the slash form a dot is part of a name (sysctl(8): "net/ipv4/conf/
// eth0.100/forwarding" is the VLAN interface eth0.100).
TEST(SysctlProcPath, SlashFormKeepsDotsInNames) {
  EXPECT_EQ(sysctlPath("net/ipv4/conf/eth0.100/forwarding", true, false, false),
            "/proc/sys/net/ipv4/conf/eth0.100/forwarding");
}

TEST(SysctlProcPath, ShmNeedsIpcNamespace) {
  EXPECT_EQ(sysctlError("kernel.shmmax", true, false, true),
            "sysctl \"kernel.shmmax\" needs the container's own ipc namespace");
}

TEST(SysctlProcPath, IpcKeysWithIpcNamespace) {
  EXPECT_EQ(sysctlPath("kernel.shmmax", false, true, false), "/proc/sys/kernel/shmmax");
  EXPECT_EQ(sysctlPath("kernel.shmall", false, true, false), "/proc/sys/kernel/shmall");
  EXPECT_EQ(sysctlPath("kernel.shmmni", false, true, false), "/proc/sys/kernel/shmmni");
  EXPECT_EQ(sysctlPath("kernel.shm_rmid_forced", false, true, false),
            "/proc/sys/kernel/shm_rmid_forced");
  EXPECT_EQ(sysctlPath("kernel.msgmax", false, true, false), "/proc/sys/kernel/msgmax");
  EXPECT_EQ(sysctlPath("kernel.msgmnb", false, true, false), "/proc/sys/kernel/msgmnb");
  EXPECT_EQ(sysctlPath("kernel.msgmni", false, true, false), "/proc/sys/kernel/msgmni");
  EXPECT_EQ(sysctlPath("kernel.sem", false, true, false), "/proc/sys/kernel/sem");
  EXPECT_EQ(sysctlPath("fs.mqueue.msg_max", false, true, false), "/proc/sys/fs/mqueue/msg_max");
}

TEST(SysctlProcPath, MqueueNeedsIpcNamespace) {
  EXPECT_EQ(sysctlError("fs.mqueue.queues_max", true, false, true),
            "sysctl \"fs.mqueue.queues_max\" needs the container's own ipc namespace");
}

TEST(SysctlProcPath, HostnameNeedsUtsNamespace) {
  EXPECT_EQ(sysctlError("kernel.hostname", true, true, false),
            "sysctl \"kernel.hostname\" needs the container's own uts namespace");
}

TEST(SysctlProcPath, UtsKeysWithUtsNamespace) {
  EXPECT_EQ(sysctlPath("kernel.hostname", false, false, true), "/proc/sys/kernel/hostname");
  EXPECT_EQ(sysctlPath("kernel.domainname", false, false, true), "/proc/sys/kernel/domainname");
}

TEST(SysctlProcPath, NonNamespacedKeyIsRefused) {
  EXPECT_EQ(sysctlError("kernel.panic", true, true, true),
            "sysctl \"kernel.panic\" is not namespaced: it would change the host");
}

TEST(SysctlProcPath, LookalikeKeysAreNotNamespaced) {
  EXPECT_EQ(sysctlError("kernel.shmmax_extra", true, true, true),
            "sysctl \"kernel.shmmax_extra\" is not namespaced: it would change the host");
  EXPECT_EQ(sysctlError("network.x", true, true, true),
            "sysctl \"network.x\" is not namespaced: it would change the host");
  EXPECT_EQ(sysctlError("net", true, true, true),
            "sysctl \"net\" is not namespaced: it would change the host");
}

TEST(SysctlProcPath, DoubleDotIsInvalid) {
  EXPECT_EQ(sysctlError("a..b", true, true, true), "invalid sysctl key \"a..b\"");
}

TEST(SysctlProcPath, DotDotThroughSlashesIsInvalid) {
  EXPECT_EQ(sysctlError("net/../../etc/passwd", true, true, true),
            "invalid sysctl key \"net/../../etc/passwd\"");
}

TEST(SysctlProcPath, EmptyAndEdgeDotsAreInvalid) {
  EXPECT_EQ(sysctlError("", true, true, true), "invalid sysctl key \"\"");
  EXPECT_EQ(sysctlError(".net.ipv4.ip_forward", true, true, true),
            "invalid sysctl key \".net.ipv4.ip_forward\"");
  EXPECT_EQ(sysctlError("net.ipv4.ip_forward.", true, true, true),
            "invalid sysctl key \"net.ipv4.ip_forward.\"");
  EXPECT_EQ(sysctlError("/net/ipv4/ip_forward", true, true, true),
            "invalid sysctl key \"/net/ipv4/ip_forward\"");
}

TEST_F(MountPlanTest, Cgroup2MountsCarryTheHostsRootFlags) {
  config_.mounts = {spec::Mount{"/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid"}, {}, {}}};
  Result<RootfsPlan> r =
      planRootfs(config_, RootfsOptions{bundle_, false, "nsdelegate,memory_recursiveprot"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->mounts.size(), 1u);
  EXPECT_EQ(r->mounts[0].fstype, "cgroup2");
  EXPECT_EQ(r->mounts[0].options.data, "nsdelegate,memory_recursiveprot");
}

}  // namespace
}  // namespace sangja::mnt

// ---- user namespaces and idmapped mounts ----

namespace sangja::mnt {
namespace {

class UserNsMountPlanTest : public MountPlanTest {
 protected:
  void SetUp() override {
    MountPlanTest::SetUp();
    source_ = tmp_.mkdirs("src");
  }
  Result<RootfsPlan> planWith(bool userNamespace, std::string cgroup2Mount = "") {
    RootfsOptions options{bundle_, false, ""};
    options.userNamespace = userNamespace;
    options.cgroup2Mount = std::move(cgroup2Mount);
    return planRootfs(config_, options);
  }
  RootfsPlan userNsPlan(std::string cgroup2Mount = "") {
    Result<RootfsPlan> r = planWith(true, std::move(cgroup2Mount));
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? std::move(*r) : RootfsPlan{};
  }
  std::string userNsError() {
    Result<RootfsPlan> r = planWith(true);
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.error().message();
  }
  spec::Mount idmapped(std::vector<std::string> options) {
    spec::Mount m = mount("/data", "bind", source_, std::move(options));
    m.uidMappings = {{1000, 100000, 1}, {0, 200000, 10}};
    m.gidMappings = {{1000, 100007, 1}};
    return m;
  }
  std::string source_;
};

TEST_F(UserNsMountPlanTest, IdmapWithMappingsRendersTheMountsMaps) {
  config_.mounts = {idmapped({"bind", "idmap", "ro"})};
  RootfsPlan p = plan();  // no user namespace needed with maps of its own
  ASSERT_EQ(p.mounts.size(), 1u);
  const MountStep& m = p.mounts[0];
  ASSERT_TRUE(m.idmap.has_value());
  EXPECT_EQ(m.idmap->uidMap, "1000 100000 1\n0 200000 10\n");
  EXPECT_EQ(m.idmap->gidMap, "1000 100007 1\n");
  EXPECT_FALSE(m.idmap->recursive);
  EXPECT_TRUE(p.idmappedMounts) << "the init must wait for the tree";
  EXPECT_EQ(m.options.data, "") << "idmap never reaches mount(2)";
}

TEST_F(UserNsMountPlanTest, RidmapIsRecursive) {
  config_.mounts = {idmapped({"rbind", "ridmap"})};
  RootfsPlan p = plan();
  ASSERT_TRUE(p.mounts[0].idmap.has_value());
  EXPECT_TRUE(p.mounts[0].idmap->recursive);
  EXPECT_TRUE(p.mounts[0].options.recursiveBind());
}

TEST_F(UserNsMountPlanTest, MappingsWithoutIdmapOptionStillIdmap) {
  config_.mounts = {idmapped({"bind"})};
  RootfsPlan p = plan();
  ASSERT_TRUE(p.mounts[0].idmap.has_value());
  EXPECT_FALSE(p.mounts[0].idmap->recursive);
  EXPECT_EQ(p.mounts[0].idmap->uidMap, "1000 100000 1\n0 200000 10\n");
}

TEST_F(UserNsMountPlanTest, PlainBindIsNotIdmapped) {
  config_.mounts = {mount("/data", "bind", source_, {"rbind"})};
  RootfsPlan p = plan();
  EXPECT_FALSE(p.mounts[0].idmap.has_value());
  EXPECT_FALSE(p.idmappedMounts);
}

// The init receives idmapped trees in a fixed table of kMaxParentOpenedSources.
TEST_F(UserNsMountPlanTest, IdmapPastTheTreeTableIsAnError) {
  config_.mounts.assign(kMaxParentOpenedSources, mount("/data", "bind", source_, {"rbind"}));
  config_.mounts.push_back(idmapped({"rbind", "idmap"}));
  EXPECT_EQ(planError(),
            "mounts[256] (/data): an idmapped mount must be among the first 256 mounts");
  config_.mounts.erase(config_.mounts.begin());
  EXPECT_TRUE(plan().idmappedMounts);
}

TEST_F(UserNsMountPlanTest, IdmapWithoutMappingsTakesTheContainersNamespace) {
  config_.mounts = {mount("/data", "bind", source_, {"rbind", "idmap"})};
  RootfsPlan p = userNsPlan();
  ASSERT_TRUE(p.mounts[0].idmap.has_value());
  EXPECT_EQ(p.mounts[0].idmap->uidMap, "");
  EXPECT_EQ(p.mounts[0].idmap->gidMap, "");
}

TEST_F(UserNsMountPlanTest, IdmapWithoutMappingsOrUserNamespaceIsAnError) {
  config_.mounts = {mount("/data", "bind", source_, {"rbind", "idmap"})};
  EXPECT_EQ(planError(),
            "mounts[0] (/data): idmap needs uidMappings and gidMappings, or a user namespace for "
            "the container whose maps it takes");
}

TEST_F(UserNsMountPlanTest, IdmapOnlyOnBinds) {
  spec::Mount m = mount("/t", "tmpfs", "tmpfs", {"ridmap"});
  config_.mounts = {m};
  EXPECT_EQ(planError(),
            "mounts[0] (/t): idmapped mounts (idmap, ridmap, uidMappings) need a bind mount");
  m.options = {};
  m.uidMappings = {{0, 1, 1}};
  m.gidMappings = {{0, 1, 1}};
  config_.mounts = {m};
  EXPECT_EQ(planError(),
            "mounts[0] (/t): idmapped mounts (idmap, ridmap, uidMappings) need a bind mount");
}

TEST_F(UserNsMountPlanTest, BadMountMappingsNameTheirPath) {
  spec::Mount m = idmapped({"bind", "idmap"});
  m.gidMappings = {{0, 1, 5}, {4, 100, 1}};
  config_.mounts = {mount("/proc", "proc", "proc"), m};
  EXPECT_EQ(planError(),
            "mounts[1].gidMappings[1]: containerID range 4-4 overlaps mounts[1].gidMappings[0] "
            "(0-4)");
}

TEST_F(UserNsMountPlanTest, DevicesAreBoundFromTheHost) {
  spec::Device fifo;
  fifo.type = 'p';
  fifo.path = "/dev/myfifo";
  linux().devices = {fifo};
  RootfsPlan p = userNsPlan();
  ASSERT_EQ(p.devices.size(), 7u);
  EXPECT_EQ(p.devices[0].path, "dev/null");
  EXPECT_EQ(p.devices[0].hostPath, "/dev/null");
  EXPECT_EQ(p.devices[5].hostPath, "/dev/tty");
  EXPECT_EQ(p.devices[6].hostPath, "") << "a fifo can be made in a user namespace";
  EXPECT_TRUE(p.userNamespace);
  for (const DeviceNode& d : plan().devices) {
    EXPECT_EQ(d.hostPath, "") << d.path << ": no binds without a user namespace";
  }
}

TEST_F(UserNsMountPlanTest, DeviceTheHostLacksIsAnError) {
  spec::Device dev;
  dev.type = 'c';
  dev.path = "/dev/sangja-no-such-device";
  dev.major = 10;
  dev.minor = 250;
  linux().devices = {dev};
  EXPECT_EQ(userNsError(),
            "linux.devices[0]: in a user namespace devices are bind-mounted from the host: "
            "/dev/sangja-no-such-device: No such file or directory");
  EXPECT_TRUE(plan().devices.size() == 7u) << "fine without a user namespace";
}

TEST_F(UserNsMountPlanTest, DeviceWithOtherNumbersOnTheHostIsAnError) {
  spec::Device dev;
  dev.type = 'c';
  dev.path = "/dev/null";
  dev.major = 1;
  dev.minor = 5;
  linux().devices = {dev};
  EXPECT_EQ(userNsError(),
            "linux.devices[0]: in a user namespace devices are bind-mounted from the host, and "
            "/dev/null there is not device 1:5");
}

TEST_F(UserNsMountPlanTest, SysfsAndCgroupFallBackToBinds) {
  config_.mounts = {mount("/sys", "sysfs", "sysfs", {"ro"}),
                    mount("/sys/fs/cgroup", "cgroup", "cgroup", {"ro"}),
                    mount("/proc", "proc", "proc")};
  RootfsPlan p = userNsPlan("/sys/fs/cgroup/unified");
  EXPECT_EQ(p.mounts[0].fallbackBind, "/sys");
  EXPECT_EQ(p.mounts[1].fallbackBind, "/sys/fs/cgroup/unified");
  EXPECT_EQ(p.mounts[2].fallbackBind, "");
  for (const MountStep& m : plan().mounts) {
    EXPECT_EQ(m.fallbackBind, "") << m.target << ": no fallback without a user namespace";
  }
}

}  // namespace
}  // namespace sangja::mnt
