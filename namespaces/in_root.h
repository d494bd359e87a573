// Opening paths inside the container's rootfs so that no symlink or ".."
// leads outside it (openat2 RESOLVE_IN_ROOT). Child-safe: no allocation.
#pragma once

#include <sys/types.h>

namespace sangja::mnt {

enum class Create { kNone, kDirectory, kFile };

// Opens path (relative to rootfd, treated as "/") with flags; with create,
// missing components are made as directories (the last as a file for
// kFile). Returns an fd or -errno.
int openInRoot(int rootfd, const char* path, int flags, Create create);

}  // namespace sangja::mnt
