// Fault injection for the tests: every trace mark (base/trace.h) is also a
// fault point. The library's faultPoint does nothing; the test-only binary
// sangja-faulty links one that SIGKILLs the runtime when the phase named by
// $SANGJA_FAULT_AT is reached (tests/faulty/), so the fault test can kill
// create, start, exec and delete at each of their phases. There is no
// run-time switch in the product binary.
#pragma once

#include <string_view>

namespace sangja {

void faultPoint(std::string_view phase);

}  // namespace sangja
