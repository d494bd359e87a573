// config.json -> LaunchPlan: every decision made, every path resolved and
// every string built before the fork.
#pragma once

#include <string>

#include "base/result.h"
#include "runtime/launch/launcher.h"
#include "spec/config.h"

namespace sangja {

struct LaunchOptions {
  std::string bundle;  // absolute
  bool noPivot = false;
  int preserveFds = 0;
  std::string sessionKeyring;   // empty: --no-new-keyring
  std::string seccompCacheDir;  // compiled filters (seccomp_cache.h); empty: no cache
};

Result<LaunchPlan> buildLaunchPlan(const spec::Config& config, const LaunchOptions& options);

}  // namespace sangja
