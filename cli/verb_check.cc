// sangja check: whether this host (and, with --bundle, that bundle) can run
// containers, and why not. The facts and probes are gathered here; the
// report and the bundle's problems are pure (runtime/check/).
#include <climits>
#include <cstdlib>

#include "cgroups/cgroup_manager.h"
#include "cgroups/systemd_name.h"
#include "cli/flags.h"
#include "cli/verbs.h"
#include "runtime/check/bundle_check.h"
#include "runtime/check/host_facts.h"
#include "runtime/check/host_report.h"
#include "runtime/check/kernel_probes.h"
#include "runtime/launch/launch_plan.h"
#include "runtime/lifecycle/hooks.h"

namespace sangja::cli {

namespace {

// The id the planning gives the container: only its default cgroup path
// (/sangja/ID) depends on it.
constexpr const char* kPlanningId = "sangja-check";

std::string tmpDir() {
  const char* dir = ::getenv("TMPDIR");
  return dir != nullptr && dir[0] == '/' ? dir : "/tmp";
}

Result<std::string> absoluteDir(const std::string& dir) {
  char real[PATH_MAX];
  if (::realpath(dir.c_str(), real) == nullptr) return Error::fromErrno("bundle " + dir);
  return std::string(real);
}

// What create does before it makes anything: the cgroup's path and mode,
// then the whole launch plan (namespaces, user maps, mounts, process,
// seccomp), so that a config create refuses fails here with create's error.
Status planAsCreateDoes(const GlobalOptions& g, const std::string& bundle, spec::Config config) {
  // create takes a config without a process; its init waits in "/".
  if (!config.process) config.process.emplace().cwd = "/";
  std::string cgroupsPath = config.linux ? config.linux->cgroupsPath : std::string();
  cgroups::CgroupRef ref;
  if (g.runtime.systemdCgroup) {
    ref.path = TRY(cgroups::parseSystemdCgroupsPath(cgroupsPath, kPlanningId)).path;
    ref.driver = cgroups::CgroupDriver::kSystemd;
  } else {
    ref.path = TRY(cgroups::resolveCgroupPath(cgroupsPath, kPlanningId));
  }
  ref.mode = TRY(cgroups::hostCgroupMode());
  InitOptions options{bundle, false, hooks::hasCreateHooks(config.hooks), ProcessOptions{0, "", ""},
                      TRY(cgroups::hostCgroupView(ref))};
  TRY(planInit(config, options));
  return {};
}

// create's verdict first (parse, then plan), then every field the host
// cannot honour; a field create already refused is not named twice.
std::vector<check::BundleProblem> checkBundleDir(const GlobalOptions& g, const std::string& bundle,
                                                 const check::HostFacts& facts) {
  Result<spec::Config> config = spec::loadConfig(bundle);
  if (!config.ok()) return {check::problemFromCreateError(config.error().message())};
  std::vector<check::BundleProblem> problems;
  if (Status planned = planAsCreateDoes(g, bundle, *config); !planned.ok()) {
    problems.push_back(check::problemFromCreateError(planned.error().message()));
  }
  for (check::BundleProblem& p : check::checkBundle(*config, facts)) {
    bool named = std::any_of(problems.begin(), problems.end(), [&](const check::BundleProblem& c) {
      return c.jsonPath == p.jsonPath;
    });
    if (!named) problems.push_back(std::move(p));
  }
  return problems;
}

}  // namespace

Result<int> verbCheck(const GlobalOptions& g, Args args) {
  constexpr std::array kFlags = {FlagSpec{"format", "f", true}, FlagSpec{"bundle", "b", true}};
  ParsedFlags flags = TRY(parseFlags(args, kFlags));
  TRY(expectArgs("check", flags.positional, 0, "sangja check [--format text|json] [--bundle DIR]"));
  std::string format = flags.valueOr("format", "text");
  if (format != "text" && format != "json") {
    return Error::invalid("check: invalid format \"" + format + "\": use text or json");
  }
  check::HostPaths paths = check::HostPaths::forThisProcess();
  check::HostFacts facts = TRY(check::gatherHostFacts(paths).context("check"));
  facts.kernel = check::probeKernel(tmpDir(), paths.uid == 0);
  check::Report report;
  report.findings = check::hostFindings(facts, check::ReportOptions{g.runtime.systemdCgroup});
  if (std::optional<std::string> bundle = flags.value("bundle")) {
    report.bundle = TRY(absoluteDir(*bundle).context("check"));
    report.problems = checkBundleDir(g, *report.bundle, facts);
  }
  if (format == "json") {
    printOut(check::renderJson(report, facts).dump(2) + "\n");
  } else {
    printOut(check::renderText(report));
  }
  return check::exitStatus(report);
}

}  // namespace sangja::cli
