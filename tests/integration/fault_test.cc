// Faults: the runtime SIGKILLed at each named phase of create, start, exec
// and delete (every trace mark is a fault point in the test-only
// sangja-faulty, base/fault_point.h). Afterwards `delete --force` must
// succeed and leave nothing: no state, no cgroup, no mount, no process; and
// an init whose create died before recording it must not outlive it. The
// phases are read from a traced run, so a new mark is covered at once.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class FaultTest : public ContainerTest {
 protected:
  void SetUp() override {
    if (runtimeIsPeer()) GTEST_SKIP() << "fault points exist only in sangja's test build";
  }

  // `sangja-faulty --root R args...`, killed at phase ("" = never), traced.
  RunResult faulty(const std::vector<std::string>& args, const std::string& phase) {
    std::vector<std::string> argv = enter_;
    argv.insert(argv.end(), {"env", "SANGJA_TRACE=1", "SANGJA_IT_TAG=" + b.tag(),
                             "SANGJA_FAULT_AT=" + phase, SANGJA_FAULTY_BINARY});
    argv.insert(argv.end(), b.globalFlags.begin(), b.globalFlags.end());
    argv.insert(argv.end(), {"--root", b.stateRoot()});
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv);
  }

  // The runtime, in the mount namespace the faulty one runs in.
  RunResult rt(const std::vector<std::string>& args) {
    if (enter_.empty()) return b.rt(args, kQuickTimeout);
    std::vector<std::string> argv = enter_;
    argv.push_back(runtimePath());
    argv.insert(argv.end(), b.globalFlags.begin(), b.globalFlags.end());
    argv.insert(argv.end(), {"--root", b.stateRoot()});
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv, kQuickTimeout);
  }

  // The mount points of that namespace, when it is not ours.
  std::string enteredMountTable() const {
    if (holder_ == nullptr) return "";
    std::vector<std::string> points;
    for (const MountEntry& m :
         parseMountinfo(readFile("/proc/" + std::to_string(holder_->pid()) + "/mountinfo"))) {
      points.push_back(m.point);
    }
    std::sort(points.begin(), points.end());
    std::string out;
    for (const std::string& p : points) out += p + "\n";
    return out;
  }

  // From here on the runtime runs in a throwaway mount namespace where the
  // bundle directory is shared with a peer (as the host's mounts are).
  void runInThrowawayMountNamespace() {
    std::string peer = b.tmp() + "/peer";
    std::string script =
        "mkdir -p \"$2\" && mount --bind \"$1\" \"$1\" && "
        "mount --make-shared \"$1\" && mount --bind \"$1\" \"$2\" && "
        "exec sleep 1000";
    holder_ = std::make_unique<Process>(
        std::vector<std::string>{"unshare", "-m", "--propagation", "private", "sh", "-c", script,
                                 "sh", b.dir(), peer},
        b.tmp());
    ASSERT_TRUE(waitUntil([&] { return contains(enteredMountTable(), peer + "\n"); }))
        << "the throwaway mount namespace was not made";
    enter_ = {"nsenter", "-t", std::to_string(holder_->pid()), "-m"};
  }

  // The parent-side phases a traced, unfaulted run passes.
  std::vector<std::string> phasesOf(const RunResult& traced) {
    std::vector<std::string> out;
    for (const std::string& line : splitLines(traced.err)) {
      if (line.rfind("trace: ", 0) != 0) continue;
      std::string name = line.substr(7, line.find(" +") - 7);
      while (!name.empty() && name.back() == ' ') name.pop_back();
      if (name.rfind("init: ", 0) == 0) continue;  // the child's, not fault points
      out.push_back(name);
    }
    return out;
  }

  // After a kill at `phase`: an init nobody recorded dies by itself, then
  // delete --force removes everything, and the id can be used again.
  void expectCleanAfter(const std::string& what, const std::string& phase, const std::string& id,
                        const HostSnapshot& before) {
    SCOPED_TRACE(what + " killed at \"" + phase + "\"");
    RunResult st = rt({"state", id});
    bool recorded = st.ok();
    if (!recorded) {
      EXPECT_TRUE(waitUntil([&] { return taggedProcesses(b.tag()).empty(); }, milliseconds(3000)))
          << "an init outlived the create that did not record it";
    }
    RunResult del = rt({"delete", "--force", id});
    EXPECT_TRUE(del.ok()) << del;
    EXPECT_TRUE(waitUntil([&] { return taggedProcesses(b.tag()).empty(); }, milliseconds(3000)))
        << "processes left after delete --force";
    std::error_code ec;
    EXPECT_FALSE(fs::exists(b.stateRoot() + "/" + id, ec)) << "state left";
    EXPECT_EQ(before.addedSettled(), "") << "left on the host";
    EXPECT_EQ(enteredMountTable(), tableBefore_) << "mounts left in the runtime's namespace";
  }

  std::vector<std::string> enter_;  // nsenter into the holder's mount namespace
  std::unique_ptr<Process> holder_;
  std::string tableBefore_;

  std::string nextId(int n) { return b.id() + "-f" + std::to_string(n); }

  void createContainer(const std::string& id) {
    RunResult r = b.rt({"create", "--bundle", b.dir(), id});
    ASSERT_TRUE(r.ok()) << r;
  }
  void runDetached(const std::string& id) {
    RunResult r = b.rt({"run", "--detach", "--bundle", b.dir(), id});
    ASSERT_TRUE(r.ok()) << r;
  }

  // Runs command (for an id) once traced to learn its phases (at least
  // minPhases), then once per phase on a fresh id, killed there; prepare
  // makes the container the command acts on.
  void killAtEachPhase(const std::string& what,
                       const std::function<void(const std::string&)>& prepare,
                       const std::function<std::vector<std::string>(const std::string&)>& command,
                       size_t minPhases) {
    b.setArgs({"sleep", "100"});
    b.write();
    HostSnapshot before = HostSnapshot::take();
    tableBefore_ = enteredMountTable();
    prepare(nextId(0));
    RunResult traced = faulty(command(nextId(0)), "");
    ASSERT_TRUE(traced.ok()) << traced;
    EXPECT_TRUE(rt({"delete", "--force", nextId(0)}).ok());
    std::vector<std::string> phases = phasesOf(traced);
    ASSERT_GE(phases.size(), minPhases) << traced;
    for (size_t i = 0; i < phases.size(); ++i) {
      std::string id = nextId(static_cast<int>(i) + 1);
      prepare(id);
      RunResult r = faulty(command(id), phases[i]);
      EXPECT_EQ(r.status, 128 + 9) << "not killed at " << phases[i] << "; " << r;
      expectCleanAfter(what, phases[i], id, before);
    }
  }
};

TEST_F(FaultTest, CreateKilledAtEachPhaseLeavesNothing) {
  killAtEachPhase(
      "create", [](const std::string&) {},
      [&](const std::string& id) {
        return std::vector<std::string>{"create", "--bundle", b.dir(), id};
      },
      8);
  // The ids are free again.
  RunResult again = b.create();
  EXPECT_TRUE(again.ok()) << again;
}

// Under --systemd-cgroup (where systemd runs: the systemd guest), in a slice
// that does not exist yet: wherever create dies, delete --force stops the
// scope and the slice, and systemd has no unit of the container left.
TEST_F(FaultTest, CreateUnderSystemdKilledAtEachPhaseLeavesNothing) {
  if (::access("/run/systemd/system", F_OK) != 0) {
    GTEST_SKIP() << "NOT FOR THIS HOST: systemd is not running here; this runs in the systemd "
                    "guest (ctest vm_systemd_cgroups)";
  }
  b.globalFlags = {"--systemd-cgroup"};
  std::string slice = "sjfault" + std::to_string(::getpid()) + ".slice";
  killAtEachPhase(
      "create under systemd",
      [&](const std::string& id) {
        b.config["linux"]["cgroupsPath"] = slice + ":sangja-it:" + id;
        b.write();
      },
      [&](const std::string& id) {
        return std::vector<std::string>{"create", "--bundle", b.dir(), id};
      },
      8);
  RunResult units = runCommand({"systemctl", "list-units", "--all", "--plain", "--no-legend"});
  EXPECT_FALSE(contains(units.out, b.id())) << units.out;
  EXPECT_FALSE(contains(units.out, slice)) << units.out;
}

// Without a mount namespace of its own the container's mounts are made in
// the runtime's: wherever create dies, delete --force detaches them all.
TEST_F(FaultTest, CreateWithoutAMountNamespaceKilledAtEachPhaseLeavesNothing) {
  json& list = b.config["linux"]["namespaces"];
  json kept = json::array();
  for (const json& ns : list) {
    if (ns["type"] != "mount") kept.push_back(ns);
  }
  list = kept;
  ASSERT_NO_FATAL_FAILURE(runInThrowawayMountNamespace());
  killAtEachPhase(
      "create", [](const std::string&) {},
      [&](const std::string& id) {
        return std::vector<std::string>{"create", "--bundle", b.dir(), id};
      },
      9);
}

// With a user namespace the init waits for its id maps right after the
// clone: a creator killed then (or while it places the init in its v1
// cgroups) must not leave the init waiting for ever.
TEST_F(FaultTest, CreateWithAUserNamespaceKilledAtEachPhaseLeavesNothing) {
  b.config["linux"]["namespaces"].push_back({{"type", "user"}});
  json identity = json::array({{{"containerID", 0}, {"hostID", 0}, {"size", 65536}}});
  b.config["linux"]["uidMappings"] = identity;
  b.config["linux"]["gidMappings"] = identity;
  killAtEachPhase(
      "create", [](const std::string&) {},
      [&](const std::string& id) {
        return std::vector<std::string>{"create", "--bundle", b.dir(), id};
      },
      8);
}

TEST_F(FaultTest, StartKilledAtEachPhaseLeavesNothing) {
  killAtEachPhase(
      "start", [&](const std::string& id) { createContainer(id); },
      [](const std::string& id) {
        return std::vector<std::string>{"start", id};
      },
      3);
}

TEST_F(FaultTest, ExecKilledAtEachPhaseLeavesNothing) {
  killAtEachPhase(
      "exec", [&](const std::string& id) { runDetached(id); },
      [](const std::string& id) {
        return std::vector<std::string>{"exec", id, "true"};
      },
      3);
}

TEST_F(FaultTest, DeleteKilledAtEachPhaseLeavesNothing) {
  killAtEachPhase(
      "delete", [&](const std::string& id) { runDetached(id); },
      [](const std::string& id) {
        return std::vector<std::string>{"delete", "--force", id};
      },
      4);
}

}  // namespace
}  // namespace sangja::it
