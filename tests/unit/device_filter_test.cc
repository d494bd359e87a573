// The device cgroup rules, their reference evaluator and the eBPF program.
//
// The program is checked two ways: a small interpreter for the instructions
// buildDeviceProgram emits runs it on every attempt of a table and must agree
// with evaluate(); and, where this process may (root, or CAP_BPF), the kernel
// loads it, so the verifier accepts it. (The kernel cannot run a loaded
// BPF_PROG_TYPE_CGROUP_DEVICE program without attaching it: BPF_PROG_TEST_RUN
// has no implementation for that type. The integration test opens devices in
// a container for that.)
#include "cgroups/device_filter.h"

#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace sangja::cgroups {
namespace {

constexpr unsigned R = kDevAccessRead;
constexpr unsigned W = kDevAccessWrite;
constexpr unsigned M = kDevAccessMknod;
constexpr unsigned RWM = kDevAccessAll;

DeviceRule allow(char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                 unsigned access = RWM) {
  return DeviceRule{true, type, major, minor, access};
}
DeviceRule deny(char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                unsigned access = RWM) {
  return DeviceRule{false, type, major, minor, access};
}

spec::DeviceCgroupRule specRule(bool allow, std::string type, std::optional<int64_t> major,
                                std::optional<int64_t> minor, std::string access) {
  spec::DeviceCgroupRule r;
  r.allow = allow;
  r.type = std::move(type);
  r.major = major;
  r.minor = minor;
  r.access = std::move(access);
  return r;
}

// ---- a tiny interpreter for the emitted instruction subset -------------------

// Runs prog on the context; returns r0, or -1 on an instruction it does not know
// or a jump out of the program.
int64_t interpret(const std::vector<bpf_insn>& prog, const bpf_cgroup_dev_ctx& ctx) {
  uint64_t reg[11] = {};
  unsigned char mem[sizeof ctx];
  std::memcpy(mem, &ctx, sizeof ctx);
  size_t pc = 0;
  for (int steps = 0; steps < 100000 && pc < prog.size(); ++steps) {
    const bpf_insn& i = prog[pc];
    uint32_t src32 = (BPF_SRC(i.code) == BPF_X) ? static_cast<uint32_t>(reg[i.src_reg])
                                                : static_cast<uint32_t>(i.imm);
    switch (BPF_CLASS(i.code)) {
      case BPF_LDX: {
        if (BPF_MODE(i.code) != BPF_MEM || BPF_SIZE(i.code) != BPF_W || i.src_reg != BPF_REG_1)
          return -1;
        if (i.off < 0 || static_cast<size_t>(i.off) + 4 > sizeof mem) return -1;
        uint32_t v;
        std::memcpy(&v, mem + i.off, 4);
        reg[i.dst_reg] = v;
        ++pc;
        break;
      }
      case BPF_ALU: {
        uint32_t d = static_cast<uint32_t>(reg[i.dst_reg]);
        switch (BPF_OP(i.code)) {
          case BPF_MOV:
            d = src32;
            break;
          case BPF_AND:
            d &= src32;
            break;
          case BPF_RSH:
            d >>= (src32 & 31);
            break;
          default:
            return -1;
        }
        reg[i.dst_reg] = d;  // 32-bit ops zero the upper half
        ++pc;
        break;
      }
      case BPF_JMP32: {
        uint32_t d = static_cast<uint32_t>(reg[i.dst_reg]);
        bool taken;
        switch (BPF_OP(i.code)) {
          case BPF_JNE:
            taken = d != src32;
            break;
          case BPF_JEQ:
            taken = d == src32;
            break;
          default:
            return -1;
        }
        pc += 1 + (taken ? i.off : 0);
        break;
      }
      case BPF_JMP: {
        if (BPF_OP(i.code) == BPF_EXIT) return static_cast<int64_t>(reg[0]);
        if (BPF_OP(i.code) == BPF_JA) {
          pc += 1 + i.off;
          break;
        }
        return -1;
      }
      default:
        return -1;
    }
  }
  return -1;
}

int64_t runProgram(const std::vector<bpf_insn>& prog, char type, uint32_t major, uint32_t minor,
                   unsigned access) {
  bpf_cgroup_dev_ctx ctx{};
  ctx.access_type = (access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  ctx.major = major;
  ctx.minor = minor;
  return interpret(prog, ctx);
}

// ---- the table ---------------------------------------------------------------

struct Attempt {
  char type;
  uint32_t major, minor;
  unsigned access;
  bool allowed;
};

struct Case {
  const char* name;
  std::vector<DeviceRule> rules;
  std::vector<Attempt> attempts;
};

std::vector<Case> table() {
  return {
      {"no rules deny everything",
       {},
       {{'c', 1, 3, R, false}, {'b', 8, 0, M, false}, {'c', 0, 0, 0, false}}},
      {"deny all", {deny('a', {}, {})}, {{'c', 1, 3, R | W, false}, {'b', 8, 0, R, false}}},
      {"allow all",
       {allow('a', {}, {})},
       {{'c', 1, 3, R | W, true}, {'b', 8, 0, M, true}, {'c', 4294967295u, 7, R, true}}},
      {"deny all then one char device",
       {deny('a', {}, {}), allow('c', 1, 3)},
       {{'c', 1, 3, R | W, true},
        {'c', 1, 3, M, true},
        {'b', 1, 3, R, false},
        {'c', 1, 4, R, false},
        {'c', 2, 3, R, false}}},
      {"partial access: read only",
       {deny('a', {}, {}), allow('c', 1, 5, R)},
       {{'c', 1, 5, R, true},
        {'c', 1, 5, W, false},
        {'c', 1, 5, R | W, false},
        {'c', 1, 5, M, false}}},
      {"partial access: rw, mknod elsewhere",
       {allow('c', 1, 5, R | W), allow('c', {}, {}, M)},
       {{'c', 1, 5, R | W, true},
        {'c', 9, 9, M, true},
        {'c', 9, 9, R, false},
        {'c', 1, 5, R | W | M, false}}},
      {"minor wildcard",
       {allow('c', 136, {})},
       {{'c', 136, 0, R | W, true},
        {'c', 136, 99, R, true},
        {'c', 137, 0, R, false},
        {'b', 136, 0, R, false}}},
      {"major wildcard",
       {allow('b', {}, 0, R)},
       {{'b', 8, 0, R, true},
        {'b', 259, 0, R, true},
        {'b', 8, 1, R, false},
        {'c', 8, 0, R, false}}},
      {"later deny wins over earlier allow",
       {allow('c', 1, {}), deny('c', 1, 3)},
       {{'c', 1, 3, R, false}, {'c', 1, 5, R, true}}},
      {"later allow wins over earlier deny",
       {deny('c', 1, 3), allow('c', 1, {})},
       {{'c', 1, 3, R, true}}},
      {"partial deny leaves the rest",
       {allow('c', 1, 3), deny('c', 1, 3, W)},
       {{'c', 1, 3, W, false}, {'c', 1, 3, R, true}, {'c', 1, 3, R | W, true}}},
      {"catch-all allow last hides everything before",
       {deny('c', 1, 3), allow('a', {}, {})},
       {{'c', 1, 3, R, true}, {'b', 1, 1, W, true}}},
      {"blacklist: allow all, deny one block device",
       {allow('a', {}, {}), deny('b', 8, {}, R | W)},
       {{'b', 8, 0, R, false}, {'b', 8, 0, M, true}, {'b', 9, 0, R, true}, {'c', 8, 0, R, true}}},
      {"type a with numbers",
       {deny('a', {}, {}), allow('a', 1, 3, R)},
       {{'c', 1, 3, R, true}, {'b', 1, 3, R, true}, {'c', 1, 3, W, false}}},
      {"large numbers are compared as 32-bit",
       {allow('c', 4294967295, 2147483648)},
       {{'c', 4294967295u, 2147483648u, R, true},
        {'c', 4294967295u, 0, R, false},
        {'c', 2147483647, 2147483648u, R, false}}},
      {"empty access asks for nothing",
       {allow('c', 1, 3, R)},
       {{'c', 1, 3, 0, true}, {'c', 1, 4, 0, false}}},
  };
}

TEST(DeviceFilter, EvaluateTable) {
  for (const Case& c : table()) {
    for (const Attempt& a : c.attempts) {
      EXPECT_EQ(evaluate(c.rules, a.type, a.major, a.minor, a.access), a.allowed)
          << c.name << ": " << a.type << " " << a.major << ":" << a.minor << " access " << a.access;
    }
  }
}

// Every attempt of every case, plus a grid of type x access around the
// numbers the rules name, through the interpreter.
TEST(DeviceFilter, ProgramAgreesWithEvaluate) {
  for (const Case& c : table()) {
    std::vector<bpf_insn> prog = buildDeviceProgram(c.rules);
    for (const Attempt& a : c.attempts) {
      EXPECT_EQ(runProgram(prog, a.type, a.major, a.minor, a.access), a.allowed ? 1 : 0)
          << c.name << ": " << a.type << " " << a.major << ":" << a.minor << " access " << a.access;
    }
    std::vector<uint32_t> numbers = {0, 1, 2, 3, 5, 8, 136, 4294967295u, 2147483648u};
    for (const DeviceRule& r : c.rules) {
      if (r.major) numbers.push_back(static_cast<uint32_t>(*r.major));
      if (r.minor) numbers.push_back(static_cast<uint32_t>(*r.minor));
    }
    for (char type : {'c', 'b'})
      for (uint32_t major : numbers)
        for (uint32_t minor : numbers)
          for (unsigned access = 0; access <= RWM; ++access) {
            ASSERT_EQ(runProgram(prog, type, major, minor, access),
                      evaluate(c.rules, type, major, minor, access) ? 1 : 0)
                << c.name << ": " << type << " " << major << ":" << minor << " access " << access;
          }
  }
}

TEST(DeviceFilter, CatchAllEndsTheProgram) {
  // Rules before a catch-all (in evaluation order: older ones) emit nothing.
  std::vector<bpf_insn> small = buildDeviceProgram({allow('a', {}, {})});
  std::vector<bpf_insn> big = buildDeviceProgram(
      {deny('c', 1, 3), deny('b', 8, 0), allow('c', 5, {}, R), allow('a', {}, {})});
  EXPECT_EQ(small.size(), big.size());
  EXPECT_EQ(runProgram(big, 'c', 1, 3, R), 1);
}

TEST(DeviceFilter, ParseAccess) {
  EXPECT_EQ(parseDeviceAccess(""), RWM);
  EXPECT_EQ(parseDeviceAccess("rwm"), RWM);
  EXPECT_EQ(parseDeviceAccess("r"), R);
  EXPECT_EQ(parseDeviceAccess("wm"), W | M);
}

TEST(DeviceFilter, EffectiveRulesOrder) {
  spec::Resources res;
  res.devices = {specRule(false, "", std::nullopt, std::nullopt, "rwm"),
                 specRule(true, "c", 10, std::nullopt, "r"), specRule(true, "b", -1, 0, "")};
  auto rules = effectiveDeviceRules(res);
  ASSERT_TRUE(rules.ok()) << rules.error().message();
  std::vector<DeviceRule> want = {
      deny('a', {}, {}),
      allow('c', 10, {}, R),
      allow('b', {}, 0, RWM),
      // runc's AllowedDevices, in its order.
      allow('c', {}, {}, M),
      allow('b', {}, {}, M),
      allow('c', 1, 3),
      allow('c', 1, 8),
      allow('c', 1, 7),
      allow('c', 5, 0),
      allow('c', 1, 5),
      allow('c', 1, 9),
      allow('c', 136, {}),
      allow('c', 5, 2),
      allow('c', 10, 200),
  };
  EXPECT_EQ(*rules, want);
}

// linux.devices widen nothing (as with runc): an operator's deny-all holds
// for them; only the default devices are allowed implicitly.
TEST(DeviceFilter, EffectiveRulesOfADenyAllConfig) {
  spec::Resources res;
  res.devices = {specRule(false, "a", std::nullopt, std::nullopt, "rwm")};
  auto rules = effectiveDeviceRules(res);
  ASSERT_TRUE(rules.ok()) << rules.error().message();
  ASSERT_EQ(rules->size(), 1u + 11u);  // deny + the defaults

  // What the default config gives a container.
  EXPECT_TRUE(evaluate(*rules, 'c', 1, 3, R | W));    // /dev/null
  EXPECT_TRUE(evaluate(*rules, 'c', 1, 9, R));        // /dev/urandom
  EXPECT_TRUE(evaluate(*rules, 'c', 136, 4, R | W));  // a pty
  EXPECT_TRUE(evaluate(*rules, 'b', 8, 1, M));        // mknod is allowed ...
  EXPECT_FALSE(evaluate(*rules, 'b', 8, 1, R));       // ... opening is not
  EXPECT_FALSE(evaluate(*rules, 'b', 8, 0, R | W));   // a disk, even listed in linux.devices
  EXPECT_FALSE(evaluate(*rules, 'c', 4, 1, W));       // a tty
  EXPECT_FALSE(evaluate(*rules, 'c', 1, 1, R));       // /dev/mem
  EXPECT_FALSE(evaluate(*rules, 'c', 5, 1, R | W));   // /dev/console (not in runc's list)
}

TEST(DeviceFilter, EffectiveRulesErrors) {
  spec::Resources res;
  res.devices = {specRule(true, "c", 4294967296, 0, "r")};
  auto rules = effectiveDeviceRules(res);
  ASSERT_FALSE(rules.ok());
  EXPECT_NE(rules.error().message().find("linux.resources.devices[0].major"), std::string::npos)
      << rules.error().message();

  res.devices = {specRule(true, "x", 1, 0, "r")};
  EXPECT_FALSE(effectiveDeviceRules(res).ok());
}

// ---- the kernel ----------------------------------------------------------------

// Loads the program of every case (and of the default config's rules); skips
// loudly when this process may not load BPF programs.
TEST(DeviceFilter, KernelLoadsEveryProgram) {
  auto probe = loadDeviceProgram(buildDeviceProgram({}));
  if (!probe.ok() && (probe.error().code() == EPERM || probe.error().code() == EACCES ||
                      probe.error().code() == ENOSYS)) {
    std::cerr << "\n*** SKIPPING the kernel half of the device filter test: "
              << probe.error().message() << " ***\n\n";
    GTEST_SKIP() << "cannot load BPF programs here: " << probe.error().message();
  }
  ASSERT_TRUE(probe.ok()) << probe.error().message();
  for (const Case& c : table()) {
    auto fd = loadDeviceProgram(buildDeviceProgram(c.rules));
    EXPECT_TRUE(fd.ok()) << c.name << ": " << fd.error().message();
  }
  spec::Resources res;
  res.devices = {specRule(false, "", std::nullopt, std::nullopt, "rwm")};
  auto rules = effectiveDeviceRules(res);
  ASSERT_TRUE(rules.ok());
  auto fd = loadDeviceProgram(buildDeviceProgram(*rules));
  EXPECT_TRUE(fd.ok()) << fd.error().message();
}

TEST(DeviceFilter, KernelRejectsABadProgramWithItsLog) {
  // A program without an exit.
  std::vector<bpf_insn> prog = buildDeviceProgram({});
  prog.pop_back();
  auto fd = loadDeviceProgram(prog);
  if (!fd.ok() && (fd.error().code() == EPERM || fd.error().code() == ENOSYS)) {
    GTEST_SKIP() << "cannot load BPF programs here: " << fd.error().message();
  }
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.error().message().find("BPF_PROG_LOAD"), std::string::npos) << fd.error().message();
}

}  // namespace
}  // namespace sangja::cgroups
