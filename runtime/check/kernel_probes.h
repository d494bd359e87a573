// `sangja check`: what the running kernel does, found by trying it with raw
// syscalls that change nothing on the host (a detached mount tree that is
// dropped, a BPF program that is never attached, seccomp(2) calls that load
// no filter). Parent-side code; the answers are plain data, so that the
// report and the bundle check (pure) can be unit-tested with made-up ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sangja::check {

// One probe's answer and, when it is not a plain yes, why.
struct Probe {
  enum class State { kUnknown, kYes, kNo };
  State state = State::kUnknown;
  std::string detail;  // "ENOSYS: Function not implemented", "needs root to probe"

  static Probe yes(std::string detail = "") { return {State::kYes, std::move(detail)}; }
  static Probe no(std::string detail) { return {State::kNo, std::move(detail)}; }
  static Probe unknown(std::string detail) { return {State::kUnknown, std::move(detail)}; }
  bool isYes() const { return state == State::kYes; }
  bool isNo() const { return state == State::kNo; }
  bool operator==(const Probe&) const = default;
};

struct KernelProbes {
  Probe clone3;
  Probe pidfdOpen;
  Probe openat2;
  Probe closeRange;
  Probe mountSetattr;
  // MOUNT_ATTR_IDMAP on a detached clone of a fresh directory in tmpDir.
  Probe idmappedMounts;
  std::string idmapProbeDir;  // where it was tried ("/tmp")
  // A device program (cgroups/device_filter.h) loaded, never attached.
  Probe bpfDeviceFilter;
  // RLIMIT_MEMLOCK's soft limit; nullopt: unlimited.
  std::optional<uint64_t> memlockBytes;
  // prctl(PR_GET_SECCOMP) answers (CONFIG_SECCOMP), and what the kernel
  // accepts: SECCOMP_GET_ACTION_AVAIL per action, flags as `features` lists
  // them.
  Probe seccomp;
  std::vector<std::string> seccompActions;
  std::vector<std::string> seccompFlags;
  std::string libseccompVersion;  // "2.5.4"
  bool operator==(const KernelProbes&) const = default;
};

// Runs every probe. tmpDir: where the idmapped-mount probe makes (and
// removes) its directory. root: whether the caller may try what needs
// privilege (idmapped mounts, BPF); an unprivileged caller gets kUnknown.
KernelProbes probeKernel(const std::string& tmpDir, bool root);

}  // namespace sangja::check
