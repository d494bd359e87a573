// Which signals the runtime's process has away from their default
// disposition: inherited ignored ones (a caller that ignores SIGPIPE or
// SIGHUP) and any it catches. Read in the parent, from the host's procfs,
// before a clone: the child's reset (child::resetSignals) then makes a
// sigaction only for those instead of one per signal, and never reads a
// file the container controls or that a seccomp profile may deny.
#pragma once

#include <cstdint>
#include <string_view>

namespace sangja {

// Bit sig-1 set for every signal that is ignored or caught, from the
// SigIgn and SigCgt lines of /proc/self/status; all bits when that file
// cannot be read or is not procfs (the reset then covers every signal).
uint64_t signalsNotAtDefault();

// SigIgn | SigCgt of a /proc/PID/status text; nullopt-like: all bits when
// either line is missing or malformed.
uint64_t parseSignalsNotAtDefault(std::string_view status);

}  // namespace sangja
