// Integration-test harness: runs real containers with the runtime under test.
//
// The runtime is $SANGJA_RUNTIME when set, else the sangja binary built with
// the tests, so `SANGJA_RUNTIME=/usr/sbin/runc ./integration_tests` checks the
// suite itself against a known-good peer. Everything here only uses the
// runtime's CLI, never libsangja, so the same tests judge every runtime.
//
// Each test gets a Bundle: a private temp dir (on /dev/shm when that is a
// tmpfs, see tempParent() in harness.cc) holding the bundle (config.json + a
// fresh copy of the busybox rootfs that examples/make-busybox-bundle.sh built
// once next to the test binary), a private state root passed as `--root`, a
// scratch dir outside the bundle and a unique container id. Every runtime
// call and every container gets SANGJA_IT_TAG=<id> in its environment, so
// leftover processes can be found. The Bundle's destructor force-deletes its
// containers and fails the test for (and then removes) leftover processes,
// cgroups named after its ids and mounts under its temp dir.
//
// A global environment checks the host around the whole suite: /dev/null's
// mode/owner/rdev, the mount table and the cgroup v2 tree must be unchanged.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sangja::it {

using std::chrono::milliseconds;
// Limit for calls that start containers (create, start, run); a call that
// runs longer is killed and the test fails.
inline constexpr milliseconds kTimeout{20000};
// Limit for calls that should be instant (state, list, kill, delete).
inline constexpr milliseconds kQuickTimeout{5000};

// ---- the runtime under test ------------------------------------------------

const std::string& runtimePath();
// Basename of runtimePath(): "sangja", "runc", "crun", ...
std::string runtimeName();
// True when the runtime under test is one of the peers (runc, crun). Tests may
// skip for a peer's known limitation, never for sangja.
bool runtimeIsPeer();

#define SKIP_FOR_PEER(why)                                                     \
  do {                                                                         \
    if (::sangja::it::runtimeIsPeer())                                         \
      GTEST_SKIP() << ::sangja::it::runtimeName() << " limitation: " << (why); \
  } while (0)

// ---- processes -------------------------------------------------------------

struct RunResult {
  int status = -1;         // exit code, 128+N when killed by signal N, -1 if unknown
  bool timed_out = false;  // killed by the harness after the timeout
  std::string out;         // stdout
  std::string err;         // stderr
  std::string command;     // for messages

  bool ok() const { return status == 0 && !timed_out; }
};
std::ostream& operator<<(std::ostream& os, const RunResult& r);

// A started process. stdout/stderr go to files, not pipes, so a container
// that inherits them (create, run --detach) never makes the harness wait for
// EOF, and output written after the runtime exited can still be read.
class Process {
 public:
  Process(std::vector<std::string> argv, const std::string& out_dir,
          std::vector<std::string> extra_env = {});
  ~Process();  // kills and reaps the process if it was not waited for
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Waits for exit; after `timeout` the process is SIGKILLed, the result
  // says timed_out and the current test fails.
  RunResult wait(milliseconds timeout = kTimeout);
  // True once the process has exited (without reaping it).
  bool exited() const;
  // Current content of the stdout/stderr files (grows while a container
  // that inherited them keeps writing).
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool reaped_ = false;
  std::string command_;
  std::string out_path_;
  std::string err_path_;
};

// Runs argv with stdio to temp files and waits (kill after timeout).
RunResult runCommand(const std::vector<std::string>& argv, milliseconds timeout = kTimeout);
// Runs a /bin/sh script on the host.
RunResult host(const std::string& script, milliseconds timeout = kTimeout);

// Polls pred every 20 ms until it holds or the timeout passes.
bool waitUntil(const std::function<bool()>& pred, milliseconds timeout = milliseconds(5000));

// ---- small host helpers ----------------------------------------------------

std::string readFile(const std::string& path);  // "" if unreadable
void writeFile(const std::string& path, const std::string& data);
// Writes to an existing file (cgroupfs) without creating or truncating;
// false if it cannot.
bool writeExisting(const std::string& path, const std::string& data);
bool pathExists(const std::string& path);  // lstat succeeds
std::vector<std::string> splitLines(const std::string& s);
// The lines of s that are not blank (a one-line error has exactly one).
std::vector<std::string> nonBlankLines(const std::string& s);
bool contains(const std::string& haystack, const std::string& needle);
bool containsNoCase(const std::string& haystack, const std::string& needle);
// Whether a pid is alive and not a zombie.
bool processAlive(pid_t pid);
// The `0::/path` entry of /proc/PID/cgroup, or "" when absent.
std::string unifiedCgroupOf(pid_t pid);

// A dynamically linked binary's shared libraries (as ldd lists them), copied
// into rootfs at the same paths, so that the binary can run in there.
void copyLibraries(const std::string& binary, const std::string& rootfs);

// One line of a mountinfo file.
struct MountEntry {
  std::string root;     // field 4: the mount's root within its filesystem
  std::string point;    // field 5: mount point
  std::string options;  // field 6: per-mount options (ro, nosuid, ...)
  std::string fstype;
  std::string source;
  std::string super_options;
  bool hasOption(const std::string& opt) const;       // in options
  bool hasSuperOption(const std::string& opt) const;  // in super_options
};
std::vector<MountEntry> parseMountinfo(const std::string& text);
// The topmost (last) mount at point, or nullopt.
std::optional<MountEntry> findMount(const std::string& mountinfo, const std::string& point);

// Where the cgroup v2 hierarchy is mounted, found as the runtime finds it:
// /sys/fs/cgroup on a v2-only host (the qemu guest), else the hybrid layout's
// /sys/fs/cgroup/unified.
const std::string& unifiedRoot();

// The host's cgroup layout as a runtime sees it: "unified" (v2 only),
// "hybrid" (v1 controllers and a v2 mount) or "legacy" (v1 only); on the
// last two, runtimes use the v1 controllers (runc's fs driver, sangja's v1).
const std::string& hostCgroupMode();
bool v1Host();  // hybrid or legacy
// Where a container's cgroup files for controller live: the v1 hierarchy
// that mounts it on a v1 host, the v2 hierarchy otherwise; "" when the
// host has no such v1 hierarchy.
std::string controllerDir(const std::string& controller, const std::string& cgroupPath);
// Whether the runtime can use controller: a mounted v1 hierarchy on a v1
// host, the v2 root's cgroup.controllers otherwise.
bool hostHasController(const std::string& controller);
// The cgroup of pid in controller's hierarchy (/proc/PID/cgroup), "" if none.
std::string cgroupOf(pid_t pid, const std::string& controller);

// The host's /dev/null as "mode=... uid=... gid=... rdev=M:m", to compare
// before and after a step (a runtime must never chown or replace it).
std::string devNullFingerprint();

// What a runtime could leave behind on the host.
struct HostSnapshot {
  std::vector<std::string> mounts;  // lines of /proc/self/mountinfo
  std::set<std::string> cgroups;    // every directory of every hierarchy
  static HostSnapshot take();
  // Human-readable list of what `after` has and this snapshot had not; "" if
  // nothing was added.
  std::string added(const HostSnapshot& after) const;
  // added() against fresh snapshots, retried for up to `settle` so that
  // short-lived mounts and cgroups of other programs on the host (a benchmark
  // next door) do not count; what stays is reported.
  std::string addedSettled(milliseconds settle = milliseconds(2000)) const;
};

// Processes (other than the caller) whose environment holds SANGJA_IT_TAG=tag.
std::vector<pid_t> taggedProcesses(const std::string& tag);

// ---- AppArmor ---------------------------------------------------------------

// Why AppArmor tests cannot run on this kernel ("NOT RUN HERE: ..."), or "".
std::string appArmorUnavailable();

// A profile named sangja-test-<tag> that allows everything but writing
// /tmp/denied-by-apparmor, loaded with apparmor_parser for the object's life.
class AppArmorTestProfile {
 public:
  AppArmorTestProfile(const std::string& tag, const std::string& dir);
  ~AppArmorTestProfile();
  AppArmorTestProfile(const AppArmorTestProfile&) = delete;
  AppArmorTestProfile& operator=(const AppArmorTestProfile&) = delete;
  const std::string& name() const { return name_; }
  bool loaded() const { return loaded_; }

 private:
  std::string name_, file_;
  bool loaded_ = false;
};

// ---- bundles ---------------------------------------------------------------

// The default config: `runc spec` with terminal false, ociVersion 1.3.0,
// hostname "sangja".
nlohmann::json defaultConfig();

class Bundle {
 public:
  Bundle();  // throws std::runtime_error if the bundle cannot be made
  ~Bundle();
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;

  // Mutate, then write() (run/create/sh write it for you).
  nlohmann::json config = defaultConfig();
  // Global flags for every runtime command of this bundle, the destructor's
  // delete --force included ("--systemd-cgroup").
  std::vector<std::string> globalFlags;
  // The runtime runs through this command (setpriv as an ordinary user)
  // with these variables added, for every call, cleanUp's too.
  std::vector<std::string> runtimePrefix;
  std::vector<std::string> runtimeEnv;

  const std::string& id() const { return id_; }
  const std::string& dir() const { return dir_; }         // the bundle
  const std::string& rootfs() const { return rootfs_; }   // dir()/rootfs
  const std::string& stateRoot() const { return root_; }  // --root
  const std::string& tmp() const { return scratch_; }     // outside the bundle
  const std::string& base() const { return base_; }       // parent of all the above
  // The tag put into the runtime's and the container's environment.
  const std::string& tag() const { return id_; }

  // Writes config.json (adds SANGJA_IT_TAG to process.env if missing).
  void write();
  void setArgs(const std::vector<std::string>& args);

  // `<runtime> --root <stateRoot> args...`
  RunResult rt(const std::vector<std::string>& args, milliseconds timeout = kTimeout);
  // Same, started in the background.
  std::unique_ptr<Process> spawn(const std::vector<std::string>& args);

  // `run --bundle DIR ID` with process.args = cmd (config written first).
  RunResult run(const std::vector<std::string>& cmd);
  RunResult sh(const std::string& script) { return run({"sh", "-c", script}); }

  // `create --bundle DIR [flags] ID` with the current config. The create
  // process is kept: createdOutput() is the container's stdout after start.
  RunResult create(const std::vector<std::string>& flags = {});
  RunResult createAs(const std::string& id, const std::vector<std::string>& flags = {});
  std::string createdOutput() const;
  RunResult start() { return rt({"start", id_}); }
  RunResult kill(const std::string& sig = "", bool all = false);
  RunResult del(bool force = false);
  RunResult state(const std::string& id = "");
  // Parsed `state` output; null when state fails or prints no JSON.
  nlohmann::json stateJson(const std::string& id = "");
  // "status" from state, "" when state fails.
  std::string status(const std::string& id = "");
  // Polls state until it reports `want`; gives up at once if state hangs.
  bool waitStatus(const std::string& want, milliseconds timeout = milliseconds(5000));
  pid_t pid();  // from state, 0 if none

  // Extra container ids that the destructor must force-delete.
  void track(const std::string& id) { extra_ids_.push_back(id); }

  // The destructor's checks, callable earlier: force-deletes every container
  // of this bundle, then fails the test for (and removes) processes carrying
  // the tag, cgroups named after a container id and mounts under base().
  void cleanUp();

 private:
  std::string base_, dir_, rootfs_, root_, scratch_, id_;
  std::vector<std::string> extra_ids_;
  std::unique_ptr<Process> create_proc_;
  bool state_hung_ = false;
  bool cleaned_ = false;
};

// `create` with b's config must fail cleanly: non-zero, a one-line error
// naming `what`, and nothing left behind (state under --root, tagged
// processes and host mounts/cgroups as they were before; a test's own helper
// containers may exist before and after). peerGap names a peer's known gap:
// for runc/crun an accepted config or other wording is a skip, never for
// sangja: the reason to skip is returned ("" otherwise), for the caller's
// GTEST_SKIP. flags go to create before the id.
std::string expectCleanCreateFailure(Bundle& b, const std::string& what,
                                     const char* peerGap = nullptr,
                                     const std::vector<std::string>& flags = {});

// Fixture: a fresh Bundle per test.
class ContainerTest : public ::testing::Test {
 protected:
  Bundle b;
};

}  // namespace sangja::it
