// pause and resume.
#include "runtime/cli/flags.h"
#include "runtime/cli/verbs.h"

namespace sangja::cli {

Result<int> verbPause(const GlobalOptions& g, Args args) {
  ParsedFlags flags = TRY(parseFlags(args, {}));
  TRY(expectArgs("pause", flags.positional, 1, "<container-id>"));
  TRY(pauseContainer(g.runtime, flags.positional[0]));
  return 0;
}

Result<int> verbResume(const GlobalOptions& g, Args args) {
  ParsedFlags flags = TRY(parseFlags(args, {}));
  TRY(expectArgs("resume", flags.positional, 1, "<container-id>"));
  TRY(resumeContainer(g.runtime, flags.positional[0]));
  return 0;
}

}  // namespace sangja::cli
