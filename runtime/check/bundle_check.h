// `sangja check --bundle DIR`: the fields of a parsed config.json that this
// host, for this caller, cannot honour, each named by its JSON path. Pure:
// the host comes in as HostFacts. (That create's own parsing and planning
// accept the config is checked before, by the verb.)
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/check/host_facts.h"
#include "spec/config.h"

namespace sangja::check {

struct BundleProblem {
  std::string jsonPath;  // "linux.namespaces[3]"; "" for the document as a whole
  std::string reason;
  // "create": create's own parsing or planning refused it; "host": this
  // host or caller cannot honour it.
  std::string source = "host";
  bool operator==(const BundleProblem&) const = default;
};

// Every problem found, in the order of the config's fields.
std::vector<BundleProblem> checkBundle(const spec::Config& config, const HostFacts& host);

// An error of create's ("config.json: linux.namespaces[2].type: unknown
// namespace type") as a problem: its JSON path split off when it starts
// with one.
BundleProblem problemFromCreateError(const std::string& message);

}  // namespace sangja::check
