// `sangja check`: HostFacts turned into findings (one fact each, with a
// level, and for a problem its reason and what to do), then into text for
// people and JSON for tools. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/check/bundle_check.h"
#include "runtime/check/host_facts.h"

namespace sangja::check {

// ok: fine or merely informative; warn: something some containers cannot
// have, the host still runs containers; error: no container can run.
enum class Level { kOk, kWarn, kError };
const char* levelName(Level level);  // "ok", "warn", "error"

struct Finding {
  std::string topic;  // "cgroups"
  std::string name;   // "mode"
  std::string value;  // "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)"
  Level level = Level::kOk;
  std::string reason;  // why it is a problem (warn, error)
  std::string advice;  // what to do about it
  bool operator==(const Finding&) const = default;
};

struct ReportOptions {
  bool systemdCgroup = false;  // --systemd-cgroup: systemd must be running
};

// Every fact about the host, topic by topic, in the order printed.
std::vector<Finding> hostFindings(const HostFacts& facts, const ReportOptions& options = {});

// What one check run found: the host, and the bundle when one was given.
struct Report {
  std::vector<Finding> findings;
  std::optional<std::string> bundle;  // the bundle's directory
  std::vector<BundleProblem> problems;
};

// 0 when the host (and the bundle, if any) can run a container, else 1.
int exitStatus(const Report& report);

// One section per topic, one line per fact; a problem's reason and advice
// on the lines below it; the bundle's problems last, then a verdict.
std::string renderText(const Report& report);

// Stable keys: "ok", "caller", "kernel", "cgroup", "systemd",
// "userNamespaces", "seccomp", "lsm", "criu", "findings", and "bundle"
// when one was checked.
nlohmann::ordered_json renderJson(const Report& report, const HostFacts& facts);

}  // namespace sangja::check
