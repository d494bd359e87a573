#include "namespaces/net_devices.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/file.h"

namespace sangja::ns {

namespace {

constexpr std::string_view kPath = "linux.netDevices";

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Why the kernel would refuse name (net/core/dev.c dev_valid_name, and
// __dev_alloc_name for templates); "" when it would not.
std::string nameProblem(std::string_view name, bool allowTemplate) {
  if (name.empty()) return "it is empty";
  if (name.size() >= IFNAMSIZ) {
    return "it is " + std::to_string(name.size()) + " bytes long, the limit is " +
           std::to_string(IFNAMSIZ - 1);
  }
  if (name == "." || name == "..") return "\".\" and \"..\" are reserved";
  for (char c : name) {
    if (c == '/' || c == ':') return std::string("it contains '") + c + "'";
    if (c == ' ' || (c >= '\t' && c <= '\r')) return "it contains whitespace";
  }
  size_t percent = name.find('%');
  if (percent == std::string_view::npos) return "";
  if (!allowTemplate) return "it contains '%'";
  if (name.substr(percent, 2) != "%d" || name.find('%', percent + 1) != std::string_view::npos) {
    return "'%' may only appear once, as the \"%d\" of a template";
  }
  return "";
}

const Join* netJoin(const NamespacePlan& namespaces) {
  for (const Join& j : namespaces.joins) {
    if (j.type == CLONE_NEWNET) return &j;
  }
  return nullptr;
}

std::string targetPath(const NetDeviceMove& m) {
  return netDevicePath(m.hostName) + (m.targetName == m.hostName ? "" : ".name");
}

Error noSuchHostDevice(const std::string& hostName) {
  return Error(ENODEV, netDevicePath(hostName) + ": no network device of that name on the host");
}

// ---- rtnetlink over one socket. ----

Result<UniqueFd> openRouteSocket() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) return Error::fromErrno("open an rtnetlink socket");
  // Errors come with the kernel's own words, acks without our request in
  // them, and dumps filtered by the kernel. All optional: old kernels lack
  // them and we cope.
  int one = 1;
  for (int opt : {NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK}) {
    (void)::setsockopt(fd.get(), SOL_NETLINK, opt, &one, sizeof one);
  }
  return fd;
}

// A socket bound to another network namespace: this thread enters it for
// the socket(2) call only.
Result<UniqueFd> openRouteSocketIn(int netnsFd) {
  UniqueFd own = TRY(openFile("/proc/thread-self/ns/net", O_RDONLY));
  if (::setns(netnsFd, CLONE_NEWNET) < 0) {
    return Error::fromErrno("enter the container's network namespace");
  }
  Result<UniqueFd> fd = openRouteSocket();
  if (::setns(own.get(), CLONE_NEWNET) < 0) {
    return Error::fromErrno("return to the runtime's network namespace");
  }
  return fd;
}

class RouteSocket {
 public:
  explicit RouteSocket(UniqueFd fd) : fd_(std::move(fd)) {}

  // Sends the request in nlh and reads its replies until the ack (or the
  // end of a dump), giving each data message to onMessage.
  Status call(nlmsghdr* nlh, const std::function<void(const nlmsghdr*)>& onMessage = {}) {
    nlh->nlmsg_seq = ++seq_;
    if (::send(fd_.get(), nlh, nlh->nlmsg_len, 0) < 0) return Error::fromErrno("netlink send");
    // A dump's replies come in messages of up to 32 KiB.
    alignas(nlmsghdr) char reply[32768];
    for (;;) {
      ssize_t n = ::recv(fd_.get(), reply, sizeof reply, MSG_TRUNC);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::fromErrno("netlink receive");
      if (n == 0) return Error(EPROTO, "netlink: the socket closed");
      if (static_cast<size_t>(n) > sizeof reply) return Error(EMSGSIZE, "netlink: reply too long");
      if (TRY(rtnl::walkReplies(reply, static_cast<size_t>(n), seq_, onMessage))) return {};
    }
  }

 private:
  UniqueFd fd_;
  uint32_t seq_ = 0;
};

std::string formatAddress(const rtnl::Address& a) {
  const std::string* raw = nullptr;
  for (const auto& [type, payload] : a.attrs) {
    if (type == IFA_LOCAL || (type == IFA_ADDRESS && raw == nullptr)) raw = &payload;
  }
  char text[INET6_ADDRSTRLEN] = "?";
  if (raw != nullptr) {
    size_t want = a.family == AF_INET ? 4 : 16;
    if (raw->size() == want) ::inet_ntop(a.family, raw->data(), text, sizeof text);
  }
  return std::string(text) + "/" + std::to_string(a.prefixlen);
}

Status moveOne(RouteSocket& host, RouteSocket& container, const NetDeviceMove& m, int netnsFd,
               std::set<int>& usedIndexes) {
  const std::string path = netDevicePath(m.hostName);
  alignas(nlmsghdr) char buf[rtnl::kBufferSize];

  std::optional<rtnl::Link> link;
  Status found = host.call(rtnl::putGetLink(buf, m.hostName), [&](const nlmsghdr* n) {
    if (!link) link = rtnl::parseLink(n);
  });
  if (!found.ok() && found.error().code() == ENODEV) return noSuchHostDevice(m.hostName);
  if (!found.ok()) return std::move(found).takeError().wrap(path + ": look up the host device");
  if (!link) return Error(EPROTO, path + ": look up the host device: no answer from the kernel");

  // The kernel drops a device's addresses when it changes namespace; the
  // spec keeps the permanent global ones.
  std::vector<rtnl::Address> addresses;
  TRY_CTX(host.call(rtnl::putAddressDump(buf, link->index),
                    [&](const nlmsghdr* n) {
                      if (auto a = rtnl::keptAddress(n, link->index)) addresses.push_back(*a);
                    }),
          path + ": read its addresses");

  // Moved and renamed in one request, so that the old name is never seen
  // in the container nor the new one on the host; at an index chosen
  // here, so that a "%d" name can be found afterwards.
  int index = rtnl::chooseIndex(link->index, usedIndexes);
  Status moved = host.call(rtnl::putMoveLink(buf, link->index, netnsFd, m.targetName, index));
  if (!moved.ok()) {
    std::string what =
        path + ": move into the container's network namespace as " + quoted(m.targetName);
    if (moved.error().code() == EINVAL) what += " (some devices, like lo, cannot change namespace)";
    return std::move(moved).takeError().wrap(what);
  }

  std::optional<rtnl::Link> there;
  TRY_CTX(container.call(rtnl::putGetLink(buf, index),
                         [&](const nlmsghdr* n) {
                           if (!there) there = rtnl::parseLink(n);
                         }),
          path + ": find it in the container's network namespace");
  if (!there || !rtnl::nameFits(there->name, m.targetName)) {
    return Error(EPROTO, path + ": moved, but interface " + std::to_string(index) +
                             " in the container's network namespace is not it");
  }
  for (const rtnl::Address& a : addresses) {
    TRY_CTX(container.call(rtnl::putNewAddress(buf, index, a)),
            path + ": add address " + formatAddress(a) + " to " + quoted(there->name) +
                " in the container");
  }
  TRY_CTX(container.call(rtnl::putLinkUp(buf, index)),
          path + ": set " + quoted(there->name) + " up in the container");
  return {};
}

}  // namespace

bool validInterfaceName(std::string_view name, bool allowTemplate) {
  return nameProblem(name, allowTemplate).empty();
}

std::string netDevicePath(std::string_view hostName) {
  return std::string(kPath) + "[" + quoted(hostName) + "]";
}

Result<NetDevicePlan> planNetDevices(const std::map<std::string, spec::NetDevice>& devices,
                                     const NamespacePlan& namespaces) {
  NetDevicePlan plan;
  if (devices.empty()) return plan;
  if (!namespaces.has(CLONE_NEWNET)) {
    return Error::invalid(std::string(kPath) +
                          ": moving network devices needs the container's own network "
                          "namespace; linux.namespaces has no \"network\" entry");
  }
  std::map<std::string, std::string> targets;  // container-side name -> host name
  for (const auto& [hostName, device] : devices) {
    std::string path = netDevicePath(hostName);
    if (std::string why = nameProblem(hostName, false); !why.empty()) {
      return Error::invalid(path + ": not a valid interface name: " + why);
    }
    if (!device.name.empty()) {
      if (std::string why = nameProblem(device.name, true); !why.empty()) {
        return Error::invalid(path + ".name: " + quoted(device.name) +
                              " is not a valid interface name: " + why);
      }
    }
    NetDeviceMove move{hostName, device.name.empty() ? hostName : device.name};
    if (move.targetName.find('%') == std::string::npos) {
      auto [other, fresh] = targets.emplace(move.targetName, hostName);
      if (!fresh) {
        return Error::invalid(targetPath(move) + ": " + quoted(move.targetName) +
                              " is also the container-side name of " +
                              netDevicePath(other->second));
      }
    }
    plan.moves.push_back(std::move(move));
  }
  return plan;
}

Status checkNetDevicesOnHost(const NetDevicePlan& plan, const NamespacePlan& namespaces) {
  if (plan.empty()) return {};
  for (const NetDeviceMove& m : plan.moves) {
    if (::if_nametoindex(m.hostName.c_str()) != 0) continue;
    if (errno == ENODEV) return noSuchHostDevice(m.hostName);
    return Error::fromErrno(netDevicePath(m.hostName) + ": look up the host device");
  }
  if (const Join* j = netJoin(namespaces)) {
    struct stat ours {};
    struct stat joined {};
    if (::stat("/proc/self/ns/net", &ours) < 0) {
      return Error::fromErrno(std::string(kPath) + ": stat /proc/self/ns/net");
    }
    if (::fstat(j->fd.get(), &joined) < 0) {
      return Error::fromErrno(std::string(kPath) + ": stat " + j->path);
    }
    if (ours.st_dev == joined.st_dev && ours.st_ino == joined.st_ino) {
      return Error::invalid(std::string(kPath) + ": the network namespace joined from " + j->path +
                            " is the runtime's own; devices cannot move into it");
    }
  }
  return {};
}

Status moveNetDevices(const NetDevicePlan& plan, const NamespacePlan& namespaces, pid_t init) {
  if (plan.empty()) return {};
  UniqueFd opened;
  int netnsFd = -1;
  if (const Join* j = netJoin(namespaces)) {
    netnsFd = j->fd.get();
  } else {
    opened = TRY(openFile("/proc/" + std::to_string(init) + "/ns/net", O_RDONLY)
                     .context(std::string(kPath) + ": the container's network namespace"));
    netnsFd = opened.get();
  }
  RouteSocket host(TRY(openRouteSocket().context(kPath)));
  RouteSocket container(TRY(openRouteSocketIn(netnsFd).context(kPath)));

  // What the container's namespace holds already: no target may take one
  // of its names (spec: an error unless a "%d" template), nor its indexes.
  std::set<std::string> names;
  std::set<int> indexes;
  alignas(nlmsghdr) char buf[rtnl::kBufferSize];
  TRY_CTX(container.call(rtnl::putLinkDump(buf),
                         [&](const nlmsghdr* n) {
                           if (auto l = rtnl::parseLink(n)) {
                             names.insert(l->name);
                             indexes.insert(l->index);
                           }
                         }),
          std::string(kPath) + ": list the container's network devices");
  for (const NetDeviceMove& m : plan.moves) {
    if (m.targetName.find('%') == std::string::npos && names.count(m.targetName) != 0) {
      return Error(EEXIST, targetPath(m) + ": " + quoted(m.targetName) +
                               " already exists in the container's network namespace");
    }
  }
  for (const NetDeviceMove& m : plan.moves) {
    TRY(moveOne(host, container, m, netnsFd, indexes));
  }
  return {};
}

// ---- rtnl ----

namespace rtnl {

namespace {

nlmsghdr* putRequest(void* buf, uint16_t type, uint16_t flags) {
  std::memset(buf, 0, kBufferSize);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  return nlh;
}

ifinfomsg* putLinkHeader(nlmsghdr* nlh, int index) {
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  return ifi;
}

void putName(nlmsghdr* nlh, std::string_view name) {
  char text[IFNAMSIZ] = {};
  std::memcpy(text, name.data(), std::min(name.size(), sizeof text - 1));
  mnl_attr_put_strz(nlh, IFLA_IFNAME, text);
}

bool keptAttribute(uint16_t type) {
  switch (type) {
    case IFA_ADDRESS:
    case IFA_LOCAL:
    case IFA_BROADCAST:
    case IFA_FLAGS:
    case IFA_RT_PRIORITY:
    case IFA_PROTO:
      return true;
    default:
      return false;
  }
}

std::string extAckText(const nlmsghdr* nlh) {
  if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return "";
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  size_t offset = sizeof(nlmsgerr);
  if ((nlh->nlmsg_flags & NLM_F_CAPPED) == 0) offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  size_t payload = mnl_nlmsg_get_payload_len(nlh);
  if (offset >= payload) return "";
  std::string text;
  mnl_attr_parse_payload(
      reinterpret_cast<const char*>(err) + offset, payload - offset,
      [](const nlattr* attr, void* data) {
        if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
            mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
          *static_cast<std::string*>(data) = mnl_attr_get_str(attr);
        }
        return MNL_CB_OK;
      },
      &text);
  return text;
}

}  // namespace

nlmsghdr* putGetLink(void* buf, std::string_view name) {
  nlmsghdr* nlh = putRequest(buf, RTM_GETLINK, NLM_F_ACK);
  putLinkHeader(nlh, 0);
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  putName(nlh, name);
  return nlh;
}

nlmsghdr* putGetLink(void* buf, int index) {
  nlmsghdr* nlh = putRequest(buf, RTM_GETLINK, NLM_F_ACK);
  putLinkHeader(nlh, index);
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return nlh;
}

nlmsghdr* putLinkDump(void* buf) {
  nlmsghdr* nlh = putRequest(buf, RTM_GETLINK, NLM_F_DUMP);
  putLinkHeader(nlh, 0);
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return nlh;
}

nlmsghdr* putAddressDump(void* buf, int index) {
  nlmsghdr* nlh = putRequest(buf, RTM_GETADDR, NLM_F_DUMP);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_UNSPEC;
  ifa->ifa_index = static_cast<uint32_t>(index);  // a filter with strict checking
  return nlh;
}

nlmsghdr* putMoveLink(void* buf, int index, int netnsFd, std::string_view newName, int newIndex) {
  nlmsghdr* nlh = putRequest(buf, RTM_SETLINK, NLM_F_ACK);
  putLinkHeader(nlh, index);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(netnsFd));
  putName(nlh, newName);
  if (newIndex > 0) mnl_attr_put_u32(nlh, IFLA_NEW_IFINDEX, static_cast<uint32_t>(newIndex));
  return nlh;
}

nlmsghdr* putLinkUp(void* buf, int index) {
  nlmsghdr* nlh = putRequest(buf, RTM_SETLINK, NLM_F_ACK);
  ifinfomsg* ifi = putLinkHeader(nlh, index);
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return nlh;
}

nlmsghdr* putNewAddress(void* buf, int index, const Address& address) {
  nlmsghdr* nlh = putRequest(buf, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = address.family;
  ifa->ifa_prefixlen = address.prefixlen;
  ifa->ifa_flags = address.flags;
  ifa->ifa_scope = address.scope;
  ifa->ifa_index = static_cast<uint32_t>(index);
  for (const auto& [type, payload] : address.attrs) {
    mnl_attr_put(nlh, type, payload.size(), payload.data());
  }
  return nlh;
}

std::optional<Link> parseLink(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) {
    return std::nullopt;
  }
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  Link link;
  link.index = ifi->ifi_index;
  mnl_attr_parse(
      nlh, sizeof(ifinfomsg),
      [](const nlattr* attr, void* data) {
        if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
            mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
          static_cast<Link*>(data)->name = mnl_attr_get_str(attr);
        }
        return MNL_CB_OK;
      },
      &link);
  if (link.name.empty()) return std::nullopt;
  return link;
}

std::optional<Address> keptAddress(const nlmsghdr* nlh, int index) {
  if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(ifaddrmsg)) {
    return std::nullopt;
  }
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (static_cast<int>(ifa->ifa_index) != index || ifa->ifa_scope != RT_SCOPE_UNIVERSE) {
    return std::nullopt;
  }
  struct Parsed {
    Address address;
    uint32_t flags;
  } parsed{{ifa->ifa_family, ifa->ifa_prefixlen, ifa->ifa_flags, ifa->ifa_scope, {}},
           ifa->ifa_flags};
  mnl_attr_parse(
      nlh, sizeof(ifaddrmsg),
      [](const nlattr* attr, void* data) {
        auto* p = static_cast<Parsed*>(data);
        uint16_t type = mnl_attr_get_type(attr);
        if (!keptAttribute(type)) return MNL_CB_OK;
        // IFA_FLAGS, when there, supersedes the 8 bits in ifaddrmsg.
        if (type == IFA_FLAGS && mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
          p->flags = mnl_attr_get_u32(attr);
        }
        const char* payload = static_cast<const char*>(mnl_attr_get_payload(attr));
        p->address.attrs.emplace_back(type, std::string(payload, mnl_attr_get_payload_len(attr)));
        return MNL_CB_OK;
      },
      &parsed);
  if ((parsed.flags & IFA_F_PERMANENT) == 0) return std::nullopt;
  return parsed.address;
}

bool nameFits(std::string_view name, std::string_view target) {
  size_t percent = target.find("%d");
  if (percent == std::string_view::npos) return name == target;
  std::string_view prefix = target.substr(0, percent);
  std::string_view suffix = target.substr(percent + 2);
  if (name.size() <= prefix.size() + suffix.size()) return false;
  if (name.substr(0, prefix.size()) != prefix) return false;
  if (name.substr(name.size() - suffix.size()) != suffix) return false;
  std::string_view digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int chooseIndex(int hostIndex, std::set<int>& used) {
  int index = hostIndex;
  if (used.count(index) != 0) index = *used.rbegin() + 1;
  used.insert(index);
  return index;
}

Result<bool> walkReplies(const void* buf, size_t len, uint32_t seq,
                         const std::function<void(const nlmsghdr*)>& onMessage) {
  int remaining = static_cast<int>(len);
  for (auto* nlh = static_cast<const nlmsghdr*>(buf); mnl_nlmsg_ok(nlh, remaining);
       nlh = mnl_nlmsg_next(nlh, &remaining)) {
    if (nlh->nlmsg_seq != seq) continue;  // not ours: a late reply to an earlier request
    if (nlh->nlmsg_type == NLMSG_NOOP || nlh->nlmsg_type == NLMSG_OVERRUN) continue;
    if (nlh->nlmsg_type == NLMSG_DONE) {
      // A dump that failed half-way ends with its error here.
      if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
        int err = *static_cast<const int*>(mnl_nlmsg_get_payload(nlh));
        if (err < 0) return Error(-err, std::strerror(-err));
      }
      return true;
    }
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nlmsgerr)) {
        return Error(EPROTO, "netlink: a truncated error message");
      }
      int err = -static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh))->error;
      if (err == 0) return true;
      std::string text = std::strerror(err);
      if (std::string ext = extAckText(nlh); !ext.empty()) text += " (" + ext + ")";
      return Error(err, text);
    }
    if (onMessage) onMessage(nlh);
  }
  return false;
}

}  // namespace rtnl

}  // namespace sangja::ns
