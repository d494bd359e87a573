#include "namespaces/net.h"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace sangja::ns {

void child::bringUpLoopback(const ChildChannel& channel) {
  alignas(nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE < 1024 ? MNL_SOCKET_BUFFER_SIZE : 1024];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = 1;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = 1;  // the loopback of a fresh network namespace
  ifm->ifi_flags = IFF_UP;
  ifm->ifi_change = IFF_UP;

  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) channel.fail(errno, "open netlink socket");
  if (::send(fd, nlh, nlh->nlmsg_len, 0) < 0) channel.fail(errno, "bring up loopback");
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n < 0) channel.fail(errno, "bring up loopback: read netlink ack");
  ::close(fd);
  // The ack is an NLMSG_ERROR whose error is 0 on success.
  auto* reply = reinterpret_cast<nlmsghdr*>(buf);
  if (!mnl_nlmsg_ok(reply, static_cast<int>(n)) || reply->nlmsg_type != NLMSG_ERROR) {
    channel.fail(EPROTO, "bring up loopback: unexpected netlink reply");
  }
  auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(reply));
  if (err->error != 0) channel.fail(-err->error, "bring up loopback");
}

}  // namespace sangja::ns
