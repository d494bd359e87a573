#include <array>

#include "cli/flags.h"
#include "cli/verbs.h"

namespace sangja::cli {

Result<int> verbDelete(const GlobalOptions& g, Args args) {
  constexpr std::array kFlags = {FlagSpec{"force", "f", false}};
  ParsedFlags flags = TRY(parseFlags(args, kFlags));
  TRY(expectArgs("delete", flags.positional, 1, "[--force] <container-id>"));
  TRY(deleteContainer(g.runtime, flags.positional[0], flags.isSet("force"))
          .context("delete " + flags.positional[0]));
  return 0;
}

}  // namespace sangja::cli
