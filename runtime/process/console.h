// The container's terminal (process.terminal): a pty made from the
// container's own devpts by the process about to exec, its master handed to
// the runtime over the sync channel (SyncType::kConsoleFd), and from there to
// the caller's --console-socket or to `run`'s terminal proxy
// (runtime/process/console_proxy.h).
//
// Three parts, for create/run and for exec alike:
//   planConsole        (parent, pure): what the child does;
//   setupConsole       (child, no allocation): the pty, /dev/console, stdio;
//   connectConsoleSocket / sendConsoleMaster (parent): runc's console socket.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/sync_channel.h"
#include "base/unique_fd.h"
#include "spec/config.h"

namespace sangja::console {

struct ConsolePlan {
  bool enabled = false;  // process.terminal
  // Bind the pty's slave onto /dev/console (create/run); exec has none.
  bool mountDevConsole = false;
  // process.consoleSize; 0 x 0 leaves the kernel's default.
  uint16_t rows = 0;
  uint16_t cols = 0;
  // The pty's slave is the process's: its user owns it (as under runc).
  uid_t uid = 0;
};

// runc's rules for process.terminal and --console-socket. detached: create,
// or run --detach (nobody stays to hold the pty's master).
[[nodiscard]] Status checkConsoleFlags(bool terminal, bool detached, bool hasConsoleSocket);

// process.terminal and process.consoleSize; mountDevConsole for a
// container's init (false: exec).
[[nodiscard]] Result<ConsolePlan> planConsole(const spec::Process& process, bool mountDevConsole);

// The name that travels with the master over the console socket
// ("/dev/pts/N"), as go-runc's receiver names the file.
std::string ptyName(int ptyNumber);

// ---- Child side (between clone and execve; no allocation). ----

namespace child {

// With plan.enabled: opens the pty master from the container's devpts
// (/dev/pts/ptmx, else /dev/ptmx, resolved under the current root), its
// slave through the master (TIOCGPTPEER), applies the size, binds the slave
// onto /dev/console (never through a symlink), sends the master to the
// runtime (kConsoleFd), then makes the slave the controlling terminal
// (setsid, TIOCSCTTY) and stdin/stdout/stderr. Runs after the process's root
// is the container's (after pivot_root, or after joining its mount
// namespace). Exits through channel.fail on error.
void setupConsole(const ConsolePlan& plan, const ChildChannel& channel);

}  // namespace child

// ---- Parent side. ----

// Connects to the caller's --console-socket (a listening unix stream
// socket), before anything of the container exists.
[[nodiscard]] Result<UniqueFd> connectConsoleSocket(const std::string& path);

// The one message the console socket gets: the master fd (SCM_RIGHTS) with
// its name as the payload.
[[nodiscard]] Status sendConsoleMaster(int socket, int master);

// Where the master goes once the process sends it: to the caller's
// --console-socket (connected up front, so a bad path fails before anything
// exists), or, with none, kept for the terminal proxy (runtime/process/console_proxy.h).
class MasterRoute {
 public:
  // consoleSocket empty: keep the master.
  [[nodiscard]] static Result<MasterRoute> open(const std::string& consoleSocket);
  // LaunchCallbacks::onConsoleFd.
  [[nodiscard]] Status deliver(UniqueFd master);
  // The kept master; empty when it went to a socket or never came.
  UniqueFd takeKept() { return std::move(kept_); }

 private:
  std::string path_;
  UniqueFd socket_;
  UniqueFd kept_;
};

}  // namespace sangja::console

namespace sangja {
// A connected unix stream socket at path; errors say "connect to <purpose>
// <path>".
[[nodiscard]] Result<UniqueFd> connectUnixSocket(const std::string& path,
                                                 const std::string& purpose);
}  // namespace sangja
