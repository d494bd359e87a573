#include "base/signal_dispositions.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/log.h"
#include "base/procfs.h"

namespace sangja {

namespace {

constexpr uint64_t kAll = ~uint64_t{0};

// Up to 16 hex digits before the end of the line.
bool parseHexMask(std::string_view text, uint64_t& out) {
  uint64_t v = 0;
  size_t digits = 0;
  for (char c : text) {
    if (c == '\n') break;
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0 || digits == 16) return false;
    v = v << 4 | static_cast<uint64_t>(d);
    ++digits;
  }
  out = v;
  return digits > 0;
}

}  // namespace

uint64_t parseSignalsNotAtDefault(std::string_view status) {
  uint64_t mask = 0;
  for (std::string_view key : {"\nSigIgn:\t", "\nSigCgt:\t"}) {
    size_t at = status.find(key);
    uint64_t one = 0;
    if (at == std::string_view::npos || !parseHexMask(status.substr(at + key.size()), one)) {
      return kAll;
    }
    mask |= one;
  }
  return mask;
}

uint64_t signalsNotAtDefault() {
  int fd = openVerifiedProc("/proc/self/status", O_RDONLY | O_NONBLOCK);
  if (fd < 0) {
    log::debug("signal dispositions: /proc/self/status unreadable; every signal is reset");
    return kAll;
  }
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n <= 0 || static_cast<size_t>(n) == sizeof buf) return kAll;
  return parseSignalsNotAtDefault(std::string_view(buf, static_cast<size_t>(n)));
}

}  // namespace sangja
