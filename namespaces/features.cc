#include "namespaces/features.h"

namespace sangja::ns {

NamespaceFeatures namespaceFeatures() {
  NamespaceFeatures f;
  f.namespaces = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
  f.idmapMounts = true;
  f.mountOptions = {"idmap", "ridmap"};
  f.netDevices = true;
  return f;
}

}  // namespace sangja::ns
