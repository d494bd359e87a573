// pause and resume.
#include "cli/verbs.h"

namespace sangja::cli {

Result<int> verbPause(const GlobalOptions& g, Args args) {
  return idOnlyVerb("pause", g, args, pauseContainer);
}

Result<int> verbResume(const GlobalOptions& g, Args args) {
  return idOnlyVerb("resume", g, args, resumeContainer);
}

}  // namespace sangja::cli
