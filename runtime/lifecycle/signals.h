// Signal names as runc accepts them: a number, `KILL`, `SIGKILL`, any case,
// and `RTMIN+n` / `RTMAX-n`; 0 as an existence check. Pure code.
#pragma once

#include <string_view>

#include "base/result.h"

namespace sangja {

Result<int> parseSignal(std::string_view text);

}  // namespace sangja
