#include "base/child_steps.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace sangja::child {

namespace {

// Hex digits at p up to a newline, as a 64-bit mask; false if none.
bool parseHexMask(const char* p, const char* end, uint64_t& out) {
  uint64_t v = 0;
  int digits = 0;
  for (; p < end && *p != '\n'; ++p, ++digits) {
    char c = *p;
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0 || digits == 16) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  out = v;
  return digits > 0;
}

// The signals ignored or caught (SigIgn | SigCgt of /proc/self/status),
// bit sig-1 for each; every one when that cannot be read. One read instead
// of a sigaction per signal (62 syscalls on every container's path).
uint64_t nonDefaultSignals() {
  constexpr uint64_t kAll = ~uint64_t{0};
  int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return kAll;
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (n <= 0 || static_cast<size_t>(n) == sizeof buf) return kAll;
  const char* end = buf + n;
  uint64_t mask = 0;
  static constexpr const char* kKeys[] = {"\nSigIgn:\t", "\nSigCgt:\t"};
  for (const char* key : kKeys) {
    size_t len = ::strlen(key);
    const char* at = static_cast<const char*>(::memmem(buf, static_cast<size_t>(n), key, len));
    uint64_t one = 0;
    if (at == nullptr || !parseHexMask(at + len, end, one)) return kAll;
    mask |= one;
  }
  return mask;
}

}  // namespace

int resetSignals() {
  uint64_t nonDefault = nonDefaultSignals();
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG && sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if ((nonDefault & (uint64_t{1} << (sig - 1))) == 0) continue;
    ::sigaction(sig, &dfl, nullptr);  // EINVAL for the few glibc reserves: fine
  }
  sigset_t none;
  sigemptyset(&none);
  return ::sigprocmask(SIG_SETMASK, &none, nullptr) < 0 ? errno : 0;
}

int setIdentity(uid_t uid, gid_t gid, const gid_t* groups, int nGroups) {
  if (nGroups >= 0 && ::syscall(SYS_setgroups, nGroups, groups) < 0) return errno;
  if (::syscall(SYS_setresgid, gid, gid, gid) < 0) return errno;
  if (::syscall(SYS_setresuid, uid, uid, uid) < 0) return errno;
  return 0;
}

}  // namespace sangja::child
