// A cache of compiled seccomp filters. libseccomp takes about 1.7 ms to
// compile a ~360-syscall allow-list and 13-16 ms for a docker-style profile
// that also lists the x86 and x32 arches, and Docker and Podman pass the
// same profile with every container: the compiled program is kept under
// the state root (<root>/@seccomp-cache, mode 0700) and reused.
//
// An entry is found by a hash of its key but holds the whole key, compared
// in full on a hit: a hash collision can only cause a miss, never hand a
// container another profile's filter. The key is everything that decides
// the program: the rule plan as compileFilter reads it (default action,
// arches, flags, every rule with its number, action, errno and conditions),
// the native arch, libseccomp's version and loaded file, and sangja's
// version, commit and executable file (so a rebuild never reuses an entry
// of an older compileFilter). Kernel support is not part of it: it decides
// whether a plan may be used, not what it compiles to, and is checked on
// every create (checkKernelSupport) whether or not the filter was cached.
//
// A cache problem never fails a create: an entry that is absent, unreadable,
// truncated, corrupt or of another key is a miss (the filter is compiled and
// the entry rewritten); a directory we cannot write or trust is not used.
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "runtime/process/seccomp.h"

namespace sangja::seccomp {

// Under the state root, next to the container directories: the '@' keeps
// it from ever being a container id (validateContainerId), so no create,
// delete --force or list of any id can take, remove or show it.
inline constexpr const char* kCacheDirName = "@seccomp-cache";
// Beyond this many entries the least recently used go (by mtime; a hit
// touches its entry).
inline constexpr size_t kCacheMaxEntries = 64;

// What besides the rule plan decides the compiled program.
struct CacheContext {
  uint32_t nativeArch = 0;  // AUDIT_ARCH_* of this process
  std::string libseccomp;   // version and the identity of the loaded library file
  std::string sangja;       // version, commit and the identity of the executable file
};
// Fails when the executable cannot be identified (the cache is not used).
Result<CacheContext> currentCacheContext();

// ---- Keys and entries (pure). ----

// A canonical serialization: equal exactly when the inputs are. Rule.where
// (for error messages only) and the listener settings (not in the program)
// are left out.
std::string cacheKey(const RulePlan& plan, const CacheContext& context);
// The entry's file name: 16 hex digits of a 64-bit hash of the key, ".bpf".
std::string cacheEntryName(std::string_view key);
// Magic, sizes, the key, the program and a checksum of all of it.
std::string encodeCacheEntry(std::string_view key, const std::vector<sock_filter>& filter);
// The program of an entry for exactly this key; the error says why not.
Result<std::vector<sock_filter>> decodeCacheEntry(std::string_view data, std::string_view key);

// ---- The directory. ----

class FilterCache {
 public:
  explicit FilterCache(std::string dir, size_t maxEntries = kCacheMaxEntries)
      : dir_(std::move(dir)), maxEntries_(maxEntries) {}

  // The program stored under key. Read with O_NOFOLLOW from a directory
  // owned by us and writable by nobody else; the error says why there is
  // none (the caller compiles then). A hit refreshes the entry's mtime.
  Result<std::vector<sock_filter>> lookup(const std::string& key) const;
  // Keeps filter under key: the directory made (0700) if missing, the file
  // written atomically (0600), then the oldest entries beyond maxEntries
  // removed.
  Status store(const std::string& key, const std::vector<sock_filter>& filter) const;

  const std::string& dir() const { return dir_; }

 private:
  Status evict(int dirfd, const std::string& keep) const;
  std::string dir_;
  size_t maxEntries_;
};

// Stage 2 through the cache in dir: a hit is the stored program; a miss is
// compileFilter's, with the key for keepInCache. Cache errors are logged at
// debug level, never returned; compile errors are.
struct CachedFilter {
  std::vector<sock_filter> filter;
  bool hit = false;
  std::string key;
};
Result<CachedFilter> compileCached(const RulePlan& plan, const std::string& dir);

// Stores a filter planProgram compiled (Program::cacheKey set); called once
// the container exists, so that a create that fails leaves nothing. Best
// effort: a failure is logged at debug level.
void keepInCache(const Program& program);

}  // namespace sangja::seccomp
