// Blank trimming for what the kernel and programs hand us: values read
// from procfs, sysfs and cgroupfs end in a newline, and a hook's or a
// helper's output may carry spaces around it. Header-only and
// allocation-free, so child-safe.
#pragma once

#include <string_view>

namespace sangja {

constexpr bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

constexpr std::string_view withoutTrailingBlanks(std::string_view s) {
  while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
  return s;
}

constexpr std::string_view withoutSurroundingBlanks(std::string_view s) {
  s = withoutTrailingBlanks(s);
  while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
  return s;
}

}  // namespace sangja
