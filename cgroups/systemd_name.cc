// slice:prefix:name and slice expansion, with systemd's naming rules.
#include "cgroups/systemd_name.h"

#include <tuple>
#include <vector>

namespace sangja::cgroups {

namespace {

constexpr std::string_view kSliceSuffix = ".slice";
constexpr std::string_view kScopeSuffix = ".scope";
constexpr std::string_view kRootSlice = "-.slice";
constexpr std::string_view kDefaultPrefix = "sangja";
constexpr size_t kUnitNameMax = 255;  // systemd's UNIT_NAME_MAX less the NUL

bool isUnitNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
         c == '-' || c == '_' || c == '.' || c == '\\';
}

std::vector<std::string_view> splitColons(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t colon = s.find(':', start);
    parts.push_back(s.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) return parts;
    start = colon + 1;
  }
}

Error badPath(std::string_view cgroupsPath, std::string_view why) {
  return Error::invalid("linux.cgroupsPath: \"" + std::string(cgroupsPath) +
                        "\" with --systemd-cgroup: " + std::string(why));
}

}  // namespace

bool isValidUnitName(std::string_view name) {
  if (name.empty() || name.size() > kUnitNameMax) return false;
  for (char c : name) {
    if (!isUnitNameChar(c)) return false;
  }
  size_t dot = name.rfind('.');
  return dot != std::string_view::npos && dot != 0 && dot + 1 < name.size();
}

Result<std::string> expandSlice(std::string_view slice) {
  if (slice == kRootSlice) return std::string("/");
  auto bad = [&](std::string_view why) {
    return Error::invalid("slice \"" + std::string(slice) + "\": " + std::string(why));
  };
  if (!slice.ends_with(kSliceSuffix) || slice.size() == kSliceSuffix.size()) {
    return bad("a slice name ends in .slice");
  }
  if (!isValidUnitName(slice)) return bad("not a valid systemd unit name");
  std::string_view stem = slice.substr(0, slice.size() - kSliceSuffix.size());
  if (stem.front() == '-' || stem.back() == '-' || stem.find("--") != std::string_view::npos) {
    return bad("a dash separates two parent slice names");
  }
  // Each dash starts a child of the slice before it: a-b-c.slice is
  // /a.slice/a-b.slice/a-b-c.slice.
  std::string path;
  size_t dash = 0;
  while (true) {
    dash = stem.find('-', dash);
    std::string_view upTo = stem.substr(0, dash);
    path += "/";
    path += upTo;
    path += kSliceSuffix;
    if (dash == std::string_view::npos) return path;
    ++dash;
  }
}

Result<SystemdCgroupName> parseSystemdCgroupsPath(std::string_view cgroupsPath, std::string_view id,
                                                  std::string_view defaultSlice) {
  std::string defaulted;
  if (cgroupsPath.empty()) {
    defaulted = ":" + std::string(kDefaultPrefix) + ":" + std::string(id);
    cgroupsPath = defaulted;
  }
  if (cgroupsPath.find('\0') != std::string_view::npos) {
    return badPath(cgroupsPath, "holds a NUL byte");
  }
  std::vector<std::string_view> parts = splitColons(cgroupsPath);
  if (parts.size() != 3) {
    return badPath(cgroupsPath,
                   "expected \"slice:prefix:name\" (a plain path needs the "
                   "cgroupfs driver: leave out --systemd-cgroup)");
  }
  auto [slice, prefix, name] = std::tie(parts[0], parts[1], parts[2]);
  if (name.empty()) return badPath(cgroupsPath, "the name part is empty");
  if (name.ends_with(kSliceSuffix)) {
    return badPath(cgroupsPath,
                   "a container as a slice unit (name ending in .slice) is not supported; "
                   "give a name for a scope");
  }
  SystemdCgroupName out;
  out.slice = slice.empty() ? std::string(defaultSlice) : std::string(slice);
  Result<std::string> slicePath = expandSlice(out.slice);
  if (!slicePath.ok()) return badPath(cgroupsPath, slicePath.error().message());
  out.scope = prefix.empty() ? std::string(name) : std::string(prefix) + "-" + std::string(name);
  out.scope += kScopeSuffix;
  if (!isValidUnitName(out.scope)) {
    return badPath(cgroupsPath, "\"" + out.scope + "\" is not a valid systemd unit name");
  }
  out.path = (*slicePath == "/" ? "" : *slicePath) + "/" + out.scope;
  return out;
}

}  // namespace sangja::cgroups
