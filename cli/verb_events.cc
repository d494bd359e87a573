// events: --stats prints one stats event; otherwise stats every --interval
// and OOM events as they happen, one JSON object a line, until the
// container stops.
#include <array>

#include "cli/flags.h"
#include "cli/verbs.h"

namespace sangja::cli {

Result<int> verbEvents(const GlobalOptions& g, Args args) {
  constexpr std::array kFlags = {FlagSpec{"stats", "", false}, FlagSpec{"interval", "", true}};
  ParsedFlags flags = TRY(parseFlags(args, kFlags));
  TRY(expectArgs("events", flags.positional, 1, "[--stats] [--interval 5s] <container-id>"));
  const std::string& id = flags.positional[0];
  if (flags.isSet("stats")) {
    printOut(TRY(containerStatsEvent(g.runtime, id)) + "\n");
    return 0;
  }
  int64_t interval = TRY(parseDurationMs("interval", flags.valueOr("interval", "5s")));
  if (interval <= 0) return Error::invalid("--interval must be positive");
  TRY(watchContainerEvents(g.runtime, id, static_cast<int>(interval),
                           [](const std::string& event) { printOut(event + "\n"); }));
  return 0;
}

}  // namespace sangja::cli
