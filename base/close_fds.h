// Closing every fd of a process but a few, on the child side (between clone
// and exec): no allocation, no error reporting beyond errno.
#pragma once

#include <climits>
#include <cstddef>

namespace sangja {

// An inclusive range of fd numbers; last may be UINT_MAX ("to the end").
struct FdRange {
  unsigned first;
  unsigned last;
};

// Pure: the ranges of fds >= from that are not in keep[0..nKeep), written to
// out (capacity nKeep + 1, which always suffices); returns how many. keep
// need not be sorted; negative or duplicate entries are ignored.
size_t fdRangesToClose(unsigned from, const int* keep, size_t nKeep, FdRange* out);

// Closes every fd >= from that is not in keep: close_range over the gaps, or,
// where close_range is missing or denied (old kernels, a seccomp profile),
// one close per entry of /proc/self/fd. Returns 0 or an errno.
int closeFdsExcept(unsigned from, const int* keep, size_t nKeep);

}  // namespace sangja
