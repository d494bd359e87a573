// The config.json that `sangja spec` writes: runc's example spec
// (libcontainer/specconv/example.go, and ToRootless for --rootless) with
// ociVersion 1.3.0 and hostname "sangja". Pure: the caller supplies the ids
// and whether the host gets a cgroup namespace.
#pragma once

#include <sys/types.h>

#include <string>

#include "spec/config.h"

namespace sangja::spec {

struct DefaultConfigOptions {
  bool rootless = false;
  // Rootless only: the host ids mapped to 0 in the container (geteuid(),
  // getegid() of the caller).
  uid_t uid = 0;
  gid_t gid = 0;
  // runc adds a cgroup namespace when the host is cgroup v2 only.
  bool cgroupNamespace = true;
};

Config defaultConfig(const DefaultConfigOptions& options);

// The document, tab-indented and in the spec's field order like runc's, no
// trailing newline.
std::string defaultConfigJson(const DefaultConfigOptions& options);
std::string defaultConfigJson(bool rootless, uid_t uid = 0, gid_t gid = 0,
                              bool cgroupNamespace = true);

}  // namespace sangja::spec
