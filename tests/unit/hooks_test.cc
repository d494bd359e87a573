#include "runtime/lifecycle/hooks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/unit/temp_dir.h"

namespace sangja::hooks {
namespace {

using std::chrono::steady_clock;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

spec::Hook hook(std::string path, std::vector<std::string> args = {},
                std::vector<std::string> env = {}, std::optional<int> timeout = std::nullopt) {
  spec::Hook h;
  h.path = std::move(path);
  h.args = std::move(args);
  h.env = std::move(env);
  h.timeout = timeout;
  return h;
}

// A /bin/sh hook running script.
spec::Hook shHook(const std::string& script, std::optional<int> timeout = std::nullopt) {
  return hook("/bin/sh", {"sh", "-c", script}, {}, timeout);
}

spec::State base() {
  spec::State s;
  s.id = "c1";
  s.bundle = "/srv/c1";
  s.annotations = {{"a", "1"}};
  return s;
}

// ---- pure part ----

TEST(Hooks, CreatePhasesInSpecOrder) {
  ASSERT_EQ(kCreatePhases.size(), 3u);
  EXPECT_EQ(phaseName(kCreatePhases[0]), "prestart");
  EXPECT_EQ(phaseName(kCreatePhases[1]), "createRuntime");
  EXPECT_EQ(phaseName(kCreatePhases[2]), "createContainer");
}

TEST(Hooks, PhaseNamesMatchConfigJson) {
  EXPECT_EQ(phaseName(Phase::kStartContainer), "startContainer");
  EXPECT_EQ(phaseName(Phase::kPoststart), "poststart");
  EXPECT_EQ(phaseName(Phase::kPoststop), "poststop");
}

TEST(Hooks, HooksOfPicksThePhasesList) {
  spec::Hooks hs;
  hs.prestart = {hook("/a")};
  hs.createRuntime = {hook("/b")};
  hs.createContainer = {hook("/c")};
  hs.startContainer = {hook("/d")};
  hs.poststart = {hook("/e")};
  hs.poststop = {hook("/f"), hook("/g")};
  EXPECT_EQ(hooksOf(hs, Phase::kPrestart)[0].path, "/a");
  EXPECT_EQ(hooksOf(hs, Phase::kCreateRuntime)[0].path, "/b");
  EXPECT_EQ(hooksOf(hs, Phase::kCreateContainer)[0].path, "/c");
  EXPECT_EQ(hooksOf(hs, Phase::kStartContainer)[0].path, "/d");
  EXPECT_EQ(hooksOf(hs, Phase::kPoststart)[0].path, "/e");
  EXPECT_EQ(hooksOf(hs, Phase::kPoststop).size(), 2u);
}

TEST(Hooks, CreatePausesOnlyForCreateHooks) {
  spec::Hooks hs;
  EXPECT_FALSE(hasCreateHooks(hs));
  hs.startContainer = {hook("/d")};
  hs.poststart = {hook("/e")};
  hs.poststop = {hook("/f")};
  EXPECT_FALSE(hasCreateHooks(hs));
  spec::Hooks pre;
  pre.prestart = {hook("/a")};
  EXPECT_TRUE(hasCreateHooks(pre));
  spec::Hooks cc;
  cc.createContainer = {hook("/c")};
  EXPECT_TRUE(hasCreateHooks(cc));
}

TEST(Hooks, ContainerPhasesRunInTheContainer) {
  EXPECT_FALSE(runsInContainer(Phase::kPrestart));
  EXPECT_FALSE(runsInContainer(Phase::kCreateRuntime));
  EXPECT_TRUE(runsInContainer(Phase::kCreateContainer));
  EXPECT_TRUE(runsInContainer(Phase::kStartContainer));
  EXPECT_FALSE(runsInContainer(Phase::kPoststart));
  EXPECT_FALSE(runsInContainer(Phase::kPoststop));
}

TEST(Hooks, StateStatusPerPhase) {
  EXPECT_STREQ(spec::statusName(stateStatus(Phase::kPrestart)), "creating");
  EXPECT_STREQ(spec::statusName(stateStatus(Phase::kCreateRuntime)), "creating");
  EXPECT_STREQ(spec::statusName(stateStatus(Phase::kCreateContainer)), "creating");
  EXPECT_STREQ(spec::statusName(stateStatus(Phase::kStartContainer)), "created");
  EXPECT_STREQ(spec::statusName(stateStatus(Phase::kPoststart)), "running");
  EXPECT_STREQ(spec::statusName(stateStatus(Phase::kPoststop)), "stopped");
}

TEST(Hooks, StateJsonCarriesStatusAndPid) {
  Result<spec::State> s = spec::parseState(stateJson(Phase::kCreateRuntime, base(), 4242));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->status, spec::Status::kCreating);
  EXPECT_EQ(s->pid, 4242);
  EXPECT_EQ(s->id, "c1");
  EXPECT_EQ(s->bundle, "/srv/c1");
  EXPECT_EQ(s->annotations.at("a"), "1");

  s = spec::parseState(stateJson(Phase::kStartContainer, base(), 1));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->status, spec::Status::kCreated);
  EXPECT_EQ(s->pid, 1);

  s = spec::parseState(stateJson(Phase::kPoststart, base(), 77));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->status, spec::Status::kRunning);
  EXPECT_EQ(s->pid, 77);
}

TEST(Hooks, PoststopStateHasNoPid) {
  std::string text = stateJson(Phase::kPoststop, base(), 4242);
  EXPECT_EQ(text.find("\"pid\""), std::string::npos) << text;
  Result<spec::State> s = spec::parseState(text);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->status, spec::Status::kStopped);
}

TEST(Hooks, ArgsAbsentMeansArgvIsThePath) {
  Command c = commandFor(hook("/usr/bin/fix-mounts"));
  EXPECT_EQ(c.path, "/usr/bin/fix-mounts");
  EXPECT_EQ(c.argv, std::vector<std::string>{"/usr/bin/fix-mounts"});
  EXPECT_TRUE(c.env.empty());
  EXPECT_EQ(c.timeoutSeconds, 0);
}

TEST(Hooks, ArgsAndEnvPassedAsGiven) {
  Command c = commandFor(hook("/usr/bin/fix-mounts", {"fix", "arg1", "arg 2"}, {"K=v", "E="}, 5));
  EXPECT_EQ(c.path, "/usr/bin/fix-mounts");
  EXPECT_EQ(c.argv, (std::vector<std::string>{"fix", "arg1", "arg 2"}));
  EXPECT_EQ(c.env, (std::vector<std::string>{"K=v", "E="}));
  EXPECT_EQ(c.timeoutSeconds, 5);
}

TEST(Hooks, DescribeWaitStatus) {
  EXPECT_EQ(describeWaitStatus(W_EXITCODE(3, 0)), "exit status 3");
  EXPECT_EQ(describeWaitStatus(W_EXITCODE(0, SIGKILL)), "killed by signal 9 (KILL)");
}

TEST(Hooks, OutputTailTrimsAndJoinsLines) {
  EXPECT_EQ(outputTail("  \n"), "");
  EXPECT_EQ(outputTail("oops\n"), "oops");
  EXPECT_EQ(outputTail("line one\nline two\n\n"), "line one; line two");
  EXPECT_EQ(outputTail("0123456789abcdef", 6), "...abcdef");
}

TEST(Hooks, FailureMessages) {
  EXPECT_EQ(failureMessage(Phase::kCreateRuntime, "/path", "exit status 3", "bad thing\n"),
            "createRuntime hook /path failed: exit status 3: bad thing");
  EXPECT_EQ(failureMessage(Phase::kPoststart, "/p", "exit status 1", ""),
            "poststart hook /p failed: exit status 1");
  EXPECT_EQ(timeoutMessage(Phase::kCreateRuntime, "/path", 2),
            "createRuntime hook /path timed out after 2s");
}

TEST(Hooks, InnermostPidFromProcStatus) {
  Result<int> pid = innermostPid("Name:\tsh\nPid:\t4242\nNSpid:\t4242\t17\t1\nNSpgid:\t1\n");
  ASSERT_TRUE(pid.ok()) << pid.error().message();
  EXPECT_EQ(*pid, 1);
  pid = innermostPid("Name:\tsh\nNSpid:\t4242\n");
  ASSERT_TRUE(pid.ok()) << pid.error().message();
  EXPECT_EQ(*pid, 4242);
  EXPECT_FALSE(innermostPid("Name:\tsh\nPid:\t1\n").ok());
  EXPECT_FALSE(innermostPid("NSpid:\tabc\n").ok());
}

TEST(Hooks, StoredHooksKeepOnlyWhatStartAndDeleteNeed) {
  spec::Hooks hs;
  hs.prestart = {hook("/a")};
  hs.createContainer = {hook("/c")};
  hs.startContainer = {hook("/d", {"d", "x"}, {"A=1"}, 3)};
  hs.poststart = {hook("/e")};
  hs.poststop = {hook("/f", {}, {"B=2"}), hook("/g")};
  Result<spec::Hooks> back = parseStoredHooks(storedHooksJson(hs));
  ASSERT_TRUE(back.ok()) << back.error().message();
  spec::Hooks want;
  want.startContainer = hs.startContainer;
  want.poststart = hs.poststart;
  want.poststop = hs.poststop;
  EXPECT_EQ(*back, want);
}

TEST(Hooks, StoredHooksRejectsGarbage) {
  EXPECT_FALSE(parseStoredHooks("not json").ok());
  EXPECT_FALSE(parseStoredHooks(R"({"poststop":[{"args":["x"]}]})").ok());
}

TEST(Hooks, SaveWritesNothingWithoutStartOrStopHooks) {
  testutil::TempDir dir;
  UniqueFd fd(::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  spec::Hooks hs;
  hs.createRuntime = {hook("/b")};
  ASSERT_TRUE(saveHooks(fd.get(), hs).ok());
  EXPECT_FALSE(dir.exists(kHooksFile));
  Result<spec::Hooks> none = loadHooks(fd.get());
  ASSERT_TRUE(none.ok()) << none.error().message();
  EXPECT_TRUE(none->empty());

  hs.poststop = {hook("/f")};
  ASSERT_TRUE(saveHooks(fd.get(), hs).ok());
  EXPECT_TRUE(dir.exists(kHooksFile));
  Result<spec::Hooks> loaded = loadHooks(fd.get());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_EQ(loaded->poststop, hs.poststop);
  EXPECT_TRUE(loaded->createRuntime.empty());
}

// ---- processes (real forks of host programs) ----

TEST(HooksRun, SuccessfulHook) {
  Status st = runHook(hook("/bin/true"), Phase::kPrestart, "{}");
  EXPECT_TRUE(st.ok()) << st.error().message();
}

TEST(HooksRun, ExitStatusBecomesErrorWithOutputTail) {
  Status st = runHook(shHook("echo progress; echo 'no network for you' >&2; exit 3"),
                      Phase::kCreateRuntime, "{}");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "createRuntime hook /bin/sh failed: exit status 3: progress; no network for you");
}

TEST(HooksRun, KilledBySignal) {
  Status st = runHook(shHook("kill -TERM $$"), Phase::kPoststart, "{}");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "poststart hook /bin/sh failed: killed by signal 15 (TERM)");
}

TEST(HooksRun, MissingExecutable) {
  Status st = runHook(hook("/nonexistent/hook"), Phase::kCreateRuntime, "{}");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "createRuntime hook /nonexistent/hook failed: exit status 127: sangja: exec "
            "/nonexistent/hook: No such file or directory");
}

TEST(HooksRun, TimeoutKillsTheHook) {
  auto start = steady_clock::now();
  Status st = runHook(hook("/bin/sleep", {"sleep", "10"}, {}, 1), Phase::kCreateRuntime, "{}");
  auto took = steady_clock::now() - start;
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "createRuntime hook /bin/sleep timed out after 1s");
  EXPECT_EQ(st.error().code(), ETIMEDOUT);
  EXPECT_GE(took, std::chrono::milliseconds(950));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(HooksRun, TimeoutKillsWhatTheHookStarted) {
  testutil::TempDir dir;
  std::string pidFile = dir.sub("child.pid");
  Status st =
      runHook(shHook("sleep 10 & echo $! > " + pidFile + "; wait", 1), Phase::kCreateRuntime, "{}");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ETIMEDOUT);
  pid_t child = std::stoi(slurp(pidFile));
  // Killed with its process group; it is reparented, so gone shortly.
  auto deadline = steady_clock::now() + std::chrono::seconds(2);
  while (::kill(child, 0) == 0 && steady_clock::now() < deadline) ::usleep(10000);
  EXPECT_NE(::kill(child, 0), 0) << "the hook's child " << child << " survived the timeout";
}

TEST(HooksRun, NoTimeoutWaitsForTheHook) {
  auto start = steady_clock::now();
  Status st = runHook(hook("/bin/sleep", {"sleep", "0.3"}), Phase::kPoststart, "{}");
  EXPECT_TRUE(st.ok()) << st.error().message();
  EXPECT_GE(steady_clock::now() - start, std::chrono::milliseconds(290));
}

TEST(HooksRun, ExitedHookDoesNotWaitForWhatItLeftRunning) {
  auto start = steady_clock::now();
  Status st = runHook(shHook("sleep 3 & exit 0"), Phase::kPoststart, "{}");
  EXPECT_TRUE(st.ok()) << st.error().message();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(HooksRun, StateArrivesOnStdin) {
  testutil::TempDir dir;
  std::string out = dir.sub("stdin");
  std::string state = stateJson(Phase::kCreateRuntime, base(), 99);
  Status st = runHook(shHook("cat > " + out), Phase::kCreateRuntime, state);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(slurp(out), state);
}

TEST(HooksRun, LargeStateArrivesWhole) {
  testutil::TempDir dir;
  std::string out = dir.sub("count");
  spec::State s = base();
  s.annotations["big"] = std::string(200000, 'x');
  std::string state = stateJson(Phase::kCreateRuntime, s, 99);
  Status st = runHook(shHook("wc -c > " + out), Phase::kCreateRuntime, state);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(std::stoul(slurp(out)), state.size());
}

TEST(HooksRun, HookThatIgnoresStdin) {
  spec::State s = base();
  s.annotations["big"] = std::string(200000, 'x');
  Status st = runHook(hook("/bin/true"), Phase::kCreateRuntime, stateJson(Phase::kPrestart, s, 1));
  EXPECT_TRUE(st.ok()) << st.error().message();
}

TEST(HooksRun, EnvIsExactlyTheHooks) {
  testutil::TempDir dir;
  std::string out = dir.sub("env");
  // dash leaves its initial environment block alone.
  spec::Hook h = hook("/bin/sh", {"sh", "-c", "tr '\\0' '\\n' < /proc/$$/environ > " + out},
                      {"A=1", "B=two words"});
  ::setenv("SANGJA_UNIT_NOT_FOR_HOOKS", "1", 1);
  Status st = runHook(h, Phase::kPrestart, "{}");
  ::unsetenv("SANGJA_UNIT_NOT_FOR_HOOKS");
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(slurp(out), "A=1\nB=two words\n");
}

TEST(HooksRun, EmptyEnvIsEmpty) {
  testutil::TempDir dir;
  std::string out = dir.sub("env");
  Status st = runHook(shHook("tr '\\0' '\\n' < /proc/$$/environ > " + out), Phase::kPrestart, "{}");
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(slurp(out), "");
}

TEST(HooksRun, ArgvZeroIsArgsZero) {
  testutil::TempDir dir;
  std::string out = dir.sub("argv");
  spec::Hook h = hook("/bin/sh", {"my-hook", "-c", "echo \"$0\" > " + out});
  Status st = runHook(h, Phase::kPrestart, "{}");
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(slurp(out), "my-hook\n");
}

TEST(HooksRun, BlockedSignalsDoNotReachTheHook) {
  testutil::TempDir dir;
  std::string out = dir.sub("sigblk");
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  ::sigprocmask(SIG_BLOCK, &set, &old);
  Status st =
      runHook(shHook("exec grep SigBlk /proc/self/status > " + out), Phase::kPrestart, "{}");
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(slurp(out), "SigBlk:\t0000000000000000\n");
}

TEST(HooksRun, OnlyStdioIsInherited) {
  testutil::TempDir dir;
  std::string out = dir.sub("fds");
  int leaked = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(leaked, 3);
  Status st = runHook(shHook("ls /proc/$$/fd > " + out), Phase::kPrestart, "{}");
  ::close(leaked);
  ASSERT_TRUE(st.ok()) << st.error().message();
  // dash opens the redirect target as fd 1 after saving the old one (>= 10).
  std::string fds = slurp(out);
  EXPECT_EQ(fds.find(std::to_string(leaked) + "\n"), std::string::npos) << fds;
}

TEST(HooksRun, PhaseRunsHooksInOrderAndStopsAtTheFirstFailure) {
  testutil::TempDir dir;
  std::string log = dir.sub("log");
  spec::Hooks hs;
  hs.poststart = {shHook("echo one >> " + log), shHook("echo two >> " + log + "; exit 4"),
                  shHook("echo three >> " + log)};
  Status st = runPhase(hs, Phase::kPoststart, base(), ::getpid());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "poststart hook /bin/sh failed: exit status 4");
  EXPECT_EQ(slurp(log), "one\ntwo\n");
}

TEST(HooksRun, PoststopFailureIsOnlyAWarning) {
  testutil::TempDir dir;
  std::string log = dir.sub("log");
  spec::Hooks hs;
  hs.poststop = {shHook("cat >> " + log + "; exit 1"), shHook("echo second >> " + log)};
  runPoststop(hs, base());
  std::string text = slurp(log);
  EXPECT_NE(text.find("\"status\":\"stopped\""), std::string::npos) << text;
  EXPECT_NE(text.find("second"), std::string::npos) << text;
}

}  // namespace
}  // namespace sangja::hooks
