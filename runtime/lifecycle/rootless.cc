#include "runtime/lifecycle/rootless.h"

#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <string>

#include "base/file.h"
#include "namespaces/user.h"

namespace sangja {

Result<RootlessFlag> parseRootlessFlag(std::string_view value) {
  if (value == "auto") return RootlessFlag::kAuto;
  if (value == "true") return RootlessFlag::kTrue;
  if (value == "false") return RootlessFlag::kFalse;
  return Error::invalid("invalid --rootless value \"" + std::string(value) +
                        "\": use true, false or auto");
}

bool mapsEveryId(std::string_view uidMapText) {
  Result<std::vector<spec::IdMapping>> maps = ns::parseIdMap(uidMapText);
  if (!maps.ok() || maps->size() != 1) return false;
  const spec::IdMapping& m = maps->front();
  return m.containerID == 0 && m.hostID == 0 && m.size == 4294967295U;
}

bool isRootless(RootlessFlag flag, const Caller& caller) {
  if (flag != RootlessFlag::kAuto) return flag == RootlessFlag::kTrue;
  return caller.euid != 0 || !caller.ownsAllIds;
}

std::string defaultStateRoot(const Caller& caller) {
  // Root in the initial namespace keeps /run/sangja even when a login
  // gave it $XDG_RUNTIME_DIR (/run/user/0), as runc does.
  bool honourXdg =
      caller.xdgRuntimeDir && (caller.euid != 0 || (!caller.ownsAllIds && caller.user != "root"));
  return honourXdg ? *caller.xdgRuntimeDir + "/sangja" : "/run/sangja";
}

Caller currentCaller() {
  Caller caller;
  caller.euid = ::geteuid();
  // Only root's answer depends on the map. Without /proc (or a uid_map
  // to read) nothing says we are in a user namespace: real root.
  if (caller.euid == 0) {
    Result<std::string> uidMap = readFile("/proc/self/uid_map");
    caller.ownsAllIds = !uidMap.ok() || mapsEveryId(*uidMap);
  }
  if (const char* xdg = ::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0') {
    caller.xdgRuntimeDir = xdg;
  }
  if (const char* user = ::getenv("USER"); user != nullptr) caller.user = user;
  return caller;
}

Status checkRootlessConfig(const spec::Config& config, const RootlessFacts& facts) {
  const spec::Namespace* user =
      config.linux ? config.linux->findNamespace(spec::NamespaceType::User) : nullptr;
  const spec::Namespace* pid =
      config.linux ? config.linux->findNamespace(spec::NamespaceType::Pid) : nullptr;
  if (!facts.callerIsRoot && user == nullptr) {
    return Error::invalid(
        "linux.namespaces: a rootless container needs a user namespace (sangja spec --rootless "
        "writes one)",
        EPERM);
  }
  if (!facts.hasCgroup && (pid == nullptr || pid->path)) {
    return Error::invalid(
        "linux.namespaces: a rootless container without a cgroup needs a new pid namespace: "
        "nothing else would find its processes to stop them (delegate a cgroup v2 subtree to "
        "the user, or add {\"type\": \"pid\"})",
        EPERM);
  }
  const std::optional<int>& adj = config.process ? config.process->oomScoreAdj : std::nullopt;
  if (adj && *adj < facts.callersOomScoreAdj) {
    return Error::invalid("process.oomScoreAdj: " + std::to_string(*adj) +
                              " is below the caller's " + std::to_string(facts.callersOomScoreAdj) +
                              ": a rootless container may only raise it (lowering needs "
                              "CAP_SYS_RESOURCE on the host)",
                          EPERM);
  }
  return {};
}

int callersOomScoreAdj() {
  Result<std::string> text = readFile("/proc/self/oom_score_adj");
  if (!text.ok()) return 0;
  try {
    return std::stoi(*text);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace sangja
