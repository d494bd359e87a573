// Helpers shared by the verb files.
#include <unistd.h>

#include "cli/flags.h"
#include "cli/verbs.h"

namespace sangja::cli {

Status expectArgs(std::string_view verb, const std::vector<std::string>& positional, size_t n,
                  std::string_view usage) {
  if (positional.size() == n) return {};
  return Error::invalid(std::string(verb) + ": expected " + std::to_string(n) +
                        " argument(s), got " + std::to_string(positional.size()) +
                        "; usage: sangja " + std::string(verb) + " " + std::string(usage));
}

Result<int> idOnlyVerb(std::string_view verb, const GlobalOptions& g, Args args,
                       Status (*op)(const RuntimeOptions&, const std::string&)) {
  ParsedFlags flags = TRY(parseFlags(args, {}));
  TRY(expectArgs(verb, flags.positional, 1, "<container-id>"));
  TRY(op(g.runtime, flags.positional[0]));
  return 0;
}

void printOut(std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(1, text.data(), text.size());
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace sangja::cli
