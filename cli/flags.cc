#include "cli/flags.h"

#include <charconv>
#include <cstdint>
#include <optional>

#include "base/plain_math.h"

namespace sangja::cli {

namespace {

const FlagSpec* findSpec(std::span<const FlagSpec> specs, std::string_view name) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == name || (!spec.shortName.empty() && spec.shortName == name)) return &spec;
  }
  return nullptr;
}

bool isBoolText(std::string_view v) {
  return v == "true" || v == "false" || v == "1" || v == "0";
}

}  // namespace

bool ParsedFlags::isSet(std::string_view name) const {
  auto v = value(name);
  return v && *v != "false" && *v != "0";
}

std::optional<std::string> ParsedFlags::value(std::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedFlags::valueOr(std::string_view name, std::string_view fallback) const {
  return value(name).value_or(std::string(fallback));
}

std::vector<std::string> ParsedFlags::values(std::string_view name) const {
  auto it = values_.find(std::string(name));
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Result<ParsedFlags> parseFlags(std::span<const std::string> args, std::span<const FlagSpec> specs) {
  ParsedFlags out;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;  // first positional ends flags
    std::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string_view> inlineValue;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      inlineValue = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    const FlagSpec* spec = findSpec(specs, body);
    if (spec == nullptr)
      return Error::invalid("flag provided but not defined: -" + std::string(body));
    std::string key(spec->name);
    if (!spec->takesValue) {
      if (inlineValue && !isBoolText(*inlineValue)) {
        return Error::invalid("invalid boolean value \"" + std::string(*inlineValue) + "\" for -" +
                              key);
      }
      out.values_[key].push_back(inlineValue ? std::string(*inlineValue) : "true");
      continue;
    }
    if (inlineValue) {
      out.values_[key].emplace_back(*inlineValue);
    } else if (i + 1 < args.size()) {
      out.values_[key].push_back(args[++i]);
    } else {
      return Error::invalid("flag needs an argument: -" + key);
    }
  }
  out.positional.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return out;
}

Result<int> parseIntFlag(std::string_view name, std::string_view value) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size()) {
    return Error::invalid("invalid value \"" + std::string(value) + "\" for flag -" +
                          std::string(name) + ": must be an integer");
  }
  return v;
}

Result<int64_t> parseDurationMs(std::string_view name, std::string_view value) {
  auto bad = [&] {
    return Error::invalid("invalid duration \"" + std::string(value) + "\" for flag -" +
                          std::string(name) + " (like 5s, 250ms, 1m)");
  };
  // In whole nanoseconds, as Go's time.ParseDuration counts: exact, and
  // past int64 nanoseconds (292 years) it is no duration.
  struct Unit {
    std::string_view suffix;
    uint64_t ns;
  };
  constexpr Unit kUnits[] = {{"ms", 1000000},      {"us", 1000},          {"ns", 1},
                             {"s", 1000000000ull}, {"m", 60000000000ull}, {"h", 3600000000000ull}};
  using Wide = unsigned __int128;
  constexpr Wide kMaxNs = static_cast<Wide>(INT64_MAX);
  std::string_view rest = value;
  Wide totalNs = 0;
  if (rest.empty()) return bad();
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() &&
           (std::isdigit(static_cast<unsigned char>(rest[digits])) || rest[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) return bad();
    std::optional<plain_math::Decimal> number = plain_math::parseDecimal(rest.substr(0, digits));
    if (!number) return bad();
    rest.remove_prefix(digits);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (rest.starts_with(u.suffix)) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return bad();
    rest.remove_prefix(unit->suffix.size());
    Wide power = 1;
    for (int i = 0; i < number->scale; ++i) power *= 10;
    totalNs += static_cast<Wide>(number->digits) * unit->ns / power;
    if (totalNs > kMaxNs) return bad();
  }
  return static_cast<int64_t>(totalNs / 1000000);
}

Result<int64_t> parseSize(std::string_view name, std::string_view value) {
  auto bad = [&] {
    return Error::invalid("invalid size \"" + std::string(value) + "\" for flag -" +
                          std::string(name) + " (like 512m, 1g or a number of bytes)");
  };
  if (value == "-1") return int64_t{-1};
  std::string_view rest = value;
  size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits == 0) return bad();
  int64_t number = 0;
  if (std::from_chars(rest.data(), rest.data() + digits, number).ec != std::errc()) return bad();
  std::string suffix;
  for (char c : rest.substr(digits))
    suffix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (suffix.size() == 2 && suffix[1] == 'b') suffix.pop_back();
  int shift = 0;
  if (suffix.empty() || suffix == "b")
    shift = 0;
  else if (suffix == "k")
    shift = 10;
  else if (suffix == "m")
    shift = 20;
  else if (suffix == "g")
    shift = 30;
  else if (suffix == "t")
    shift = 40;
  else if (suffix == "p")
    shift = 50;
  else
    return bad();
  if (number > (INT64_MAX >> shift)) return bad();
  return number << shift;
}

}  // namespace sangja::cli
