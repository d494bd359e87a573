// Go-style flag parsing as runc's clients expect it: `-flag` and `--flag`,
// `--flag=v` and `--flag v`, bool flags with optional `=true|false`, `--`
// ends flags, and parsing stops at the first positional argument (so that
// `exec ID sh -c ...` leaves the command alone). Pure code.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sangja::cli {

struct FlagSpec {
  std::string_view name;       // long name, without dashes
  std::string_view shortName;  // one letter or empty
  bool takesValue = false;
};

class ParsedFlags {
 public:
  bool has(std::string_view name) const { return values_.count(std::string(name)) > 0; }
  // Bool flags: present and not set to false.
  bool isSet(std::string_view name) const;
  // Last value given for the flag (Go's flag package keeps the last one).
  std::optional<std::string> value(std::string_view name) const;
  std::string valueOr(std::string_view name, std::string_view fallback) const;
  // Every value, for repeatable flags (`--env A=1 --env B=2`).
  std::vector<std::string> values(std::string_view name) const;

  std::vector<std::string> positional;

 private:
  friend Result<ParsedFlags> parseFlags(std::span<const std::string>, std::span<const FlagSpec>);
  std::map<std::string, std::vector<std::string>> values_;
};

// Parses args against specs (names given as long names; results are keyed by
// the long name). Unknown flags are an error naming the flag.
Result<ParsedFlags> parseFlags(std::span<const std::string> args, std::span<const FlagSpec> specs);

// A decimal that fits in int, for flags like --preserve-fds.
Result<int> parseIntFlag(std::string_view name, std::string_view value);

// A byte size as runc takes it: a number with an optional k, m, g, t or p
// suffix (powers of 1024, any case, optional trailing "b"); "-1" passes.
Result<int64_t> parseSize(std::string_view name, std::string_view value);

// A Go duration ("5s", "250ms", "1m30s", "1.5s") in milliseconds.
Result<int64_t> parseDurationMs(std::string_view name, std::string_view value);

}  // namespace sangja::cli
