#include "cli/flags.h"
#include "cli/verbs.h"

namespace sangja::cli {

Result<int> verbState(const GlobalOptions& g, Args args) {
  ParsedFlags flags = TRY(parseFlags(args, {}));
  TRY(expectArgs("state", flags.positional, 1, "<container-id>"));
  std::string json = TRY(containerStateJson(g.runtime, flags.positional[0]));
  printOut(json + "\n");
  return 0;
}

}  // namespace sangja::cli
