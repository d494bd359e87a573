// sangja features: the runtime-spec features document of this build.
#include "cli/flags.h"
#include "cli/verbs.h"
#include "runtime/lifecycle/features.h"

namespace sangja::cli {

Result<int> verbFeatures(const GlobalOptions&, Args args) {
  ParsedFlags flags = TRY(parseFlags(args, {}));
  TRY(expectArgs("features", flags.positional, 0, "sangja features"));
  printOut(featuresDocument().dump(2) + "\n");
  return 0;
}

}  // namespace sangja::cli
