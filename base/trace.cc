#include "base/trace.h"

#include "base/fault_point.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace sangja::trace {

namespace {

struct Mark {
  std::string phase;
  uint64_t ns;
};

struct Trace {
  bool on = false;
  std::vector<Mark> marks;
};

Trace& state() {
  static Trace t;
  return t;
}

}  // namespace

void enable(bool on) {
  state().on = on;
  if (on) mark("start");
}

bool enabled() {
  return state().on;
}

void mark(std::string_view phase) {
  faultPoint(phase);
  if (state().on) markAt(phase, nowNs());
}

void markAt(std::string_view phase, uint64_t ns) {
  if (!state().on || ns == 0) return;
  state().marks.push_back(Mark{std::string(phase), ns});
}

std::string render() {
  std::vector<Mark> marks = state().marks;
  std::stable_sort(marks.begin(), marks.end(),
                   [](const Mark& a, const Mark& b) { return a.ns < b.ns; });
  std::string out;
  if (marks.empty()) return out;
  uint64_t first = marks.front().ns;
  uint64_t prev = first;
  for (const Mark& m : marks) {
    char line[160];
    std::snprintf(line, sizeof line, "trace: %-28s +%8.3f ms  (%7.3f)\n", m.phase.c_str(),
                  static_cast<double>(m.ns - first) / 1e6, static_cast<double>(m.ns - prev) / 1e6);
    out += line;
    prev = m.ns;
  }
  return out;
}

}  // namespace sangja::trace
