// linux.resources.devices on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program.
//
// Three steps, the first two pure:
//  - effectiveDeviceRules(): the config's rules, then runc's default allowed
//    devices (specconv.AllowedDevices). Later rules win. linux.devices get
//    no rule of their own (as with runc): an operator's deny-all holds for
//    them too, and a config that wants one usable allows it itself.
//  - buildDeviceProgram(): the eBPF instructions deciding as evaluate() does.
//  - loadDeviceProgram() + attachDeviceProgram(): bpf(2), replacing the
//    programs attached before without a window where none is attached.
//
// Semantics (evaluate): the last rule that matches the attempt decides; an
// attempt matches a rule when the type is the rule's (or the rule's is 'a'),
// major and minor are the rule's (absent = any) and every access bit asked for
// is in the rule's access. Nothing matching: denied. This is crun's sequential
// reading; runc runs the rules through its cgroup v1 emulator first, which
// gives the same answers except that it rejects a deny rule punching a hole in
// an allowed wildcard (sangja allows that and honours it).
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "spec/config.h"

namespace sangja::cgroups {

// Access bits, as the kernel passes them in bpf_cgroup_dev_ctx.access_type >> 16.
inline constexpr unsigned kDevAccessMknod = BPF_DEVCG_ACC_MKNOD;  // 'm'
inline constexpr unsigned kDevAccessRead = BPF_DEVCG_ACC_READ;    // 'r'
inline constexpr unsigned kDevAccessWrite = BPF_DEVCG_ACC_WRITE;  // 'w'
inline constexpr unsigned kDevAccessAll = kDevAccessMknod | kDevAccessRead | kDevAccessWrite;

struct DeviceRule {
  bool allow = false;
  char type = 'a';               // 'a' (any), 'c' or 'b'
  std::optional<int64_t> major;  // absent: any
  std::optional<int64_t> minor;
  unsigned access = kDevAccessAll;  // kDevAccess* bits
  bool operator==(const DeviceRule&) const = default;
};

// "rwm" subset -> access bits; empty means all (as spec/config.h documents).
unsigned parseDeviceAccess(std::string_view access);

// The rules the program enforces, in order (later wins). Errors for a major or
// minor above 2^32-1; a negative one means any (runc's -1).
Result<std::vector<DeviceRule>> effectiveDeviceRules(const spec::Resources& resources);

// The reference decision for an attempt of type 'c' or 'b' with access bits.
bool evaluate(const std::vector<DeviceRule>& rules, char type, uint32_t major, uint32_t minor,
              unsigned access);

// The program: reads bpf_cgroup_dev_ctx from r1, returns 1 to allow, 0 to deny.
std::vector<bpf_insn> buildDeviceProgram(const std::vector<DeviceRule>& rules);

// BPF_PROG_LOAD as BPF_PROG_TYPE_CGROUP_DEVICE (license "Apache", as runc; the
// program calls no GPL-only helper). RLIMIT_MEMLOCK is left alone: since 5.11
// the kernel charges BPF memory to the memory cgroup. On a verifier error the
// message carries the end of the verifier log.
Result<UniqueFd> loadDeviceProgram(const std::vector<bpf_insn>& program);

// BPF_PROG_ATTACH(BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI) of progFd to the
// cgroup, then BPF_PROG_DETACH of every device program attached to it before
// (found with BPF_PROG_QUERY first), so the cgroup is never unfiltered.
// Programs we may not open (EPERM/EACCES, e.g. an LSM label) are left, as runc
// does: another device program can only restrict more.
Status attachDeviceProgram(int cgroupDirFd, int progFd);

// The ids of the device programs attached directly to the cgroup.
Result<std::vector<uint32_t>> attachedDevicePrograms(int cgroupDirFd);

// All of the above for a cgroup: rules -> program -> load -> attach.
Status applyDeviceRules(int cgroupDirFd, const spec::Resources& resources);

}  // namespace sangja::cgroups
