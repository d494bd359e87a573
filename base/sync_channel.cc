#include "base/sync_channel.h"

#include <cstring>
#include <string>

namespace sangja {

Status sendGo(int fd) {
  return sendSync(fd, SyncType::kGo);
}

Status sendSync(int fd, SyncType type) {
  SyncMessage msg{};
  msg.type = type;
  ssize_t r;
  do r = ::send(fd, &msg, sizeof msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r != static_cast<ssize_t>(sizeof msg)) return Error::fromErrno("signal container init");
  return {};
}

Status sendMountSource(int fd, int32_t index, int fdToPass) {
  SyncMessage msg{};
  msg.type = SyncType::kMountSource;
  msg.index = index;
  if (sendWithFd(fd, &msg, sizeof msg, fdToPass) != static_cast<ssize_t>(sizeof msg)) {
    return Error::fromErrno("pass a mount source to the container init");
  }
  return {};
}

Result<SyncMessage> receiveSync(int fd, UniqueFd* passedFd) {
  SyncMessage msg;
  iovec iov{&msg, sizeof msg};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr mh{};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t r;
  do r = ::recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) return Error::fromErrno("read from container init");
  for (cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm != nullptr; cm = CMSG_NXTHDR(&mh, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    int passed;
    std::memcpy(&passed, CMSG_DATA(cm), sizeof passed);
    UniqueFd owned(passed);
    if (passedFd != nullptr) *passedFd = std::move(owned);
  }
  if (r != static_cast<ssize_t>(sizeof msg)) {
    return Error::invalid("container init exited before it was set up", ECHILD);
  }
  msg.text[sizeof msg.text - 1] = '\0';
  return msg;
}

Error errorFromChild(const SyncMessage& msg) {
  std::string text(msg.text, strnlen(msg.text, sizeof msg.text));
  if (msg.err == 0) return Error::invalid(text);
  return Error::fromErrno(msg.err, text);
}

}  // namespace sangja
