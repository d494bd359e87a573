// Signal names and numbers as `kill` takes them (parseSignal): no crash or
// undefined behaviour, results within 0..SIGRTMAX (0 is `kill ID 0`, the
// existence check), case does not matter, and the number a name gives
// parses back to itself.
#include <csignal>

#include <algorithm>
#include <cctype>
#include <string>

#include "runtime/lifecycle/signals.h"
#include "tests/fuzz/fuzz_check.h"

using namespace sangja;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::text(data, size);
  Result<int> sig = parseSignal(input);

  std::string lower(input);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  Result<int> sigLower = parseSignal(lower);
  fuzz::check(sig.ok() == sigLower.ok() && (!sig.ok() || *sig == *sigLower),
              "parseSignal depends on case", input, lower);
  if (!sig.ok()) return 0;

  fuzz::check(*sig >= 0 && *sig <= SIGRTMAX, "parseSignal gave a number out of range", input);
  Result<int> again = parseSignal(std::to_string(*sig));
  fuzz::check(again.ok() && *again == *sig, "a signal's number does not parse to itself", input);
  return 0;
}
