// create and run share their flags.
#include <array>

#include "cli/flags.h"
#include "cli/verbs.h"

namespace sangja::cli {

namespace {

constexpr std::array kCreateFlags = {
    FlagSpec{"bundle", "b", true},         FlagSpec{"pid-file", "", true},
    FlagSpec{"console-socket", "", true},  FlagSpec{"no-pivot", "", false},
    FlagSpec{"no-new-keyring", "", false}, FlagSpec{"preserve-fds", "", true},
    FlagSpec{"pidfd-socket", "", true},
};

// run's own on top: --no-subreaper asks for what sangja always does (it
// never makes itself a subreaper; a pid namespace's init reaps there).
constexpr std::array kRunFlags = {
    kCreateFlags[0],
    kCreateFlags[1],
    kCreateFlags[2],
    kCreateFlags[3],
    kCreateFlags[4],
    kCreateFlags[5],
    kCreateFlags[6],
    FlagSpec{"detach", "d", false},
    FlagSpec{"keep", "", false},
    FlagSpec{"no-subreaper", "", false},
};

Result<CreateOptions> createOptions(const ParsedFlags& flags, std::string_view verb) {
  TRY(expectArgs(verb, flags.positional, 1, "[flags] <container-id>"));
  CreateOptions opts;
  opts.id = flags.positional[0];
  opts.bundle = flags.valueOr("bundle", "");
  opts.pidFile = flags.valueOr("pid-file", "");
  opts.consoleSocket = flags.valueOr("console-socket", "");
  opts.pidfdSocket = flags.valueOr("pidfd-socket", "");
  opts.noPivot = flags.isSet("no-pivot");
  opts.noNewKeyring = flags.isSet("no-new-keyring");
  if (auto n = flags.value("preserve-fds"))
    opts.preserveFds = TRY(parseIntFlag("preserve-fds", *n));
  if (opts.preserveFds < 0) return Error::invalid("--preserve-fds must not be negative");
  return opts;
}

}  // namespace

Result<int> verbCreate(const GlobalOptions& g, Args args) {
  ParsedFlags flags = TRY(parseFlags(args, kCreateFlags));
  CreateOptions opts = TRY(createOptions(flags, "create"));
  TRY(createContainer(g.runtime, opts).context("create " + opts.id));
  return 0;
}

Result<int> verbRun(const GlobalOptions& g, Args args) {
  ParsedFlags flags = TRY(parseFlags(args, kRunFlags));
  CreateOptions opts = TRY(createOptions(flags, "run"));
  opts.keep = flags.isSet("keep");
  if (opts.keep && flags.isSet("detach")) {
    return Error::invalid(
        "run: --keep and --detach cannot be used together (a detached "
        "container stays until delete anyway)");
  }
  return runContainer(g.runtime, opts, flags.isSet("detach")).context("run " + opts.id);
}

}  // namespace sangja::cli
