// The CLI verbs: each parses its own flags and calls the library.
#pragma once

#include <span>
#include <string>

#include "base/result.h"
#include "runtime/lifecycle/container.h"

namespace sangja::cli {

struct GlobalOptions {
  RuntimeOptions runtime;
  bool debug = false;
};

using Args = std::span<const std::string>;

// Each returns the process exit status; errors come back as Error.
Result<int> verbCreate(const GlobalOptions& g, Args args);
Result<int> verbStart(const GlobalOptions& g, Args args);
Result<int> verbExec(const GlobalOptions& g, Args args);
Result<int> verbRun(const GlobalOptions& g, Args args);
Result<int> verbState(const GlobalOptions& g, Args args);
Result<int> verbKill(const GlobalOptions& g, Args args);
Result<int> verbDelete(const GlobalOptions& g, Args args);
Result<int> verbList(const GlobalOptions& g, Args args);
Result<int> verbSpec(const GlobalOptions& g, Args args);
Result<int> verbPause(const GlobalOptions& g, Args args);
Result<int> verbResume(const GlobalOptions& g, Args args);
Result<int> verbPs(const GlobalOptions& g, Args args);
Result<int> verbEvents(const GlobalOptions& g, Args args);
Result<int> verbUpdate(const GlobalOptions& g, Args args);
Result<int> verbFeatures(const GlobalOptions& g, Args args);
Result<int> verbCheck(const GlobalOptions& g, Args args);

// Exactly n positional arguments, else a usage error naming the verb.
Status expectArgs(std::string_view verb, const std::vector<std::string>& positional, size_t n,
                  std::string_view usage);

// A verb that takes just a container id and calls op on it (start, pause,
// resume).
Result<int> idOnlyVerb(std::string_view verb, const GlobalOptions& g, Args args,
                       Status (*op)(const RuntimeOptions&, const std::string&));

// stdout, all of it.
void printOut(std::string_view text);

}  // namespace sangja::cli
