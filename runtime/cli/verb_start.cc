#include "runtime/cli/flags.h"
#include "runtime/cli/verbs.h"

namespace sangja::cli {

Result<int> verbStart(const GlobalOptions& g, Args args) {
  ParsedFlags flags = TRY(parseFlags(args, {}));
  TRY(expectArgs("start", flags.positional, 1, "<container-id>"));
  TRY(startContainer(g.runtime, flags.positional[0]));
  return 0;
}

}  // namespace sangja::cli
