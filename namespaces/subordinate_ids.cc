#include "namespaces/subordinate_ids.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

#include "base/c_string_array.h"
#include "base/file.h"
#include "base/spawn.h"
#include "base/text.h"

namespace sangja::ns {

namespace {

bool parseNumber(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string rangeText(uint64_t first, uint64_t size) {
  return std::to_string(first) + "-" + std::to_string(first + size - 1);
}

}  // namespace

std::vector<SubIdRange> parseSubIds(std::string_view text, std::string_view userName, uint32_t id) {
  std::vector<SubIdRange> out;
  std::string idText = std::to_string(id);
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view who = line.substr(0, a);
    if (who != idText && (userName.empty() || who != userName)) continue;
    SubIdRange r;
    if (!parseNumber(line.substr(a + 1, b - a - 1), r.start) ||
        !parseNumber(line.substr(b + 1), r.count) || r.count == 0) {
      continue;
    }
    out.push_back(r);
  }
  return out;
}

bool mapsOnlyOwnId(const std::vector<spec::IdMapping>& mappings, uint32_t ownId) {
  return mappings.size() == 1 && mappings[0].hostID == ownId && mappings[0].size == 1;
}

Status checkGranted(const std::vector<spec::IdMapping>& mappings, const IdGrant& grant,
                    std::string_view jsonPath) {
  for (size_t i = 0; i < mappings.size(); ++i) {
    const spec::IdMapping& m = mappings[i];
    uint64_t first = m.hostID;
    uint64_t end = first + m.size;
    if (m.size == 1 && first == grant.ownId) continue;
    bool inside = false;
    for (const SubIdRange& r : grant.ranges) {
      inside = inside || (first >= r.start && end <= r.start + r.count);
    }
    if (inside) continue;
    std::string granted;
    for (const SubIdRange& r : grant.ranges) {
      granted += (granted.empty() ? "" : ", ") + rangeText(r.start, r.count);
    }
    return Error::invalid(std::string(jsonPath) + "[" + std::to_string(i) + "]: host ids " +
                              rangeText(first, m.size) + " are not id " +
                              std::to_string(grant.ownId) + "'s own nor granted to it in " +
                              grant.file + " (" + (granted.empty() ? "no range" : granted) + ")",
                          EPERM);
  }
  return {};
}

std::vector<std::string> idMapHelperArgs(pid_t pid, const std::vector<spec::IdMapping>& mappings) {
  std::vector<std::string> args{std::to_string(pid)};
  for (const spec::IdMapping& m : mappings) {
    args.push_back(std::to_string(m.containerID));
    args.push_back(std::to_string(m.hostID));
    args.push_back(std::to_string(m.size));
  }
  return args;
}

Result<IdGrant> readGrant(const std::string& file, uint32_t ownId, uid_t owner) {
  IdGrant grant;
  grant.ownId = ownId;
  grant.file = file;
  Result<std::string> text = readFile(file);
  if (!text.ok()) {
    if (text.error().code() == ENOENT) return grant;
    return std::move(text).takeError();
  }
  // The name of the caller's uid: getpwuid_r reads /etc/passwd (or NSS);
  // a uid with no name is matched by number only.
  std::string name;
  struct passwd pw;
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwuid_r(owner, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    name = found->pw_name;
  }
  grant.ranges = parseSubIds(*text, name, owner);
  return grant;
}

namespace {

struct HelperPlan {
  const char* path;
  char* const* argv;
  int stderrFd;
};

namespace child {

void helperMain(void* p) {
  const auto* plan = static_cast<const HelperPlan*>(p);
  if (::dup2(plan->stderrFd, 1) < 0 || ::dup2(plan->stderrFd, 2) < 0) ::_exit(127);
  char* const envp[] = {nullptr};
  ::execve(plan->path, plan->argv, envp);
  ::_exit(127);
}

}  // namespace child

// Root's and writable by root alone: a helper another user could replace
// would run with the caller's ids (setuid or with file capabilities, it is
// the system's own).
bool trustworthy(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && st.st_uid == 0 &&
         (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

// The helper on PATH (the caller's choice, if the system's: see
// trustworthy), else Debian's place for it.
std::string findHelper(const char* program) {
  const char* path = ::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "";
  while (!dirs.empty()) {
    size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    dirs.remove_prefix(colon == std::string_view::npos ? dirs.size() : colon + 1);
    if (dir.empty() || dir[0] != '/') continue;
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0 && trustworthy(candidate)) return candidate;
  }
  return std::string("/usr/bin/") + program;
}

}  // namespace

Status runIdMapHelper(const char* program, pid_t pid, const std::vector<spec::IdMapping>& mappings,
                      std::string_view jsonPath) {
  std::string where = std::string(jsonPath) + ": " + program;
  std::string path = findHelper(program);
  if (::access(path.c_str(), X_OK) != 0 || !trustworthy(path)) {
    return Error::invalid(where + " is needed to map several ranges and is not installed (" +
                              "Debian's uidmap package), or not root's alone",
                          ENOENT);
  }
  std::vector<std::string> args{program};
  for (std::string& a : idMapHelperArgs(pid, mappings)) args.push_back(std::move(a));
  CStringArray argv(args);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return Error::fromErrno(where + ": pipe");
  UniqueFd readEnd(p[0]);
  UniqueFd writeEnd(p[1]);
  HelperPlan plan{path.c_str(), argv.data(), writeEnd.get()};
  Spawned helper = TRY(spawn({}, child::helperMain, &plan).context(where));
  writeEnd.reset();
  std::string said = readFdBounded(readEnd.get(), "output of " + path, 4096).valueOr("");
  int status = TRY(helper.child.wait().context(where));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  said.resize(withoutTrailingBlanks(said).size());
  return Error::invalid(where + " failed" + (said.empty() ? "" : ": " + said), EPERM);
}

}  // namespace sangja::ns
