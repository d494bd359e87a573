// What the harnesses of tests/fuzz/ share: a failed property prints what
// broke and aborts, which libFuzzer reports as a crash and saves the input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sangja::fuzz {

inline std::string_view text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void fail(std::string_view what, std::string_view first = {},
                              std::string_view second = {}) {
  std::fprintf(stderr, "fuzz property broken: %.*s\n", static_cast<int>(what.size()), what.data());
  if (!first.empty())
    std::fprintf(stderr, "  first:  %.*s\n", static_cast<int>(first.size()), first.data());
  if (!second.empty())
    std::fprintf(stderr, "  second: %.*s\n", static_cast<int>(second.size()), second.data());
  std::abort();
}

inline void check(bool ok, std::string_view what, std::string_view first = {},
                  std::string_view second = {}) {
  if (!ok) fail(what, first, second);
}

// Whether JSON text escapes a NUL ("\u0000"): the "u0000" must follow an
// odd run of backslashes, else it is a literal backslash and text (found by
// the long run: "\\u0000" in a masked path is no NUL).
inline bool hasEscapedNul(const std::string& json) {
  for (size_t at = json.find("u0000"); at != std::string::npos; at = json.find("u0000", at + 1)) {
    size_t slashes = 0;
    while (slashes < at && json[at - 1 - slashes] == '\\') ++slashes;
    if (slashes % 2 == 1) return true;
  }
  return false;
}

// For a document parser: whatever parse accepts, its toJson must give a
// text that parses again to the same value and the same text.
template <class Parse>
void checkRoundTrip(std::string_view input, Parse parse) {
  auto first = parse(input);
  if (!first.ok()) return;
  std::string json1 = toJson(*first);  // found by ADL in sangja::spec
  auto second = parse(json1);
  if (!second.ok()) fail("toJson's output does not parse again", json1, second.error().message());
  std::string json2 = toJson(*second);
  check(json1 == json2, "parse -> toJson -> parse -> toJson changed the text", json1, json2);
  check(*first == *second, "parse -> toJson -> parse changed the value", json1, json2);
  // An accepted document holds no NUL in a string: it would cut the path,
  // argument or value short where the kernel or libc reads it.
  check(!hasEscapedNul(json1), "a string with NUL was accepted", json1);
}

}  // namespace sangja::fuzz
