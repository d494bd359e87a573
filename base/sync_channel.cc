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
  int passed;
  ssize_t r = recvWithFd(fd, &msg, sizeof msg, &passed);
  if (r < 0) return Error::fromErrno("read from container init");
  UniqueFd owned(passed);
  if (passedFd != nullptr) *passedFd = std::move(owned);
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
