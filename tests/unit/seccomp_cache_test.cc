// The seccomp filter cache: keys (equal exactly when the compiled program's
// inputs are), the entry format (round trip, every truncation and every
// corrupted byte refused, another key refused), the directory (modes,
// symlinks, trust, eviction) and the fallback to compiling when the cache
// cannot be used.
#include "runtime/process/seccomp_cache.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/sync_channel.h"
#include "runtime/lifecycle/state_store.h"
#include "tests/unit/seccomp_fixtures.h"
#include "tests/unit/temp_dir.h"

namespace sangja::seccomp {
namespace {

using testutil::TempDir;

using fixtures::entry;

// A small docker-like profile: default deny, an allow list, a rule on an
// argument, an errno rule, three arches.
spec::Seccomp baseProfile() {
  spec::Seccomp p;
  p.defaultAction = "SCMP_ACT_ERRNO";
  p.defaultErrnoRet = 1;
  p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  p.syscalls = {
      entry({"read", "write", "close", "exit_group", "mmap"}, "SCMP_ACT_ALLOW"),
      entry({"personality"}, "SCMP_ACT_ALLOW", {{0, 8, 0, "SCMP_CMP_EQ"}}),
      entry({"mkdir"}, "SCMP_ACT_ERRNO", {}, 38),
  };
  return p;
}

CacheContext testContext() {
  return CacheContext{SCMP_ARCH_X86_64, "2.5.4 /lib/libseccomp.so.2 1:2 3 4.5 6.7",
                      "0.1.0 abc1234 8:9 10 11.12 13.14"};
}

std::string keyOf(const spec::Seccomp& p, const CacheContext& c = testContext()) {
  Result<RulePlan> plan = planRules(p);
  EXPECT_TRUE(plan.ok()) << plan.error().message();
  return plan.ok() ? cacheKey(*plan, c) : "";
}

std::vector<sock_filter> compileProfile(const spec::Seccomp& p) {
  Result<std::vector<sock_filter>> f = compileFilter(*planRules(p));
  EXPECT_TRUE(f.ok()) << f.error().message();
  return f.ok() ? *f : std::vector<sock_filter>{};
}

bool sameFilter(const std::vector<sock_filter>& a, const std::vector<sock_filter>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(sock_filter)) == 0);
}

struct stat statOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

size_t fileCount(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    ++n;
  return n;
}

void setMtime(const std::string& path, time_t seconds) {
  struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// ---- keys ----

TEST(SeccompCacheKey, SameProfileSameKey) {
  EXPECT_EQ(keyOf(baseProfile()), keyOf(baseProfile()));
  EXPECT_EQ(cacheEntryName(keyOf(baseProfile())), cacheEntryName(keyOf(baseProfile())));
  // Where a name stands in the JSON only shows in error messages: one entry
  // of two names and two entries of one name are the same rules and the
  // same program.
  spec::Seccomp joined = baseProfile();
  spec::Seccomp split = baseProfile();
  split.syscalls[0].names = {"read", "write"};
  split.syscalls.insert(split.syscalls.begin() + 1,
                        entry({"close", "exit_group", "mmap"}, "SCMP_ACT_ALLOW"));
  EXPECT_NE(planRules(split)->rules[2].where, planRules(joined)->rules[2].where);
  EXPECT_EQ(keyOf(split), keyOf(joined));
  EXPECT_TRUE(sameFilter(compileProfile(split), compileProfile(joined)));
}

TEST(SeccompCacheKey, EveryInputChangesTheKey) {
  std::vector<std::pair<std::string, spec::Seccomp>> variants;
  auto vary = [&](std::string what, auto change) {
    spec::Seccomp p = baseProfile();
    change(p);
    variants.emplace_back(std::move(what), std::move(p));
  };
  vary("a syscall more", [](spec::Seccomp& p) { p.syscalls[0].names.push_back("openat"); });
  vary("a syscall less", [](spec::Seccomp& p) { p.syscalls[0].names.pop_back(); });
  vary("another syscall", [](spec::Seccomp& p) { p.syscalls[0].names[0] = "pread64"; });
  vary("rule order", [](spec::Seccomp& p) { std::swap(p.syscalls[0], p.syscalls[1]); });
  vary("rule action", [](spec::Seccomp& p) {
    p.syscalls[2].action = "SCMP_ACT_KILL";
    p.syscalls[2].errnoRet.reset();
  });
  vary("rule errno", [](spec::Seccomp& p) { p.syscalls[2].errnoRet = 39; });
  vary("arg value", [](spec::Seccomp& p) { p.syscalls[1].args[0].value = 9; });
  vary("arg valueTwo", [](spec::Seccomp& p) { p.syscalls[1].args[0].valueTwo = 1; });
  vary("arg index", [](spec::Seccomp& p) { p.syscalls[1].args[0].index = 1; });
  vary("arg op", [](spec::Seccomp& p) { p.syscalls[1].args[0].op = "SCMP_CMP_NE"; });
  vary("arg more", [](spec::Seccomp& p) {
    p.syscalls[1].args.push_back({1, 0, 0, "SCMP_CMP_EQ"});
  });
  vary("default action", [](spec::Seccomp& p) {
    p.defaultAction = "SCMP_ACT_KILL_PROCESS";
    p.defaultErrnoRet.reset();
  });
  vary("default errno", [](spec::Seccomp& p) { p.defaultErrnoRet = 13; });
  vary("arch less", [](spec::Seccomp& p) { p.architectures.pop_back(); });
  vary("arch order", [](spec::Seccomp& p) { std::swap(p.architectures[1], p.architectures[2]); });
  vary("flag", [](spec::Seccomp& p) { p.flags = {"SECCOMP_FILTER_FLAG_LOG"}; });

  std::set<std::string> keys{keyOf(baseProfile())};
  for (const auto& [what, p] : variants) {
    EXPECT_TRUE(keys.insert(keyOf(p)).second) << what << " gives a key already seen";
  }
  // The environment: another native arch, libseccomp or sangja build.
  CacheContext c = testContext();
  c.nativeArch = SCMP_ARCH_AARCH64;
  EXPECT_TRUE(keys.insert(keyOf(baseProfile(), c)).second) << "native arch";
  c = testContext();
  c.libseccomp = "2.5.5 /lib/libseccomp.so.2 1:2 3 4.5 6.7";
  EXPECT_TRUE(keys.insert(keyOf(baseProfile(), c)).second) << "libseccomp version";
  c = testContext();
  c.sangja = "0.1.0 abc1234 8:9 10 11.12 13.15";  // the same commit, rebuilt
  EXPECT_TRUE(keys.insert(keyOf(baseProfile(), c)).second) << "sangja executable";
  // And the file names differ too (the hash sees the difference).
  std::set<std::string> names;
  for (const std::string& k : keys) names.insert(cacheEntryName(k));
  EXPECT_EQ(names.size(), keys.size());
}

TEST(SeccompCacheKey, TextCannotPassForAnotherField) {
  // A context string that ends like the next field must not make two
  // different contexts serialize alike.
  CacheContext a = testContext();
  CacheContext b = testContext();
  a.libseccomp = "x";
  a.sangja = "y\nsangja=1:z";
  b.libseccomp = "x\nsangja=12:y\nsangja=1:z";
  b.sangja = "";
  RulePlan plan = *planRules(baseProfile());
  EXPECT_NE(cacheKey(plan, a), cacheKey(plan, b));
}

TEST(SeccompCacheKey, ThisProcessIsIdentified) {
  Result<CacheContext> c = currentCacheContext();
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->nativeArch, seccomp_arch_native());
  const scmp_version* v = seccomp_version();
  EXPECT_EQ(c->libseccomp.rfind(std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                                    std::to_string(v->micro),
                                0),
            0u)
      << c->libseccomp;
  EXPECT_NE(c->sangja.find(SANGJA_COMMIT), std::string::npos) << c->sangja;
  struct stat exe;
  ASSERT_EQ(::stat("/proc/self/exe", &exe), 0);
  EXPECT_NE(c->sangja.find(" " + std::to_string(exe.st_size) + " "), std::string::npos)
      << c->sangja;
}

TEST(SeccompCacheDirName, IsNeverAContainerId) {
  // It sits among the container directories under the state root.
  EXPECT_FALSE(validateContainerId(kCacheDirName).ok());
}

// ---- entries ----

TEST(SeccompCacheEntry, RoundTrip) {
  std::string key = keyOf(baseProfile());
  std::vector<sock_filter> filter = compileProfile(baseProfile());
  ASSERT_FALSE(filter.empty());
  Result<std::vector<sock_filter>> back = decodeCacheEntry(encodeCacheEntry(key, filter), key);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_TRUE(sameFilter(*back, filter));
}

TEST(SeccompCacheEntry, EveryTruncationIsRefused) {
  std::string key = keyOf(baseProfile());
  std::string data = encodeCacheEntry(key, compileProfile(baseProfile()));
  for (size_t n = 0; n < data.size(); ++n) {
    EXPECT_FALSE(decodeCacheEntry(std::string_view(data).substr(0, n), key).ok()) << n;
  }
  EXPECT_FALSE(decodeCacheEntry(data + '\0', key).ok()) << "a byte appended";
}

TEST(SeccompCacheEntry, EveryCorruptedByteIsRefused) {
  std::string key = keyOf(baseProfile());
  std::string data = encodeCacheEntry(key, compileProfile(baseProfile()));
  for (size_t i = 0; i < data.size(); ++i) {
    for (unsigned char bit : {0x01, 0x80}) {
      std::string bad = data;
      bad[i] = static_cast<char>(bad[i] ^ bit);
      EXPECT_FALSE(decodeCacheEntry(bad, key).ok()) << "byte " << i << " bit " << int(bit);
    }
  }
}

TEST(SeccompCacheEntry, AnotherKeyIsRefused) {
  spec::Seccomp other = baseProfile();
  other.syscalls[2].errnoRet = 39;
  std::string key = keyOf(baseProfile());
  std::string data = encodeCacheEntry(keyOf(other), compileProfile(other));
  Result<std::vector<sock_filter>> r = decodeCacheEntry(data, key);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("another key"), std::string::npos) << r.error().message();
}

TEST(SeccompCacheEntry, NotAnEntry) {
  std::string key = keyOf(baseProfile());
  EXPECT_FALSE(decodeCacheEntry("", key).ok());
  EXPECT_FALSE(decodeCacheEntry(std::string(4096, 'x'), key).ok());
  // An empty program is never valid (the kernel refuses it).
  EXPECT_FALSE(decodeCacheEntry(encodeCacheEntry(key, {}), key).ok());
}

// ---- the directory ----

class SeccompCacheDir : public ::testing::Test {
 protected:
  TempDir tmp;
  std::string dir = tmp.sub("seccomp-cache");
  std::string key = keyOf(baseProfile());
  std::vector<sock_filter> filter = compileProfile(baseProfile());
  std::string entryPath(const std::string& k) { return dir + "/" + cacheEntryName(k); }
};

TEST_F(SeccompCacheDir, StoreThenLookup) {
  FilterCache cache(dir);
  Result<std::vector<sock_filter>> miss = cache.lookup(key);
  EXPECT_FALSE(miss.ok());
  EXPECT_FALSE(tmp.exists("seccomp-cache")) << "a lookup creates nothing";
  ASSERT_TRUE(cache.store(key, filter).ok());
  EXPECT_EQ(statOf(dir).st_mode & 07777, 0700u);
  EXPECT_EQ(statOf(entryPath(key)).st_mode & 07777, 0600u);
  EXPECT_EQ(fileCount(dir), 1u) << "no temp file left";
  Result<std::vector<sock_filter>> hit = cache.lookup(key);
  ASSERT_TRUE(hit.ok()) << hit.error().message();
  EXPECT_TRUE(sameFilter(*hit, filter));
  // Storing again replaces, it does not add.
  ASSERT_TRUE(cache.store(key, filter).ok());
  EXPECT_EQ(fileCount(dir), 1u);
}

TEST_F(SeccompCacheDir, CorruptEntryIsAMissAndIsReplaced) {
  FilterCache cache(dir);
  ASSERT_TRUE(cache.store(key, filter).ok());
  std::string data = *readFile(entryPath(key));
  tmp.write("seccomp-cache/" + cacheEntryName(key), data.substr(0, data.size() / 2));
  ::chmod(entryPath(key).c_str(), 0600);
  EXPECT_FALSE(cache.lookup(key).ok()) << "truncated";
  data[data.size() - 20] ^= 1;
  tmp.write("seccomp-cache/" + cacheEntryName(key), data);
  EXPECT_FALSE(cache.lookup(key).ok()) << "corrupt";
  ASSERT_TRUE(cache.store(key, filter).ok());
  Result<std::vector<sock_filter>> hit = cache.lookup(key);
  ASSERT_TRUE(hit.ok()) << hit.error().message();
  EXPECT_TRUE(sameFilter(*hit, filter));
}

TEST_F(SeccompCacheDir, AnotherKeyUnderTheSameNameIsAMiss) {
  // What a hash collision would look like: a valid entry of another key in
  // this key's file.
  spec::Seccomp other = baseProfile();
  other.defaultAction = "SCMP_ACT_KILL";
  other.defaultErrnoRet.reset();
  FilterCache cache(dir);
  ASSERT_TRUE(cache.store(keyOf(other), compileProfile(other)).ok());
  std::filesystem::rename(entryPath(keyOf(other)), entryPath(key));
  Result<std::vector<sock_filter>> r = cache.lookup(key);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("another key"), std::string::npos) << r.error().message();
}

TEST_F(SeccompCacheDir, SymlinksAreNotFollowed) {
  TempDir elsewhere;
  FilterCache there(elsewhere.sub("cache"));
  ASSERT_TRUE(there.store(key, filter).ok());
  std::filesystem::create_directories(dir);
  ::chmod(dir.c_str(), 0700);
  std::filesystem::create_symlink(elsewhere.sub("cache/" + cacheEntryName(key)), entryPath(key));
  FilterCache cache(dir);
  Result<std::vector<sock_filter>> r = cache.lookup(key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ELOOP) << r.error().message();
  // A store replaces the link itself, not what it points to.
  ASSERT_TRUE(cache.store(key, filter).ok());
  EXPECT_TRUE(S_ISREG(statOf(entryPath(key)).st_mode));
  // The cache directory itself as a symlink is not used either.
  FilterCache viaLink(tmp.sub("link"));
  std::filesystem::create_directory_symlink(dir, tmp.sub("link"));
  EXPECT_FALSE(viaLink.lookup(key).ok());
  EXPECT_FALSE(viaLink.store(key, filter).ok());
}

TEST_F(SeccompCacheDir, DirectoryWritableByOthersIsNotUsed) {
  FilterCache cache(dir);
  ASSERT_TRUE(cache.store(key, filter).ok());
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  Result<std::vector<sock_filter>> r = cache.lookup(key);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("writable by group or others"), std::string::npos)
      << r.error().message();
  EXPECT_FALSE(cache.store(key, filter).ok());
  // Nor an entry file others may write.
  ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(entryPath(key).c_str(), 0666), 0);
  EXPECT_FALSE(cache.lookup(key).ok());
}

TEST_F(SeccompCacheDir, OldestEntriesAreEvicted) {
  FilterCache cache(dir, 3);
  std::vector<std::string> keys;
  for (uint32_t e = 1; e <= 3; ++e) {
    spec::Seccomp p = baseProfile();
    p.syscalls[2].errnoRet = e;
    keys.push_back(keyOf(p));
    ASSERT_TRUE(cache.store(keys.back(), filter).ok());
  }
  EXPECT_EQ(fileCount(dir), 3u);
  time_t now = ::time(nullptr);
  // Ages: keys[1] oldest, then keys[0], then keys[2].
  setMtime(entryPath(keys[0]), now - 200);
  setMtime(entryPath(keys[1]), now - 300);
  setMtime(entryPath(keys[2]), now - 100);
  ASSERT_TRUE(cache.store(key, filter).ok());
  EXPECT_EQ(fileCount(dir), 3u);
  EXPECT_FALSE(std::filesystem::exists(entryPath(keys[1])));
  EXPECT_TRUE(std::filesystem::exists(entryPath(keys[0])));
  EXPECT_TRUE(std::filesystem::exists(entryPath(keys[2])));
  EXPECT_TRUE(cache.lookup(key).ok()) << "the new entry stays";
  // A hit makes an entry the most recent: keys[0] (now oldest) is used,
  // so keys[2] goes next.
  setMtime(entryPath(key), now - 50);
  ASSERT_TRUE(cache.lookup(keys[0]).ok());
  spec::Seccomp p = baseProfile();
  p.syscalls[2].errnoRet = 99;
  ASSERT_TRUE(cache.store(keyOf(p), filter).ok());
  EXPECT_EQ(fileCount(dir), 3u);
  EXPECT_TRUE(std::filesystem::exists(entryPath(keys[0])));
  EXPECT_FALSE(std::filesystem::exists(entryPath(keys[2])));
}

TEST_F(SeccompCacheDir, EvictionLeavesOtherFilesAndRemovesStaleTemps) {
  FilterCache cache(dir, 1);
  ASSERT_TRUE(cache.store(key, filter).ok());
  tmp.write("seccomp-cache/README", "not ours");
  std::string stale = "." + cacheEntryName("stale") + ".tmp";
  std::string fresh = "." + cacheEntryName("fresh") + ".tmp";
  tmp.write("seccomp-cache/" + stale, "half");
  tmp.write("seccomp-cache/" + fresh, "half");
  setMtime(dir + "/" + stale, ::time(nullptr) - 3600);
  spec::Seccomp p = baseProfile();
  p.syscalls[2].errnoRet = 99;
  ASSERT_TRUE(cache.store(keyOf(p), filter).ok());
  EXPECT_FALSE(std::filesystem::exists(entryPath(key)));
  EXPECT_TRUE(std::filesystem::exists(entryPath(keyOf(p))));
  EXPECT_TRUE(tmp.exists("seccomp-cache/README"));
  EXPECT_FALSE(tmp.exists("seccomp-cache/" + stale));
  EXPECT_TRUE(tmp.exists("seccomp-cache/" + fresh)) << "a writer may still be busy with it";
}

// ---- through planProgram: hit, miss and fallback ----

ProcessPlan nnpProcess() {
  ProcessPlan proc;
  proc.noNewPrivileges = true;
  return proc;
}

TEST_F(SeccompCacheDir, SecondPlanComesFromTheCache) {
  Program first = *planProgram(baseProfile(), nnpProcess(), dir);
  EXPECT_FALSE(first.fromCache);
  EXPECT_FALSE(first.cacheKey.empty());
  EXPECT_FALSE(tmp.exists("seccomp-cache")) << "stored only by keepInCache";
  keepInCache(first);
  EXPECT_EQ(fileCount(dir), 1u);
  Program second = *planProgram(baseProfile(), nnpProcess(), dir);
  EXPECT_TRUE(second.fromCache);
  EXPECT_TRUE(second.cacheKey.empty()) << "nothing to store on a hit";
  EXPECT_TRUE(sameFilter(second.filter, first.filter));
  EXPECT_TRUE(sameFilter(second.filter, compileProfile(baseProfile())));
  EXPECT_EQ(second.flags, first.flags);
  EXPECT_EQ(second.when, first.when);
  // Another profile misses and gets its own entry.
  spec::Seccomp other = baseProfile();
  other.syscalls[2].errnoRet = 39;
  Program third = *planProgram(other, nnpProcess(), dir);
  EXPECT_FALSE(third.fromCache);
  keepInCache(third);
  EXPECT_EQ(fileCount(dir), 2u);
}

TEST_F(SeccompCacheDir, UnusableCacheFallsBackToCompiling) {
  // The cache's parent is a regular file: nothing can be made there.
  tmp.write("file", "x");
  std::string blocked = tmp.sub("file/seccomp-cache");
  Result<Program> p = planProgram(baseProfile(), nnpProcess(), blocked);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_FALSE(p->fromCache);
  EXPECT_TRUE(sameFilter(p->filter, compileProfile(baseProfile())));
  keepInCache(*p);  // fails quietly
  EXPECT_EQ(readFile(tmp.sub("file")).valueOr(""), "x");
  EXPECT_FALSE(FilterCache(blocked).store(key, filter).ok());
}

TEST_F(SeccompCacheDir, UnwritableCacheFallsBackToCompiling) {
  // A directory we may not write: as root only another uid is refused, so
  // a child takes uid 65534 and a directory it owns, mode 0500.
  std::filesystem::create_directories(dir);
  ASSERT_EQ(::chmod(dir.c_str(), 0500), 0);
  ASSERT_EQ(::chmod(tmp.path().c_str(), 0755), 0);
  bool root = ::geteuid() == 0;
  if (root) {
    ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    if (root && (::setgroups(0, nullptr) < 0 || ::setresgid(65534, 65534, 65534) < 0 ||
                 ::setresuid(65534, 65534, 65534) < 0)) {
      ::_exit(10);
    }
    Status st = FilterCache(dir).store(key, filter);
    if (st.ok()) ::_exit(11);
    if (st.error().code() != EACCES) ::_exit(12);
    Result<Program> p = planProgram(baseProfile(), nnpProcess(), dir);
    if (!p.ok() || p->fromCache || !sameFilter(p->filter, filter)) ::_exit(13);
    keepInCache(*p);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(fileCount(dir), 0u);
}

TEST_F(SeccompCacheDir, FilterFromTheCacheStillDenies) {
  spec::Seccomp p;
  p.defaultAction = "SCMP_ACT_ALLOW";
  p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  p.syscalls = {entry({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", {}, 38)};
  keepInCache(*planProgram(p, nnpProcess(), dir));
  Program cached = *planProgram(p, nnpProcess(), dir);
  ASSERT_TRUE(cached.fromCache);
  std::string made = tmp.sub("made");
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ChildChannel ch(pair[1]);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) ::_exit(200);
    child::loadFilter(cached, cached.when, ch);
    ::_exit(::mkdir(made.c_str(), 0700) < 0 ? errno : 0);
  }
  ::close(pair[0]);
  ::close(pair[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), ENOSYS);
  EXPECT_FALSE(tmp.exists("made"));
}

}  // namespace
}  // namespace sangja::seccomp
