#include "namespaces/bind_sources.h"

#include <fcntl.h>

#include <string>

#include "base/file.h"
#include "namespaces/in_root.h"

namespace sangja::ns {

Result<std::vector<OpenedSource>> openBindSourcesInInit(const mnt::RootfsPlan& plan, pid_t init) {
  std::vector<OpenedSource> opened;
  UniqueFd root;
  for (size_t i = 0; i < plan.mounts.size() && i < mnt::kMaxParentOpenedSources; ++i) {
    const mnt::MountStep& m = plan.mounts[i];
    if (!m.options.bind() || m.idmap) continue;
    if (!root) {
      root = TRY(openFile("/proc/" + std::to_string(init) + "/root", O_PATH | O_DIRECTORY)
                     .context("the container init's root"));
    }
    int fd = mnt::openInRoot(root.get(), m.source.c_str(), O_PATH, mnt::Create::kNone);
    if (fd >= 0) opened.push_back(OpenedSource{static_cast<int32_t>(i), UniqueFd(fd)});
  }
  return opened;
}

}  // namespace sangja::ns
