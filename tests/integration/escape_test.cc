// Known container-escape classes, each tried for real: the test sets up the
// attack a hostile image or caller could, and checks that the host stays out
// of reach.

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/console_socket.h"
#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class EscapeTest : public ContainerTest {
 protected:
  // `run` started by a shell that first opens fds 5 and 7 on host
  // directories without close-on-exec, as a careless caller would.
  RunResult runWithLeakedFds(const std::vector<std::string>& cmd) {
    b.setArgs(cmd);
    b.write();
    writeFile(b.tmp() + "/host-secret", "host\n");
    return runCommand({"sh", "-c", "exec 5<\"$0\" 7</; exec \"$@\"", b.tmp(), runtimePath(),
                       "--root", b.stateRoot(), "run", "--bundle", b.dir(), b.id()});
  }
};

// CVE-2024-21626 class, part 1: nothing the runtime had open reaches the
// container's process.
TEST_F(EscapeTest, NoRuntimeOrInheritedFdReachesTheContainer) {
  RunResult r = runWithLeakedFds({"ls", "/proc/self/fd"});
  ASSERT_TRUE(r.ok()) << r;
  // 0-2 and the fd ls itself opened on the directory.
  EXPECT_EQ(splitLines(r.out), (std::vector<std::string>{"0", "1", "2", "3"})) << r;
}

// CVE-2024-21626 class, part 2: a cwd that walks through an fd still open
// during set-up (leaked by the caller, or the runtime's own) must not put
// the process in a host directory.
TEST_F(EscapeTest, CwdThroughAnOpenFdIsRefused) {
  for (int fd = 3; fd <= 12; ++fd) {
    SCOPED_TRACE("cwd /proc/self/fd/" + std::to_string(fd));
    // A hostile image ships the directory, so that the cwd exists before
    // /proc is mounted over it.
    fs::create_directories(b.rootfs() + "/proc/self/fd/" + std::to_string(fd));
    b.config["process"]["cwd"] = "/proc/self/fd/" + std::to_string(fd);
    RunResult r = runWithLeakedFds({"sh", "-c", "pwd; ls; cat host-secret ../host-secret"});
    EXPECT_FALSE(contains(r.out, "host-secret")) << "the process saw a host directory; " << r;
    EXPECT_FALSE(contains(r.out, "host\n")) << r;
    if (!r.ok() && !runtimeIsPeer()) {
      EXPECT_TRUE(contains(r.err, "cwd")) << "the error should name the cwd; " << r;
    }
    EXPECT_TRUE(contains(b.state().err, "does not exist")) << "container left behind";
  }
}

// CVE-2019-19921 / CVE-2021-30465 class: /proc in the image is a symlink
// aiming at a host path. The proc mount must land inside the rootfs (where
// the link resolves when the rootfs is the root) and masking must hold.
TEST_F(EscapeTest, ProcSymlinkInTheImageStaysInsideTheRootfs) {
  std::string hostTarget = b.tmp() + "/hostproc";
  fs::remove_all(b.rootfs() + "/proc");
  fs::create_symlink(hostTarget, b.rootfs() + "/proc");
  RunResult r = b.sh("stat -f -c %T /proc/; wc -c < /proc/kcore; cat /proc/self/comm");
  if (r.ok()) {
    EXPECT_EQ(r.out, "proc\n0\ncat\n") << "proc mounted and /proc/kcore masked; " << r;
  } else {
    EXPECT_TRUE(contains(r.err, "proc")) << r;
  }
  EXPECT_FALSE(pathExists(hostTarget)) << "the runtime made or used the host path " << hostTarget;
}

// CVE-2025-31133 class: the image's /dev/null is a symlink to a sensitive
// procfs file; masking a file must not bind that file, writable, over the
// masked path.
TEST_F(EscapeTest, DevNullSymlinkCannotRedirectMaskedPaths) {
  std::string before = readFile("/proc/sys/kernel/core_pattern");
  // No /dev tmpfs: the image's own /dev is used.
  json& mounts = b.config["mounts"];
  for (auto it = mounts.begin(); it != mounts.end();) {
    it = (*it)["destination"] == "/dev" || std::string((*it)["destination"]).rfind("/dev/", 0) == 0
             ? mounts.erase(it)
             : it + 1;
  }
  fs::create_directories(b.rootfs() + "/dev");
  fs::remove(b.rootfs() + "/dev/null");
  fs::create_symlink("/proc/sys/kernel/core_pattern", b.rootfs() + "/dev/null");
  RunResult r = b.sh("wc -c < /proc/kcore; echo '|/tmp/evil' > /proc/kcore; echo wrote $?");
  EXPECT_EQ(readFile("/proc/sys/kernel/core_pattern"), before) << "host core_pattern changed!";
  if (r.ok()) {
    EXPECT_TRUE(contains(r.out, "0\n")) << "/proc/kcore should read empty; " << r;
  } else {
    EXPECT_TRUE(contains(r.err, "dev/null")) << "the error should name /dev/null; " << r;
  }
}

// The image's own /dev (no tmpfs over it) with /dev/console a symlink to
// the host-wide /proc/sys/kernel/core_pattern.
void giveImageAConsoleSymlinkToCorePattern(Bundle& b) {
  json& mounts = b.config["mounts"];
  for (auto it = mounts.begin(); it != mounts.end();) {
    it = (*it)["destination"] == "/dev" ? mounts.erase(it) : it + 1;
  }
  fs::create_directories(b.rootfs() + "/dev");
  fs::remove(b.rootfs() + "/dev/console");
  fs::create_symlink("/proc/sys/kernel/core_pattern", b.rootfs() + "/dev/console");
}

// CVE-2025-52565 class: the image's /dev/console is a symlink to a sensitive
// procfs file. The runtime must not mount or write through it (without a
// terminal sangja does not touch /dev/console at all), and the container's
// own write through it meets the read-only /proc/sys.
TEST_F(EscapeTest, DevConsoleSymlinkReachesNothing) {
  std::string before = readFile("/proc/sys/kernel/core_pattern");
  giveImageAConsoleSymlinkToCorePattern(b);
  RunResult r = b.sh("echo '|/tmp/evil' > /dev/console && echo wrote || echo refused");
  EXPECT_EQ(readFile("/proc/sys/kernel/core_pattern"), before) << "host core_pattern changed!";
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "refused\n") << r;
}

// CVE-2025-52565 proper: the same image with a terminal, so the runtime
// itself binds the pty on /dev/console. The mount must not follow the
// symlink onto the procfs file (that would cover, and so unmask, it inside
// the container); sangja refuses the image, a runtime that replaces the
// symlink must leave procfs alone. Either way the host is not reached.
TEST_F(EscapeTest, DevConsoleSymlinkWithATerminalReachesNothing) {
  std::string before = readFile("/proc/sys/kernel/core_pattern");
  giveImageAConsoleSymlinkToCorePattern(b);
  b.config["process"]["terminal"] = true;
  b.setArgs({"sh"});
  SubreaperScope reaper;
  ConsoleSocket sock(b.tmp() + "/console.sock");
  RunResult c = b.create({"--console-socket", sock.path()});
  EXPECT_EQ(readFile("/proc/sys/kernel/core_pattern"), before) << "host core_pattern changed!";
  if (!c.ok()) {
    EXPECT_TRUE(contains(c.err, "/dev/console")) << "the error should name /dev/console; " << c;
    EXPECT_EQ(nonBlankLines(c.err).size(), 1u) << c;
    EXPECT_FALSE(b.state().ok()) << "state left behind";
    EXPECT_TRUE(fs::is_symlink(b.rootfs() + "/dev/console")) << "the image was changed";
    return;
  }
  ConsoleSocket::Received got = sock.receive();
  ASSERT_GE(got.master, 0);
  pid_t pid = b.pid();
  ASSERT_TRUE(b.start().ok());
  std::string script =
      "echo \"pattern=$(stat -c %F /proc/sys/kernel/core_pattern)\"; "
      "echo '|/tmp/evil' > /dev/console; exit 0\n";
  ASSERT_EQ(::write(got.master, script.data(), script.size()), static_cast<ssize_t>(script.size()));
  std::string out = readPty(got.master);
  ::close(got.master);
  EXPECT_NE(waitChild(pid), -1);
  EXPECT_EQ(readFile("/proc/sys/kernel/core_pattern"), before) << "host core_pattern changed!";
  if (contains(out, "pattern=character special file")) {
    SKIP_FOR_PEER("CVE-2025-52565: the console was mounted over /proc/sys/kernel/core_pattern");
  }
  EXPECT_TRUE(contains(out, "pattern=regular")) << "procfs file covered by the console; " << out;
}

// "dev:ino" of a host path, as busybox's `stat -c %d:%i` prints it.
std::string devIno(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) return "?";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// What an attacker in the container does: a new user and pid namespace
// (where it holds every capability) mounts a fresh procfs. The kernel allows
// that only while the mount namespace holds a procfs that is fully visible
// (no masks over it). Run from the mount namespace of pid (0: this one).
// Returns 0 when the mount succeeded, else its errno (>= 100: set-up).
int freshProcMountErrno(pid_t pid) {
  int ns = -1;
  if (pid > 0) ns = ::open(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), O_RDONLY);
  pid_t child = ::fork();
  if (child == 0) {
    if (pid > 0 && (ns < 0 || ::setns(ns, CLONE_NEWNS) < 0)) ::_exit(100);
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) < 0) ::_exit(101);
    pid_t inner = ::fork();
    if (inner == 0) {
      int r = ::mount("proc", "/mnt", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
      ::_exit(r == 0 ? 0 : errno);
    }
    int st = 0;
    if (inner < 0 || ::waitpid(inner, &st, 0) != inner) ::_exit(102);
    ::_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 103);
  }
  int st = 0;
  ::waitpid(child, &st, 0);
  if (ns >= 0) ::close(ns);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 104;
}

// --no-pivot chroots instead of pivot_root: the old root's mounts stay in
// the container's mount namespace, and the host's procfs among them counts
// as fully visible, so a user namespace in the container could mount an
// unmasked procfs. The probe must work where nothing stops it (a plain copy
// of the host's mount namespace), and be refused in the container, as it is
// after pivot_root.
TEST_F(EscapeTest, NoPivotLeavesNoFullyVisibleProcfs) {
  ASSERT_EQ(freshProcMountErrno(0), 0)
      << "set-up broken: a fresh procfs cannot be mounted even from the host's namespace";
  b.setArgs({"sleep", "100"});
  for (bool noPivot : {false, true}) {
    SCOPED_TRACE(noPivot ? "--no-pivot" : "pivot_root");
    std::string id = b.id() + (noPivot ? "-np" : "-p");
    b.track(id);
    RunResult c = noPivot ? b.createAs(id, {"--no-pivot"}) : b.createAs(id);
    ASSERT_TRUE(c.ok()) << c;
    pid_t init = b.stateJson(id).value("pid", 0);
    ASSERT_GT(init, 0);
    EXPECT_EQ(freshProcMountErrno(init), EPERM)
        << "a user namespace in the container mounted a fresh procfs";
    EXPECT_TRUE(b.rt({"delete", "--force", id}).ok());
  }
}

// The image's /proc as a symlink, even one that stays inside the rootfs:
// refused, not followed (what sits at /proc is what the masks and the
// kernel's checks trust).
TEST_F(EscapeTest, ProcOrSysSymlinkInTheImageIsRefused) {
  for (const char* dir : {"proc", "sys"}) {
    SCOPED_TRACE(dir);
    fs::remove_all(b.rootfs() + "/" + dir);
    fs::create_directories(b.rootfs() + "/elsewhere");
    fs::create_symlink("elsewhere", b.rootfs() + "/" + dir);
    RunResult r = b.sh("true");
    fs::remove(b.rootfs() + "/" + dir);
    fs::create_directories(b.rootfs() + "/" + dir);
    if (runtimeIsPeer()) continue;  // runc follows a symlink that stays inside the rootfs
    EXPECT_NE(r.status, 0) << r;
    EXPECT_TRUE(contains(r.err, std::string("/") + dir)) << r;
    EXPECT_TRUE(containsNoCase(r.err, "symlink") || containsNoCase(r.err, "symbolic link")) << r;
    EXPECT_EQ(nonBlankLines(r.err).size(), 1u) << r;
  }
}

// While a created container waits for `start`, its init's open files are
// reachable as /proc/1/fd/N by any process in the container that may trace
// it. A host directory among them is a way out: `..` from it climbs to the
// host's `/`. runc's and crun's waiting inits hold only the exec fifo. The
// attack runs with CAP_SYS_PTRACE (what the walk needs) and as a plain exec.
class CreatedInitFdTest : public EscapeTest, public ::testing::WithParamInterface<bool> {};

TEST_P(CreatedInitFdTest, ReachesNoHostDirectory) {
  bool withPtrace = GetParam();
  b.setArgs({"true"});
  writeFile(b.tmp() + "/host-secret", "host\n");
  RunResult c = b.create();
  ASSERT_TRUE(c.ok()) << c;
  // Every fd of the init, climbed 0..12 levels; each reachable directory
  // printed as dev:ino, and every file named host-secret found on the way.
  std::string walk =
      "for f in /proc/1/fd/*; do p=$f; for i in 0 1 2 3 4 5 6 7 8 9 10 11 12; do "
      "stat -L -c '%d:%i' \"$p/\" 2>/dev/null; cat \"$p/host-secret\" \"$p/tmp/host-secret\" "
      "2>/dev/null; p=$p/..; done; done; echo walked";
  std::vector<std::string> args{"exec"};
  if (withPtrace) args.insert(args.end(), {"--cap", "CAP_SYS_PTRACE"});
  args.insert(args.end(), {b.id(), "sh", "-c", walk});
  RunResult r = b.rt(args);
  ASSERT_TRUE(r.ok()) << r;
  ASSERT_TRUE(contains(r.out, "walked")) << r;
  EXPECT_FALSE(contains(r.out, "host\n")) << "a host file was read through /proc/1/fd; " << r;
  std::set<std::string> hostDirs{devIno("/"), devIno(b.base()), devIno(b.stateRoot()),
                                 devIno(b.tmp()), devIno(unifiedRoot())};
  std::string reached;
  for (const std::string& line : splitLines(r.out)) {
    if (hostDirs.count(line) != 0 && !contains(reached, line)) reached += " " + line;
  }
  EXPECT_EQ(reached, "") << "the walk reached host directories (dev:ino); " << r;
  RunResult fds = b.rt({"exec", "--cap", "CAP_SYS_PTRACE", b.id(), "ls", "-l", "/proc/1/fd"});
  SCOPED_TRACE("the waiting init's fds: " + fds.out);
  EXPECT_TRUE(b.del(true).ok());
}

INSTANTIATE_TEST_SUITE_P(PtraceAndPlain, CreatedInitFdTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "WithPtrace" : "Plain"; });

}  // namespace
}  // namespace sangja::it
