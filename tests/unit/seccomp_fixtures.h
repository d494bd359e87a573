// Shared by the seccomp unit tests: a linux.seccomp.syscalls entry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spec/config.h"

namespace sangja::seccomp::fixtures {

inline spec::Syscall entry(std::vector<std::string> names, std::string action,
                           std::vector<spec::SeccompArg> args = {},
                           std::optional<uint32_t> errnoRet = std::nullopt) {
  spec::Syscall s;
  s.names = std::move(names);
  s.action = std::move(action);
  s.args = std::move(args);
  s.errnoRet = errnoRet;
  return s;
}

}  // namespace sangja::seccomp::fixtures
