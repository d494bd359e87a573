// linux.netDevices: the rules checked before anything exists, and the
// rtnetlink messages built and read to move a device (no root, no syscall).
#include "namespaces/net_devices.h"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <cstring>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "namespaces/features.h"

namespace sangja::ns {
namespace {

using Devices = std::map<std::string, spec::NetDevice>;

NamespacePlan newNetNamespace() {
  NamespacePlan plan;
  plan.cloneFlags = CLONE_NEWNET | CLONE_NEWNS;
  return plan;
}

std::string planError(const Devices& devices, const NamespacePlan& namespaces) {
  Result<NetDevicePlan> r = planNetDevices(devices, namespaces);
  return r.ok() ? "" : r.error().message();
}

std::string planError(const Devices& devices) {
  return planError(devices, newNetNamespace());
}

// ---- the plan ----

TEST(NetDevicesPlan, NothingAskedNothingPlannedEvenWithoutANetworkNamespace) {
  Result<NetDevicePlan> r = planNetDevices({}, NamespacePlan{});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->empty());
}

TEST(NetDevicesPlan, TargetIsTheNameOrElseTheHostName) {
  Result<NetDevicePlan> r = planNetDevices(
      {{"sjvA1", {"eth1"}}, {"ens4", {""}}, {"veth0", {"net%d"}}}, newNetNamespace());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->moves,
            (std::vector<NetDeviceMove>{{"ens4", "ens4"}, {"sjvA1", "eth1"}, {"veth0", "net%d"}}));
}

TEST(NetDevicesPlan, NeedsANetworkNamespaceOfItsOwn) {
  NamespacePlan noNet;
  noNet.cloneFlags = CLONE_NEWNS | CLONE_NEWPID;
  std::string err = planError({{"sjvA1", {"eth1"}}}, noNet);
  EXPECT_EQ(err.rfind("linux.netDevices: ", 0), 0u) << err;
  EXPECT_NE(err.find("\"network\""), std::string::npos) << err;
}

TEST(NetDevicesPlan, AJoinedNetworkNamespaceWillDo) {
  // As runc: the orchestrator's pod namespace, given by path. (Whether it
  // is the host's own is checked on the host.)
  NamespacePlan joined;
  joined.cloneFlags = CLONE_NEWNS;
  joined.joins.push_back(Join{CLONE_NEWNET, "/run/netns/pod", UniqueFd()});
  EXPECT_EQ(planError({{"sjvA1", {"eth1"}}}, joined), "");
}

TEST(NetDevicesPlan, HostNamesTheKernelRefusesAreNamed) {
  struct Case {
    std::string name;
    std::string why;
  };
  for (const Case& c : std::vector<Case>{{"", "empty"},
                                         {"abcdefghijklmnop", "16 bytes long, the limit is 15"},
                                         {".", "reserved"},
                                         {"..", "reserved"},
                                         {"a/b", "'/'"},
                                         {"a:b", "':'"},
                                         {"a b", "whitespace"},
                                         {"a\tb", "whitespace"},
                                         {"eth%d", "'%'"}}) {
    std::string err = planError({{c.name, {"eth1"}}});
    EXPECT_EQ(err.rfind("linux.netDevices[", 0), 0u) << c.name << ": " << err;
    EXPECT_NE(err.find("]: not a valid interface name: "), std::string::npos) << err;
    EXPECT_NE(err.find(c.why), std::string::npos) << c.name << ": " << err;
  }
  EXPECT_EQ(planError({{"abcdefghijklmno", {}}}), "") << "15 bytes fit";
}

TEST(NetDevicesPlan, TargetNamesTheKernelRefusesAreNamedWithTheirPath) {
  for (const std::string& bad :
       {std::string("abcdefghijklmnop"), std::string("."), std::string(".."), std::string("x/y"),
        std::string("x y"), std::string("eth%s"), std::string("e%d%d"), std::string("%")}) {
    std::string err = planError({{"eth9", {bad}}});
    EXPECT_EQ(err.rfind("linux.netDevices[\"eth9\"].name: ", 0), 0u) << bad << ": " << err;
    EXPECT_NE(err.find("is not a valid interface name"), std::string::npos) << err;
  }
}

TEST(NetDevicesPlan, TemplatesAreAllowedAsTargets) {
  EXPECT_EQ(planError({{"eth9", {"eth%d"}}}), "");
  EXPECT_EQ(planError({{"eth9", {"x%dy"}}}), "");
  EXPECT_TRUE(validInterfaceName("net%d", true));
  EXPECT_FALSE(validInterfaceName("net%d", false));
}

TEST(NetDevicesPlan, TargetNamesAreUnique) {
  std::string err = planError({{"sjvA1", {"eth1"}}, {"sjvA2", {"eth1"}}});
  EXPECT_EQ(err,
            "linux.netDevices[\"sjvA2\"].name: \"eth1\" is also the container-side name of "
            "linux.netDevices[\"sjvA1\"]");
  // A host name kept as it is counts too.
  err = planError({{"eth1", {}}, {"sjvA2", {"eth1"}}});
  EXPECT_NE(err.find("linux.netDevices[\"sjvA2\"].name: \"eth1\" is also"), std::string::npos)
      << err;
  // The kernel numbers templates apart.
  EXPECT_EQ(planError({{"sjvA1", {"eth%d"}}, {"sjvA2", {"eth%d"}}}), "");
}

TEST(NetDevicesPlan, ErrorsStayOnOneLine) {
  std::string err = planError({{"a\nb", {"eth1"}}});
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  EXPECT_EQ(err.rfind("linux.netDevices[\"a\\x0ab\"]: ", 0), 0u) << err;
  EXPECT_EQ(netDevicePath("q\"uote"), "linux.netDevices[\"q\\\"uote\"]");
}

TEST(NetDevicesPlan, HostCheckNamesAMissingDevice) {
  NetDevicePlan plan{{{"sjvnonexist0", "eth1"}}};
  Status st = checkNetDevicesOnHost(plan, newNetNamespace());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ENODEV);
  EXPECT_EQ(st.error().message(),
            "linux.netDevices[\"sjvnonexist0\"]: no network device of that name on the host");
  // lo is always there.
  EXPECT_TRUE(checkNetDevicesOnHost(NetDevicePlan{{{"lo", "lo0"}}}, newNetNamespace()).ok());
}

TEST(NetDevicesFeatures, AdvertisedAsEnabled) {
  EXPECT_TRUE(namespaceFeatures().netDevices);
}

// ---- index and name choices ----

TEST(NetDevicesRtnl, IndexKeptWhenFreeElseAfterEveryUsedOne) {
  std::set<int> used = {1, 2, 3};
  EXPECT_EQ(rtnl::chooseIndex(7, used), 7);
  EXPECT_EQ(rtnl::chooseIndex(2, used), 8);
  EXPECT_EQ(rtnl::chooseIndex(7, used), 9);
  EXPECT_EQ(used, (std::set<int>{1, 2, 3, 7, 8, 9}));
}

TEST(NetDevicesRtnl, NamesFitTheirTarget) {
  EXPECT_TRUE(rtnl::nameFits("eth1", "eth1"));
  EXPECT_FALSE(rtnl::nameFits("eth10", "eth1"));
  EXPECT_TRUE(rtnl::nameFits("eth0", "eth%d"));
  EXPECT_TRUE(rtnl::nameFits("eth12", "eth%d"));
  EXPECT_TRUE(rtnl::nameFits("x3y", "x%dy"));
  EXPECT_FALSE(rtnl::nameFits("eth", "eth%d"));
  EXPECT_FALSE(rtnl::nameFits("ethx", "eth%d"));
  EXPECT_FALSE(rtnl::nameFits("wlan0", "eth%d"));
  EXPECT_FALSE(rtnl::nameFits("x3z", "x%dy"));
}

// ---- messages built ----

struct Attrs {
  std::map<uint16_t, const nlattr*> byType;
  std::vector<uint16_t> order;
};

Attrs attrsOf(const nlmsghdr* nlh, size_t headerSize) {
  Attrs a;
  mnl_attr_parse(
      nlh, static_cast<unsigned>(headerSize),
      [](const nlattr* attr, void* data) {
        auto* out = static_cast<Attrs*>(data);
        out->byType[mnl_attr_get_type(attr)] = attr;
        out->order.push_back(mnl_attr_get_type(attr));
        return MNL_CB_OK;
      },
      &a);
  return a;
}

TEST(NetDevicesRtnl, MoveRequestCarriesNamespaceNameAndIndex) {
  alignas(nlmsghdr) char buf[rtnl::kBufferSize];
  nlmsghdr* nlh = rtnl::putMoveLink(buf, 42, 17, "eth1", 5);
  EXPECT_EQ(nlh->nlmsg_type, RTM_SETLINK);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifi->ifi_family, AF_UNSPEC);
  EXPECT_EQ(ifi->ifi_index, 42);
  EXPECT_EQ(ifi->ifi_change, 0u) << "the move must not change flags";
  Attrs a = attrsOf(nlh, sizeof(ifinfomsg));
  ASSERT_TRUE(a.byType.count(IFLA_NET_NS_FD));
  EXPECT_EQ(mnl_attr_get_u32(a.byType[IFLA_NET_NS_FD]), 17u);
  ASSERT_TRUE(a.byType.count(IFLA_IFNAME));
  EXPECT_STREQ(mnl_attr_get_str(a.byType[IFLA_IFNAME]), "eth1");
  ASSERT_TRUE(a.byType.count(IFLA_NEW_IFINDEX));
  EXPECT_EQ(mnl_attr_get_u32(a.byType[IFLA_NEW_IFINDEX]), 5u);

  nlh = rtnl::putMoveLink(buf, 42, 17, "eth%d", 0);
  a = attrsOf(nlh, sizeof(ifinfomsg));
  EXPECT_STREQ(mnl_attr_get_str(a.byType[IFLA_IFNAME]), "eth%d") << "the kernel fills it in";
  EXPECT_FALSE(a.byType.count(IFLA_NEW_IFINDEX)) << "0: left to the kernel";
}

TEST(NetDevicesRtnl, LinkUpSetsOnlyTheUpFlag) {
  alignas(nlmsghdr) char buf[rtnl::kBufferSize];
  nlmsghdr* nlh = rtnl::putLinkUp(buf, 9);
  EXPECT_EQ(nlh->nlmsg_type, RTM_SETLINK);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifi->ifi_index, 9);
  EXPECT_EQ(ifi->ifi_flags, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(ifi->ifi_change, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(nlh->nlmsg_len, mnl_nlmsg_size(sizeof(ifinfomsg))) << "no attributes";
}

TEST(NetDevicesRtnl, LookupsAndDumps) {
  alignas(nlmsghdr) char buf[rtnl::kBufferSize];
  nlmsghdr* nlh = rtnl::putGetLink(buf, "sjvA1");
  EXPECT_EQ(nlh->nlmsg_type, RTM_GETLINK);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  Attrs a = attrsOf(nlh, sizeof(ifinfomsg));
  ASSERT_TRUE(a.byType.count(IFLA_IFNAME));
  EXPECT_STREQ(mnl_attr_get_str(a.byType[IFLA_IFNAME]), "sjvA1");
  EXPECT_EQ(static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh))->ifi_index, 0);

  nlh = rtnl::putGetLink(buf, 12);
  EXPECT_EQ(static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh))->ifi_index, 12);
  EXPECT_FALSE(attrsOf(nlh, sizeof(ifinfomsg)).byType.count(IFLA_IFNAME));

  nlh = rtnl::putLinkDump(buf);
  EXPECT_EQ(nlh->nlmsg_type, RTM_GETLINK);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);

  nlh = rtnl::putAddressDump(buf, 12);
  EXPECT_EQ(nlh->nlmsg_type, RTM_GETADDR);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifa->ifa_family, AF_UNSPEC);
  EXPECT_EQ(ifa->ifa_index, 12u);
  EXPECT_EQ(ifa->ifa_prefixlen | ifa->ifa_flags | ifa->ifa_scope, 0) << "strict dump checks";
}

// An RTM_NEWADDR as the kernel dumps it.
nlmsghdr* fakeAddress(void* buf, int index, uint8_t scope, uint32_t flags, bool withFlagsAttr) {
  std::memset(buf, 0, rtnl::kBufferSize);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWADDR;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = 24;
  ifa->ifa_flags = static_cast<uint8_t>(flags);
  ifa->ifa_scope = scope;
  ifa->ifa_index = static_cast<uint32_t>(index);
  const unsigned char ip[4] = {10, 200, 7, 1};
  const unsigned char brd[4] = {10, 200, 7, 255};
  mnl_attr_put(nlh, IFA_ADDRESS, 4, ip);
  mnl_attr_put(nlh, IFA_LOCAL, 4, ip);
  mnl_attr_put(nlh, IFA_BROADCAST, 4, brd);
  mnl_attr_put_strz(nlh, IFA_LABEL, "sjvA7");
  ifa_cacheinfo ci{0xffffffffu, 0xffffffffu, 100, 100};
  mnl_attr_put(nlh, IFA_CACHEINFO, sizeof ci, &ci);
  if (withFlagsAttr) mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
  return nlh;
}

TEST(NetDevicesRtnl, OnlyPermanentGlobalAddressesOfTheDeviceAreKept) {
  alignas(nlmsghdr) char buf[rtnl::kBufferSize];
  std::optional<rtnl::Address> kept =
      rtnl::keptAddress(fakeAddress(buf, 7, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT, true), 7);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->family, AF_INET);
  EXPECT_EQ(kept->prefixlen, 24);
  EXPECT_EQ(kept->scope, RT_SCOPE_UNIVERSE);
  std::vector<uint16_t> types;
  for (const auto& [type, payload] : kept->attrs) types.push_back(type);
  EXPECT_EQ(types, (std::vector<uint16_t>{IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_FLAGS}))
      << "no label (the old name), no lifetimes";
  EXPECT_EQ(kept->attrs[0].second, std::string("\x0a\xc8\x07\x01", 4));

  EXPECT_FALSE(rtnl::keptAddress(fakeAddress(buf, 7, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT, true), 8))
      << "another device's";
  EXPECT_FALSE(rtnl::keptAddress(fakeAddress(buf, 7, RT_SCOPE_LINK, IFA_F_PERMANENT, true), 7))
      << "link scope";
  EXPECT_FALSE(rtnl::keptAddress(fakeAddress(buf, 7, RT_SCOPE_HOST, IFA_F_PERMANENT, true), 7))
      << "host scope";
  EXPECT_FALSE(rtnl::keptAddress(fakeAddress(buf, 7, RT_SCOPE_UNIVERSE, 0, true), 7))
      << "dynamic (a lifetime)";
  EXPECT_TRUE(rtnl::keptAddress(fakeAddress(buf, 7, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT, false), 7))
      << "old kernels: the 8-bit flags";
  // IFA_FLAGS supersedes the 8 bits in the header.
  nlmsghdr* nlh = fakeAddress(buf, 7, RT_SCOPE_UNIVERSE, 0, false);
  mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE);
  EXPECT_TRUE(rtnl::keptAddress(nlh, 7));
}

TEST(NetDevicesRtnl, AddressRequestReplaysTheKeptAddressOnTheNewIndex) {
  alignas(nlmsghdr) char src[rtnl::kBufferSize];
  std::optional<rtnl::Address> kept =
      rtnl::keptAddress(fakeAddress(src, 7, RT_SCOPE_UNIVERSE, IFA_F_PERMANENT, true), 7);
  ASSERT_TRUE(kept);
  alignas(nlmsghdr) char buf[rtnl::kBufferSize];
  nlmsghdr* nlh = rtnl::putNewAddress(buf, 3, *kept);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWADDR);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifa->ifa_index, 3u);
  EXPECT_EQ(ifa->ifa_family, AF_INET);
  EXPECT_EQ(ifa->ifa_prefixlen, 24);
  Attrs a = attrsOf(nlh, sizeof(ifaddrmsg));
  EXPECT_EQ(a.order, (std::vector<uint16_t>{IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST, IFA_FLAGS}));
  EXPECT_EQ(mnl_attr_get_u32(a.byType[IFA_FLAGS]), static_cast<uint32_t>(IFA_F_PERMANENT));
  // Read back as the kernel would store it: the same address on index 3.
  EXPECT_EQ(rtnl::keptAddress(nlh, 3), kept);
}

TEST(NetDevicesRtnl, LinkMessagesGiveIndexAndName) {
  alignas(nlmsghdr) char buf[rtnl::kBufferSize];
  std::memset(buf, 0, sizeof buf);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_index = 23;
  mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth1");
  std::optional<rtnl::Link> link = rtnl::parseLink(nlh);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->index, 23);
  EXPECT_EQ(link->name, "eth1");
  nlh->nlmsg_type = RTM_NEWADDR;
  EXPECT_FALSE(rtnl::parseLink(nlh));
}

// ---- replies read ----

// Appends a message to a reply buffer.
struct Replies {
  alignas(nlmsghdr) char buf[rtnl::kBufferSize] = {};
  size_t len = 0;
  nlmsghdr* add(uint16_t type, uint32_t seq) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf + len);
    nlh->nlmsg_type = type;
    nlh->nlmsg_seq = seq;
    return nlh;
  }
  void done(nlmsghdr* nlh) { len += nlh->nlmsg_len; }
  void error(uint32_t seq, int err, const char* extAck = nullptr) {
    nlmsghdr* nlh = add(NLMSG_ERROR, seq);
    auto* e = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
    e->error = -err;
    e->msg.nlmsg_len = sizeof(nlmsghdr);
    e->msg.nlmsg_seq = seq;
    if (extAck != nullptr) {
      nlh->nlmsg_flags |= NLM_F_ACK_TLVS | NLM_F_CAPPED;
      mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, extAck);
    }
    done(nlh);
  }
  void link(uint32_t seq, int index, const char* name) {
    nlmsghdr* nlh = add(RTM_NEWLINK, seq);
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_index = index;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    done(nlh);
  }
};

TEST(NetDevicesRtnl, RepliesEndAtTheAckOrTheDumpsEnd) {
  Replies r;
  r.link(5, 2, "old");  // an earlier request's: skipped
  r.link(6, 3, "eth1");
  std::vector<std::string> seen;
  auto collect = [&](const nlmsghdr* n) { seen.push_back(rtnl::parseLink(n)->name); };
  Result<bool> more = rtnl::walkReplies(r.buf, r.len, 6, collect);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more) << "no end yet: read on";
  EXPECT_EQ(seen, std::vector<std::string>{"eth1"});

  r.error(6, 0);  // the ack
  seen.clear();
  more = rtnl::walkReplies(r.buf, r.len, 6, collect);
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(*more);

  Replies d;
  nlmsghdr* end = d.add(NLMSG_DONE, 9);
  *static_cast<int*>(mnl_nlmsg_put_extra_header(end, sizeof(int))) = 0;
  d.done(end);
  more = rtnl::walkReplies(d.buf, d.len, 9, {});
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(*more);
}

TEST(NetDevicesRtnl, KernelErrorsBecomeErrorsWithTheirText) {
  Replies r;
  r.error(4, EEXIST);
  Result<bool> res = rtnl::walkReplies(r.buf, r.len, 4, {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code(), EEXIST);
  EXPECT_EQ(res.error().message(), std::strerror(EEXIST));

  Replies x;
  x.error(4, EBUSY, "New ifindex is already in use");
  res = rtnl::walkReplies(x.buf, x.len, 4, {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code(), EBUSY);
  EXPECT_EQ(res.error().message(),
            std::string(std::strerror(EBUSY)) + " (New ifindex is already in use)");

  Replies d;
  nlmsghdr* end = d.add(NLMSG_DONE, 9);
  *static_cast<int*>(mnl_nlmsg_put_extra_header(end, sizeof(int))) = -EINTR;
  d.done(end);
  res = rtnl::walkReplies(d.buf, d.len, 9, {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code(), EINTR) << "a dump that failed half-way";
}

}  // namespace
}  // namespace sangja::ns
