#include "tests/integration/harness.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace sangja::it {
namespace fs = std::filesystem;

namespace {

std::atomic<int> g_counter{0};

std::string errnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Where the suite's temp dir goes: $SANGJA_IT_TMPDIR, else /dev/shm when it
// is an exec-able tmpfs (copying the rootfs's 270 symlinks costs ~250 ms on
// this VM's ext4 and ~5 ms on tmpfs), else $TMPDIR or /tmp.
std::string tempParent() {
  const char* v = std::getenv("SANGJA_IT_TMPDIR");
  if (v && *v) return v;
  struct statfs sf {};
  struct statvfs svf {};
  if (statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC && statvfs("/dev/shm", &svf) == 0 &&
      !(svf.f_flag & (ST_NOEXEC | ST_NODEV | ST_RDONLY)) && access("/dev/shm", W_OK) == 0)
    return "/dev/shm";
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

// One temp dir per test binary run; every Bundle and captured output lives in it.
const std::string& suiteTmp() {
  static const std::string dir = [] {
    std::string tmpl = tempParent() + "/sangja-it.XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error(errnoText("mkdtemp " + tmpl));
    return fs::canonical(tmpl).string();
  }();
  return dir;
}

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string joinCommand(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`;&|<>*?()") == std::string::npos;
    s += plain ? a : shellQuote(a);
  }
  return s;
}

// Mount points (unescaped enough for our space-free paths) under prefix/.
std::vector<std::string> mountsUnder(const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& line : splitLines(readFile("/proc/self/mountinfo"))) {
    std::istringstream in(line);
    std::string id, parent, devno, root, point;
    in >> id >> parent >> devno >> root >> point;
    if (point == prefix || point.rfind(prefix + "/", 0) == 0) out.push_back(point);
  }
  return out;
}

// Removes a temp tree, but never across a mount point: a leftover bind mount
// of a host dir must not cost the host its files.
void removeTree(const std::string& dir) {
  auto mounts = mountsUnder(dir);
  std::sort(mounts.rbegin(), mounts.rend());
  for (const auto& m : mounts) umount2(m.c_str(), MNT_DETACH);
  if (!mountsUnder(dir).empty()) {
    ADD_FAILURE() << "not removing " << dir << ": mounts remain under it";
    return;
  }
  runCommand({"rm", "-rf", "--one-file-system", dir});
}

fs::file_time_type mtimeOr(const fs::path& p) {
  std::error_code ec;
  auto t = fs::last_write_time(p, ec);
  return ec ? fs::file_time_type::min() : t;
}

// Builds the busybox rootfs once (shared by test processes, e.g. under ctest)
// next to the test binary, with examples/make-busybox-bundle.sh.
const std::string& cachedRootfs() {
  static const std::string rootfs = [] {
    fs::path exe = fs::read_symlink("/proc/self/exe");
    fs::path cache = exe.parent_path() / "it-rootfs-cache";
    fs::create_directories(cache);
    fs::path script = fs::path(SANGJA_SOURCE_DIR) / "examples" / "make-busybox-bundle.sh";
    fs::path stamp = cache / "stamp";

    int lock = open((cache / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0) throw std::runtime_error(errnoText("open lock in " + cache.string()));
    flock(lock, LOCK_EX);
    auto built = mtimeOr(stamp);
    if (!fs::exists(stamp) || built < mtimeOr(script) || built < mtimeOr("/bin/busybox") ||
        !fs::exists(cache / "rootfs" / "bin" / "busybox")) {
      // The script writes its config.json with `sangja spec`; only the rootfs is used here.
      RunResult r =
          runCommand({"env", "SANGJA=" SANGJA_BINARY, "bash", script.string(), cache.string()},
                     milliseconds(600000));
      if (!r.ok()) {
        close(lock);
        throw std::runtime_error("building the busybox rootfs failed: " + r.err);
      }
      writeFile(stamp.string(), "built\n");
    }
    close(lock);
    return (cache / "rootfs").string();
  }();
  return rootfs;
}

struct DevNullStat {
  mode_t mode;
  uid_t uid;
  gid_t gid;
  dev_t rdev;
  bool operator==(const DevNullStat&) const = default;
};

DevNullStat statDevNull() {
  struct stat st {};
  if (stat("/dev/null", &st) != 0) return {0, 0, 0, 0};
  return {st.st_mode, st.st_uid, st.st_gid, st.st_rdev};
}

std::ostream& operator<<(std::ostream& os, const DevNullStat& s) {
  return os << "mode=" << std::oct << s.mode << std::dec << " uid=" << s.uid << " gid=" << s.gid
            << " rdev=" << major(s.rdev) << ":" << minor(s.rdev);
}

// Records the host before the suite and checks it after: the runtime under
// test must not change /dev/null, leave mounts or leave cgroups.
class HostInvariants : public ::testing::Environment {
 public:
  void SetUp() override {
    dev_null_ = statDevNull();
    before_ = HostSnapshot::take();
    cachedRootfs();
  }
  void TearDown() override {
    EXPECT_EQ(statDevNull(), dev_null_) << "the host's /dev/null changed";
    HostSnapshot after = HostSnapshot::take();
    EXPECT_EQ(after.mounts.size(), before_.mounts.size()) << "host mount count changed; added:\n"
                                                          << before_.added(after) << "removed:\n"
                                                          << after.added(before_);
    std::string added = before_.added(after);
    EXPECT_EQ(added, "") << "the suite left this on the host";
    removeTree(suiteTmp());
  }

 private:
  DevNullStat dev_null_{};
  HostSnapshot before_;
};

[[maybe_unused]] ::testing::Environment* const g_env =
    ::testing::AddGlobalTestEnvironment(new HostInvariants);

}  // namespace

// ---- runtime ---------------------------------------------------------------

const std::string& runtimePath() {
  static const std::string path = [] {
    const char* env = std::getenv("SANGJA_RUNTIME");
    return std::string(env && *env ? env : SANGJA_BINARY);
  }();
  return path;
}

std::string runtimeName() {
  return fs::path(runtimePath()).filename().string();
}

bool runtimeIsPeer() {
  std::string name = runtimeName();
  return name.find("runc") != std::string::npos || name.find("crun") != std::string::npos;
}

// ---- processes -------------------------------------------------------------

std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  os << "`" << r.command << "` -> ";
  if (r.timed_out)
    os << "TIMED OUT";
  else
    os << "status " << r.status;
  os << "\n--- stdout ---\n" << r.out << "\n--- stderr ---\n" << r.err << "\n---";
  return os;
}

Process::Process(std::vector<std::string> argv, const std::string& out_dir,
                 std::vector<std::string> extra_env)
    : command_(joinCommand(argv)) {
  int n = g_counter++;
  out_path_ = out_dir + "/p" + std::to_string(n) + ".out";
  err_path_ = out_dir + "/p" + std::to_string(n) + ".err";
  int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out_fd = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0)
    throw std::runtime_error(errnoText("opening output files in " + out_dir));

  // Everything the child needs is built before fork.
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (char** e = environ; *e; ++e) cenv.push_back(*e);
  for (auto& e : extra_env) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(errnoText("fork"));
  if (pid_ == 0) {
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(126);
    execve(cargv[0], cargv.data(), cenv.data());
    if (errno == ENOENT) execvpe(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(in_fd);
  close(out_fd);
  close(err_fd);
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (pidfd_ >= 0) close(pidfd_);
}

RunResult Process::wait(milliseconds timeout) {
  RunResult r;
  r.command = command_;
  if (!reaped_) {
    bool done = false;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      int rc;
      do {
        rc = poll(&p, 1, static_cast<int>(timeout.count()));
      } while (rc < 0 && errno == EINTR);
      done = rc > 0;
    } else {
      done = waitUntil([&] { return waitpid(pid_, nullptr, WNOHANG | WNOWAIT) == pid_; }, timeout);
    }
    if (!done) {
      ::kill(pid_, SIGKILL);
      r.timed_out = true;
      ADD_FAILURE() << "killed after " << timeout.count() << " ms: " << command_;
    }
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    if (WIFEXITED(st))
      r.status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
      r.status = 128 + WTERMSIG(st);
  }
  r.out = out();
  r.err = err();
  return r;
}

bool Process::exited() const {
  if (reaped_) return true;
  if (pidfd_ >= 0) {
    pollfd p{pidfd_, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
  }
  siginfo_t info{};
  return waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_;
}

std::string Process::out() const {
  return readFile(out_path_);
}
std::string Process::err() const {
  return readFile(err_path_);
}

std::string devNullFingerprint() {
  std::ostringstream os;
  os << statDevNull();
  return os.str();
}

RunResult runCommand(const std::vector<std::string>& argv, milliseconds timeout) {
  Process p(argv, suiteTmp());
  return p.wait(timeout);
}

RunResult host(const std::string& script, milliseconds timeout) {
  return runCommand({"/bin/sh", "-c", script}, timeout);
}

std::string appArmorUnavailable() {
  if (readFile("/sys/module/apparmor/parameters/enabled").rfind("Y", 0) != 0) {
    return "NOT RUN HERE: this kernel does not enable AppArmor; the qemu guest's does";
  }
  return "";
}

AppArmorTestProfile::AppArmorTestProfile(const std::string& tag, const std::string& dir)
    : name_("sangja-test-" + tag), file_(dir + "/apparmor-profile") {
  EXPECT_TRUE(pathExists("/sys/kernel/security/apparmor"))
      << "AppArmor is enabled but securityfs is not mounted";
  writeFile(file_, "profile " + name_ +
                       " flags=(attach_disconnected,mediate_deleted) {\n"
                       "  file,\n  capability,\n  network,\n  signal,\n"
                       "  mount,\n  umount,\n  pivot_root,\n  ptrace,\n  unix,\n"
                       "  deny /tmp/denied-by-apparmor w,\n}\n");
  RunResult load = host("apparmor_parser -r " + file_);
  EXPECT_TRUE(load.ok()) << load;
  loaded_ = load.ok();
}

AppArmorTestProfile::~AppArmorTestProfile() {
  if (loaded_) host("apparmor_parser -R " + file_);
}

void copyLibraries(const std::string& binary, const std::string& rootfs) {
  namespace fs = std::filesystem;
  RunResult ldd = runCommand({"ldd", binary});
  for (const std::string& line : splitLines(ldd.out)) {
    std::string lib;
    for (size_t pos = 0; pos < line.size();) {
      size_t start = line.find_first_not_of(" \t", pos);
      if (start == std::string::npos) break;
      size_t end = line.find_first_of(" \t", start);
      std::string word = line.substr(start, end == std::string::npos ? end : end - start);
      if (!word.empty() && word[0] == '/') lib = word;
      pos = end == std::string::npos ? line.size() : end;
    }
    if (lib.empty()) continue;
    fs::create_directories(rootfs + fs::path(lib).parent_path().string());
    fs::copy_file(lib, rootfs + lib, fs::copy_options::overwrite_existing);
  }
}

bool waitUntil(const std::function<bool()>& pred, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

// ---- host helpers ----------------------------------------------------------

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) throw std::runtime_error("cannot write " + path);
}

bool writeExisting(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = ::write(fd, data.data(), data.size());
  close(fd);
  return n == static_cast<ssize_t>(data.size());
}

bool pathExists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> nonBlankLines(const std::string& s) {
  std::vector<std::string> lines;
  for (const std::string& l : splitLines(s)) {
    if (l.find_first_not_of(" \t") != std::string::npos) lines.push_back(l);
  }
  return lines;
}

std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool containsNoCase(const std::string& haystack, const std::string& needle) {
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  return contains(lower(haystack), lower(needle));
}

bool processAlive(pid_t pid) {
  if (pid <= 0) return false;
  std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (stat.empty() || paren == std::string::npos || paren + 2 >= stat.size()) return false;
  char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

std::string unifiedCgroupOf(pid_t pid) {
  for (const auto& line : splitLines(readFile("/proc/" + std::to_string(pid) + "/cgroup")))
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "";
}

namespace {
bool hasCommaItem(const std::string& list, const std::string& item) {
  std::istringstream in(list);
  for (std::string tok; std::getline(in, tok, ',');)
    if (tok == item) return true;
  return false;
}
}  // namespace

bool MountEntry::hasOption(const std::string& opt) const {
  return hasCommaItem(options, opt);
}
bool MountEntry::hasSuperOption(const std::string& opt) const {
  return hasCommaItem(super_options, opt);
}

std::vector<MountEntry> parseMountinfo(const std::string& text) {
  std::vector<MountEntry> out;
  for (const auto& line : splitLines(text)) {
    std::istringstream in(line);
    MountEntry e;
    std::string id, parent, devno, tok;
    if (!(in >> id >> parent >> devno >> e.root >> e.point >> e.options)) continue;
    while (in >> tok && tok != "-") {
    }
    in >> e.fstype >> e.source >> e.super_options;
    out.push_back(e);
  }
  return out;
}

std::optional<MountEntry> findMount(const std::string& mountinfo, const std::string& point) {
  std::optional<MountEntry> found;
  for (auto& e : parseMountinfo(mountinfo))
    if (e.point == point) found = e;
  return found;
}

const std::string& unifiedRoot() {
  static const std::string root = [] {
    struct statfs sf {};
    if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
      return std::string("/sys/fs/cgroup");
    return std::string("/sys/fs/cgroup/unified");
  }();
  return root;
}

namespace {
// Mount points of the host's cgroup hierarchies under /sys/fs/cgroup.
std::vector<MountEntry> cgroupMounts() {
  std::vector<MountEntry> out;
  for (const MountEntry& m : parseMountinfo(readFile("/proc/self/mountinfo"))) {
    if ((m.fstype == "cgroup" || m.fstype == "cgroup2") && m.point.rfind("/sys/fs/cgroup", 0) == 0)
      out.push_back(m);
  }
  return out;
}
}  // namespace

const std::string& hostCgroupMode() {
  static const std::string mode = [] {
    bool v1 = false, v2 = false;
    for (const MountEntry& m : cgroupMounts()) (m.fstype == "cgroup" ? v1 : v2) = true;
    return std::string(!v1 ? "unified" : v2 ? "hybrid" : "legacy");
  }();
  return mode;
}

bool v1Host() {
  return hostCgroupMode() != "unified";
}

std::string controllerDir(const std::string& controller, const std::string& cgroupPath) {
  if (!v1Host()) return unifiedRoot() + cgroupPath;
  for (const MountEntry& m : cgroupMounts()) {
    if (m.fstype == "cgroup" && m.hasSuperOption(controller)) return m.point + cgroupPath;
  }
  return "";
}

bool hostHasController(const std::string& controller) {
  if (v1Host()) return !controllerDir(controller, "").empty();
  std::istringstream words(readFile(unifiedRoot() + "/cgroup.controllers"));
  for (std::string w; words >> w;) {
    if (w == controller) return true;
  }
  return false;
}

std::string cgroupOf(pid_t pid, const std::string& controller) {
  if (!v1Host()) return unifiedCgroupOf(pid);
  for (const auto& line : splitLines(readFile("/proc/" + std::to_string(pid) + "/cgroup"))) {
    size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    if (hasCommaItem(line.substr(first + 1, second - first - 1), controller))
      return line.substr(second + 1);
  }
  return "";
}

HostSnapshot HostSnapshot::take() {
  HostSnapshot s;
  s.mounts = splitLines(readFile("/proc/self/mountinfo"));
  for (const MountEntry& m : cgroupMounts()) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(m.point, ec), end; !ec && it != end;
         it.increment(ec)) {
      std::error_code ec2;
      if (it->is_directory(ec2) && !it->is_symlink(ec2)) s.cgroups.insert(it->path().string());
    }
  }
  return s;
}

std::string HostSnapshot::added(const HostSnapshot& after) const {
  std::string out;
  std::multiset<std::string> before_mounts(mounts.begin(), mounts.end());
  for (const auto& m : after.mounts) {
    auto it = before_mounts.find(m);
    if (it != before_mounts.end())
      before_mounts.erase(it);
    else
      out += "mount: " + m + "\n";
  }
  for (const auto& c : after.cgroups)
    if (!cgroups.count(c)) out += "cgroup: " + c + "\n";
  return out;
}

std::string HostSnapshot::addedSettled(milliseconds settle) const {
  std::string diff;
  waitUntil(
      [&] {
        diff = added(take());
        return diff.empty();
      },
      settle);
  return diff;
}

std::vector<pid_t> taggedProcesses(const std::string& tag) {
  std::vector<pid_t> pids;
  std::string needle = "SANGJA_IT_TAG=" + tag + std::string(1, '\0');
  pid_t self = getpid();
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    pid_t pid = std::stoi(name);
    if (pid == self) continue;
    std::string env = std::string(1, '\0') + readFile("/proc/" + name + "/environ");
    if (contains(env, std::string(1, '\0') + needle) && processAlive(pid)) pids.push_back(pid);
  }
  return pids;
}

// ---- bundles ---------------------------------------------------------------

nlohmann::json defaultConfig() {
  static const nlohmann::json config = nlohmann::json::parse(R"({
  "ociVersion": "1.3.0",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh"],
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm"
    ],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "sangja",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [
      {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}
    ],
    "maskedPaths": [
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
    ],
    "readonlyPaths": [
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
    ]
  }
})");
  return config;
}

Bundle::Bundle() {
  const std::string& cache = cachedRootfs();
  std::string tmpl = suiteTmp() + "/t.XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error(errnoText("mkdtemp " + tmpl));
  base_ = tmpl;
  dir_ = base_ + "/bundle";
  rootfs_ = dir_ + "/rootfs";
  root_ = base_ + "/state";
  scratch_ = base_ + "/scratch";
  fs::create_directories(dir_);
  fs::create_directories(scratch_);
  fs::create_directory(root_);
  fs::permissions(root_, fs::perms::owner_all, fs::perm_options::replace);
  id_ = "sj" + std::to_string(getpid()) + "-" + std::to_string(g_counter++);
  RunResult r = runCommand({"cp", "-a", cache, rootfs_});
  if (!r.ok()) throw std::runtime_error("copying the rootfs failed: " + r.err);
}

Bundle::~Bundle() {
  cleanUp();
}

namespace {
// Cgroup directories in any hierarchy under /sys/fs/cgroup (v2 and, for
// runtimes that also use them, v1) whose name is one of ids,
// "sangja-it-<id>" (the tests' own cgroupsPath) or the scope systemd makes
// for "slice:sangja-it:<id>", deepest first.
std::vector<std::string> cgroupsNamed(const std::vector<std::string>& ids) {
  std::set<std::string> names;
  for (const auto& id : ids) {
    names.insert(id);
    names.insert("sangja-it-" + id);
    names.insert("sangja-it-" + id + ".scope");
  }
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::recursive_directory_iterator it("/sys/fs/cgroup", ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code ec2;
    if (it->is_directory(ec2) && !it->is_symlink(ec2) &&
        names.count(it->path().filename().string()))
      found.push_back(it->path().string());
  }
  std::sort(found.rbegin(), found.rend());
  return found;
}
}  // namespace

void Bundle::cleanUp() {
  if (cleaned_) return;  // called early by a test, then by the destructor
  cleaned_ = true;
  std::vector<std::string> ids = extra_ids_;
  ids.insert(ids.begin(), id_);
  for (const auto& id : ids) {
    std::vector<std::string> argv = runtimePrefix;
    argv.push_back(runtimePath());
    argv.insert(argv.end(), globalFlags.begin(), globalFlags.end());
    argv.insert(argv.end(), {"--root", root_, "delete", "--force", id});
    std::vector<std::string> env = runtimeEnv;
    env.push_back("SANGJA_IT_TAG=" + id_);
    Process p(argv, base_, env);
    p.wait(kQuickTimeout);
  }

  if (!waitUntil([&] { return taggedProcesses(id_).empty(); }, milliseconds(3000))) {
    std::string list;
    for (pid_t p : taggedProcesses(id_)) {
      std::string cmd = readFile("/proc/" + std::to_string(p) + "/cmdline");
      std::replace(cmd.begin(), cmd.end(), '\0', ' ');
      list += " " + std::to_string(p) + " (" + cmd + ")";
      ::kill(p, SIGKILL);
    }
    if (!list.empty()) ADD_FAILURE() << "processes left behind after delete --force:" << list;
  }
  auto cgroups = cgroupsNamed(ids);
  if (!cgroups.empty()) {
    std::string list;
    for (const auto& cg : cgroups) {
      list += " " + cg;
      if (pathExists(cg + "/cgroup.kill")) writeExisting(cg + "/cgroup.kill", "1");
      // v1: no cgroup.kill; a frozen task dies only once thawed.
      for (const std::string& pid : splitLines(readFile(cg + "/cgroup.procs")))
        ::kill(std::stoi(pid), SIGKILL);
      if (pathExists(cg + "/freezer.state")) writeExisting(cg + "/freezer.state", "THAWED");
      waitUntil([&] { return rmdir(cg.c_str()) == 0 || errno != EBUSY; }, milliseconds(2000));
    }
    ADD_FAILURE() << "cgroups left behind after delete --force:" << list;
  }
  auto mounts = mountsUnder(base_);
  if (!mounts.empty()) {
    std::string list;
    for (const auto& m : mounts) list += " " + m;
    ADD_FAILURE() << "mounts left behind on the host:" << list;
  }
  removeTree(base_);
}

void Bundle::write() {
  auto& env = config["process"]["env"];
  std::string tag_var = "SANGJA_IT_TAG=" + id_;
  if (!env.is_array()) env = nlohmann::json::array();
  if (std::find(env.begin(), env.end(), tag_var) == env.end()) env.push_back(tag_var);
  writeFile(dir_ + "/config.json", config.dump(2) + "\n");
}

void Bundle::setArgs(const std::vector<std::string>& args) {
  config["process"]["args"] = args;
}

RunResult Bundle::rt(const std::vector<std::string>& args, milliseconds timeout) {
  return spawn(args)->wait(timeout);
}

std::unique_ptr<Process> Bundle::spawn(const std::vector<std::string>& args) {
  std::vector<std::string> argv = runtimePrefix;
  argv.push_back(runtimePath());
  argv.insert(argv.end(), globalFlags.begin(), globalFlags.end());
  argv.insert(argv.end(), {"--root", root_});
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = runtimeEnv;
  env.push_back("SANGJA_IT_TAG=" + id_);
  return std::make_unique<Process>(argv, base_, env);
}

RunResult Bundle::run(const std::vector<std::string>& cmd) {
  setArgs(cmd);
  write();
  return rt({"run", "--bundle", dir_, id_});
}

RunResult Bundle::create(const std::vector<std::string>& flags) {
  return createAs(id_, flags);
}

RunResult Bundle::createAs(const std::string& id, const std::vector<std::string>& flags) {
  if (id != id_ && std::find(extra_ids_.begin(), extra_ids_.end(), id) == extra_ids_.end())
    track(id);
  write();
  std::vector<std::string> args{"create", "--bundle", dir_};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back(id);
  auto proc = spawn(args);
  RunResult r = proc->wait();
  if (id == id_) create_proc_ = std::move(proc);
  return r;
}

std::string Bundle::createdOutput() const {
  return create_proc_ ? create_proc_->out() : "";
}

RunResult Bundle::kill(const std::string& sig, bool all) {
  std::vector<std::string> args{"kill"};
  if (all) args.push_back("--all");
  args.push_back(id_);
  if (!sig.empty()) args.push_back(sig);
  return rt(args);
}

RunResult Bundle::del(bool force) {
  if (force) return rt({"delete", "--force", id_});
  return rt({"delete", id_});
}

RunResult Bundle::state(const std::string& id) {
  return rt({"state", id.empty() ? id_ : id});
}

nlohmann::json Bundle::stateJson(const std::string& id) {
  RunResult r = state(id);
  if (!r.ok()) return nullptr;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

std::string Bundle::status(const std::string& id) {
  auto j = stateJson(id);
  if (!j.is_object() || !j.contains("status") || !j["status"].is_string()) return "";
  return j["status"].get<std::string>();
}

bool Bundle::waitStatus(const std::string& want, milliseconds timeout) {
  return waitUntil([&] { return status() == want || state_hung_; }, timeout) && !state_hung_;
}

pid_t Bundle::pid() {
  auto j = stateJson();
  if (!j.is_object() || !j.contains("pid") || !j["pid"].is_number_integer()) return 0;
  return j["pid"].get<pid_t>();
}

std::string expectCleanCreateFailure(Bundle& b, const std::string& what, const char* peerGap,
                                     const std::vector<std::string>& flags) {
  auto stateEntries = [&] {
    std::set<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(b.stateRoot(), ec), end; !ec && it != end; it.increment(ec))
      out.insert(it->path().filename().string());
    return out;
  };
  HostSnapshot before = HostSnapshot::take();
  std::set<std::string> stateBefore = stateEntries();
  std::vector<pid_t> procsBefore = taggedProcesses(b.tag());
  RunResult r = b.create(flags);
  if (peerGap && runtimeIsPeer() && (r.status == 0 || !contains(r.err, what))) {
    b.del(true);
    std::ostringstream why;
    why << runtimeName() << " limitation: " << peerGap << "; " << r;
    return why.str();
  }
  EXPECT_NE(r.status, 0) << r;
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_TRUE(contains(r.err, what)) << "the error should name " << what << "; " << r;
  EXPECT_EQ(nonBlankLines(r.err).size(), 1u) << "expected a one-line error; " << r;
  EXPECT_EQ(stateEntries(), stateBefore) << "state left under --root";
  EXPECT_TRUE(
      waitUntil([&] { return taggedProcesses(b.tag()) == procsBefore; }, milliseconds(3000)))
      << "processes left behind";
  EXPECT_EQ(before.addedSettled(), "") << "left on the host";
  return "";
}

}  // namespace sangja::it
