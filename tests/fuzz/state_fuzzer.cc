// The state documents (spec/state.h): the runtime's state.json
// (parseStoredState) and the runtime-spec State hooks read (parseState).
// No crash; both round-trip through toJson; what `sangja state` prints for
// a stored state is a State that parseState reads back.
#include "spec/state.h"
#include "tests/fuzz/fuzz_check.h"

using namespace sangja;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::text(data, size);
  fuzz::checkRoundTrip(input, [](std::string_view s) { return spec::parseStoredState(s); });
  fuzz::checkRoundTrip(input, [](std::string_view s) { return spec::parseState(s); });
  if (auto stored = spec::parseStoredState(input); stored.ok()) {
    std::string shown = spec::renderStateJson(*stored, "running", stored->pid);
    auto state = spec::parseState(shown);
    fuzz::check(state.ok(), "renderStateJson's output is not a State", shown);
    fuzz::check(state->id == stored->id && state->bundle == stored->bundle &&
                    state->pid == stored->pid && state->annotations == stored->annotations,
                "renderStateJson lost a field", shown, input);
  }
  return 0;
}
