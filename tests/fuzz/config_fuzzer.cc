// config.json (spec::parseConfig): no crash on any input, and what it
// accepts round-trips through toJson, compact and indented as `spec` writes.
#include "spec/config.h"
#include "tests/fuzz/fuzz_check.h"

using namespace sangja;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::text(data, size);
  fuzz::checkRoundTrip(input, [](std::string_view s) { return spec::parseConfig(s); });
  if (auto config = spec::parseConfig(input); config.ok()) {
    std::string indented = spec::toJson(*config, 1, '\t');
    auto again = spec::parseConfig(indented);
    fuzz::check(again.ok() && *again == *config, "the indented toJson does not parse back",
                indented);
  }
  return 0;
}
