// linux.netDevices (runtime-spec config-linux.md "Network Devices"): host
// interfaces moved into the container's network namespace by the runtime,
// renamed as asked, keeping their permanent global addresses, then set up.
//
// Everything here runs in the parent. The plan is checked before anything
// exists (pure rules, then the host: the devices are there); the move
// happens once the init is cloned and before it reports ready, over
// rtnetlink (libmnl) from the runtime's namespace plus one socket opened in
// the container's.
//
// The runtime never moves a device back (the spec forbids it): when the
// container's network namespace goes away the kernel returns physical
// devices to the host namespace (under their container-side name) and
// destroys virtual ones; a veth is destroyed together with its peer. The
// same holds when create fails after a device moved: the killed init takes
// the namespace, and so the device, with it.
#pragma once

#include <linux/netlink.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "namespaces/namespaces.h"
#include "spec/config.h"

namespace sangja::ns {

struct NetDeviceMove {
  std::string hostName;    // the linux.netDevices key
  std::string targetName;  // its "name", or the key; may end in a %d template
  bool operator==(const NetDeviceMove&) const = default;
};

struct NetDevicePlan {
  std::vector<NetDeviceMove> moves;  // in key order
  bool empty() const { return moves.empty(); }
};

// The kernel's rule (dev_valid_name): 1 to IFNAMSIZ-1 bytes, not "." or
// "..", no '/', ':' or whitespace. With allowTemplate a single "%d" may
// stand for a number the kernel picks (any other '%' is refused).
bool validInterfaceName(std::string_view name, bool allowTemplate);

// Pure: the JSON path of one entry, `linux.netDevices["eth9"]`, with
// unprintable bytes escaped so that an error stays on one line.
std::string netDevicePath(std::string_view hostName);

// Pure: the rules that need no syscall. The container must have a network
// namespace of its own (new, or joined by path as runc allows: the
// orchestrator's pod namespace); names valid; target names unique
// (templates aside, the kernel numbers those).
Result<NetDevicePlan> planNetDevices(const std::map<std::string, spec::NetDevice>& devices,
                                     const NamespacePlan& namespaces);

// Parent, before anything is made: every device exists on the host, and a
// joined network namespace is not the runtime's own.
Status checkNetDevicesOnHost(const NetDevicePlan& plan, const NamespacePlan& namespaces);

// Parent, with the init cloned (its network namespace exists) and not yet
// ready: moves every device into the container's network namespace (the
// joined one, else /proc/<init>/ns/net). Before moving any, checks that no
// target name is taken there.
Status moveNetDevices(const NetDevicePlan& plan, const NamespacePlan& namespaces, pid_t init);

// ---- Pure pieces, exposed for unit tests. ----

namespace rtnl {

// One interface from an RTM_NEWLINK message.
struct Link {
  int index = 0;
  std::string name;
};

// A permanent, global address worth carrying over: its ifaddrmsg and the
// attributes re-added with it (address, local, broadcast, flags, priority,
// protocol; not the label, which names the old device, nor lifetimes).
struct Address {
  uint8_t family = 0;
  uint8_t prefixlen = 0;
  uint8_t flags = 0;
  uint8_t scope = 0;
  std::vector<std::pair<uint16_t, std::string>> attrs;  // type, payload
  bool operator==(const Address&) const = default;
};

// The message builders clear buf (kBufferSize bytes, nlmsghdr-aligned),
// write a request into it and return its header; the sender sets the
// sequence number.
inline constexpr size_t kBufferSize = 8192;
nlmsghdr* putGetLink(void* buf, std::string_view name);
nlmsghdr* putGetLink(void* buf, int index);
nlmsghdr* putLinkDump(void* buf);
nlmsghdr* putAddressDump(void* buf, int index);
// RTM_SETLINK: into the namespace of netnsFd, named newName, at newIndex
// in that namespace (0: the kernel keeps the index, or picks one).
nlmsghdr* putMoveLink(void* buf, int index, int netnsFd, std::string_view newName, int newIndex);
nlmsghdr* putLinkUp(void* buf, int index);
nlmsghdr* putNewAddress(void* buf, int index, const Address& address);

std::optional<Link> parseLink(const nlmsghdr* nlh);
// The address in an RTM_NEWADDR message if it belongs to index and is
// permanent (IFA_F_PERMANENT) with global scope (RT_SCOPE_UNIVERSE).
std::optional<Address> keptAddress(const nlmsghdr* nlh, int index);

// Whether the kernel could have given name for target: equal, or with
// the digits of a number where target has its "%d".
bool nameFits(std::string_view name, std::string_view target);

// The container-side index for a device whose host index is hostIndex:
// the same when free there (as the kernel would), else the next after
// every used one. Adds it to used.
int chooseIndex(int hostIndex, std::set<int>& used);

// Walks the replies in buf[0, len) to request seq: each data message goes
// to onMessage; an NLMSG_ERROR becomes an Error (errno, with the kernel's
// extended-ack text when there is one). Returns true at the end (an ack or
// NLMSG_DONE), false when more replies are to be read.
Result<bool> walkReplies(const void* buf, size_t len, uint32_t seq,
                         const std::function<void(const nlmsghdr*)>& onMessage);

}  // namespace rtnl

}  // namespace sangja::ns
