#include "runtime/lifecycle/socket_activation.h"

#include <charconv>
#include <climits>
#include <string_view>

namespace sangja {

namespace {

bool parseDecimal(const char* text, long& out) {
  if (text == nullptr || *text == '\0') return false;
  std::string_view s(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

void setVar(std::vector<std::string>& env, std::string_view name, const std::string& value) {
  std::string entry = std::string(name) + "=" + value;
  for (std::string& e : env) {
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

}  // namespace

int socketActivationFds(const char* listenFds, const char* listenPid, pid_t self) {
  long fds = 0;
  long pid = 0;
  if (!parseDecimal(listenPid, pid) || pid != self) return 0;
  if (!parseDecimal(listenFds, fds) || fds <= 0 || fds > INT_MAX - 3) return 0;
  return static_cast<int>(fds);
}

void addSocketActivationEnv(std::vector<std::string>& env, int n) {
  setVar(env, "LISTEN_FDS", std::to_string(n));
  setVar(env, "LISTEN_PID", "1");
}

}  // namespace sangja
