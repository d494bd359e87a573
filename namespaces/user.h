// The user namespace: id maps. A new user namespace comes from the init's
// clone3 (so every other new namespace belongs to it); the parent writes
// /proc/PID/uid_map and gid_map while the init waits on the sync channel,
// then the init makes itself root inside. A user namespace given by path is
// joined by a short-lived helper that clones the init from inside it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/sync_channel.h"
#include "base/unique_fd.h"
#include "namespaces/namespaces.h"
#include "namespaces/subordinate_ids.h"
#include "spec/config.h"

namespace sangja::ns {

struct UserPlan {
  std::string uidMap;  // /proc/PID/uid_map text; empty: no maps to write
  std::string gidMap;
  bool denySetgroups = false;  // write "deny" to /proc/PID/setgroups first
  bool becomeRoot = false;     // the init setresuid/setresgid(0) inside
  // An ordinary user's maps beyond its own id, written by newuidmap and
  // newgidmap instead (subordinate_ids.h); empty: written directly.
  std::vector<spec::IdMapping> uidsViaHelper;
  std::vector<spec::IdMapping> gidsViaHelper;
};

// The most lines /proc/PID/uid_map takes (kernel 4.15 and later).
inline constexpr size_t kMaxIdMapLines = 340;

// Pure. The uid_map/gid_map text for mappings ("containerID hostID size"
// lines). Rejects an empty list, a zero size, a range past 2^32-1, ranges
// overlapping on either side and more than kMaxIdMapLines lines; errors
// name jsonPath ("linux.uidMappings[1]: ...").
Result<std::string> renderIdMap(const std::vector<spec::IdMapping>& mappings,
                                std::string_view jsonPath);

// Pure. The mappings in a uid_map/gid_map file as the kernel prints it.
Result<std::vector<spec::IdMapping>> parseIdMap(std::string_view text);

// Pure. Whether the container id is inside one of the mappings.
bool isMapped(const std::vector<spec::IdMapping>& mappings, uint32_t containerId);

// Pure. Whether two lists hold the same ranges (in any order).
bool sameMappings(std::vector<spec::IdMapping> a, std::vector<spec::IdMapping> b);

// What an unprivileged runtime may map (its ids and /etc/subuid, subgid).
struct IdGrants {
  IdGrant uids;
  IdGrant gids;
};

// Pure. The user namespace part of the plan: a user namespace needs
// mappings (or a path), mappings need a user namespace, container root and
// the process's ids must be mapped. privileged: the runtime may write
// several ranges (root). When it is not, grants says what it may map: a
// map of its own id alone is written directly (setgroups denied first for
// gid_map, as runc does for rootless containers); any other goes through
// the helper, each range checked against the grant first.
// joinedMaps: for a joined user namespace, its maps as read from it (the
// config may repeat them, as containerd does; different ones are refused).
Result<UserPlan> planUserNamespace(const spec::Config& config, const NamespacePlan& namespaces,
                                   bool privileged, const IdGrants* grants = nullptr,
                                   const std::vector<spec::IdMapping>* joinedUidMap = nullptr,
                                   const std::vector<spec::IdMapping>* joinedGidMap = nullptr);

// Parent side: planUserNamespace for this runtime (privileged when root),
// reading the maps of a joined namespace when the config repeats them.
Result<UserPlan> planUser(const spec::Config& config, const NamespacePlan& namespaces);

// Parent side: reads the uid and gid maps of the user namespace behind fd
// (from a short-lived child that joins it).
Status readIdMaps(int userNsFd, std::vector<spec::IdMapping>* uidMap,
                  std::vector<spec::IdMapping>* gidMap);

// Parent side: writes setgroups (when denied), uid_map and gid_map of pid
// (or has the helpers write them).
Status writeIdMaps(const UserPlan& plan, pid_t pid);

// Parent side: a user namespace with these maps, held by an fd (for
// idmapped mounts). Made by a throwaway child that is killed once the fd
// is open.
Result<UniqueFd> makeUserNamespace(const std::string& uidMap, const std::string& gidMap);

// Parent side: clones a child from inside a user namespace given by fd, so
// the new namespaces in cloneFlags belong to it. A helper process joins
// pidNsFd and userNsFd (each if >= 0), then clones with CLONE_PARENT:
// the child is our own child and runs childMain(arg), which must not
// return. The helper's failures come back as the error.
Result<pid_t> cloneInUserNamespace(int userNsFd, int pidNsFd, unsigned long cloneFlags,
                                   void (*childMain)(const void*), const void* arg);

namespace child {

// Child side, once the maps are written and every namespace is joined:
// setresgid/setresuid(0), so that what the init creates belongs to the
// container's root. Keeps the capabilities it has in the namespace.
void becomeRoot(const UserPlan& plan, const ChildChannel& channel);

}  // namespace child

}  // namespace sangja::ns
