// The parent's side of the conversation with a child it launched (a
// container init, or a process `exec` starts), written down once. The
// child's side is ChildChannel (base/sync_channel.h); its checklist
// (runtime/launch/launcher.cc) sends in this order.
//
//   after the clone, if the child waits:  parent  kMountSource... kGo
//   create's hooks, before pivot_root:    child   kHooks     parent kGo
//   process.terminal:                     child   kConsoleFd (the pty master)
//   a seccomp listener:                   child   kSeccompFd (the notify fd)
//   set up:                               child   kReady     (phase times)
//   create:  parent kCreated (the init no longer dies with us); `start`
//            then writes the exec fifo.
//   run, exec: parent kGo; the channel closes at the child's execve.
//
// Instead of any of its messages the child may send kError, which ends
// the conversation; anything else out of turn is "expected X, got Y".
//
// The idmapped-tree helper (namespaces/idmap.h) speaks the same messages
// to the parent: kMountSource per tree, then kReady (or kError).
#pragma once

#include "base/result.h"
#include "base/sync_channel.h"
#include "base/unique_fd.h"

namespace sangja::launch {

const char* syncTypeName(SyncType type);

// What a child reports before kReady, besides kError, in the order above.
struct ChildReports {
  bool hooksPause = false;  // kHooks, answered by kGo once create's hooks ran
  bool consoleFd = false;   // kConsoleFd
  bool seccompFd = false;   // kSeccompFd
};

// The child's next message, which must be `expected`; for the two that
// carry an fd, it lands in *fd (and must be there).
[[nodiscard]] Result<SyncMessage> expectFromChild(int channel, SyncType expected,
                                                  UniqueFd* fd = nullptr);

// After kGo: done when the channel closes at the child's execve; its
// error if it sends one instead.
[[nodiscard]] Status waitForExec(int channel);

}  // namespace sangja::launch
