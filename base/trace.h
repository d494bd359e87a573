// Per-phase timing of create/run (`--debug` or SANGJA_TRACE=1): where a slow
// container start spends its time. Off by default, and then a mark costs a
// branch. The container init's phases come back in its ready message.
#pragma once

#include <time.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sangja::trace {

// Child-safe: a vDSO clock read.
inline uint64_t nowNs() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

void enable(bool on);
bool enabled();

// Records that phase ended now (or at ns).
void mark(std::string_view phase);
void markAt(std::string_view phase, uint64_t ns);

// "phase  +total ms  (step ms)" lines, in time order, since the first mark.
std::string render();

}  // namespace sangja::trace
