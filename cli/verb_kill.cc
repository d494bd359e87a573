#include <csignal>

#include <array>

#include "cli/flags.h"
#include "cli/verbs.h"
#include "runtime/lifecycle/signals.h"

namespace sangja::cli {

Result<int> verbKill(const GlobalOptions& g, Args args) {
  constexpr std::array kFlags = {FlagSpec{"all", "a", false}};
  ParsedFlags flags = TRY(parseFlags(args, kFlags));
  const auto& pos = flags.positional;
  if (pos.empty() || pos.size() > 2) {
    TRY(expectArgs("kill", pos, 1, "[--all] <container-id> [signal]"));
  }
  // An empty signal is the default one, as with runc.
  int sig = pos.size() == 2 && !pos[1].empty() ? TRY(parseSignal(pos[1])) : SIGTERM;
  TRY(killContainer(g.runtime, pos[0], sig, flags.isSet("all")));
  return 0;
}

}  // namespace sangja::cli
