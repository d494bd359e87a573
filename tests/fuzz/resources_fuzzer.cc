// The resources of `update --resources FILE` (spec::parseResources): no
// crash, and what it accepts round-trips through toJson.
#include "spec/config.h"
#include "tests/fuzz/fuzz_check.h"

using namespace sangja;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::checkRoundTrip(fuzz::text(data, size),
                       [](std::string_view s) { return spec::parseResources(s); });
  return 0;
}
