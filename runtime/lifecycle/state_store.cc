#include "runtime/lifecycle/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/dir_stream.h"
#include "base/file.h"
#include "base/log.h"

namespace sangja {

namespace {

bool isIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '+' || c == '-' || c == '.';
}

Status lockDir(int fd, const std::string& path) {
  while (::flock(fd, LOCK_EX) < 0) {
    if (errno != EINTR) return Error::fromErrno("lock " + path);
  }
  return {};
}

// A directory removed while we waited for its lock has no links left.
bool isRemoved(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && st.st_nlink == 0;
}

Status mkdirAll(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return {};
  if (errno != ENOENT) return Error::fromErrno("mkdir " + path);
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return Error::fromErrno("mkdir " + path);
  TRY(mkdirAll(path.substr(0, slash), 0755));
  if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) return Error::fromErrno("mkdir " + path);
  return {};
}

}  // namespace

Status validateContainerId(std::string_view id) {
  if (id.empty()) return Error::invalid("invalid container id: must not be empty");
  // It names the state directory and the default cgroup, one path
  // component each: NAME_MAX.
  if (id.size() > kMaxContainerIdLength) {
    return Error::invalid("invalid container id: longer than " +
                          std::to_string(kMaxContainerIdLength) +
                          " characters (a file name's limit)");
  }
  if (id == "." || id == "..") {
    return Error::invalid("invalid container id \"" + std::string(id) + "\"");
  }
  if (!std::all_of(id.begin(), id.end(), isIdChar)) {
    return Error::invalid("invalid container id \"" + std::string(id) +
                          "\": only letters, digits and _+-. are allowed");
  }
  return {};
}

Result<std::string> ContainerDir::readState() const {
  return readRegularFileAt(fd_.get(), kStateFile).context("container \"" + id_ + "\": state");
}

Status ContainerDir::writeState(std::string_view json) const {
  return writeFileAtomic(fd_.get(), kStateFile, json, 0600).context("container state in " + path_);
}

Result<std::string> ContainerDir::readEntry(const char* name) const {
  return readFileAt(fd_.get(), name).context("container \"" + id_ + "\"");
}

Result<UniqueFd> ContainerDir::createEntry(const char* name) const {
  return openAt(fd_.get(), name, O_WRONLY | O_CREAT | O_EXCL, 0600)
      .context("container state in " + path_);
}

Status ContainerDir::rewriteEntry(int fd, std::string_view text, const char* name) const {
  ssize_t n = ::pwrite(fd, text.data(), text.size(), 0);
  if (n != static_cast<ssize_t>(text.size())) {
    return Error::fromErrno(n < 0 ? errno : EIO,
                            std::string("write ") + name + " in container state " + path_);
  }
  return {};
}

bool ContainerDir::hasExecFifo() const {
  return ::faccessat(fd_.get(), kExecFifo, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

Status ContainerDir::remove() {
  {
    DirStream dir = TRY(DirStream::open(fd_.get(), path_));
    while (dirent* e = dir.next()) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      if (::unlinkat(fd_.get(), e->d_name, 0) < 0 && errno != ENOENT) {
        return Error::fromErrno("remove " + path_ + "/" + std::string(name));
      }
    }
  }
  if (::rmdir(path_.c_str()) < 0 && errno != ENOENT) return Error::fromErrno("remove " + path_);
  return {};
}

namespace {

// An ordinary user's state root (in $XDG_RUNTIME_DIR, or given) must be its
// own and closed to others: whoever else may write there could swap a
// container's state and aim our kill or delete at our other processes.
Status checkOwnedByUs(int fd, const std::string& root) {
  uid_t us = ::geteuid();
  if (us == 0) return {};  // root's /run/sangja, as before
  struct stat st;
  if (::fstat(fd, &st) < 0) return Error::fromErrno("stat state root " + root);
  if (st.st_uid != us || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error::invalid("state root " + root + " is not uid " + std::to_string(us) +
                              "'s alone (owner " + std::to_string(st.st_uid) +
                              ", writable by others or not): refusing to keep state there",
                          EPERM);
  }
  return {};
}

}  // namespace

Result<StateStore> StateStore::open(const std::string& root) {
  Status made = mkdirAll(root, 0700);
  if (!made.ok() && made.error().code() == EACCES && ::geteuid() != 0) {
    // The default for an ordinary user is $XDG_RUNTIME_DIR/sangja; without
    // it, /run/sangja is root's.
    return made.error().wrap("state root " + root + " (uid " + std::to_string(::geteuid()) +
                             ": set XDG_RUNTIME_DIR or pass --root)");
  }
  TRY(std::move(made));
  UniqueFd fd = TRY(openFile(root, O_PATH | O_DIRECTORY));
  TRY(checkOwnedByUs(fd.get(), root));
  return StateStore(root, std::move(fd));
}

Result<StateStore> StateStore::openExisting(const std::string& root) {
  Result<UniqueFd> fd = openFile(root, O_PATH | O_DIRECTORY);
  if (!fd.ok() && fd.error().code() == ENOENT) {
    return Error::invalid("state root " + root + " does not exist", ENOENT);
  }
  return StateStore(root, TRY(std::move(fd)));
}

Result<ContainerDir> StateStore::create(const std::string& id) const {
  TRY(validateContainerId(id));
  std::string path = root_ + "/" + id;
  if (::mkdirat(fd_.get(), id.c_str(), 0700) < 0) {
    if (errno == EEXIST)
      return Error::invalid("container with id \"" + id + "\" already exists", EEXIST);
    return Error::fromErrno("mkdir " + path);
  }
  Result<UniqueFd> fd = openAt(fd_.get(), id, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) {
    if (::unlinkat(fd_.get(), id.c_str(), AT_REMOVEDIR) < 0) {
      log::bestEffort("undo", Error::fromErrno("rmdir " + path));
    }
    return std::move(fd).takeError();
  }
  ContainerDir dir(id, path, std::move(*fd));
  if (Status st = lockDir(dir.fd(), path); !st.ok()) {
    log::bestEffort("undo mkdir " + path, dir.remove());
    return std::move(st).takeError();
  }
  return dir;
}

Result<ContainerDir> StateStore::lookup(const std::string& id) const {
  TRY(validateContainerId(id));
  std::string path = root_ + "/" + id;
  auto notFound = [&] { return Error::invalid("container \"" + id + "\" does not exist", ENOENT); };
  int raw = ::openat(fd_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (raw < 0) {
    if (errno == ENOENT) return notFound();
    return Error::fromErrno("open " + path);
  }
  UniqueFd fd(raw);
  TRY(lockDir(fd.get(), path));
  // A directory that create() has not finished yet has no state file; one
  // that delete removed while we waited has no links left.
  if (isRemoved(fd.get()) || ::faccessat(fd.get(), kStateFile, F_OK, 0) < 0) return notFound();
  return ContainerDir(id, path, std::move(fd));
}

Result<bool> StateStore::removeIncomplete(
    const std::string& id, const std::function<bool(const ContainerDir&)>& isBroken,
    const std::function<Status(const ContainerDir&)>& cleanUp) const {
  TRY(validateContainerId(id));
  std::string path = root_ + "/" + id;
  int raw = ::openat(fd_.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (raw < 0) {
    if (errno == ENOENT) return false;
    return Error::fromErrno("open " + path);
  }
  ContainerDir dir(id, path, UniqueFd(raw));
  TRY(lockDir(dir.fd(), path));
  if (isRemoved(dir.fd())) return false;
  bool noState = ::faccessat(dir.fd(), kStateFile, F_OK, 0) < 0;
  if (!noState && !isBroken(dir)) return false;
  TRY(cleanUp(dir));
  TRY(dir.remove());
  return true;
}

Result<std::optional<std::string>> StateStore::readStateUnlocked(const std::string& id) const {
  TRY(validateContainerId(id));
  Result<std::string> json = readRegularFileAt(fd_.get(), id + "/" + kStateFile);
  if (json.ok()) return std::optional<std::string>(std::move(*json));
  if (json.error().code() == ENOENT || json.error().code() == ENOTDIR) {
    return std::optional<std::string>();
  }
  return json.error().wrap("container \"" + id + "\": state");
}

bool StateStore::hasExecFifo(const std::string& id) const {
  std::string fifo = id + "/" + kExecFifo;
  return ::faccessat(fd_.get(), fifo.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

Result<std::vector<std::string>> StateStore::list() const {
  DirStream dir = TRY(DirStream::open(fd_.get(), root_));
  std::vector<std::string> ids;
  while (dirent* e = dir.next()) {
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
    if (validateContainerId(e->d_name).ok()) ids.emplace_back(e->d_name);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace sangja
