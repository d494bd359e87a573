// linux.cgroupsPath under --systemd-cgroup: runc's slice:prefix:name rules.
#include "cgroups/systemd_name.h"

#include <gtest/gtest.h>

namespace sangja::cgroups {
namespace {

SystemdCgroupName parsed(std::string_view path, std::string_view id = "c1") {
  Result<SystemdCgroupName> r = parseSystemdCgroupsPath(path, id);
  EXPECT_TRUE(r.ok()) << path << ": " << r.error().message();
  return r.ok() ? *r : SystemdCgroupName{};
}

std::string refusal(std::string_view path) {
  Result<SystemdCgroupName> r = parseSystemdCgroupsPath(path, "c1");
  EXPECT_FALSE(r.ok()) << path << " was taken as " << r->path;
  return r.ok() ? "" : r.error().message();
}

TEST(SystemdName, DockersPathIsAScopeInItsSlice) {
  EXPECT_EQ(parsed("system.slice:docker:0123abc"),
            (SystemdCgroupName{"system.slice", "docker-0123abc.scope",
                               "/system.slice/docker-0123abc.scope"}));
}

TEST(SystemdName, AnEmptyPathIsTheDefaultPrefixAndTheId) {
  EXPECT_EQ(parsed("", "web").path, "/system.slice/sangja-web.scope");
}

TEST(SystemdName, EmptyPartsTakeDefaults) {
  EXPECT_EQ(parsed(":libpod:x").slice, "system.slice");
  EXPECT_EQ(parsed("machine.slice::x").scope, "x.scope");
}

TEST(SystemdName, AUserInstancesDefaultSliceIsUserSlice) {
  Result<SystemdCgroupName> r = parseSystemdCgroupsPath(":libpod:x", "c1", kUserDefaultSlice);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, "/user.slice/libpod-x.scope");
  r = parseSystemdCgroupsPath("", "c1", kUserDefaultSlice);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, "/user.slice/sangja-c1.scope");
}

TEST(SystemdName, NestedSlicesAreSpelledByDashes) {
  EXPECT_EQ(parsed("kubepods-besteffort-pod12.slice:cri-containerd:abc").path,
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/"
            "cri-containerd-abc.scope");
}

TEST(SystemdName, TheRootSliceHasNoDirectory) {
  EXPECT_EQ(parsed("-.slice:p:n").path, "/p-n.scope");
  EXPECT_EQ(*expandSlice("-.slice"), "/");
}

TEST(SystemdName, ExpandSliceBuildsEveryParent) {
  EXPECT_EQ(*expandSlice("a.slice"), "/a.slice");
  EXPECT_EQ(*expandSlice("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice");
}

TEST(SystemdName, BadSliceNamesAreRefused) {
  for (std::string_view s : {"a--b.slice", "-a.slice", "a-.slice", "a.scope", ".slice", "a/b.slice",
                             "a b.slice", "system"}) {
    EXPECT_FALSE(expandSlice(s).ok()) << s;
  }
}

TEST(SystemdName, APlainPathSaysWhatIsExpectedAndWhy) {
  std::string err = refusal("/sangja/c1");
  EXPECT_NE(err.find("linux.cgroupsPath"), std::string::npos) << err;
  EXPECT_NE(err.find("slice:prefix:name"), std::string::npos) << err;
  refusal("a:b");
  refusal("a.slice:b:c:d");
}

TEST(SystemdName, HostileNamesAreRefused) {
  refusal("system.slice:p:");         // no name
  refusal("system.slice:p:../../x");  // a path in the unit name
  refusal("system.slice:p:a/b");
  refusal(std::string_view("system.slice:p:a\0b", 18));  // NUL
  refusal("../x.slice:p:n");                             // a path as a slice
  refusal("system.slice:p:" + std::string(300, 'a'));    // too long for a unit name
  refusal("system.slice:p:name.slice");                  // a slice as the container
}

TEST(SystemdName, UnitNameRules) {
  EXPECT_TRUE(isValidUnitName("docker-1.scope"));
  EXPECT_TRUE(isValidUnitName("a\\x2db.scope"));
  EXPECT_FALSE(isValidUnitName(".scope"));
  EXPECT_FALSE(isValidUnitName("noscope"));
  EXPECT_FALSE(isValidUnitName("a@b.scope"));
  EXPECT_FALSE(isValidUnitName("a+b.scope"));
  EXPECT_FALSE(isValidUnitName(std::string(252, 'a') + ".scope"));
}

}  // namespace
}  // namespace sangja::cgroups
