// Waiting for a container process in the foreground (`run`, `exec` without
// --detach): signals sent to the runtime go on to the process, and its end
// becomes the runtime's exit status.
#pragma once

#include <signal.h>

#include <optional>

#include "base/result.h"
#include "runtime/launch/launcher.h"
#include "runtime/process/console_proxy.h"

namespace sangja {

// Signals passed on to the process rather than acted on: all but those
// that cannot be caught or that report a fault of our own. Block them
// before the clone, so that none is lost; the process unblocks them just
// before its exec.
sigset_t forwardedSignals();

// A wait status as a shell reports it: the exit code, 128+N for signal N.
int exitStatusOf(int waitStatus);

// One signal we got: any but SIGCHLD goes on to the process; SIGCHLD may
// mean it exited, and then its exit status is the answer.
std::optional<int> onForwardedSignal(InitProcess& process, int sig);

// With a pty master (process.terminal, no --console-socket): the caller's
// terminal on it, raw and sized, set up BEFORE the process is released so
// that it starts with the right window size. Without one: nothing.
[[nodiscard]] Result<std::optional<console::TerminalProxy>> attachCallersTerminal(UniqueFd master);

// Waits for the process, forwarding signals; with a terminal, the user's
// terminal talks to the process meanwhile.
[[nodiscard]] Result<int> superviseInForeground(InitProcess& process,
                                                std::optional<console::TerminalProxy>& terminal,
                                                const sigset_t& signals);

// Waits for the process, forwarding every signal of `signals` we get to
// it; returns exitStatusOf its wait status.
Result<int> superviseProcess(InitProcess& process, const sigset_t& signals);

}  // namespace sangja
