// Capabilities: names are mapped in the parent (the kernel's last cap comes
// from libcap); the child only makes the syscalls (bounding-set drops,
// capset, ambient raises).
#pragma once

#include <cstdint>
#include <optional>

#include "base/result.h"
#include "base/sync_channel.h"
#include "spec/config.h"

namespace sangja {

struct CapabilitySets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
  int lastCap = 40;  // the kernel's CAP_LAST_CAP
};

// Names to bit sets. Unknown names are an error; capabilities this kernel
// does not know (above lastCap) are dropped from the sets, as runc does;
// ambient ones not also permitted and inheritable are dropped too.
Result<CapabilitySets> capabilitySets(const spec::Capabilities& caps);

namespace child {

// Child side, step 1 (while still root): drop from the bounding set.
void dropBoundingSet(const CapabilitySets& caps, const ChildChannel& channel);
// Child side, step 2 (after the uid change, with keep-caps set): the
// effective, permitted and inheritable sets, then the ambient ones.
void applyCapabilitySets(const CapabilitySets& caps, const ChildChannel& channel);

}  // namespace child

}  // namespace sangja
