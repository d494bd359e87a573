#include "base/sync_channel.h"

#include <cstring>
#include <string>

namespace sangja {

Status sendGo(int fd) {
  SyncMessage msg{};
  msg.type = SyncType::kGo;
  ssize_t r;
  do r = ::send(fd, &msg, sizeof msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r != static_cast<ssize_t>(sizeof msg)) return Error::fromErrno("signal container init");
  return {};
}

Result<SyncMessage> receiveSync(int fd) {
  SyncMessage msg;
  ssize_t r;
  do r = ::recv(fd, &msg, sizeof msg, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) return Error::fromErrno("read from container init");
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
