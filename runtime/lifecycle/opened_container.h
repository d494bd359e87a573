// An existing container opened for an operation: its locked state
// directory, its stored state and its current status. Internal to runtime/.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "cgroups/cgroup_manager.h"
#include "runtime/lifecycle/cgroup_record.h"
#include "runtime/lifecycle/container.h"
#include "runtime/lifecycle/state_store.h"
#include "runtime/lifecycle/status.h"

namespace sangja {

struct OpenedContainer {
  ContainerDir dir;
  spec::StoredState state;
  ContainerStatus status;
  cgroups::CgroupOpener openCgroup;  // RuntimeOptions's

  Result<std::unique_ptr<cgroups::CgroupManager>> cgroup() const {
    return openCgroup(TRY(cgroupRefOf(state)));
  }
};

Result<OpenedContainer> openContainer(const RuntimeOptions& rt, const std::string& id);

}  // namespace sangja
