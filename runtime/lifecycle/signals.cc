#include "runtime/lifecycle/signals.h"

#include <csignal>

#include <algorithm>
#include <charconv>
#include <string>

namespace sangja {

namespace {

struct SignalName {
  std::string_view name;
  int number;
};

constexpr SignalName kSignals[] = {
    {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},       {"CHLD", SIGCHLD},
    {"CLD", SIGCHLD},  {"CONT", SIGCONT}, {"FPE", SIGFPE},       {"HUP", SIGHUP},
    {"ILL", SIGILL},   {"INT", SIGINT},   {"IO", SIGIO},         {"IOT", SIGIOT},
    {"KILL", SIGKILL}, {"PIPE", SIGPIPE}, {"POLL", SIGPOLL},     {"PROF", SIGPROF},
    {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT},
    {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM},     {"TRAP", SIGTRAP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},
};

std::optional<int> parseNumber(std::string_view s) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// RTMIN, RTMIN+n, RTMAX, RTMAX-n.
std::optional<int> parseRealtime(std::string_view s) {
  auto offset = [](std::string_view rest, char sign) -> std::optional<int> {
    if (rest.empty()) return 0;
    if (rest[0] != sign) return std::nullopt;
    auto n = parseNumber(rest.substr(1));  // bounded, so that the sum below cannot overflow
    return n && *n >= 0 && *n <= SIGRTMAX - SIGRTMIN ? n : std::nullopt;
  };
  if (s.starts_with("RTMIN")) {
    auto off = offset(s.substr(5), '+');
    if (off) return SIGRTMIN + *off;
  } else if (s.starts_with("RTMAX")) {
    auto off = offset(s.substr(5), '-');
    if (off) return SIGRTMAX - *off;
  }
  return std::nullopt;
}

}  // namespace

Result<int> parseSignal(std::string_view text) {
  auto bad = [&] { return Error::invalid("unknown signal \"" + std::string(text) + "\""); };
  if (auto n = parseNumber(text)) {
    // 0 sends nothing: `kill ID 0` only asks whether the init is alive.
    if (*n < 0 || *n > SIGRTMAX) return bad();
    return *n;
  }
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  std::string_view name = upper;
  if (name.starts_with("SIG")) name.remove_prefix(3);
  for (const SignalName& s : kSignals) {
    if (s.name == name) return s.number;
  }
  if (auto rt = parseRealtime(name); rt && *rt >= SIGRTMIN && *rt <= SIGRTMAX) return *rt;
  return bad();
}

}  // namespace sangja
