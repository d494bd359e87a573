// What the namespaces part of sangja supports, for the `features` verb
// (runtime-spec features-linux.md). Recognised, "irrespective of the
// availability of the features on the host operating system".
#pragma once

#include <string>
#include <vector>

namespace sangja::ns {

struct NamespaceFeatures {
  // linux.namespaces types sangja creates or joins, sorted.
  std::vector<std::string> namespaces;
  // mountExtensions.idmap.enabled: mounts[].uidMappings/gidMappings are used.
  bool idmapMounts = false;
  // Mount options this part adds to the list (idmap, ridmap).
  std::vector<std::string> mountOptions;
  // netDevices.enabled: linux.netDevices are moved in (namespaces/net_devices.h).
  bool netDevices = false;
};

// Pure.
NamespaceFeatures namespaceFeatures();

}  // namespace sangja::ns
