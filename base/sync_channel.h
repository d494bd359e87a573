// The parent <-> container-init channel: typed, fixed-size messages over a
// SOCK_SEQPACKET socketpair. The child side neither allocates nor throws; a
// failure there travels back as {step, errno} and becomes create's error.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "base/fd_passing.h"
#include "base/fixed_text.h"
#include "base/result.h"
#include "base/unique_fd.h"

namespace sangja {

enum class SyncType : uint32_t {
  kReady = 1,      // child: set up, waiting to be started
  kError = 2,      // child: failed; err and text say where
  kGo = 3,         // parent: proceed (exec, or the next step)
  kSeccompFd = 4,  // child: the seccomp notify fd rides along (SCM_RIGHTS)
  kHooks = 5,      // child: mounts done, before pivot_root; run create's hooks, then kGo
  kSpawned = 6,    // user namespace helper: the init is cloned, pid says which
  kConsoleFd = 7,  // child: the pty master of process.terminal rides along (SCM_RIGHTS)
  kCreated = 8,    // parent: create has recorded the container; the init no longer needs it
  kMountSource =
      9,  // parent, before kGo: the source or idmapped tree of mount `index` (SCM_RIGHTS)
};

// Phases of the container init, timed for the trace (base/trace.h).
enum ChildPhase {
  kPhaseCloned,
  kPhaseNamespaces,
  kPhaseRootfs,
  kPhaseIdentity,
  kPhaseReady,
  kChildPhases
};
inline constexpr const char* kChildPhaseNames[kChildPhases] = {
    "init: cloned", "init: namespaces set up", "init: rootfs and pivot_root",
    "init: rlimits, user, caps", "init: ready"};

struct SyncMessage {
  SyncType type;
  int32_t err;
  int32_t pid;                     // with kSpawned
  int32_t index;                   // with kMountSource
  uint64_t phaseNs[kChildPhases];  // with kReady: when each phase ended
  char text[448];
};

// Child side. Every function here is async-signal-safe.
class ChildChannel {
 public:
  explicit ChildChannel(int fd) : fd_(fd) {}
  int fd() const { return fd_; }

  bool send(SyncType type, int err = 0, std::string_view text = {},
            const uint64_t* phaseNs = nullptr) const {
    SyncMessage msg{};
    msg.type = type;
    if (phaseNs != nullptr) {
      for (int i = 0; i < kChildPhases; ++i) msg.phaseNs[i] = phaseNs[i];
    }
    msg.err = err;
    size_t n = text.size() < sizeof msg.text - 1 ? text.size() : sizeof msg.text - 1;
    for (size_t i = 0; i < n; ++i) msg.text[i] = text[i];
    return sendMessage(msg);
  }

  bool sendSpawned(int32_t pid) const {
    SyncMessage msg{};
    msg.type = SyncType::kSpawned;
    msg.pid = pid;
    return sendMessage(msg);
  }

  // Sends a message with one fd attached (SCM_RIGHTS); the receiver gets
  // its own copy, the caller still owns fdToPass.
  bool sendFd(SyncType type, int fdToPass) const {
    SyncMessage msg{};
    msg.type = type;
    return sendWithFd(fd_, &msg, sizeof msg, fdToPass) == static_cast<ssize_t>(sizeof msg);
  }

  // kMountSource from a helper that made the tree of mount `index`.
  bool sendMountSource(int32_t index, int fdToPass) const {
    SyncMessage msg{};
    msg.type = SyncType::kMountSource;
    msg.index = index;
    return sendWithFd(fd_, &msg, sizeof msg, fdToPass) == static_cast<ssize_t>(sizeof msg);
  }

  // Blocks for the parent's kGo; false if the parent went away.
  bool waitForGo() const { return waitFor(SyncType::kGo); }

  // Blocks for kGo, keeping the fd of each kMountSource before it in
  // sources[index] (close-on-exec); false if the parent went away or sent
  // anything else.
  bool waitForGoCollecting(int* sources, size_t count) const {
    for (;;) {
      SyncMessage msg;
      int passed;
      if (recvWithFd(fd_, &msg, sizeof msg, &passed) != static_cast<ssize_t>(sizeof msg)) {
        if (passed >= 0) ::close(passed);
        return false;
      }
      if (msg.type == SyncType::kGo && passed < 0) return true;
      bool fits = msg.index >= 0 && static_cast<size_t>(msg.index) < count;
      if (msg.type != SyncType::kMountSource || passed < 0 || !fits) {
        if (passed >= 0) ::close(passed);
        return false;
      }
      if (sources[msg.index] >= 0) ::close(sources[msg.index]);
      sources[msg.index] = passed;
    }
  }

  // Blocks for the parent's next message; false unless it is `type` (the
  // parent went away, or said something else).
  bool waitFor(SyncType type) const {
    SyncMessage msg;
    ssize_t r;
    do r = ::recv(fd_, &msg, sizeof msg, 0);
    while (r < 0 && errno == EINTR);
    return r == static_cast<ssize_t>(sizeof msg) && msg.type == type;
  }

  // Reports "step: detail" with errno err, then exits the child.
  [[noreturn]] void fail(int err, std::string_view step, std::string_view detail = {}) const {
    FixedText<480> text(step);
    if (!detail.empty()) text.append(" ").append(detail);
    send(SyncType::kError, err, text.view());
    ::_exit(127);
  }

 private:
  bool sendMessage(const SyncMessage& msg) const {
    ssize_t r;
    do r = ::send(fd_, &msg, sizeof msg, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    return r == static_cast<ssize_t>(sizeof msg);
  }

  int fd_;
};

// Parent side.
Status sendGo(int fd);
// A message with no payload (kGo, kCreated).
Status sendSync(int fd, SyncType type);
// kMountSource: fdToPass is the source of mount `index` (the caller keeps it).
Status sendMountSource(int fd, int32_t index, int fdToPass);
// Waits for the child's next message; a closed channel is an error. An fd
// the child attached lands in *passedFd (closed when passedFd is null).
Result<SyncMessage> receiveSync(int fd, UniqueFd* passedFd = nullptr);
// Turns a child's kError into an Error ("step detail: strerror").
Error errorFromChild(const SyncMessage& msg);

}  // namespace sangja
