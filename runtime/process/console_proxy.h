// `run` with process.terminal and no --console-socket: the runtime keeps the
// pty's master and stands between it and the user's terminal, as runc does.
#pragma once

#include <signal.h>
#include <termios.h>

#include <functional>
#include <optional>

#include "base/result.h"
#include "base/unique_fd.h"

namespace sangja::console {

class TerminalProxy {
 public:
  // Takes the master. When `in` is a terminal it goes into raw mode (every
  // key reaches the container's pty; restored when the proxy goes, on every
  // path) and its window size is copied to the pty.
  [[nodiscard]] static Result<TerminalProxy> attach(UniqueFd master, int in, int out);

  TerminalProxy(TerminalProxy&& other) noexcept;
  TerminalProxy& operator=(TerminalProxy&&) = delete;
  ~TerminalProxy() { restore(); }

  // Copies in -> master and master -> out until onSignal returns a value
  // (then the master's pending output is copied and that value returned).
  // Every signal of `signals` (blocked by the caller) goes to onSignal,
  // except SIGWINCH: the new size of `in` goes to the pty.
  [[nodiscard]] Result<int> pump(const sigset_t& signals,
                                 const std::function<std::optional<int>(int sig)>& onSignal);

  // Puts the user's terminal back as it was (idempotent).
  void restore();

 private:
  TerminalProxy(UniqueFd master, int in, int out)
      : master_(std::move(master)), in_(in), out_(out) {}
  void copySize() const;
  // Reads what the master has now and writes it to out; false once no
  // slave is left open (EIO) or on error.
  bool copyOutput();
  void drainOutput();

  UniqueFd master_;
  int in_;
  int out_;
  std::optional<termios> saved_;  // the terminal's settings before raw mode
};

}  // namespace sangja::console
