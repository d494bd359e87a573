// Translation of config.json mount options into mount(2) flags,
// mount_setattr(2) attributes and filesystem data. Pure code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sangja::mnt {

// mount_setattr(2) attribute changes.
struct AttrChange {
  uint64_t set = 0;
  uint64_t clear = 0;
  bool empty() const { return set == 0 && clear == 0; }
};

struct MountOptions {
  unsigned long flags = 0;        // MS_* for mount(2) (MS_BIND, MS_REC included)
  unsigned long propagation = 0;  // MS_PRIVATE/MS_SHARED/... (| MS_REC), 0 if none
  AttrChange attrs;               // for the top mount of a bind (ro, nosuid, ...)
  AttrChange recursiveAttrs;      // rro, rnosuid, ...: the whole tree
  std::string data;               // filesystem options, comma-joined (size=, mode=)
  bool idmap = false;             // `idmap` or `ridmap`: an idmapped mount
  bool recursiveIdmap = false;    // `ridmap`: the idmap applies to every submount
  bool copyUp = false;            // `tmpcopyup`: the image's files into the new tmpfs
  bool bind() const;
  bool recursiveBind() const;
};

// Unknown options are passed to the filesystem as data, as runc does;
// `idmap`/`ridmap` are flags here (never data), checked by the mount plan.
Result<MountOptions> parseMountOptions(const std::vector<std::string>& options);

// Every option this parser gives a meaning of its own (flags, propagation,
// recursive attributes, idmap), for `features`; others go to the filesystem.
std::vector<std::string> knownMountOptions();

// rootfsPropagation ("rslave", ...) to MS_* flags; "" gives 0.
Result<unsigned long> parsePropagation(std::string_view name);

}  // namespace sangja::mnt
