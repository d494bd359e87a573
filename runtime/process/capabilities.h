// Capabilities: names are mapped in the parent (the kernel's last cap is
// probed with PR_CAPBSET_READ); the child only makes the syscalls
// (bounding-set drops, capset, ambient raises).
#pragma once

#include <cstdint>
#include <functional>
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

// The sets are 64-bit masks: no capability above 63 can be named.
inline constexpr int kMaxCapability = 63;

// The highest capability number for which known(cap) holds, found by
// walking from guess (known(0) is assumed; at most kMaxCapability). Pure,
// so the walk is tested with made-up kernels.
int lastCapabilityFrom(int guess, const std::function<bool(int)>& known);
// This kernel's CAP_LAST_CAP, walked with PR_CAPBSET_READ from our own
// table's last capability: three prctl calls when the kernel knows exactly
// the capabilities we name. Where a seccomp filter refuses the probe,
// /proc/sys/kernel/cap_last_cap says it.
int kernelLastCapability();
// Whether this process has cap in its effective set (capget; false if
// that fails).
bool hasEffectiveCapability(int cap);

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
