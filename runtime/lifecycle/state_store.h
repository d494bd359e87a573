// The state store: one directory per container under the runtime root
// (`--root`, default /run/sangja), holding state.json and, while the
// container is created but not started, the exec fifo. Every operation on a
// container holds an exclusive flock on its directory, so concurrent
// commands on one id are serialized.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace sangja {

// Container ids: 1..255 of [A-Za-z0-9_+.-], not "." or "..".
inline constexpr size_t kMaxContainerIdLength = 255;
Status validateContainerId(std::string_view id);

inline constexpr const char* kStateFile = "state.json";
inline constexpr const char* kExecFifo = "exec.fifo";

// A locked container directory. The lock is released when this is destroyed.
class ContainerDir {
 public:
  const std::string& id() const { return id_; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }

  Result<std::string> readState() const;
  Status writeState(std::string_view json) const;
  // Other small files of ours in the directory (runtime/lifecycle/cgroup_record.h).
  Result<std::string> readEntry(const char* name) const;
  // A new one, open for writing (it must not exist yet).
  Result<UniqueFd> createEntry(const char* name) const;
  // The whole of text at offset 0 of an entry, in one pwrite: a SIGKILL
  // cannot tear it, and a longer text leaves nothing of a shorter one.
  Status rewriteEntry(int fd, std::string_view text, const char* name) const;
  bool hasExecFifo() const;

  // Removes the directory and everything in it; the lock goes with it.
  Status remove();

 private:
  friend class StateStore;
  ContainerDir(std::string id, std::string path, UniqueFd fd)
      : id_(std::move(id)), path_(std::move(path)), fd_(std::move(fd)) {}
  std::string id_;
  std::string path_;
  UniqueFd fd_;
};

class StateStore {
 public:
  // Creates the root directory (mode 0700) if it does not exist yet: for
  // create, the one verb that adds to it.
  static Result<StateStore> open(const std::string& root);
  // The root as it is: missing is ENOENT ("state root X does not exist"),
  // and nothing is made (list, state, kill, delete of a mistyped --root).
  static Result<StateStore> openExisting(const std::string& root);

  // A new, locked, empty directory for id; fails if the id exists.
  Result<ContainerDir> create(const std::string& id) const;
  // The locked directory of an existing container; "container \"ID\" does not exist" otherwise.
  Result<ContainerDir> lookup(const std::string& id) const;
  // Removes the directory of id when it holds no readable state: what a
  // create that was killed half-way leaves. Its lock tells us the creator is
  // gone. cleanUp undoes what else that create made, first. Returns false
  // when there was nothing to remove.
  Result<bool> removeIncomplete(const std::string& id,
                                const std::function<bool(const ContainerDir&)>& isBroken,
                                const std::function<Status(const ContainerDir&)>& cleanUp) const;
  // Ids of every container, sorted.
  Result<std::vector<std::string>> list() const;
  // For list, which must not wait behind a create or delete: state.json of
  // id read without the directory's lock (it is replaced whole by a rename,
  // never half-written), nullopt when there is none (being created, or
  // deleted meanwhile); and whether its exec fifo is there.
  Result<std::optional<std::string>> readStateUnlocked(const std::string& id) const;
  bool hasExecFifo(const std::string& id) const;

  const std::string& root() const { return root_; }
  int fd() const { return fd_.get(); }

 private:
  StateStore(std::string root, UniqueFd fd) : root_(std::move(root)), fd_(std::move(fd)) {}
  std::string root_;
  UniqueFd fd_;
};

}  // namespace sangja
