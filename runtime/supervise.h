// Waiting for a container process in the foreground (`run`, `exec` without
// --detach): signals sent to the runtime go on to the process, and its end
// becomes the runtime's exit status.
#pragma once

#include <signal.h>

#include <optional>

#include "base/result.h"
#include "runtime/launcher.h"

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

// Waits for the process, forwarding every signal of `signals` we get to
// it; returns exitStatusOf its wait status.
Result<int> superviseProcess(InitProcess& process, const sigset_t& signals);

}  // namespace sangja
