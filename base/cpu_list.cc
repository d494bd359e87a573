// "0-3,7": the list syntax of cpuset.cpus, cpuset.mems and the spec's
// CPU and node fields.
#include "base/cpu_list.h"

#include <charconv>
#include <string>

namespace sangja {

namespace {

Result<unsigned> parseNumber(std::string_view text, std::string_view list, std::string_view where) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Error::invalid(std::string(where) + ": invalid list \"" + std::string(list) + "\"");
  }
  return value;
}

}  // namespace

Result<std::vector<unsigned>> parseCpuList(std::string_view list, std::string_view where) {
  std::vector<unsigned> out;
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    std::string_view item = list.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
    size_t dash = item.find('-');
    unsigned first = TRY(parseNumber(item.substr(0, dash), list, where));
    unsigned last = first;
    if (dash != std::string_view::npos) last = TRY(parseNumber(item.substr(dash + 1), list, where));
    if (last < first || last > kMaxCpuListEntry) {
      return Error::invalid(std::string(where) + ": invalid range \"" + std::string(item) + "\"");
    }
    for (unsigned i = first; i <= last; ++i) out.push_back(i);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
    if (pos == list.size()) {
      return Error::invalid(std::string(where) + ": invalid list \"" + std::string(list) + "\"");
    }
  }
  return out;
}

}  // namespace sangja
