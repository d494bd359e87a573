// The runtime-spec features document (features.md, features-linux.md):
// what this build of sangja recognises, whatever the host offers. The
// seccomp flags the kernel accepts are the one probed part.
#pragma once

#include <nlohmann/json.hpp>

namespace sangja {

nlohmann::json featuresDocument();

}  // namespace sangja
