// Whole-string number parsing without exceptions (std::from_chars that must
// consume all of text). Child-safe.
#pragma once

#include <charconv>
#include <string_view>

namespace sangja {

template <typename T>
bool parseWhole(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

}  // namespace sangja
