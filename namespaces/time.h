// The time namespace: offsets for CLOCK_MONOTONIC and CLOCK_BOOTTIME.
//
// clone(CLONE_NEWTIME) would put the init into the new namespace at once,
// and the offsets freeze when the first process enters it, at zero. So the
// init unshares it instead: unshare(CLONE_NEWTIME) only sets the namespace
// its children get, /proc/self/timens_offsets then writes that namespace's
// offsets, and execve moves the init itself into it (kernel 5.x onwards:
// exec switches to the "time for children" namespace).
#pragma once

#include <map>
#include <string>

#include "base/result.h"
#include "base/sync_channel.h"
#include "namespaces/namespaces.h"
#include "spec/config.h"

namespace sangja::ns {

struct TimePlan {
  bool unshare = false;  // a new time namespace
  std::string offsets;   // /proc/self/timens_offsets text; empty: none
};

// Pure. The timens_offsets text ("monotonic SECS NANOSECS" lines) for
// linux.timeOffsets; nanosecs must stay below one second.
Result<std::string> renderTimensOffsets(const std::map<std::string, spec::TimeOffset>& offsets);

// Pure. linux.timeOffsets needs a new time namespace (not one joined by
// path, whose offsets are already fixed).
Result<TimePlan> planTimeNamespace(const spec::Config& config, const NamespacePlan& namespaces);

namespace child {

// Child side, with the host's /proc still in view and before the init
// changes its uid (the file belongs to its owner).
void enterNewTimeNamespace(const TimePlan& plan, const ChildChannel& channel);

}  // namespace child

}  // namespace sangja::ns
