// systemd's D-Bus API, as much as the systemd cgroup driver needs: transient
// units, their properties, stopping them.
//
// The bus library is sd-bus, the one systemd itself ships (libsystemd0, on
// every systemd host), as crun uses it: a D-Bus client of our own would be
// more code to trust than the feature is worth. It is loaded with dlopen when
// --systemd-cgroup first needs it, so that a container on the cgroupfs
// driver (and start-up of every command) does not pay for mapping and
// relocating a library of ~1 MB with its own dependencies.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "cgroups/systemd_properties.h"

namespace sangja::cgroups {

// Which systemd makes the scopes: the system's (pid 1, on the system bus) or
// the caller's own user instance (user@UID.service, on its session bus),
// which rootless containers use.
enum class SystemdInstance { kSystem, kUser };

class SystemdBus {
 public:
  // Connects to the instance's bus. When systemd is not running here
  // (/run/systemd/system is missing) this fails at once, naming why, rather
  // than waiting on a bus nobody answers.
  static Result<SystemdBus> connect(SystemdInstance instance);
  ~SystemdBus();
  SystemdBus(SystemdBus&&) noexcept;
  SystemdBus& operator=(SystemdBus&&) noexcept;

  // The manager's own cgroup ("/" for pid 1; a user instance's is
  // "/user.slice/user-UID.slice/user@UID.service"): its units' cgroups are
  // below it.
  [[nodiscard]] Result<std::string> managerControlGroup();
  // Whether systemd has the unit loaded (GetUnit); false for "no such unit".
  [[nodiscard]] Result<bool> unitLoaded(const std::string& unit);
  // Whether a unit file defines it (GetUnitFileState answers), loaded or
  // not: such a unit is the host's, never made transient.
  [[nodiscard]] bool unitFileExists(const std::string& unit);
  // StartTransientUnit in "fail" mode, then waits for its job to finish;
  // anything but "done" is an error naming the unit and the job's result.
  // A unit that exists meanwhile (loaded, or with a unit file) is EEXIST.
  [[nodiscard]] Status startTransientUnit(const std::string& unit,
                                          const std::vector<UnitProperty>& props);
  // SetUnitProperties, runtime only (nothing written under /etc).
  [[nodiscard]] Status setUnitProperties(const std::string& unit,
                                         const std::vector<UnitProperty>& props);
  // StopUnit and waits for its job; a unit systemd does not know is stopped
  // already. A failed unit is reset, so its name is free again.
  [[nodiscard]] Status stopUnit(const std::string& unit);

 private:
  struct Impl;
  explicit SystemdBus(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sangja::cgroups
