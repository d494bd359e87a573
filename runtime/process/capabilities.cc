#include "runtime/process/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <string_view>

#include "base/file.h"
#include "base/numbers.h"
#include "base/procfs.h"
#include "base/text.h"
#include "base/unique_fd.h"

namespace sangja {

namespace {

Result<uint64_t> capabilityMask(const std::vector<std::string>& names, int lastCap,
                                const char* set) {
  uint64_t mask = 0;
  for (const std::string& name : names) {
    std::optional<int> value = spec::capabilityNumber(name);
    if (!value) {
      return Error::invalid("process.capabilities." + std::string(set) + ": unknown capability \"" +
                            name + "\"");
    }
    if (*value <= lastCap) mask |= uint64_t{1} << *value;
  }
  return mask;
}

// PR_CAPBSET_READ answers 0 or 1 for a capability the kernel knows and
// EINVAL above its last one.
bool kernelKnowsCapability(int cap) {
  return ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0;
}

// The kernel's own number, from a verified procfs (a last capability too
// low would leave the ones above it in the container's bounding set).
std::optional<int> lastCapabilityFromProc() {
  int fd = openVerifiedProc("/proc/sys/kernel/cap_last_cap", O_RDONLY);
  if (fd < 0) return std::nullopt;
  UniqueFd owned(fd);
  Result<std::string> text = readFdBounded(fd, "cap_last_cap", 16);
  if (!text.ok()) return std::nullopt;
  std::string_view digits = *text;
  digits = withoutTrailingBlanks(digits);
  int last = -1;
  if (!parseWhole(digits, last) || last < 0 || last > kMaxCapability) return std::nullopt;
  return last;
}

}  // namespace

int lastCapabilityFrom(int guess, const std::function<bool(int)>& known) {
  int cap = guess;
  if (known(cap)) {
    while (cap < kMaxCapability && known(cap + 1)) ++cap;
    return cap;
  }
  while (cap > 0 && !known(cap - 1)) --cap;
  return cap - 1;
}

int kernelLastCapability() {
  // Capability 0 always exists: refused there, the probe is a filter's
  // (around us), not the kernel's answer.
  if (!kernelKnowsCapability(0)) {
    return lastCapabilityFromProc().value_or(spec::kLastCapability);
  }
  return lastCapabilityFrom(spec::kLastCapability, kernelKnowsCapability);
}

bool hasEffectiveCapability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (cap < 0 || cap > kMaxCapability || ::syscall(SYS_capget, &header, data) < 0) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1U;
}

Result<CapabilitySets> capabilitySets(const spec::Capabilities& caps) {
  CapabilitySets out;
  out.lastCap = kernelLastCapability();
  out.bounding = TRY(capabilityMask(caps.bounding, out.lastCap, "bounding"));
  out.effective = TRY(capabilityMask(caps.effective, out.lastCap, "effective"));
  out.permitted = TRY(capabilityMask(caps.permitted, out.lastCap, "permitted"));
  out.inheritable = TRY(capabilityMask(caps.inheritable, out.lastCap, "inheritable"));
  out.ambient = TRY(capabilityMask(caps.ambient, out.lastCap, "ambient"));
  // The kernel only lets a capability be ambient when it is both permitted
  // and inheritable; runc's default spec lists ambient ones without
  // inheritable, and runc and crun skip them, so do we.
  out.ambient &= out.permitted & out.inheritable;
  return out;
}

void child::dropBoundingSet(const CapabilitySets& caps, const ChildChannel& channel) {
  for (int cap = 0; cap <= caps.lastCap; ++cap) {
    if (caps.bounding & (uint64_t{1} << cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      FixedText<16> n;
      n.appendInt(cap);
      channel.fail(errno, "drop capability from bounding set", n.view());
    }
  }
}

void child::applyCapabilitySets(const CapabilitySets& caps, const ChildChannel& channel) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  for (int word = 0; word < 2; ++word) {
    data[word].effective = static_cast<uint32_t>(caps.effective >> (32 * word));
    data[word].permitted = static_cast<uint32_t>(caps.permitted >> (32 * word));
    data[word].inheritable = static_cast<uint32_t>(caps.inheritable >> (32 * word));
  }
  // capset also drops every ambient capability not left in both the
  // permitted and inheritable sets, so no clear-all is needed first.
  if (::syscall(SYS_capset, &header, data) < 0) channel.fail(errno, "set capabilities");
  for (int cap = 0; cap <= caps.lastCap; ++cap) {
    if (!(caps.ambient & (uint64_t{1} << cap))) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
      FixedText<16> n;
      n.appendInt(cap);
      channel.fail(errno, "raise ambient capability", n.view());
    }
  }
}

}  // namespace sangja
