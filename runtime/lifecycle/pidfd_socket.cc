#include "runtime/lifecycle/pidfd_socket.h"

#include <string_view>

#include "base/fd_passing.h"
#include "runtime/process/console.h"

namespace sangja {

Result<PidfdRoute> PidfdRoute::open(const std::string& path) {
  PidfdRoute route;
  if (path.empty()) return route;
  route.path_ = path;
  route.socket_ = TRY(connectUnixSocket(path, "--pidfd-socket"));
  return route;
}

Status PidfdRoute::deliver(int pidfd) const {
  if (!socket_) return {};
  if (pidfd < 0) {
    return Error::invalid("--pidfd-socket " + path_ +
                              ": no pidfd for the process (a kernel "
                              "without pidfd_open)",
                          ENOSYS);
  }
  constexpr std::string_view kPayload = "pidfd";
  if (sendWithFd(socket_.get(), kPayload.data(), kPayload.size(), pidfd) !=
      static_cast<ssize_t>(kPayload.size())) {
    return Error::fromErrno("--pidfd-socket " + path_ + ": send the pidfd");
  }
  return {};
}

}  // namespace sangja
