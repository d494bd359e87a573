#include "runtime/launch/protocol.h"

#include <string>

namespace sangja::launch {

const char* syncTypeName(SyncType type) {
  switch (type) {
    case SyncType::kReady:
      return "ready";
    case SyncType::kError:
      return "error";
    case SyncType::kGo:
      return "go";
    case SyncType::kSeccompFd:
      return "seccomp fd";
    case SyncType::kHooks:
      return "hooks pause";
    case SyncType::kSpawned:
      return "spawned";
    case SyncType::kConsoleFd:
      return "console fd";
    case SyncType::kCreated:
      return "created";
    case SyncType::kMountSource:
      return "mount source";
  }
  return "unknown message";
}

Result<SyncMessage> expectFromChild(int channel, SyncType expected, UniqueFd* fd) {
  UniqueFd passed;
  SyncMessage msg = TRY(receiveSync(channel, &passed));
  if (msg.type == SyncType::kError) return errorFromChild(msg);
  if (msg.type != expected) {
    return Error::invalid(std::string("container process: expected \"") + syncTypeName(expected) +
                          "\", got \"" + syncTypeName(msg.type) + "\"");
  }
  bool carriesFd = expected == SyncType::kConsoleFd || expected == SyncType::kSeccompFd;
  if (carriesFd && !passed) {
    return Error::invalid(std::string("container process: \"") + syncTypeName(expected) +
                          "\" came without its fd");
  }
  if (fd != nullptr) *fd = std::move(passed);
  return msg;
}

Status waitForExec(int channel) {
  for (;;) {
    SyncMessage msg;
    ssize_t r = ::recv(channel, &msg, sizeof msg, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error::fromErrno("wait for the container process to start");
    if (r == 0) return {};
    if (r != static_cast<ssize_t>(sizeof msg)) {
      return Error::invalid("container process: a short message instead of its exec", EPROTO);
    }
    if (msg.type == SyncType::kError) return errorFromChild(msg);
    return Error::invalid(std::string("container process: expected its exec, got \"") +
                          syncTypeName(msg.type) + "\"");
  }
}

}  // namespace sangja::launch
