// The exit status of a child that sangja-childcheck's trap ended
// (child_trap.cc): it allocated, freed or threw between clone and exec.
#pragma once

namespace sangja {

inline constexpr int kChildTrapStatus = 121;

}  // namespace sangja
