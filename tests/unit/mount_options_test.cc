#include "namespaces/mount_options.h"

#include <gtest/gtest.h>
#include <linux/mount.h>
#include <sys/mount.h>

#include <string>
#include <vector>

namespace sangja::mnt {
namespace {

MountOptions parse(const std::vector<std::string>& options) {
  Result<MountOptions> r = parseMountOptions(options);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : MountOptions{};
}

TEST(MountOptions, EmptyListGivesNothing) {
  MountOptions o = parse({});
  EXPECT_EQ(o.flags, 0ul);
  EXPECT_EQ(o.propagation, 0ul);
  EXPECT_TRUE(o.attrs.empty());
  EXPECT_TRUE(o.recursiveAttrs.empty());
  EXPECT_EQ(o.data, "");
  EXPECT_FALSE(o.bind());
  EXPECT_FALSE(o.recursiveBind());
}

TEST(MountOptions, TmpcopyupIsOursNotTheFilesystems) {
  MountOptions o = parse({"tmpcopyup", "size=1m"});
  EXPECT_TRUE(o.copyUp);
  EXPECT_EQ(o.data, "size=1m");
  EXPECT_FALSE(parse({"size=1m"}).copyUp);
}

TEST(MountOptions, DefaultsIsNoFlag) {
  MountOptions o = parse({"defaults"});
  EXPECT_EQ(o.flags, 0ul);
  EXPECT_EQ(o.data, "");
}

TEST(MountOptions, SettingFlags) {
  MountOptions o = parse({"nosuid", "noexec", "nodev", "ro"});
  EXPECT_EQ(o.flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
  EXPECT_EQ(o.data, "");
  // Not a bind: no mount_setattr step.
  EXPECT_TRUE(o.attrs.empty());
}

TEST(MountOptions, MoreFlags) {
  MountOptions o = parse({"sync", "dirsync", "remount", "mand", "noatime", "nodiratime", "relatime",
                          "strictatime", "lazytime", "silent"});
  EXPECT_EQ(o.flags, MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK | MS_NOATIME |
                         MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | MS_SILENT);
}

TEST(MountOptions, ClearingOptionsUndoEarlierOnes) {
  MountOptions o =
      parse({"ro",      "nosuid",     "nodev",      "noexec",        "sync",       "mand",
             "noatime", "nodiratime", "relatime",   "strictatime",   "lazytime",   "silent",
             "rw",      "suid",       "dev",        "exec",          "async",      "nomand",
             "atime",   "diratime",   "norelatime", "nostrictatime", "nolazytime", "loud"});
  EXPECT_EQ(o.flags, 0ul);
}

TEST(MountOptions, LaterOptionWins) {
  EXPECT_EQ(parse({"ro", "rw"}).flags, 0ul);
  EXPECT_EQ(parse({"rw", "ro"}).flags, static_cast<unsigned long>(MS_RDONLY));
}

TEST(MountOptions, Bind) {
  MountOptions o = parse({"bind"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_TRUE(o.bind());
  EXPECT_FALSE(o.recursiveBind());
  EXPECT_TRUE(o.attrs.empty());
}

TEST(MountOptions, Rbind) {
  MountOptions o = parse({"rbind"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_TRUE(o.bind());
  EXPECT_TRUE(o.recursiveBind());
}

TEST(MountOptions, BindAttrsSet) {
  MountOptions o = parse({"rbind", "ro", "nosuid", "nodev", "noexec", "nodiratime"});
  EXPECT_EQ(o.flags,
            MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NODIRATIME);
  EXPECT_EQ(o.attrs.set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                             MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME);
  EXPECT_EQ(o.attrs.clear, 0u);
}

TEST(MountOptions, BindAttrsClear) {
  MountOptions o = parse({"bind", "rw", "suid", "dev", "exec", "diratime"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_EQ(o.attrs.set, 0u);
  EXPECT_EQ(o.attrs.clear, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                               MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME);
}

TEST(MountOptions, BindRoThenRwClears) {
  MountOptions o = parse({"bind", "ro", "rw"});
  EXPECT_EQ(o.attrs.set, 0u);
  EXPECT_EQ(o.attrs.clear, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
}

TEST(MountOptions, BindRwThenRoSets) {
  MountOptions o = parse({"bind", "rw", "ro"});
  EXPECT_EQ(o.attrs.set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  EXPECT_EQ(o.attrs.clear, 0u);
}

TEST(MountOptions, BindAttrsDoNotDependOnWhereBindIs) {
  MountOptions o = parse({"ro", "nosuid", "bind"});
  EXPECT_EQ(o.attrs.set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
}

TEST(MountOptions, BindNoatimeReplacesTheAtimeField) {
  MountOptions o = parse({"bind", "noatime"});
  EXPECT_EQ(o.attrs.set, static_cast<uint64_t>(MOUNT_ATTR_NOATIME));
  EXPECT_EQ(o.attrs.clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(MountOptions, BindStrictatimeReplacesTheAtimeField) {
  MountOptions o = parse({"bind", "strictatime"});
  EXPECT_EQ(o.attrs.set, static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
  EXPECT_EQ(o.attrs.clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(MountOptions, BindRelatimeClearsTheAtimeField) {
  MountOptions o = parse({"bind", "relatime"});
  EXPECT_EQ(o.attrs.set, 0u);
  EXPECT_EQ(o.attrs.clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(MountOptions, RecursiveAttrs) {
  MountOptions o = parse({"rbind", "rro", "rnosuid", "rnodev", "rnoexec", "rnodiratime"});
  EXPECT_EQ(o.recursiveAttrs.set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                      MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME);
  EXPECT_EQ(o.recursiveAttrs.clear, 0u);
  // Recursive options are not mount(2) flags and not top-mount attrs.
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_TRUE(o.attrs.empty());
  EXPECT_EQ(o.data, "");
}

TEST(MountOptions, RecursiveClears) {
  MountOptions o = parse({"rrw", "rsuid", "rdev", "rexec", "rdiratime"});
  EXPECT_EQ(o.recursiveAttrs.set, 0u);
  EXPECT_EQ(o.recursiveAttrs.clear, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                        MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME);
}

// mount_setattr(2) rejects (EINVAL) an atime mode in attr_set unless attr_clr
// holds all of MOUNT_ATTR__ATIME, and a partial MOUNT_ATTR__ATIME in attr_clr
// (the atime modes are an enum, not bits). Checked against this kernel.
TEST(MountOptions, RecursiveNoatimeClearsTheWholeAtimeField) {
  MountOptions o = parse({"rbind", "rnoatime"});
  EXPECT_EQ(o.recursiveAttrs.set, static_cast<uint64_t>(MOUNT_ATTR_NOATIME));
  EXPECT_EQ(o.recursiveAttrs.clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(MountOptions, RecursiveStrictatimeClearsTheWholeAtimeField) {
  MountOptions o = parse({"rbind", "rstrictatime"});
  EXPECT_EQ(o.recursiveAttrs.set, static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
  EXPECT_EQ(o.recursiveAttrs.clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

// MOUNT_ATTR_RELATIME is 0: only clearing the field selects relatime.
TEST(MountOptions, RecursiveRelatimeClearsTheWholeAtimeField) {
  MountOptions o = parse({"rbind", "rrelatime"});
  EXPECT_EQ(o.recursiveAttrs.set, 0u);
  EXPECT_EQ(o.recursiveAttrs.clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(MountOptions, RecursiveAtimeClearsAreNeverPartial) {
  for (const char* opt : {"ratime", "rnostrictatime", "rnorelatime"}) {
    MountOptions o = parse({"rbind", opt});
    EXPECT_EQ(o.recursiveAttrs.set, 0u) << opt;
    EXPECT_EQ(o.recursiveAttrs.clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME)) << opt;
  }
}

TEST(MountOptions, LastRecursiveAtimeModeWins) {
  MountOptions o = parse({"rbind", "rnoatime", "rstrictatime"});
  EXPECT_EQ(o.recursiveAttrs.set, static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
  EXPECT_EQ(o.recursiveAttrs.clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
  MountOptions p = parse({"rbind", "rnoatime", "ratime"});
  EXPECT_EQ(p.recursiveAttrs.set, 0u);
  EXPECT_EQ(p.recursiveAttrs.clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(MountOptions, RecursiveAtimeKeepsOtherRecursiveAttrs) {
  MountOptions o = parse({"rbind", "rro", "rnoatime", "rnodiratime"});
  EXPECT_EQ(o.recursiveAttrs.set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME | MOUNT_ATTR_NODIRATIME);
  EXPECT_EQ(o.recursiveAttrs.clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(MountOptions, UnknownOptionsBecomeData) {
  MountOptions o = parse({"nosuid", "size=65536k", "mode=755", "", "newinstance"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID));
  EXPECT_EQ(o.data, "size=65536k,mode=755,newinstance");
}

TEST(MountOptions, PropagationOptions) {
  EXPECT_EQ(parse({"private"}).propagation, static_cast<unsigned long>(MS_PRIVATE));
  EXPECT_EQ(parse({"rprivate"}).propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(parse({"shared"}).propagation, static_cast<unsigned long>(MS_SHARED));
  EXPECT_EQ(parse({"rshared"}).propagation, static_cast<unsigned long>(MS_SHARED | MS_REC));
  EXPECT_EQ(parse({"slave"}).propagation, static_cast<unsigned long>(MS_SLAVE));
  EXPECT_EQ(parse({"rslave"}).propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_EQ(parse({"unbindable"}).propagation, static_cast<unsigned long>(MS_UNBINDABLE));
  EXPECT_EQ(parse({"runbindable"}).propagation, static_cast<unsigned long>(MS_UNBINDABLE | MS_REC));
}

TEST(MountOptions, PropagationIsNotAMountFlag) {
  MountOptions o = parse({"bind", "rslave"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_EQ(o.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_EQ(o.data, "");
}

TEST(MountOptions, LastPropagationWins) {
  EXPECT_EQ(parse({"rshared", "private"}).propagation, static_cast<unsigned long>(MS_PRIVATE));
}

TEST(MountOptions, IdmapIsAFlagNotData) {
  MountOptions o = parse({"bind", "idmap"});
  EXPECT_TRUE(o.idmap);
  EXPECT_FALSE(o.recursiveIdmap);
  EXPECT_EQ(o.data, "");
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND));
}

TEST(MountOptions, RidmapIsRecursive) {
  MountOptions o = parse({"rbind", "ridmap", "ro"});
  EXPECT_TRUE(o.idmap);
  EXPECT_TRUE(o.recursiveIdmap);
  EXPECT_EQ(o.data, "");
}

TEST(MountOptions, NoIdmapByDefault) {
  MountOptions o = parse({"rbind", "ro"});
  EXPECT_FALSE(o.idmap);
  EXPECT_FALSE(o.recursiveIdmap);
}

TEST(Propagation, EmptyIsZero) {
  auto r = parsePropagation("");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, 0ul);
}

TEST(Propagation, Names) {
  auto r = parsePropagation("rslave");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  auto p = parsePropagation("private");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(*p, static_cast<unsigned long>(MS_PRIVATE));
  auto s = parsePropagation("rshared");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(*s, static_cast<unsigned long>(MS_SHARED | MS_REC));
}

TEST(Propagation, UnknownIsAnError) {
  auto r = parsePropagation("bogus");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "unknown propagation \"bogus\"");
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST(Propagation, MountFlagNamesAreNotPropagations) {
  auto r = parsePropagation("ro");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "unknown propagation \"ro\"");
}

}  // namespace
}  // namespace sangja::mnt
