// "0-3,7" lists of CPUs or memory nodes (cpuset.cpus, process.execCPUAffinity,
// linux.memoryPolicy.nodes). Pure.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"

namespace sangja {

// Far more CPUs and nodes than any machine has; keeps masks small and bounded.
inline constexpr unsigned kMaxCpuListEntry = 1023;

// "0-3,7" -> {0,1,2,3,7}; "" -> {}. Errors name `where`.
Result<std::vector<unsigned>> parseCpuList(std::string_view list, std::string_view where);

}  // namespace sangja
