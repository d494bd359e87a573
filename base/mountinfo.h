// /proc/<pid>/mountinfo read by the parent: which mount sits where, on
// which parent, of which filesystem. Pure code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sangja {

struct MountinfoEntry {
  uint64_t id = 0;
  uint64_t parent = 0;
  std::string root;          // what of its filesystem is mounted ("/" for all of it)
  std::string mountPoint;    // unescaped ("\040" is a space)
  std::string fstype;        // "cgroup2", "ext4", ...
  std::string superOptions;  // the filesystem's ("rw,cpu,cpuacct")
};

// Lines that do not parse are skipped.
std::vector<MountinfoEntry> parseMountinfo(std::string_view text);

}  // namespace sangja
