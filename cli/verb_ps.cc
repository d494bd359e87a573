// ps: the container's processes. --format json prints the pids as a JSON
// array (what containerd reads); the table is ps(1)'s own output for them,
// as runc does it.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/c_string_array.h"
#include "base/file.h"
#include "base/spawn.h"
#include "cli/flags.h"
#include "cli/verbs.h"

namespace sangja::cli {

namespace {

struct PsArgs {
  int out;
  char* const* argv;
};

namespace child {

// ps, writing to our pipe.
void execPs(void* p) {
  const auto* args = static_cast<const PsArgs*>(p);
  if (::dup2(args->out, 1) < 0) ::_exit(127);
  ::execvp("ps", args->argv);
  ::_exit(127);
}

}  // namespace child

// Runs `ps ARGS` and keeps the header and the lines whose PID column is one
// of pids.
Result<std::string> psTable(const std::vector<int>& pids, std::vector<std::string> psArgs) {
  if (psArgs.empty()) psArgs = {"-ef"};
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return Error::fromErrno("pipe");
  UniqueFd readEnd(fds[0]);
  UniqueFd writeEnd(fds[1]);
  std::vector<std::string> argv = {"ps"};
  argv.insert(argv.end(), psArgs.begin(), psArgs.end());
  CStringArray cargv(argv);
  PsArgs args{writeEnd.get(), cargv.data()};
  Spawned ps = TRY(spawn({}, child::execPs, &args).context("start ps"));
  writeEnd.reset();
  std::string out = TRY(readFd(readEnd.get(), "ps output"));
  int status = TRY(ps.child.wait());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error::invalid("ps failed (is procps installed?)");
  }
  std::istringstream lines(out);
  std::string header;
  std::getline(lines, header);
  // The PID column: where "PID" sits in the header.
  size_t column = 0;
  std::istringstream words(header);
  std::string word;
  for (size_t i = 0; words >> word; ++i) {
    if (word == "PID") column = i;
  }
  std::set<int> wanted(pids.begin(), pids.end());
  std::string result = header + "\n";
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string field;
    for (size_t i = 0; i <= column && fields >> field; ++i) {
    }
    int pid = 0;
    std::from_chars(field.data(), field.data() + field.size(), pid);
    if (wanted.count(pid)) result += line + "\n";
  }
  return result;
}

}  // namespace

Result<int> verbPs(const GlobalOptions& g, Args args) {
  constexpr std::array kFlags = {FlagSpec{"format", "f", true}};
  ParsedFlags flags = TRY(parseFlags(args, kFlags));
  if (flags.positional.empty()) {
    TRY(expectArgs("ps", flags.positional, 1, "[--format table|json] <container-id> [ps options]"));
  }
  std::vector<int> pids = TRY(containerPids(g.runtime, flags.positional[0]));
  std::string format = flags.valueOr("format", "table");
  if (format == "json") {
    printOut(nlohmann::json(pids).dump() + "\n");
    return 0;
  }
  if (format != "table") {
    return Error::invalid("invalid format option \"" + format + "\": use table or json");
  }
  std::vector<std::string> psArgs(flags.positional.begin() + 1, flags.positional.end());
  printOut(TRY(psTable(pids, psArgs)));
  return 0;
}

}  // namespace sangja::cli
