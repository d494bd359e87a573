#include "cli/verbs.h"

namespace sangja::cli {

Result<int> verbStart(const GlobalOptions& g, Args args) {
  return idOnlyVerb("start", g, args, startContainer);
}

}  // namespace sangja::cli
