#include "namespaces/mount_options.h"

#include <linux/mount.h>
#include <sys/mount.h>

namespace sangja::mnt {

namespace {

struct FlagOption {
  std::string_view name;
  bool clear;
  unsigned long flag;
};

constexpr FlagOption kFlagOptions[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};

constexpr PropagationOption kPropagation[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct AttrOption {
  std::string_view name;
  bool clear;
  uint64_t attr;
};

// The recursive variants (mount_setattr with AT_RECURSIVE).
constexpr AttrOption kRecursiveOptions[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
};

bool isAtimeOption(std::string_view name) {
  return name == "rrelatime" || name == "rnorelatime" || name == "rnoatime" || name == "ratime" ||
         name == "rstrictatime" || name == "rnostrictatime";
}

// The part of mount(2) flags a bind mount applies through mount_setattr.
AttrChange bindAttrs(unsigned long set, unsigned long cleared) {
  struct Pair {
    unsigned long flag;
    uint64_t attr;
  };
  constexpr Pair kPairs[] = {
      {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
      {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
      {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
  };
  AttrChange change;
  for (const Pair& p : kPairs) {
    if (set & p.flag) change.set |= p.attr;
    if (cleared & p.flag) change.clear |= p.attr;
  }
  // Access-time modes are one field: setting one replaces the others.
  if (set & MS_NOATIME) {
    change.set |= MOUNT_ATTR_NOATIME;
    change.clear |= MOUNT_ATTR__ATIME;
  } else if (set & MS_STRICTATIME) {
    change.set |= MOUNT_ATTR_STRICTATIME;
    change.clear |= MOUNT_ATTR__ATIME;
  } else if (set & MS_RELATIME) {
    change.clear |= MOUNT_ATTR__ATIME;  // MOUNT_ATTR_RELATIME is 0
  }
  return change;
}

}  // namespace

bool MountOptions::bind() const {
  return (flags & MS_BIND) != 0;
}
bool MountOptions::recursiveBind() const {
  return bind() && (flags & MS_REC) != 0;
}

std::vector<std::string> knownMountOptions() {
  std::vector<std::string> names;
  for (const FlagOption& f : kFlagOptions) names.emplace_back(f.name);
  for (const PropagationOption& p : kPropagation) names.emplace_back(p.name);
  for (const AttrOption& a : kRecursiveOptions) names.emplace_back(a.name);
  names.emplace_back("idmap");
  names.emplace_back("ridmap");
  names.emplace_back("tmpcopyup");
  return names;
}

Result<MountOptions> parseMountOptions(const std::vector<std::string>& options) {
  MountOptions out;
  unsigned long cleared = 0;
  for (const std::string& opt : options) {
    if (opt == "tmpcopyup") {
      out.copyUp = true;
      continue;
    }
    if (opt == "idmap" || opt == "ridmap") {
      out.idmap = true;
      out.recursiveIdmap = opt == "ridmap";
      continue;
    }
    bool known = false;
    for (const FlagOption& f : kFlagOptions) {
      if (f.name != opt) continue;
      known = true;
      if (f.clear) {
        out.flags &= ~f.flag;
        cleared |= f.flag;
      } else {
        out.flags |= f.flag;
        cleared &= ~f.flag;
      }
    }
    for (const PropagationOption& p : kPropagation) {
      if (p.name != opt) continue;
      known = true;
      out.propagation = p.flags;
    }
    for (const AttrOption& a : kRecursiveOptions) {
      if (a.name != opt) continue;
      known = true;
      if (isAtimeOption(a.name)) {
        // The access-time mode is one field that the kernel only lets us
        // replace whole: clear all of it, then set the chosen mode (none
        // for relatime, or when a mode is only turned off).
        out.recursiveAttrs.set &= ~static_cast<uint64_t>(MOUNT_ATTR__ATIME);
        out.recursiveAttrs.clear |= MOUNT_ATTR__ATIME;
        if (!a.clear) out.recursiveAttrs.set |= a.attr;
        continue;
      }
      (a.clear ? out.recursiveAttrs.clear : out.recursiveAttrs.set) |= a.attr;
    }
    if (!known && !opt.empty()) {
      if (!out.data.empty()) out.data += ',';
      out.data += opt;
    }
  }
  if (out.bind()) out.attrs = bindAttrs(out.flags, cleared);
  return out;
}

Result<unsigned long> parsePropagation(std::string_view name) {
  if (name.empty()) return 0UL;
  for (const PropagationOption& p : kPropagation) {
    if (p.name == name) return p.flags;
  }
  return Error::invalid("unknown propagation \"" + std::string(name) + "\"");
}

}  // namespace sangja::mnt
