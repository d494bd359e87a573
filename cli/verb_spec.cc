#include <fcntl.h>
#include <unistd.h>

#include <array>

#include "base/file.h"
#include "cgroups/cgroup_manager.h"
#include "cli/flags.h"
#include "cli/verbs.h"
#include "spec/default_config.h"

namespace sangja::cli {

Result<int> verbSpec(const GlobalOptions&, Args args) {
  constexpr std::array kFlags = {FlagSpec{"bundle", "b", true}, FlagSpec{"rootless", "", false}};
  ParsedFlags flags = TRY(parseFlags(args, kFlags));
  TRY(expectArgs("spec", flags.positional, 0, "[--bundle DIR] [--rootless]"));
  std::string dir = flags.valueOr("bundle", ".");
  UniqueFd dirfd = TRY(openFile(dir, O_PATH | O_DIRECTORY).context("spec: bundle"));
  if (::faccessat(dirfd.get(), "config.json", F_OK, 0) == 0) {
    return Error::invalid("File " + dir + "/config.json exists. Remove it first", EEXIST);
  }
  bool rootless = flags.isSet("rootless");
  // Like runc: a cgroup namespace by default only on a cgroup v2-only host.
  std::string json =
      spec::defaultConfigJson(rootless, ::geteuid(), ::getegid(), cgroups::isUnifiedOnlyHost());
  TRY(writeFileAtomic(dirfd.get(), "config.json", json + "\n", 0644));
  return 0;
}

}  // namespace sangja::cli
