// sangja: the CLI. Global flags, then a verb from the table below.
#include <array>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/trace.h"
#include "cli/flags.h"
#include "cli/verbs.h"
#include "runtime/lifecycle/rootless.h"

namespace sangja::cli {
namespace {

struct Verb {
  std::string_view name;
  Result<int> (*run)(const GlobalOptions&, Args);
  std::string_view synopsis;  // what follows the verb
  std::string_view help;
};

constexpr std::array kVerbs = {
    Verb{"create", verbCreate,
         "[--bundle DIR] [--console-socket SOCK] [--pid-file FILE] [--no-pivot] [--no-new-keyring] "
         "[--preserve-fds N] <container-id>",
         "create a container"},
    Verb{"start", verbStart, "<container-id>", "run the user process of a created container"},
    Verb{"run", verbRun, "[create flags] [--detach] [--keep] [--no-subreaper] <container-id>",
         "create and start a container, wait for it"},
    Verb{"exec", verbExec, "[--process FILE | flags] <container-id> [command [args...]]",
         "run a new process in a container"},
    Verb{"state", verbState, "<container-id>", "print the state of a container"},
    Verb{"kill", verbKill, "[--all] <container-id> [signal]",
         "send a signal to the container's init (or all with --all)"},
    Verb{"delete", verbDelete, "[--force] <container-id>",
         "delete a container (--force: even a running one)"},
    Verb{"list", verbList, "[--format table|json] [--quiet]", "list containers"},
    Verb{"spec", verbSpec, "[--bundle DIR] [--rootless]", "write a default config.json"},
    Verb{"pause", verbPause, "<container-id>", "freeze every process of a running container"},
    Verb{"resume", verbResume, "<container-id>", "thaw a paused container"},
    Verb{"ps", verbPs, "[--format table|json] <container-id> [ps options]",
         "list the container's processes (--format json: pids)"},
    Verb{"events", verbEvents, "[--stats] [--interval DURATION] <container-id>",
         "stats (--stats: once) and OOM events of a container"},
    Verb{"update", verbUpdate, "[--resources FILE | resource flags] <container-id>",
         "change a running container's resources"},
    Verb{"features", verbFeatures, "", "print what this build supports (runtime-spec features)"},
    Verb{"check", verbCheck, "[--format text|json] [--bundle DIR]", "can containers run here?"},
};

constexpr std::array kGlobalFlags = {
    FlagSpec{"root", "", true},
    FlagSpec{"log", "", true},
    FlagSpec{"log-format", "", true},
    FlagSpec{"debug", "", false},
    FlagSpec{"systemd-cgroup", "", false},
    FlagSpec{"rootless", "", true},
    FlagSpec{"criu", "", true},
    FlagSpec{"version", "v", false},
    FlagSpec{"help", "h", false},
};

std::string usage() {
  std::string out =
      "usage: sangja [global flags] <command> [flags] [args]\n\n"
      "global flags: --root DIR, --log FILE, --log-format text|json, --debug, "
      "--version\n\ncommands:\n";
  for (const Verb& v : kVerbs) {
    out += "  " + std::string(v.name) + std::string(10 - v.name.size(), ' ') + std::string(v.help) +
           "\n";
  }
  return out;
}

// `--help` or `-h` among the verb's flags (not in a command it runs, as in
// `exec ID sh --help`: parsing stops at the first positional argument).
bool asksForHelp(Args args) {
  for (const std::string& a : args) {
    if (a == "--" || a.empty() || a[0] != '-') return false;
    if (a == "--help" || a == "-help" || a == "-h" || a == "--h") return true;
  }
  return false;
}

Result<int> dispatch(const std::vector<std::string>& argv) {
  ParsedFlags flags = TRY(parseFlags(argv, kGlobalFlags));
  std::string format = flags.valueOr("log-format", "text");
  if (format != "text" && format != "json") {
    return Error::invalid("invalid log format \"" + format + "\": use text or json");
  }
  log::configure(flags.valueOr("log", ""),
                 format == "json" ? log::Format::kJson : log::Format::kText, flags.isSet("debug"));
  const char* traceEnv = ::getenv("SANGJA_TRACE");
  trace::enable(flags.isSet("debug") ||
                (traceEnv != nullptr && *traceEnv != '\0' && std::string_view(traceEnv) != "0"));
  if (flags.isSet("version")) {
    printOut("sangja version " SANGJA_VERSION "\ncommit: " SANGJA_COMMIT "\nspec: 1.3.0\n");
    return 0;
  }
  if (flags.isSet("help") || flags.positional.empty()) {
    printOut(usage());
    return flags.positional.empty() && !flags.isSet("help") ? 2 : 0;
  }
  RootlessFlag rootless = TRY(parseRootlessFlag(flags.valueOr("rootless", "auto")));
  Caller caller = currentCaller();
  GlobalOptions g;
  g.runtime.root = flags.value("root").value_or(defaultStateRoot(caller));
  g.runtime.rootless = isRootless(rootless, caller);
  g.runtime.systemdCgroup = flags.isSet("systemd-cgroup");
  g.debug = flags.isSet("debug");
  const std::string& name = flags.positional[0];
  Args rest(flags.positional.data() + 1, flags.positional.size() - 1);
  for (const Verb& v : kVerbs) {
    if (v.name != name) continue;
    if (asksForHelp(rest)) {
      printOut("usage: sangja " + std::string(v.name) + " " + std::string(v.synopsis) + "\n\n" +
               std::string(v.help) + "\n");
      return 0;
    }
    return v.run(g, rest);
  }
  return Error::invalid("unknown command \"" + name + "\"; see sangja --help");
}

}  // namespace
}  // namespace sangja::cli

namespace {

// The last line of defence: errors travel as Results, but an exception that
// slipped past them (a library's, or bad_alloc) must still end in one clear
// line and exit 1, never in terminate()'s abort and core dump.
sangja::Result<int> dispatchGuarded(const std::vector<std::string>& args) {
  try {
    return sangja::cli::dispatch(args);
  } catch (const std::exception& e) {
    return sangja::Error::invalid(std::string("internal error: ") + e.what());
  } catch (...) {
    return sangja::Error::invalid("internal error: unknown exception");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  sangja::Result<int> r = dispatchGuarded(args);
  if (sangja::trace::enabled()) {
    sangja::trace::mark("done");
    sangja::log::trace(sangja::trace::render());
  }
  if (!r.ok()) {
    sangja::log::error(r.error().message());
    return 1;
  }
  return *r;
}
