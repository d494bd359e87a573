// Container state documents: the runtime-spec State (what hooks read on
// stdin), the runtime's private state file, and what `sangja state` prints.
// Pure code: no syscalls.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sangja::spec {

// A container's status: runtime.md's "creating", "created", "running",
// "stopped", and "paused" (as runc reports).
enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };
const char* statusName(Status status);
std::optional<Status> statusFromName(std::string_view name);

// The runtime-spec state (runtime.md "State").
struct State {
  std::string ociVersion = "1.3.0";
  std::string id;
  Status status = Status::kCreating;
  int pid = 0;  // omitted from JSON when 0, as in specs-go
  std::string bundle;
  std::map<std::string, std::string> annotations;
  bool operator==(const State&) const = default;
};

// {"ociVersion":...,"id":...,"status":...,"pid":...,"bundle":...,"annotations":{...}}
std::string toJson(const State& state);
Result<State> parseState(std::string_view json);

// What the runtime keeps in its state directory for one container.
struct StoredState {
  std::string id;
  std::string bundle;         // absolute
  std::string rootfs;         // absolute
  int pid = 0;                // init pid in the runtime's pid namespace
  uint64_t pidStartTime = 0;  // /proc/<pid>/stat field 22: guards against pid reuse
  std::string created;        // RFC 3339 with nanoseconds, UTC
  std::string owner;
  std::string cgroupPath;
  // The topmost cgroup directory create made (cgroupPath or one of its
  // parents); delete removes the empty ones from the leaf up to it.
  std::string cgroupCreatedFrom;
  // The host's cgroup mode at create ("unified", "hybrid", "legacy"),
  // which chose the cgroup driver every later command uses.
  std::string cgroupMode;
  // "systemd" when systemd made the cgroup as a scope (--systemd-cgroup);
  // empty for sangja's own cgroupfs driver.
  std::string cgroupDriver;
  // The slice unit create made for that scope ("" if none).
  std::string cgroupMadeSlice;
  std::map<std::string, std::string> annotations;
  // Created with --no-new-keyring: `exec`'d processes keep the runtime's
  // session keyring too, instead of joining the container's.
  bool noNewKeyring = false;
  // Created from a config without a process: `start` refuses.
  bool noProcess = false;
  bool operator==(const StoredState&) const = default;
};

// One-line JSON; parseStoredState reads it back (errors start "state.json: ").
std::string toJson(const StoredState& state);
Result<StoredState> parseStoredState(std::string_view json);

// What `sangja state` prints, as runc does: 2-space indent, no trailing
// newline, runc's field order, annotations left out when empty:
// {"ociVersion":"1.3.0","id","pid","status","bundle","rootfs","created",
//  "annotations","owner"}. pid is passed in (0 once stopped).
std::string renderStateJson(const StoredState& state, std::string_view status, int pid);

// Go's time.RFC3339Nano in UTC: "2024-05-01T12:34:56.123456789Z", trailing
// zeros of the fraction dropped (no fraction when nsec is 0).
std::string formatRfc3339Nano(const struct timespec& ts);

}  // namespace sangja::spec
