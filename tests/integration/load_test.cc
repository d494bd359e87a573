// Load and races: many containers at once and in cycles, commands racing on
// one id, and a state root with no space left. Afterwards nothing may be
// left: state, processes, cgroups, mounts. Runs against runc too.
#include <sys/stat.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace sangja::it {
namespace {

namespace fs = std::filesystem;

class LoadTest : public ContainerTest {
 protected:
  void SetUp() override {
    b.setArgs({"sleep", "100"});
    b.write();
    before_ = HostSnapshot::take();
  }

  std::string idAt(int i) { return b.id() + "-" + std::to_string(i); }

  // Runs the command lists, `parallel` lists at a time, each list's
  // commands in order; returns the failures ("" when all exited 0).
  std::string runConcurrently(const std::vector<std::vector<std::vector<std::string>>>& lists,
                              size_t parallel) {
    struct Worker {
      size_t list = 0, step = 0;
      std::unique_ptr<Process> proc;
    };
    std::deque<size_t> pending;
    for (size_t i = 0; i < lists.size(); ++i) pending.push_back(i);
    std::vector<Worker> workers(parallel);
    std::string failures;
    auto startNext = [&](Worker& w) {
      if (w.proc == nullptr) {
        if (pending.empty()) return;
        w.list = pending.front();
        pending.pop_front();
        w.step = 0;
      }
      w.proc = b.spawn(lists[w.list][w.step]);
    };
    for (Worker& w : workers) startNext(w);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
    for (;;) {
      bool busy = false;
      for (Worker& w : workers) {
        if (w.proc == nullptr) continue;
        busy = true;
        if (!w.proc->exited()) continue;
        RunResult r = w.proc->wait(kQuickTimeout);
        if (!r.ok())
          failures += r.command + " -> " + std::to_string(r.status) + ": " + r.err + "\n";
        w.proc.reset();
        if (r.ok() && ++w.step < lists[w.list].size()) {
          w.proc = b.spawn(lists[w.list][w.step]);
        } else {
          startNext(w);
        }
      }
      if (!busy) return failures;
      if (std::chrono::steady_clock::now() > deadline) return failures + "timed out\n";
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  void expectNothingLeft() {
    std::error_code ec;
    std::vector<std::string> left;
    for (fs::directory_iterator it(b.stateRoot(), ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name[0] != '@') left.push_back(name);  // the seccomp cache may stay
    }
    EXPECT_TRUE(left.empty()) << left.size() << " containers left, e.g. " << left.front();
    EXPECT_TRUE(waitUntil([&] { return taggedProcesses(b.tag()).empty(); }, milliseconds(5000)))
        << taggedProcesses(b.tag()).size() << " processes left";
    EXPECT_EQ(before_.addedSettled(), "") << "left on the host";
  }

  HostSnapshot before_;
};

TEST_F(LoadTest, HundredParallelCreates) {
  constexpr int kCount = 100;
  std::vector<std::vector<std::vector<std::string>>> creates, deletes;
  for (int i = 0; i < kCount; ++i) {
    creates.push_back({{"create", "--bundle", b.dir(), idAt(i)}});
    deletes.push_back({{"delete", "--force", idAt(i)}});
    b.track(idAt(i));
  }
  EXPECT_EQ(runConcurrently(creates, kCount), "");
  int created = 0;
  for (int i = 0; i < kCount; ++i) created += b.status(idAt(i)) == "created";
  EXPECT_EQ(created, kCount);
  EXPECT_EQ(runConcurrently(deletes, 16), "");
  expectNothingLeft();
}

TEST_F(LoadTest, TwoHundredCyclesSixteenAtATime) {
  constexpr int kCount = 200;
  std::vector<std::vector<std::vector<std::string>>> cycles;
  for (int i = 0; i < kCount; ++i) {
    cycles.push_back({{"create", "--bundle", b.dir(), idAt(i)},
                      {"start", idAt(i)},
                      {"kill", idAt(i), "KILL"},
                      {"delete", "--force", idAt(i)}});
    b.track(idAt(i));
  }
  EXPECT_EQ(runConcurrently(cycles, 16), "");
  expectNothingLeft();
}

// delete --force and kill on one id at the same moment: neither hangs,
// delete wins in the end, kill either signals or says the container is
// gone.
TEST_F(LoadTest, DeleteForceRacesKill) {
  for (int round = 0; round < 20; ++round) {
    std::string id = idAt(round);
    b.track(id);
    ASSERT_TRUE(b.rt({"run", "--detach", "--bundle", b.dir(), id}).ok());
    auto del = b.spawn({"delete", "--force", id});
    auto kill = b.spawn({"kill", id, "KILL"});
    RunResult d = del->wait(kQuickTimeout);
    RunResult k = kill->wait(kQuickTimeout);
    EXPECT_TRUE(d.ok()) << d;
    if (!k.ok()) {
      EXPECT_TRUE(contains(k.err, "does not exist") || contains(k.err, "not running")) << k;
    }
    EXPECT_FALSE(b.state(id).ok()) << "round " << round;
  }
  expectNothingLeft();
}

// Two starts of one created container: exactly one runs it, the other says
// why, and neither hangs.
TEST_F(LoadTest, TwoStartsAtOnceOneWins) {
  for (int round = 0; round < 20; ++round) {
    std::string id = idAt(round);
    b.track(id);
    ASSERT_TRUE(b.rt({"create", "--bundle", b.dir(), id}).ok());
    auto first = b.spawn({"start", id});
    auto second = b.spawn({"start", id});
    RunResult r1 = first->wait(kQuickTimeout);
    RunResult r2 = second->wait(kQuickTimeout);
    EXPECT_EQ(r1.ok() + r2.ok(), 1) << r1 << r2;
    const RunResult& loser = r1.ok() ? r2 : r1;
    EXPECT_EQ(nonBlankLines(loser.err).size(), 1u) << loser;
    EXPECT_EQ(b.status(id), "running");
    EXPECT_TRUE(b.rt({"delete", "--force", id}).ok());
  }
  expectNothingLeft();
}

// --root on a filesystem with no space left: a clean error, and nothing
// half-written there (checked in the same private mount namespace, where a
// small tmpfs is the state root).
TEST_F(LoadTest, StateRootOnAFullFilesystem) {
  std::string script =
      "set -e; d=$(mktemp -d); mount -t tmpfs -o size=64k tmpfs \"$d\"; mkdir \"$d/state\"; "
      "dd if=/dev/zero of=\"$d/fill\" bs=4k 2>/dev/null || true; "
      "set +e; env SANGJA_IT_TAG=\"$1\" \"$2\" --root \"$d/state\" create --bundle \"$3\" \"$4\"; "
      "echo \"status=$?\"; echo \"left=$(ls -A \"$d/state\" | grep -v '^@' | tr '\\n' ' ')\"";
  RunResult r = runCommand({"unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                            b.tag(), runtimePath(), b.dir(), b.id()});
  EXPECT_FALSE(contains(r.out, "status=0")) << r;
  EXPECT_TRUE(contains(r.out, "left=\n")) << "state half-written; " << r;
  std::vector<std::string> errors = nonBlankLines(r.err);
  EXPECT_EQ(errors.size(), 1u) << r;
  expectNothingLeft();
  if (!containsNoCase(r.err, "no space left") && runtimeIsPeer()) {
    GTEST_SKIP() << runtimeName() << " words it otherwise; " << r;
  }
  EXPECT_TRUE(containsNoCase(r.err, "no space left")) << r;
}

}  // namespace
}  // namespace sangja::it
