#include "base/mountinfo.h"

#include "base/numbers.h"

namespace sangja {

namespace {

// The next space-separated field of line, consumed.
std::string_view nextField(std::string_view& line) {
  size_t end = line.find(' ');
  std::string_view field = line.substr(0, end);
  line = end == std::string_view::npos ? std::string_view{} : line.substr(end + 1);
  return field;
}

bool isOctalEscape(std::string_view digits) {
  if (digits.size() != 3) return false;
  for (char c : digits) {
    if (c < '0' || c > '7') return false;
  }
  return true;
}

// The kernel escapes space, tab, newline and backslash as \ooo.
std::string unescapeOctal(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && isOctalEscape(text.substr(i + 1, 3))) {
      out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                               (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::vector<MountinfoEntry> parseMountinfo(std::string_view text) {
  std::vector<MountinfoEntry> out;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    MountinfoEntry e;
    if (!parseWhole(nextField(line), e.id) || !parseWhole(nextField(line), e.parent)) continue;
    nextField(line);  // major:minor
    e.root = unescapeOctal(nextField(line));
    std::string_view point = nextField(line);
    if (point.empty()) continue;
    e.mountPoint = unescapeOctal(point);
    size_t dash = line.find("- ");
    while (dash != std::string_view::npos && dash != 0 && line[dash - 1] != ' ') {
      dash = line.find("- ", dash + 1);
    }
    if (dash != std::string_view::npos) {
      std::string_view tail = line.substr(dash + 2);
      e.fstype = std::string(nextField(tail));
      nextField(tail);  // source
      e.superOptions = std::string(nextField(tail));
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace sangja
