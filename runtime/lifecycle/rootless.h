// Rootless mode: the runtime runs without real root (an ordinary user, or
// root inside a user namespace that does not own every id). It then builds
// the container's user namespace from what the caller may map, keeps its
// state under $XDG_RUNTIME_DIR, and makes a cgroup only where one is
// delegated to it (cgroups/delegation.h). The rules follow runc's
// --rootless and --root defaults.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "spec/config.h"

namespace sangja {

// --rootless true|false|auto.
enum class RootlessFlag { kAuto, kTrue, kFalse };

// Pure. The flag's value; any other is refused naming the flag.
Result<RootlessFlag> parseRootlessFlag(std::string_view value);

// Who runs the runtime, as far as these rules care.
struct Caller {
  uid_t euid = 0;
  // In the initial user namespace, or in one that maps every id ("0 0
  // 4294967295"): root there is real root.
  bool ownsAllIds = true;
  std::optional<std::string> xdgRuntimeDir = std::nullopt;  // $XDG_RUNTIME_DIR, set, not empty
  std::optional<std::string> user = std::nullopt;           // $USER, when set
};

// Pure. Whether a uid_map's text maps every id one to one.
bool mapsEveryId(std::string_view uidMapText);

// Pure. auto: rootless unless the caller is root owning every id.
bool isRootless(RootlessFlag flag, const Caller& caller);

// Pure. The default --root: $XDG_RUNTIME_DIR/sangja for an ordinary user
// (and for root in a user namespace unless $USER says root), else
// /run/sangja.
std::string defaultStateRoot(const Caller& caller);

// The calling process, read now.
Caller currentCaller();

// What a rootless create knows about its caller and the container.
struct RootlessFacts {
  bool callerIsRoot = false;  // root in some user namespace (rootless Podman's)
  bool hasCgroup = true;      // the container gets a cgroup (delegation.h)
  int callersOomScoreAdj = 0;
};

// Pure. What a rootless container needs, refused by name before anything
// is made: a user namespace when the caller is not root in one (it could
// mount nothing); its own pid namespace when it has no cgroup (nothing
// else would find its processes to stop them); an oomScoreAdj no lower
// than the caller's (lowering needs CAP_SYS_RESOURCE on the host).
Status checkRootlessConfig(const spec::Config& config, const RootlessFacts& facts);

// The caller's own oom_score_adj (0 when unreadable: the kernel decides).
int callersOomScoreAdj();

}  // namespace sangja
