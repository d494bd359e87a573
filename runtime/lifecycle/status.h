// A container's status, derived from its init process and state directory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"
#include "cgroups/cgroup_manager.h"
#include "runtime/lifecycle/state_store.h"
#include "spec/state.h"

namespace sangja {

// The runtime finds containers created, running, paused or stopped; only
// create itself reports one "creating".
using ContainerStatus = spec::Status;
using spec::statusName;

// The start time (clock ticks since boot, /proc/<pid>/stat field 22) of a
// live, non-zombie process; nullopt if there is none.
std::optional<uint64_t> liveProcessStartTime(pid_t pid);

// stopped: the init is gone (or its pid now names another process);
// created: the exec fifo is still there; paused: the cgroup is frozen.
// hasExecFifo is asked only when the init is alive.
ContainerStatus containerStatus(const spec::StoredState& state,
                                const std::function<bool()>& hasExecFifo,
                                const cgroups::CgroupOpener& openCgroup);
ContainerStatus containerStatus(const ContainerDir& dir, const spec::StoredState& state,
                                const cgroups::CgroupOpener& openCgroup);

// Loads state.json of a locked directory.
Result<spec::StoredState> loadState(const ContainerDir& dir);

}  // namespace sangja
