// /proc/<pid>/mountinfo read by the parent: which mount sits where, on
// which parent. Pure code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sangja::mnt {

struct MountinfoEntry {
  uint64_t id = 0;
  uint64_t parent = 0;
  std::string mountPoint;  // unescaped ("\040" is a space)
};

// Lines that do not parse are skipped.
std::vector<MountinfoEntry> parseMountinfo(std::string_view text);

}  // namespace sangja::mnt
