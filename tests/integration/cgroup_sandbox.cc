#include "tests/integration/cgroup_sandbox.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace sangja::it {

namespace fs = std::filesystem;

namespace {

// Runs the rest of its arguments in a new cgroup namespace rooted at $1 (the
// sandbox dir), with a private /sys/fs/cgroup showing only that subtree.
// (A tmpfs first: on a pure v2 host the kernel refuses the cgroup2
// superblock on top of itself at the same place.)
constexpr const char* kEnterSandbox =
    "echo $$ > \"$1/cgroup.procs\" || exit 125; shift; "
    "exec unshare --cgroup --mount --propagation private /bin/sh -c "
    "'mount -t tmpfs sangja-sandbox /sys/fs/cgroup && "
    "mount -t cgroup2 sangja-sandbox /sys/fs/cgroup || exit 125; exec \"$@\"' sh \"$@\"";

// Kills every process below dir and removes its cgroups, leaves first.
void removeCgroupTree(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  writeFile(dir + "/cgroup.kill", "1");
  std::vector<std::string> dirs;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) dirs.push_back(it->path().string());
  }
  dirs.insert(dirs.begin(), dir);
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    waitUntil([&] { return ::rmdir(it->c_str()) == 0 || errno == ENOENT; }, milliseconds(3000));
  }
}

}  // namespace

CgroupSandbox::CgroupSandbox(const std::string& tag)
    : tag_(tag), dir_(unifiedRoot() + "/sangja-it-sandbox-" + tag) {
  fs::create_directories(dir_ + "/victim");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork the victim");
  if (pid == 0) {
    std::string procs = dir_ + "/victim/cgroup.procs";
    FILE* f = ::fopen(procs.c_str(), "w");
    if (f == nullptr || ::fprintf(f, "%d", ::getpid()) < 0 || ::fclose(f) != 0) ::_exit(125);
    ::execl("/bin/sleep", "sleep", "1000", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  victim_ = pid;
  victimPidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (!waitUntil(
          [&] { return contains(readFile(dir_ + "/victim/cgroup.procs"), std::to_string(pid)); })) {
    throw std::runtime_error("the victim did not join " + dir_ + "/victim");
  }
}

CgroupSandbox::~CgroupSandbox() {
  removeCgroupTree(dir_);
  if (victim_ > 0) {
    ::kill(victim_, SIGKILL);
    ::waitpid(victim_, nullptr, 0);
  }
  if (victimPidfd_ >= 0) ::close(victimPidfd_);
}

RunResult CgroupSandbox::runtime(const std::string& root, const std::vector<std::string>& args,
                                 milliseconds timeout) const {
  std::vector<std::string> argv{"/bin/sh", "-c",  kEnterSandbox,           "sandbox",
                                dir_,      "env", "SANGJA_IT_TAG=" + tag_, runtimePath(),
                                "--root",  root};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv, timeout);
}

bool CgroupSandbox::victimAlive() const {
  // Our child: a zombie is dead.
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(victim_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == 0;
}

bool CgroupSandbox::victimCgroupReachesKmsg() const {
  RunResult r =
      runCommand({"/bin/sh", "-c",
                  "echo $$ > \"$0/victim/cgroup.procs\" && : < /dev/kmsg && echo open", dir_});
  return r.out == "open\n";
}

}  // namespace sangja::it
