#include "base/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "spec/state.h"

namespace sangja::log {

namespace {

struct Sink {
  int fd = -1;
  Format format = Format::kText;
  bool debug = false;
};

Sink& sink() {
  static Sink s;
  return s;
}

void emit(std::string_view level, std::string_view msg) {
  Sink& s = sink();
  if (s.fd < 0) return;
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  std::string line = formatLine(s.format, level, msg, spec::formatRfc3339Nano(ts));
  ssize_t ignored = ::write(s.fd, line.data(), line.size());
  (void)ignored;
}

void toStderr(std::string_view msg) {
  std::string line(msg);
  line += '\n';
  ssize_t ignored = ::write(2, line.data(), line.size());
  (void)ignored;
}

}  // namespace

std::string formatLine(Format format, std::string_view level, std::string_view msg,
                       std::string_view time) {
  if (format == Format::kJson) {
    nlohmann::ordered_json j;
    j["level"] = level;
    j["msg"] = msg;
    j["time"] = time;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return std::string(time) + " " + std::string(level) + ": " + std::string(msg) + "\n";
}

void configure(const std::string& file, Format format, bool debug) {
  Sink& s = sink();
  s.format = format;
  s.debug = debug;
  if (!file.empty()) {
    s.fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
}

void error(std::string_view msg) {
  emit("error", msg);
  toStderr(msg);
}

void warning(std::string_view msg) {
  emit("warning", msg);
  toStderr(msg);
}

void bestEffort(std::string_view what, const Status& status) {
  if (!status.ok()) warning(std::string(what) + ": " + status.error().message());
}

void debug(std::string_view msg) {
  if (!sink().debug) return;
  emit("debug", msg);
  if (sink().fd < 0) toStderr(msg);
}

void trace(std::string_view text) {
  if (sink().fd >= 0)
    emit("debug", text);
  else
    toStderr(text);
}

bool debugEnabled() {
  return sink().debug;
}

}  // namespace sangja::log
