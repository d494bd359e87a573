// A directory stream (DIR*) that closes itself, read from a directory fd's
// "." so that the caller's fd, and its offset, stay the caller's.
#pragma once

#include <dirent.h>

#include <string_view>
#include <utility>

#include "base/result.h"

namespace sangja {

class DirStream {
 public:
  // The entries of dirfd; errors say "open WHAT" or "scan WHAT".
  [[nodiscard]] static Result<DirStream> open(int dirfd, std::string_view what);

  DirStream(DirStream&& other) noexcept : dir_(std::exchange(other.dir_, nullptr)) {}
  DirStream& operator=(DirStream&& other) noexcept {
    if (this != &other) {
      reset();
      dir_ = std::exchange(other.dir_, nullptr);
    }
    return *this;
  }
  DirStream(const DirStream&) = delete;
  DirStream& operator=(const DirStream&) = delete;
  ~DirStream() { reset(); }

  // The next entry ("." and ".." included), or null at the end.
  dirent* next() { return ::readdir(dir_); }

 private:
  explicit DirStream(DIR* dir) : dir_(dir) {}
  void reset() {
    if (dir_ != nullptr) ::closedir(dir_);
    dir_ = nullptr;
  }

  DIR* dir_ = nullptr;
};

}  // namespace sangja
