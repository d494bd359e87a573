// --pidfd-socket (runc 1.2): the caller's unix socket receives a pidfd of
// the container's process (the init for create and run, the new process
// for exec), so that it can wait for and signal exactly that process, with
// no pid to be reused under it.
#pragma once

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace sangja {

class PidfdRoute {
 public:
  // Connected up front, so that a bad path fails before anything exists.
  // An empty path: no socket, deliver() does nothing.
  [[nodiscard]] static Result<PidfdRoute> open(const std::string& path);
  // One message: the pidfd (SCM_RIGHTS) with "pidfd" as its payload.
  [[nodiscard]] Status deliver(int pidfd) const;

 private:
  std::string path_;
  UniqueFd socket_;
};

}  // namespace sangja
