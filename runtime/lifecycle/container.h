// The container lifecycle (runtime-spec runtime.md), as a library: the CLI
// verbs only parse flags and call these.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cgroups/cgroup_manager.h"
#include "spec/config.h"

namespace sangja {

struct RuntimeOptions {
  std::string root = "/run/sangja";  // state directory (--root)
  // How containers' cgroups are opened (a fake one in unit tests).
  cgroups::CgroupOpener openCgroup = cgroups::openCgroup;
  // --systemd-cgroup: new containers' cgroups are systemd scopes.
  bool systemdCgroup = false;
  // --rootless (or auto: not real root): the caller's ids and delegated
  // cgroups only (rootless.h).
  bool rootless = false;
};

struct CreateOptions {
  std::string id;
  std::string bundle;  // empty: the current directory
  std::string pidFile;
  std::string consoleSocket;
  std::string pidfdSocket;  // --pidfd-socket: gets a pidfd of the init
  bool noPivot = false;
  bool noNewKeyring = false;
  int preserveFds = 0;
  bool keep = false;  // run: leave the stopped container for `delete`
};

// create: the init is set up and waits for start; state and pid file written.
Status createContainer(const RuntimeOptions& rt, const CreateOptions& opts);
// start: releases a created container's init to exec the process.
Status startContainer(const RuntimeOptions& rt, const std::string& id);
// run: create + start; without detach waits, forwarding signals, deletes the
// container and returns the exit status (128+N for signal N).
Result<int> runContainer(const RuntimeOptions& rt, const CreateOptions& opts, bool detach);
// exec's inline form: a command and flags applied on top of the
// container's own process (runc's exec flags).
struct ExecFlags {
  std::vector<std::string> args;  // the command; empty with --process
  std::string cwd;
  std::vector<std::string> env;         // K=V, appended (a later K wins)
  std::string user;                     // "UID[:GID]"; empty: the container's
  std::vector<std::string> extraGids;   // --additional-gids, appended
  std::vector<std::string> caps;        // --cap, added to the container's sets
  std::optional<bool> noNewPrivileges;  // --no-new-privs, when given
  std::string apparmorProfile;          // --apparmor
  std::string processLabel;             // --process-label
  bool tty = false;                     // --tty
};

struct ExecOptions {
  std::string id;
  std::string processFile;  // --process: a runtime-spec process JSON; empty: flags
  ExecFlags flags;
  bool detach = false;
  std::string pidFile;
  std::string consoleSocket;
  std::string pidfdSocket;  // --pidfd-socket: gets a pidfd of the new process
  int preserveFds = 0;
  std::vector<std::string> cgroup;  // --cgroup: [controller[,controller]:]path
  bool ignorePaused = false;
};

// exec: a new process in a created, running (or with ignorePaused, paused)
// container, in all of its namespaces, its root and its cgroup. detach:
// returns 0 once it runs; else waits, forwarding signals, and returns its
// exit status (128+N for signal N).
Result<int> execInContainer(const RuntimeOptions& rt, const ExecOptions& opts);

// state: the JSON document runc prints.
Result<std::string> containerStateJson(const RuntimeOptions& rt, const std::string& id);
Status killContainer(const RuntimeOptions& rt, const std::string& id, int signal, bool all);
Status deleteContainer(const RuntimeOptions& rt, const std::string& id, bool force);

// pause/resume: freeze and thaw every process of a running container.
Status pauseContainer(const RuntimeOptions& rt, const std::string& id);
Status resumeContainer(const RuntimeOptions& rt, const std::string& id);
// ps: the pids of every process in the container's cgroup.
Result<std::vector<int>> containerPids(const RuntimeOptions& rt, const std::string& id);

// update: new resources for a live container's cgroup.
Status updateContainer(const RuntimeOptions& rt, const std::string& id,
                       const spec::Resources& resources);

// events --stats: {"type":"stats","id":ID,"data":{...runc's Stats...}}.
Result<std::string> containerStatsEvent(const RuntimeOptions& rt, const std::string& id);
// events: every interval a stats event, and an {"type":"oom"} event as soon
// as the kernel OOM-kills a process of the container, until it stops.
Status watchContainerEvents(const RuntimeOptions& rt, const std::string& id, int intervalMs,
                            const std::function<void(const std::string&)>& emit);

struct ContainerSummary {
  std::string id;
  int pid = 0;
  std::string status;
  std::string bundle;
  std::string created;
  std::string owner;
};
// kIdsOnly (list --quiet): every container with a valid state, as kFull
// lists them, but without the liveness check (pid and status stay empty),
// which is most of a container's cost.
enum class ListDetail { kFull, kIdsOnly };
Result<std::vector<ContainerSummary>> listContainers(const RuntimeOptions& rt,
                                                     ListDetail detail = ListDetail::kFull);

}  // namespace sangja
