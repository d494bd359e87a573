// linux.netDevices in real containers: a veth end on the host moves into the
// container's network namespace (renamed, with its permanent global
// addresses, up), leaves the host while the container lives, and - being
// virtual - is destroyed with the namespace, taking its peer along (the
// kernel's doing; the spec forbids the runtime to move it back). Bad configs
// fail at create with a one-line error, leaving the device where it was.
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kPeerGap = "runc 1.1 ignores linux.netDevices (runc 1.3 added it)";

bool hostHasLink(const std::string& name) {
  return host("ip link show dev '" + name + "' >/dev/null 2>&1").ok();
}

// A veth pair made for one test: A (the one moved) carries an IPv4 and an
// IPv6 global address; both ends are deleted afterwards if still there.
struct VethPair {
  std::string a, b, ipv4, ipv6;
  VethPair() {
    static int counter = 0;
    int n = (static_cast<int>(::getpid()) * 10 + counter++) % 100000;
    a = "sjvA" + std::to_string(n);
    b = "sjvB" + std::to_string(n);
    ipv4 = "10.200." + std::to_string(n % 250 + 1) + ".1/24";
    ipv6 = "fd53:6a00:" + std::to_string(n % 9000 + 1000) + "::1/64";
  }
  // Returns the error of the setup, "" when done.
  std::string make() const {
    RunResult r = host("ip link add " + a + " type veth peer name " + b + " && ip addr add " +
                       ipv4 + " dev " + a + " && ip -6 addr add " + ipv6 + " dev " + a +
                       " nodad && ip link set " + b + " up");
    return r.ok() ? "" : r.err + r.out;
  }
  ~VethPair() { host("ip link del " + a + " 2>/dev/null; ip link del " + b + " 2>/dev/null"); }
};

class NetDevicesTest : public ContainerTest {
 protected:
  void SetUp() override {
    std::string err = veth.make();
    ASSERT_EQ(err, "") << "cannot make a veth pair";
  }

  void moveAs(const std::string& hostName, const std::string& name) {
    json dev = json::object();
    if (!name.empty()) dev["name"] = name;
    b.config["linux"]["netDevices"][hostName] = dev;
  }

  void removeNamespace(const std::string& type) {
    json& list = b.config["linux"]["namespaces"];
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i]["type"] == type) {
        list.erase(i);
        return;
      }
    }
  }
  void setNamespacePath(const std::string& type, const std::string& path) {
    for (json& ns : b.config["linux"]["namespaces"]) {
      if (ns["type"] == type) ns["path"] = path;
    }
  }

  // A peer that ignores netDevices leaves the device on the host.
  bool peerIgnoredIt() { return runtimeIsPeer() && hostHasLink(veth.a); }

  // A failed create: non-zero, one line naming `what`, nothing left, and
  // the device still on the host with its address.
  void expectCleanCreateFailure(const std::string& what) {
    std::string skip = it::expectCleanCreateFailure(b, what, kPeerGap);
    if (!skip.empty()) GTEST_SKIP() << skip;
    RunResult addr = host("ip -o addr show dev " + veth.a);
    EXPECT_TRUE(addr.ok()) << "the device must stay on the host; " << addr;
    EXPECT_TRUE(contains(addr.out, veth.ipv4)) << addr;
  }

  VethPair veth;
};

TEST_F(NetDevicesTest, MovedRenamedWithItsAddressesAndUp) {
  moveAs(veth.a, "eth1");
  RunResult r = b.sh("ip -o link show eth1 && ip -o addr show dev eth1");
  if (peerIgnoredIt()) GTEST_SKIP() << kPeerGap << "; " << r;
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = splitLines(r.out);
  ASSERT_FALSE(lines.empty()) << r;
  // "<BROADCAST,MULTICAST,UP,LOWER_UP>": administratively up.
  EXPECT_TRUE(contains(lines[0], ",UP")) << lines[0];
  EXPECT_TRUE(contains(r.out, "inet " + veth.ipv4)) << r.out;
  EXPECT_TRUE(contains(r.out, "inet6 " + veth.ipv6)) << r.out;
  EXPECT_FALSE(contains(r.out, veth.a)) << "the old name (or a label with it) is gone: " << r.out;
}

TEST_F(NetDevicesTest, LeavesTheHostWhileTheContainerLivesAndGoesWithItsPeerAfter) {
  moveAs(veth.a, "eth1");
  b.setArgs({"sleep", "600"});
  RunResult c = b.create();
  ASSERT_TRUE(c.ok()) << c;
  if (peerIgnoredIt()) GTEST_SKIP() << kPeerGap;
  EXPECT_FALSE(hostHasLink(veth.a)) << "moved out of the host namespace";
  EXPECT_TRUE(hostHasLink(veth.b)) << "its peer stays on the host";
  // Already there at create, before start: seen through the init's netns.
  pid_t pid = b.pid();
  ASSERT_GT(pid, 0);
  RunResult in = host("nsenter -t " + std::to_string(pid) + " -n ip -o addr show dev eth1");
  ASSERT_TRUE(in.ok()) << in;
  EXPECT_TRUE(contains(in.out, "inet " + veth.ipv4)) << in.out;

  // The two ends talk: the peer on the host gets an address next to it.
  std::string peerIp = veth.ipv4.substr(0, veth.ipv4.rfind('.')) + ".2";
  ASSERT_TRUE(host("ip addr add " + peerIp + "/24 dev " + veth.b).ok());
  RunResult ping = host("busybox ping -c 1 -W 5 " + veth.ipv4.substr(0, veth.ipv4.find('/')));
  EXPECT_TRUE(ping.ok()) << ping;

  ASSERT_TRUE(b.del(true).ok());
  // The namespace is freed with its last process; the kernel then destroys
  // the veth (virtual: no way back to the host) and its peer with it.
  EXPECT_TRUE(waitUntil([&] { return !hostHasLink(veth.b); }, milliseconds(10000)))
      << "the peer should go with the moved end";
  EXPECT_FALSE(hostHasLink(veth.a)) << "a virtual device is not returned to the host";
}

TEST_F(NetDevicesTest, KeepsItsHostNameWhenNoneIsGiven) {
  moveAs(veth.a, "");
  RunResult r = b.sh("ip -o addr show dev " + veth.a);
  if (peerIgnoredIt()) GTEST_SKIP() << kPeerGap << "; " << r;
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "inet " + veth.ipv4)) << r.out;
}

TEST_F(NetDevicesTest, TemplateNameIsNumberedByTheKernel) {
  moveAs(veth.a, "net%d");
  RunResult r = b.sh("ip -o addr show dev net0");
  if (peerIgnoredIt()) GTEST_SKIP() << kPeerGap << "; " << r;
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "inet " + veth.ipv4)) << r.out;
}

TEST_F(NetDevicesTest, TwoDevicesAtOnce) {
  VethPair second;
  ASSERT_EQ(second.make(), "");
  moveAs(veth.a, "eth1");
  moveAs(second.a, "eth2");
  RunResult r = b.sh("ip -o addr show dev eth1 && ip -o addr show dev eth2");
  if (peerIgnoredIt()) GTEST_SKIP() << kPeerGap << "; " << r;
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "eth1    inet " + veth.ipv4)) << r.out;
  EXPECT_TRUE(contains(r.out, "eth2    inet " + second.ipv4)) << r.out;
}

TEST_F(NetDevicesTest, InAUserNamespace) {
  // The namespace belongs to the container's user namespace; the runtime,
  // root on the host, still moves devices into it.
  b.config["linux"]["namespaces"].push_back({{"type", "user"}});
  json maps = json::array({{{"containerID", 0}, {"hostID", 0}, {"size", 65536}}});
  b.config["linux"]["uidMappings"] = maps;
  b.config["linux"]["gidMappings"] = maps;
  moveAs(veth.a, "eth1");
  RunResult r = b.sh("ip -o addr show dev eth1");
  if (peerIgnoredIt()) GTEST_SKIP() << kPeerGap << "; " << r;
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "inet " + veth.ipv4)) << r.out;
}

TEST_F(NetDevicesTest, JoinedNamespaceKeepsTheDeviceAfterTheContainer) {
  // A namespace of its own kept by a bind mount, as an orchestrator's pod
  // namespace (not `ip netns add`: that makes /run/netns a mount for good).
  std::string nsFile = b.tmp() + "/netns";
  ASSERT_TRUE(host("touch '" + nsFile + "' && unshare --net='" + nsFile + "' true").ok());
  struct Guard {
    std::string file;
    ~Guard() { host("umount '" + file + "'"); }
  } guard{nsFile};
  setNamespacePath("network", nsFile);
  moveAs(veth.a, "eth1");
  RunResult r = b.sh("ip -o addr show dev eth1");
  if (peerIgnoredIt()) GTEST_SKIP() << kPeerGap << "; " << r;
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "inet " + veth.ipv4)) << r.out;
  // The container is gone, its namespace is not: the device stays in it
  // (the runtime does not move it back).
  RunResult after = host("nsenter --net='" + nsFile + "' ip -o addr show dev eth1");
  EXPECT_TRUE(after.ok()) << after;
  EXPECT_TRUE(contains(after.out, "inet " + veth.ipv4)) << after.out;
  EXPECT_FALSE(hostHasLink(veth.a));
}

TEST_F(NetDevicesTest, IndexTakenInTheContainerNamespaceAndATemplateName) {
  // The kernel keeps a moved device's index when it is free; here a device
  // already holds it, so the runtime picks another and must still find
  // the device under the name the kernel made up.
  std::string nsFile = b.tmp() + "/netns";
  std::string index = readFile("/sys/class/net/" + veth.a + "/ifindex");
  ASSERT_FALSE(index.empty());
  index.erase(index.find_last_not_of('\n') + 1);
  ASSERT_TRUE(host("touch '" + nsFile + "' && unshare --net='" + nsFile +
                   "' ip link add sjvC index " + index + " type veth peer name sjvD")
                  .ok());
  struct Guard {
    std::string file;
    ~Guard() { host("umount '" + file + "'"); }
  } guard{nsFile};
  setNamespacePath("network", nsFile);
  moveAs(veth.a, "net%d");
  RunResult r =
      b.sh("ip -o addr show dev net0 && ip -o link show sjvC && ip -o addr show dev sjvC");
  if (peerIgnoredIt()) GTEST_SKIP() << kPeerGap << "; " << r;
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "net0    inet " + veth.ipv4)) << r.out;
  EXPECT_TRUE(contains(r.out, index + ": sjvC")) << "the index holder is untouched: " << r.out;
  EXPECT_FALSE(contains(r.out, "sjvC    inet")) << r.out;
}

// ---- refused ----

TEST_F(NetDevicesTest, MissingHostDeviceFailsCleanly) {
  moveAs(veth.a + "x", "eth1");
  expectCleanCreateFailure("linux.netDevices[\"" + veth.a + "x\"]: no network device");
}

TEST_F(NetDevicesTest, NoNetworkNamespaceFailsCleanly) {
  removeNamespace("network");
  moveAs(veth.a, "eth1");
  expectCleanCreateFailure("linux.netDevices: moving network devices needs");
}

TEST_F(NetDevicesTest, TheHostsOwnNamespaceJoinedFailsCleanly) {
  setNamespacePath("network", "/proc/self/ns/net");
  moveAs(veth.a, "eth1");
  expectCleanCreateFailure("is the runtime's own");
}

TEST_F(NetDevicesTest, DuplicateTargetNamesFailCleanly) {
  VethPair second;
  ASSERT_EQ(second.make(), "");
  moveAs(veth.a, "eth1");
  moveAs(second.a, "eth1");
  expectCleanCreateFailure("\"eth1\" is also the container-side name of");
  EXPECT_TRUE(hostHasLink(second.a));
}

TEST_F(NetDevicesTest, InvalidNameFailsCleanly) {
  moveAs(veth.a, "bad/name");
  expectCleanCreateFailure("linux.netDevices[\"" + veth.a +
                           "\"].name: \"bad/name\" is not a valid");
}

TEST_F(NetDevicesTest, NameTakenInTheContainerFailsCleanly) {
  // Every new network namespace has its lo.
  moveAs(veth.a, "lo");
  expectCleanCreateFailure("\"lo\" already exists in the container's network namespace");
}

}  // namespace
}  // namespace sangja::it
