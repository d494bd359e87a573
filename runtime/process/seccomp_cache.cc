#include "runtime/process/seccomp_cache.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "base/dir_stream.h"
#include "base/file.h"
#include "base/log.h"
#include "base/trace.h"
#include "base/unique_fd.h"

#ifndef SANGJA_VERSION
#define SANGJA_VERSION "unknown"
#endif
#ifndef SANGJA_COMMIT
#define SANGJA_COMMIT "unknown"
#endif

namespace sangja::seccomp {

namespace {

static_assert(sizeof(sock_filter) == 8, "a BPF instruction is 8 bytes");

// Bump when the key's or the entry's layout changes.
constexpr std::string_view kKeyHeader = "sangja seccomp filter cache key, format 2\n";
constexpr std::string_view kMagic = "sangja seccomp filter cache entry 1\n";
constexpr size_t kMaxKey = size_t{4} << 20;
constexpr size_t kHeaderSize = kMagic.size() + 2 * sizeof(uint64_t);
constexpr size_t kMaxEntrySize = kHeaderSize + kMaxKey + BPF_MAXINSNS * sizeof(sock_filter) + 8;
constexpr std::string_view kEntrySuffix = ".bpf";
constexpr size_t kHashDigits = 16;
// A temp file this old is a crashed writer's (a live one takes microseconds).
constexpr time_t kStaleTempSeconds = 60;

// FNV-1a, 64 bits: picks the file name and checks an entry's bytes. A
// collision costs a miss at worst; keys are compared in full.
uint64_t fnv1a(std::string_view data, uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string hex(uint64_t v, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

// "name=<size>:<text>\n": no text can pass for another field.
void field(std::string& out, std::string_view name, std::string_view text) {
  out.append(name).append("=").append(std::to_string(text.size())).append(":");
  out.append(text).append("\n");
}

void appendU64(std::string& out, uint64_t v) {
  char buf[sizeof v];
  std::memcpy(buf, &v, sizeof v);
  out.append(buf, sizeof buf);
}

uint64_t readU64(std::string_view data, size_t at) {
  uint64_t v;
  std::memcpy(&v, data.data() + at, sizeof v);
  return v;
}

// dev, inode, size, mtime and ctime of a file: a rebuilt binary or an
// upgraded library gets other values.
Result<std::string> fileIdentity(const char* path) {
  struct stat st;
  if (::stat(path, &st) < 0) return Error::fromErrno(std::string("stat ") + path);
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + " " +
         std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + " " + std::to_string(st.st_ctim.tv_sec) + "." +
         std::to_string(st.st_ctim.tv_nsec);
}

bool isEntryName(std::string_view name) {
  if (name.size() != kHashDigits + kEntrySuffix.size()) return false;
  if (name.substr(kHashDigits) != kEntrySuffix) return false;
  return std::all_of(name.begin(), name.begin() + kHashDigits,
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// writeFileAtomic's temp file of an entry: ".<entry>.tmp".
bool isTempName(std::string_view name) {
  return name.size() > 5 && name.front() == '.' && name.ends_with(".tmp") &&
         isEntryName(name.substr(1, name.size() - 5));
}

// Owned by us and writable by nobody else: otherwise whoever can write
// there could choose the filter of our containers.
Status checkTrusted(int fd, const std::string& what, bool directory) {
  struct stat st;
  if (::fstat(fd, &st) < 0) return Error::fromErrno("stat " + what);
  if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
    return Error::invalid(what + ": not a " + (directory ? "directory" : "regular file"));
  }
  if (st.st_uid != ::geteuid()) {
    return Error::invalid(what + ": owned by uid " + std::to_string(st.st_uid) + ", not us", EPERM);
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return Error::invalid(what + ": writable by group or others", EPERM);
  }
  return {};
}

Result<UniqueFd> openTrustedDir(const std::string& dir) {
  UniqueFd fd = TRY(openFile(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW));
  TRY(checkTrusted(fd.get(), dir, true));
  return fd;
}

}  // namespace

Result<CacheContext> currentCacheContext() {
  CacheContext c;
  c.nativeArch = seccomp_arch_native();
  const scmp_version* v = seccomp_version();
  c.libseccomp =
      std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&seccomp_init), &info) != 0 && info.dli_fname != nullptr) {
    Result<std::string> id = fileIdentity(info.dli_fname);
    c.libseccomp += std::string(" ") + info.dli_fname + " " + (id.ok() ? *id : "?");
  }
  // The commit is taken when the build is configured; the file's identity
  // also tells a rebuild from this binary. Without it, no cache.
  std::string exe = TRY(fileIdentity("/proc/self/exe").context("identify the sangja executable"));
  c.sangja = SANGJA_VERSION " " SANGJA_COMMIT " " + exe;
  return c;
}

std::string cacheKey(const RulePlan& plan, const CacheContext& context) {
  std::string k(kKeyHeader);
  k += "native " + hex(context.nativeArch, 8) + "\n";
  field(k, "libseccomp", context.libseccomp);
  field(k, "sangja", context.sangja);
  k += "default " + hex(plan.defaultAction, 8) + "\n";
  k += "arches " + std::to_string(plan.arches.size());
  for (uint32_t a : plan.arches) k += " " + hex(a, 8);
  k += "\nflags " + hex(plan.flags, 8) + "\n";
  k += "enosys above " + std::to_string(plan.enosysAbove.size());
  for (const NewerThanProfile& l : plan.enosysAbove) {
    k += " " + hex(l.arch, 8) + ":" + std::to_string(l.highest);
  }
  k += "\n";
  k += "rules " + std::to_string(plan.rules.size()) + "\n";
  for (const Rule& r : plan.rules) {
    field(k, "rule", r.syscall);
    k += std::to_string(r.nr) + " " + hex(r.action, 8) + " " + std::to_string(r.conditions.size());
    for (const Condition& c : r.conditions) {
      k += " " + std::to_string(c.index) + " " + std::to_string(c.op) + " " + hex(c.value, 16) +
           " " + hex(c.valueTwo, 16);
    }
    k += "\n";
  }
  return k;
}

std::string cacheEntryName(std::string_view key) {
  return hex(fnv1a(key), kHashDigits) + std::string(kEntrySuffix);
}

std::string encodeCacheEntry(std::string_view key, const std::vector<sock_filter>& filter) {
  std::string out(kMagic);
  appendU64(out, key.size());
  appendU64(out, filter.size());
  out.append(key);
  out.append(reinterpret_cast<const char*>(filter.data()), filter.size() * sizeof(sock_filter));
  appendU64(out, fnv1a(out));
  return out;
}

Result<std::vector<sock_filter>> decodeCacheEntry(std::string_view data, std::string_view key) {
  if (data.size() < kHeaderSize + 8 || data.substr(0, kMagic.size()) != kMagic) {
    return Error::invalid("not a seccomp cache entry");
  }
  uint64_t keySize = readU64(data, kMagic.size());
  uint64_t count = readU64(data, kMagic.size() + 8);
  if (keySize > kMaxKey || count == 0 || count > BPF_MAXINSNS) {
    return Error::invalid("entry with a key of " + std::to_string(keySize) + " bytes and " +
                          std::to_string(count) + " instructions");
  }
  size_t bpfAt = kHeaderSize + keySize;
  size_t sumAt = bpfAt + count * sizeof(sock_filter);
  if (data.size() != sumAt + 8) {
    return Error::invalid("entry of " + std::to_string(data.size()) + " bytes, expected " +
                          std::to_string(sumAt + 8) + " (truncated?)");
  }
  if (readU64(data, sumAt) != fnv1a(data.substr(0, sumAt))) {
    return Error::invalid("entry checksum does not match (corrupt)");
  }
  if (data.substr(kHeaderSize, keySize) != key) {
    return Error::invalid("entry holds another key (hash collision or another build)");
  }
  std::vector<sock_filter> filter(count);
  std::memcpy(filter.data(), data.data() + bpfAt, count * sizeof(sock_filter));
  return filter;
}

Result<std::vector<sock_filter>> FilterCache::lookup(const std::string& key) const {
  UniqueFd dirfd = TRY(openTrustedDir(dir_));
  std::string name = cacheEntryName(key);
  std::string path = dir_ + "/" + name;
  // O_NONBLOCK: a fifo put there cannot hang us (checkTrusted refuses it).
  UniqueFd fd = TRY(openAt(dirfd.get(), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).context(dir_));
  TRY(checkTrusted(fd.get(), path, false));
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return Error::fromErrno("stat " + path);
  if (static_cast<uint64_t>(st.st_size) > kMaxEntrySize) {
    return Error::invalid(path + ": " + std::to_string(st.st_size) + " bytes, too big");
  }
  std::string data = TRY(readFd(fd.get(), path));
  std::vector<sock_filter> filter = TRY(decodeCacheEntry(data, key).context(path));
  // Recently used: the last to be evicted. A read-only cache still serves.
  (void)::futimens(fd.get(), nullptr);
  return filter;
}

Status FilterCache::store(const std::string& key, const std::vector<sock_filter>& filter) const {
  if (::mkdir(dir_.c_str(), 0700) < 0 && errno != EEXIST) return Error::fromErrno("mkdir " + dir_);
  UniqueFd dirfd = TRY(openTrustedDir(dir_));
  std::string name = cacheEntryName(key);
  TRY(writeFileAtomic(dirfd.get(), name, encodeCacheEntry(key, filter), 0600)
          .context("seccomp cache " + dir_));
  return evict(dirfd.get(), name);
}

// The oldest entries by mtime beyond maxEntries_ (never `keep`, the one
// just written), and temp files a crashed writer left.
Status FilterCache::evict(int dirfd, const std::string& keep) const {
  std::vector<std::string> entries;
  std::vector<std::string> temps;
  {
    DirStream dir = TRY(DirStream::open(dirfd, dir_));
    while (dirent* e = dir.next()) {
      std::string_view name = e->d_name;
      if (isEntryName(name) && name != keep) entries.emplace_back(name);
      if (isTempName(name)) temps.emplace_back(name);
    }
  }

  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  struct stat st;
  for (const std::string& name : temps) {
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        now.tv_sec - st.st_mtim.tv_sec > kStaleTempSeconds) {
      (void)::unlinkat(dirfd, name.c_str(), 0);
    }
  }
  if (entries.size() + 1 <= maxEntries_) return {};
  struct Aged {
    struct timespec mtime;
    std::string name;
  };
  std::vector<Aged> aged;
  for (std::string& name : entries) {
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    aged.push_back(Aged{st.st_mtim, std::move(name)});
  }
  std::sort(aged.begin(), aged.end(), [](const Aged& a, const Aged& b) {
    if (a.mtime.tv_sec != b.mtime.tv_sec) return a.mtime.tv_sec < b.mtime.tv_sec;
    if (a.mtime.tv_nsec != b.mtime.tv_nsec) return a.mtime.tv_nsec < b.mtime.tv_nsec;
    return a.name < b.name;
  });
  size_t keepOthers = maxEntries_ > 0 ? maxEntries_ - 1 : 0;
  Status result;
  for (size_t i = 0; i + keepOthers < aged.size(); ++i) {
    if (::unlinkat(dirfd, aged[i].name.c_str(), 0) < 0 && errno != ENOENT && result.ok()) {
      result = Error::fromErrno("evict " + dir_ + "/" + aged[i].name);
    }
  }
  return result;
}

Result<CachedFilter> compileCached(const RulePlan& plan, const std::string& dir) {
  Result<CacheContext> context = currentCacheContext();
  if (!context.ok()) {
    log::debug("seccomp cache not used: " + context.error().message());
    return CachedFilter{TRY(compileFilter(plan)), false, ""};
  }
  std::string key = cacheKey(plan, *context);
  Result<std::vector<sock_filter>> cached = FilterCache(dir).lookup(key);
  if (cached.ok()) return CachedFilter{std::move(*cached), true, std::move(key)};
  log::debug("seccomp cache miss: " + cached.error().message());
  return CachedFilter{TRY(compileFilter(plan)), false, std::move(key)};
}

void keepInCache(const Program& program) {
  if (program.cacheKey.empty() || program.cacheDir.empty()) return;
  Status st = FilterCache(program.cacheDir).store(program.cacheKey, program.filter);
  if (!st.ok()) {
    log::debug("seccomp cache: filter not stored: " + st.error().message());
    return;
  }
  trace::mark("seccomp filter cached");
}

}  // namespace sangja::seccomp
