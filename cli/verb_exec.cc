// exec: runc's flags, as containerd's shim and users send them.
#include <array>

#include "base/log.h"
#include "cli/flags.h"
#include "cli/verbs.h"

namespace sangja::cli {

namespace {

constexpr std::array kExecFlags = {
    FlagSpec{"process", "p", true},
    FlagSpec{"detach", "d", false},
    FlagSpec{"pid-file", "", true},
    FlagSpec{"console-socket", "", true},
    FlagSpec{"pidfd-socket", "", true},
    FlagSpec{"tty", "t", false},
    FlagSpec{"cwd", "", true},
    FlagSpec{"env", "e", true},
    FlagSpec{"user", "u", true},
    FlagSpec{"additional-gids", "g", true},
    FlagSpec{"cap", "c", true},
    FlagSpec{"no-new-privs", "", false},
    FlagSpec{"apparmor", "", true},
    FlagSpec{"process-label", "", true},
    FlagSpec{"preserve-fds", "", true},
    FlagSpec{"cgroup", "", true},
    FlagSpec{"ignore-paused", "", false},
};

// A failure of the runtime exits 255, as runc's exec does: the program's
// own status (1 included) passes through unchanged, so a caller can tell a
// command that failed from one that never ran.
constexpr int kExecFailedStatus = 255;

constexpr std::string_view kUsage =
    "[flags] <container-id> <command> [args...] | sangja exec --process FILE <container-id>";

}  // namespace

Result<int> verbExec(const GlobalOptions& g, Args args) {
  ParsedFlags flags = TRY(parseFlags(args, kExecFlags));
  if (flags.positional.empty()) {
    return Error::invalid("exec: expected a container id; usage: sangja exec " +
                          std::string(kUsage));
  }
  ExecOptions opts;
  opts.id = flags.positional[0];
  opts.processFile = flags.valueOr("process", "");
  opts.detach = flags.isSet("detach");
  opts.pidFile = flags.valueOr("pid-file", "");
  opts.consoleSocket = flags.valueOr("console-socket", "");
  opts.pidfdSocket = flags.valueOr("pidfd-socket", "");
  if (auto n = flags.value("preserve-fds")) {
    opts.preserveFds = TRY(parseIntFlag("preserve-fds", *n));
  }
  opts.cgroup = flags.values("cgroup");
  opts.ignorePaused = flags.isSet("ignore-paused");
  ExecFlags& f = opts.flags;
  f.args.assign(flags.positional.begin() + 1, flags.positional.end());
  f.cwd = flags.valueOr("cwd", "");
  f.env = flags.values("env");
  f.user = flags.valueOr("user", "");
  f.extraGids = flags.values("additional-gids");
  f.caps = flags.values("cap");
  if (flags.has("no-new-privs")) f.noNewPrivileges = flags.isSet("no-new-privs");
  f.apparmorProfile = flags.valueOr("apparmor", "");
  f.processLabel = flags.valueOr("process-label", "");
  f.tty = flags.isSet("tty");
  Result<int> status = execInContainer(g.runtime, opts).context("exec " + opts.id);
  if (status.ok()) return status;
  log::error(status.error().message());
  return kExecFailedStatus;
}

}  // namespace sangja::cli
