// Runtime-spec points that real configs (runc's users, Podman, the OCI
// runtime-tools suite) rely on: hostname in a uts namespace joined by path,
// an empty namespace path, and the runtime's own uts namespace refused.
#include <sched.h>
#include <signal.h>

#include <string>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;

class SpecPointsTest : public ContainerTest {
 protected:
  // Replaces the config's entry of `type` (or adds one).
  void setNamespace(const std::string& type, const json& entry) {
    json& list = b.config["linux"]["namespaces"];
    for (json& ns : list) {
      if (ns["type"] == type) {
        ns = entry;
        return;
      }
    }
    list.push_back(entry);
  }
};

// runtime-tools' linux_ns_path: hostname is set in the joined namespace.
TEST_F(SpecPointsTest, HostnameInAUtsNamespaceJoinedByPath) {
  Process holder({"unshare", "--uts", "sleep", "60"}, b.tmp());
  std::string nsPath = "/proc/" + std::to_string(holder.pid()) + "/ns/uts";
  char own[64] = {};
  ASSERT_GT(::readlink("/proc/self/ns/uts", own, sizeof own - 1), 0);
  ASSERT_TRUE(waitUntil([&] {
    char ns[64] = {};
    return ::readlink(nsPath.c_str(), ns, sizeof ns - 1) > 0 && std::string(ns) != own;
  })) << "the holder never got its own uts namespace";
  setNamespace("uts", {{"type", "uts"}, {"path", nsPath}});
  b.config["hostname"] = "joined-host";
  RunResult r = b.run({"hostname"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "joined-host\n");
  RunResult seen = host("nsenter -t " + std::to_string(holder.pid()) + " -u hostname");
  EXPECT_EQ(seen.out, "joined-host\n") << seen;
}

// Run in a throwaway uts namespace, so that a runtime that does it anyway
// renames only that.
TEST_F(SpecPointsTest, HostnameInTheRuntimesOwnUtsNamespaceIsRefused) {
  SKIP_FOR_PEER("runc sets the hostname of whatever uts namespace it is given");
  setNamespace("uts", {{"type", "uts"}, {"path", "/proc/self/ns/uts"}});
  b.config["hostname"] = "renamed";
  b.write();
  RunResult r =
      host("unshare --uts sh -c 'hostname before; " + runtimePath() + " --root " + b.stateRoot() +
           " run --bundle " + b.dir() + " " + b.id() + "; echo status=$?; hostname'");
  EXPECT_TRUE(contains(r.out, "status=1\nbefore\n")) << r;
  EXPECT_TRUE(contains(r.err,
                       "linux.namespaces: the uts namespace joined by path is the "
                       "runtime's own"))
      << r;
}

// `"path": ""` is how Go writes "no path": a new namespace.
TEST_F(SpecPointsTest, EmptyNamespacePathMeansANewOne) {
  setNamespace("uts", {{"type", "uts"}, {"path", ""}});
  b.config["hostname"] = "fresh";
  RunResult r = b.sh("hostname; readlink /proc/self/ns/uts");
  ASSERT_TRUE(r.ok()) << r;
  char own[64] = {};
  ASSERT_GT(::readlink("/proc/self/ns/uts", own, sizeof own - 1), 0);
  EXPECT_EQ(splitLines(r.out).at(0), "fresh");
  EXPECT_NE(splitLines(r.out).at(1), own);
}

}  // namespace
}  // namespace sangja::it
