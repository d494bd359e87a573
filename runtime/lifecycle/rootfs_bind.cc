#include "runtime/lifecycle/rootfs_bind.h"

#include "base/log.h"
#include "runtime/lifecycle/rootfs_bind_record.h"

namespace sangja {

Result<mnt::MountId> bindRootfsRecordedIn(const ContainerDir& dir, const std::string& rootfs) {
  UniqueFd record = TRY(dir.createEntry(kRootfsBindRecord));
  return mnt::bindRootfsPrivately(rootfs, [&](const mnt::MountId& id) -> Status {
    return dir.rewriteEntry(record.get(), formatRootfsBindRecord({rootfs, id}), kRootfsBindRecord);
  });
}

Status detachRecordedRootfsBind(const ContainerDir& dir) {
  Result<std::string> text = dir.readEntry(kRootfsBindRecord);
  if (!text.ok() && text.error().code() == ENOENT) return {};  // none made
  std::optional<RootfsBindRecord> record = parseRootfsBindRecord(TRY(std::move(text)));
  if (!record) return {};  // killed while writing it: the bind was not attached yet
  mnt::Detached outcome = TRY(mnt::detachRootfsBind(record->rootfs, record->mount)
                                  .context("container rootfs without a mount namespace"));
  if (outcome == mnt::Detached::kCovered) {
    log::warning("the container's rootfs bind at " + record->rootfs +
                 " is covered by another mount, which may not be ours: both left");
  }
  return {};
}

}  // namespace sangja
