// Runtime logging: errors to stderr and, with --log, to a file as text or
// as one JSON object a line ({"level","msg","time"}), which containerd reads.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace sangja::log {

enum class Format { kText, kJson };

void configure(const std::string& file, Format format, bool debug);
void error(std::string_view msg);
void warning(std::string_view msg);
void debug(std::string_view msg);
// The phase trace: to the log file when there is one, else to stderr.
void trace(std::string_view text);
bool debugEnabled();

// A step whose failure may truly be ignored (undoing a create that failed
// anyway, a cleanup after the answer is known): a failure becomes a
// warning naming `what`, never a silent drop.
void bestEffort(std::string_view what, const Status& status);

// One log line as written to the file (pure; exposed for tests).
std::string formatLine(Format format, std::string_view level, std::string_view msg,
                       std::string_view time);

}  // namespace sangja::log
