// Mount options (mnt::parseMountOptions) and propagation names
// (mnt::parsePropagation). The input is the option list, one per line.
// Properties: no crash; both parsers agree on what a propagation option is;
// a bind's attributes are never both set and cleared; giving the list twice
// changes nothing but the filesystem data; unknown options all reach that
// data. (Recursive attributes may be both: "rro,rrw" sets and clears
// MOUNT_ATTR_RDONLY, and the kernel applies the set, as runc's parser does.)
#include <linux/mount.h>
#include <sys/mount.h>

#include <algorithm>
#include <string>
#include <vector>

#include "namespaces/mount_options.h"
#include "tests/fuzz/fuzz_check.h"

using namespace sangja;

namespace {

std::vector<std::string> lines(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = std::min(s.find('\n', start), s.size());
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool sameEffect(const mnt::MountOptions& a, const mnt::MountOptions& b) {
  return a.flags == b.flags && a.propagation == b.propagation && a.attrs.set == b.attrs.set &&
         a.attrs.clear == b.attrs.clear && a.recursiveAttrs.set == b.recursiveAttrs.set &&
         a.recursiveAttrs.clear == b.recursiveAttrs.clear && a.idmap == b.idmap &&
         a.recursiveIdmap == b.recursiveIdmap;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::text(data, size);
  std::vector<std::string> options = lines(input);
  Result<mnt::MountOptions> parsed = mnt::parseMountOptions(options);
  if (!parsed.ok()) return 0;
  const mnt::MountOptions& o = *parsed;

  // The access-time mode is one field, replaced whole (cleared, then set);
  // for every other attribute, setting and clearing it at once is a conflict.
  constexpr uint64_t kAtime = MOUNT_ATTR__ATIME;
  fuzz::check((o.attrs.set & o.attrs.clear & ~kAtime) == 0,
              "a bind attribute is both set and cleared", input);
  fuzz::check(!o.recursiveIdmap || o.idmap, "ridmap without idmap", input);
  fuzz::check(o.attrs.empty() || o.bind(), "bind attributes on a mount that is no bind", input);

  std::vector<std::string> twice = options;
  twice.insert(twice.end(), options.begin(), options.end());
  Result<mnt::MountOptions> parsedTwice = mnt::parseMountOptions(twice);
  fuzz::check(parsedTwice.ok() && sameEffect(o, *parsedTwice),
              "giving the options twice changed their effect", input);

  const std::vector<std::string> known = mnt::knownMountOptions();
  for (const std::string& opt : options) {
    Result<unsigned long> prop = mnt::parsePropagation(opt);
    if (prop.ok() && !opt.empty()) {
      auto alone = mnt::parseMountOptions({opt});
      fuzz::check(alone.ok() && alone->propagation == *prop,
                  "parsePropagation and parseMountOptions disagree", opt);
    }
    bool isKnown = std::find(known.begin(), known.end(), opt) != known.end();
    fuzz::check(!prop.ok() || opt.empty() || isKnown, "a propagation that features omits", opt);
    if (!isKnown && !opt.empty())
      fuzz::check(o.data.find(opt) != std::string::npos, "an unknown option did not reach data",
                  opt, o.data);
  }
  (void)mnt::parsePropagation(input);
  return 0;
}
