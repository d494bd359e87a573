// linux.resources.devices -> BPF_PROG_TYPE_CGROUP_DEVICE program.
#include "cgroups/device_filter.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/text.h"

namespace sangja::cgroups {

namespace {

// runc's specconv.AllowedDevices, in its order. The ones with a path are
// dropped when linux.devices has an entry at that path (the spec's wins).
struct DefaultDevice {
  const char* path;  // nullptr: a rule only
  char type;
  std::optional<int64_t> major, minor;
  unsigned access;
};
const DefaultDevice kDefaultDevices[] = {
    {nullptr, 'c', std::nullopt, std::nullopt, kDevAccessMknod},  // mknod any char device
    {nullptr, 'b', std::nullopt, std::nullopt, kDevAccessMknod},  // mknod any block device
    {"/dev/null", 'c', 1, 3, kDevAccessAll},
    {"/dev/random", 'c', 1, 8, kDevAccessAll},
    {"/dev/full", 'c', 1, 7, kDevAccessAll},
    {"/dev/tty", 'c', 5, 0, kDevAccessAll},
    {"/dev/zero", 'c', 1, 5, kDevAccessAll},
    {"/dev/urandom", 'c', 1, 9, kDevAccessAll},
    {nullptr, 'c', 136, std::nullopt, kDevAccessAll},  // /dev/pts/*
    {nullptr, 'c', 5, 2, kDevAccessAll},               // /dev/ptmx
    {nullptr, 'c', 10, 200, kDevAccessAll},            // /dev/net/tun
};

Result<std::optional<int64_t>> deviceNumber(std::optional<int64_t> n, const std::string& what) {
  if (!n || *n < 0) return std::optional<int64_t>();
  if (*n > int64_t{UINT32_MAX}) {
    return Error::invalid(what + ": " + std::to_string(*n) + " is above 4294967295");
  }
  return n;
}

bool matches(const DeviceRule& r, char type, uint32_t major, uint32_t minor, unsigned access) {
  if (r.type != 'a' && r.type != type) return false;
  if (r.major && *r.major != int64_t{major}) return false;
  if (r.minor && *r.minor != int64_t{minor}) return false;
  return (access & ~r.access) == 0;
}

bool matchesEverything(const DeviceRule& r) {
  return r.type == 'a' && !r.major && !r.minor && (r.access & kDevAccessAll) == kDevAccessAll;
}

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i;
  std::memset(&i, 0, sizeof i);
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn loadWord(uint8_t dst, uint8_t src, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}
bpf_insn alu32Imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32Reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
// 32-bit compares: a major or minor >= 2^31 must not be sign-extended.
bpf_insn jne32Imm(uint8_t dst, uint32_t imm) {
  return insn(BPF_JMP32 | BPF_JNE | BPF_K, dst, 0, 0, static_cast<int32_t>(imm));
}
bpf_insn jne32Reg(uint8_t dst, uint8_t src) {
  return insn(BPF_JMP32 | BPF_JNE | BPF_X, dst, src, 0, 0);
}
bpf_insn exitInsn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

long bpf(int cmd, bpf_attr* attr) {
  return ::syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

uint64_t ptr(const void* p) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

}  // namespace

unsigned parseDeviceAccess(std::string_view access) {
  if (access.empty()) return kDevAccessAll;
  unsigned bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= kDevAccessRead;
    if (c == 'w') bits |= kDevAccessWrite;
    if (c == 'm') bits |= kDevAccessMknod;
  }
  return bits;
}

Result<std::vector<DeviceRule>> effectiveDeviceRules(const spec::Resources& resources) {
  std::vector<DeviceRule> rules;
  for (size_t i = 0; i < resources.devices.size(); ++i) {
    const spec::DeviceCgroupRule& d = resources.devices[i];
    std::string where = "linux.resources.devices[" + std::to_string(i) + "]";
    DeviceRule r;
    r.allow = d.allow;
    r.type = d.type.empty() ? 'a' : d.type[0];
    if (r.type != 'a' && r.type != 'c' && r.type != 'b') {
      return Error::invalid(where + ".type: unknown device type \"" + d.type + "\"");
    }
    r.major = TRY(deviceNumber(d.major, where + ".major"));
    r.minor = TRY(deviceNumber(d.minor, where + ".minor"));
    r.access = parseDeviceAccess(d.access);
    rules.push_back(r);
  }
  for (const DefaultDevice& dd : kDefaultDevices) {
    rules.push_back(DeviceRule{true, dd.type, dd.major, dd.minor, dd.access});
  }
  return rules;
}

bool evaluate(const std::vector<DeviceRule>& rules, char type, uint32_t major, uint32_t minor,
              unsigned access) {
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    if (matches(*it, type, major, minor, access)) return it->allow;
  }
  return false;
}

std::vector<bpf_insn> buildDeviceProgram(const std::vector<DeviceRule>& rules) {
  // r2 = type, r3 = access, r4 = major, r5 = minor (struct bpf_cgroup_dev_ctx:
  // u32 access_type = access << 16 | type; u32 major; u32 minor).
  std::vector<bpf_insn> p = {
      loadWord(BPF_REG_2, BPF_REG_1, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32Imm(BPF_AND, BPF_REG_2, 0xffff),
      loadWord(BPF_REG_3, BPF_REG_1, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32Imm(BPF_RSH, BPF_REG_3, 16),
      loadWord(BPF_REG_4, BPF_REG_1, offsetof(bpf_cgroup_dev_ctx, major)),
      loadWord(BPF_REG_5, BPF_REG_1, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  // The last rule decides first: one block per rule, newest first; a failed
  // test jumps to the next block. A rule matching everything ends the list.
  bool catchAll = false;
  for (auto it = rules.rbegin(); it != rules.rend() && !catchAll; ++it) {
    const DeviceRule& r = *it;
    size_t start = p.size();
    if (r.type != 'a') {
      p.push_back(jne32Imm(BPF_REG_2, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    }
    unsigned access = r.access & kDevAccessAll;
    if (access != kDevAccessAll) {
      // Every bit asked for must be in the rule: (access & rule) == access.
      p.push_back(mov32Reg(BPF_REG_1, BPF_REG_3));
      p.push_back(alu32Imm(BPF_AND, BPF_REG_1, static_cast<int32_t>(access)));
      p.push_back(jne32Reg(BPF_REG_1, BPF_REG_3));
    }
    if (r.major) p.push_back(jne32Imm(BPF_REG_4, static_cast<uint32_t>(*r.major)));
    if (r.minor) p.push_back(jne32Imm(BPF_REG_5, static_cast<uint32_t>(*r.minor)));
    p.push_back(alu32Imm(BPF_MOV, BPF_REG_0, r.allow ? 1 : 0));
    p.push_back(exitInsn());
    // Point the block's jumps past its end.
    size_t end = p.size();
    for (size_t i = start; i + 2 < end; ++i) {
      if (BPF_CLASS(p[i].code) == BPF_JMP32) p[i].off = static_cast<int16_t>(end - (i + 1));
    }
    catchAll = matchesEverything(r);
  }
  if (!catchAll) {
    p.push_back(alu32Imm(BPF_MOV, BPF_REG_0, 0));
    p.push_back(exitInsn());
  }
  return p;
}

Result<UniqueFd> loadDeviceProgram(const std::vector<bpf_insn>& program) {
  static const char kLicense[] = "Apache";
  auto load = [&](char* log, uint32_t logSize) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = ptr(program.data());
    attr.insn_cnt = static_cast<uint32_t>(program.size());
    attr.license = ptr(kLicense);
    if (log) {
      attr.log_level = 1;
      attr.log_buf = ptr(log);
      attr.log_size = logSize;
    }
    std::strncpy(attr.prog_name, "sangja_devices", sizeof attr.prog_name - 1);
    return static_cast<int>(bpf(BPF_PROG_LOAD, &attr));
  };
  int fd = load(nullptr, 0);
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  std::string what = "load device cgroup program (bpf BPF_PROG_LOAD)";
  if (err == EINVAL || err == EACCES) {
    // Again with the verifier's log, for the message.
    std::string log(1 << 16, '\0');
    int again = load(log.data(), static_cast<uint32_t>(log.size()));
    if (again >= 0) return UniqueFd(again);
    log.resize(std::strlen(log.c_str()));
    log.resize(withoutTrailingBlanks(log).size());
    if (log.size() > 600) log = "..." + log.substr(log.size() - 600);
    if (!log.empty()) what += " [verifier: " + log + "]";
  }
  return Error::fromErrno(err, what);
}

Result<std::vector<uint32_t>> attachedDevicePrograms(int cgroupDirFd) {
  std::vector<uint32_t> ids(64);
  for (int attempt = 0; attempt < 10; ++attempt) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.query.target_fd = static_cast<uint32_t>(cgroupDirFd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = ptr(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (bpf(BPF_PROG_QUERY, &attr) == 0) {
      ids.resize(attr.query.prog_cnt);
      return ids;
    }
    // ENOSPC: prog_cnt now says how many there are.
    if (errno != ENOSPC) return Error::fromErrno("query device cgroup programs (BPF_PROG_QUERY)");
    ids.resize(attr.query.prog_cnt + 8);
  }
  return Error::invalid("query device cgroup programs: the list keeps growing", EAGAIN);
}

Status attachDeviceProgram(int cgroupDirFd, int progFd) {
  std::vector<uint32_t> old = TRY(attachedDevicePrograms(cgroupDirFd));
  {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cgroupDirFd);
    attr.attach_bpf_fd = static_cast<uint32_t>(progFd);
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, &attr) < 0) {
      return Error::fromErrno(
          "attach device cgroup program (BPF_PROG_ATTACH BPF_CGROUP_DEVICE BPF_F_ALLOW_MULTI)");
    }
  }
  // The new filter is in place: now the old ones can go.
  for (uint32_t id : old) {
    bpf_attr get;
    std::memset(&get, 0, sizeof get);
    get.prog_id = id;
    int fd = static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, &get));
    if (fd < 0) {
      if (errno == EPERM || errno == EACCES || errno == ENOENT) continue;
      return Error::fromErrno("open old device cgroup program " + std::to_string(id));
    }
    UniqueFd old_fd(fd);
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cgroupDirFd);
    attr.attach_bpf_fd = static_cast<uint32_t>(old_fd.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT) {
      return Error::fromErrno("detach old device cgroup program " + std::to_string(id));
    }
  }
  return {};
}

Status applyDeviceRules(int cgroupDirFd, const spec::Resources& resources) {
  std::vector<DeviceRule> rules = TRY(effectiveDeviceRules(resources));
  UniqueFd prog = TRY(loadDeviceProgram(buildDeviceProgram(rules)));
  return attachDeviceProgram(cgroupDirFd, prog.get()).context("linux.resources.devices");
}

}  // namespace sangja::cgroups
