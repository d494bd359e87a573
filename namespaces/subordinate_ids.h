// An ordinary user's id maps: the kernel lets it write one line mapping its
// own id; anything more goes through the setuid helpers newuidmap and
// newgidmap (Debian's uidmap package), which allow the ranges /etc/subuid
// and /etc/subgid grant the user. Checked here first so that a refusal
// names the mapping and the file, not the helper's exit status.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "spec/config.h"

namespace sangja::ns {

struct SubIdRange {
  uint64_t start = 0;
  uint64_t count = 0;
  bool operator==(const SubIdRange&) const = default;
};

// Pure. The ranges granted to the user (by name or by number) in an
// /etc/subuid or /etc/subgid text ("name:start:count" lines; malformed
// lines are skipped, as the helpers do).
std::vector<SubIdRange> parseSubIds(std::string_view text, std::string_view userName, uint32_t id);

// What an unprivileged caller may map: its own id, its granted ranges.
struct IdGrant {
  uint32_t ownId = 0;
  std::vector<SubIdRange> ranges;
  std::string file;  // "/etc/subuid", for messages
};

// Pure. Whether the kernel takes these mappings from the caller directly
// (one line, its own id, size 1); otherwise they need the helper.
bool mapsOnlyOwnId(const std::vector<spec::IdMapping>& mappings, uint32_t ownId);

// Pure. Every mapping's host ids are the caller's own or in a granted
// range; the error names jsonPath[i] and the file.
Status checkGranted(const std::vector<spec::IdMapping>& mappings, const IdGrant& grant,
                    std::string_view jsonPath);

// Pure. The helper's arguments after its name: PID, then "container host
// size" for each mapping.
std::vector<std::string> idMapHelperArgs(pid_t pid, const std::vector<spec::IdMapping>& mappings);

// The grant of the user with uid owner in the file (lines name the user
// or its uid, in /etc/subgid too, as the helpers read them; a missing
// file grants nothing); ownId is the caller's own id of the file's kind.
Result<IdGrant> readGrant(const std::string& file, uint32_t ownId, uid_t owner);

// Runs newuidmap or newgidmap (found on PATH, else /usr/bin) for pid; its
// own message is in the error when it fails.
Status runIdMapHelper(const char* program, pid_t pid, const std::vector<spec::IdMapping>& mappings,
                      std::string_view jsonPath);

}  // namespace sangja::ns
