#include "base/dir_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace sangja {

Result<DirStream> DirStream::open(int dirfd, std::string_view what) {
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::fromErrno("open " + std::string(what));
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    Error err = Error::fromErrno("scan " + std::string(what));
    ::close(fd);
    return err;
  }
  return DirStream(dir);
}

}  // namespace sangja
