// A temporary directory under /tmp for unit tests, removed (recursively)
// when the helper goes out of scope. Never follows symlinks out of itself.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace sangja::testutil {

// Whether path is a directory (following symlinks).
inline bool isDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/sangja-unit-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    // Make everything writable again so that remove_all cannot trip on a
    // directory a test made read-only.
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
    }
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + rel
  std::string sub(const std::string& rel) const { return path_ + "/" + rel; }

  // Makes rel and its parents; returns the absolute path.
  std::string mkdirs(const std::string& rel) const {
    std::string p = sub(rel);
    std::filesystem::create_directories(p);
    return p;
  }

  // Writes content to rel (parents made); returns the absolute path.
  std::string write(const std::string& rel, const std::string& content) const {
    std::string p = sub(rel);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + p);
    return p;
  }

  bool exists(const std::string& rel) const {
    struct stat st;
    return ::lstat(sub(rel).c_str(), &st) == 0;
  }

 private:
  std::string path_;
};

}  // namespace sangja::testutil
