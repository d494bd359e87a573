// linux.resources -> systemd unit properties, against runc's conversion rules.
#include "cgroups/systemd_properties.h"

#include "cgroups/resources.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace sangja::cgroups {
namespace {

const UnitHostFacts kV2{CgroupMode::kUnified, {}};
const UnitHostFacts kV1{CgroupMode::kHybrid, {}};

std::vector<UnitProperty> props(const spec::Resources& r, const UnitHostFacts& host = kV2) {
  Result<std::vector<UnitProperty>> p = unitPropertiesFor(r, host);
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? *p : std::vector<UnitProperty>{};
}

// The value of one property, or nullopt when it is not set.
std::optional<UnitValue> valueOf(const std::vector<UnitProperty>& ps, std::string_view name) {
  auto it =
      std::find_if(ps.begin(), ps.end(), [&](const UnitProperty& p) { return p.name == name; });
  if (it == ps.end()) return std::nullopt;
  return it->value;
}

uint64_t u64(const std::vector<UnitProperty>& ps, std::string_view name) {
  std::optional<UnitValue> v = valueOf(ps, name);
  EXPECT_TRUE(v && std::holds_alternative<uint64_t>(*v)) << name << " missing or not t";
  return v && std::holds_alternative<uint64_t>(*v) ? std::get<uint64_t>(*v) : 0;
}

spec::Resources withCpu(std::optional<uint64_t> shares, std::optional<int64_t> quota = {},
                        std::optional<uint64_t> period = {}, std::string cpus = "",
                        std::string mems = "") {
  spec::Resources r;
  r.cpu.emplace();
  r.cpu->shares = shares;
  r.cpu->quota = quota;
  r.cpu->period = period;
  r.cpu->cpus = std::move(cpus);
  r.cpu->mems = std::move(mems);
  return r;
}

spec::Memory memory(std::optional<int64_t> limit, std::optional<int64_t> swap,
                    std::optional<int64_t> reservation = std::nullopt) {
  spec::Memory m;
  m.limit = limit;
  m.swap = swap;
  m.reservation = reservation;
  return m;
}

DeviceRule rule(bool allow, char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                unsigned access = kDevAccessAll) {
  DeviceRule d;
  d.allow = allow;
  d.type = type;
  d.major = major;
  d.minor = minor;
  d.access = access;
  return d;
}

TEST(SystemdProperties, MemoryLimitsBecomeMemoryMaxLowAndSwapAlone) {
  spec::Resources r;
  r.memory = memory(64 << 20, 96 << 20, 32 << 20);
  std::vector<UnitProperty> p = props(r);
  EXPECT_EQ(u64(p, "MemoryMax"), 64u << 20);
  EXPECT_EQ(u64(p, "MemoryLow"), 32u << 20);
  EXPECT_EQ(u64(p, "MemorySwapMax"), 32u << 20);  // memory+swap less memory
}

TEST(SystemdProperties, UnlimitedIsInfinity) {
  spec::Resources r;
  r.memory = memory(-1, -1);
  r.pids.emplace().limit = -1;
  r.cpu = withCpu({}, -1).cpu;
  std::vector<UnitProperty> p = props(r);
  EXPECT_EQ(u64(p, "MemoryMax"), kUnitInfinity);
  EXPECT_EQ(u64(p, "MemorySwapMax"), kUnitInfinity);
  EXPECT_EQ(u64(p, "TasksMax"), kUnitInfinity);
  EXPECT_EQ(u64(p, "CPUQuotaPerSecUSec"), kUnitInfinity);
}

TEST(SystemdProperties, SwapBelowTheLimitIsRefusedByName) {
  spec::Resources r;
  r.memory = memory(64 << 20, 32 << 20);
  Result<std::vector<UnitProperty>> p = unitPropertiesFor(r, kV2);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("linux.resources.memory.swap"), std::string::npos);
}

TEST(SystemdProperties, SharesBecomeCpuWeightAsTheFilesDo) {
  for (uint64_t shares : {2u, 512u, 1024u, 262144u}) {
    EXPECT_EQ(u64(props(withCpu(shares)), "CPUWeight"), cpuSharesToWeight(shares)) << shares;
  }
  EXPECT_EQ(u64(props(withCpu(1024)), "CPUWeight"), 100u);  // both defaults
}

// runc: quota * 1s / period, rounded up to whole 10 ms (systemd keeps a
// percentage); the period defaults to 100 ms.
TEST(SystemdProperties, QuotaIsPerSecondRoundedUpToTenMilliseconds) {
  EXPECT_EQ(u64(props(withCpu({}, 50000, 100000)), "CPUQuotaPerSecUSec"), 500000u);
  EXPECT_EQ(u64(props(withCpu({}, 50000, 100000)), "CPUQuotaPeriodUSec"), 100000u);
  EXPECT_EQ(u64(props(withCpu({}, 12345, 100000)), "CPUQuotaPerSecUSec"), 130000u);
  EXPECT_EQ(u64(props(withCpu({}, 1000, 1000000)), "CPUQuotaPerSecUSec"), 10000u);
  EXPECT_EQ(u64(props(withCpu({}, 20000)), "CPUQuotaPerSecUSec"), 200000u);
  EXPECT_FALSE(valueOf(props(withCpu({}, 20000)), "CPUQuotaPeriodUSec"));
  EXPECT_EQ(u64(props(withCpu({}, 300000, 100000)), "CPUQuotaPerSecUSec"),
            3000000u);  // three CPUs
}

TEST(SystemdProperties, CpusetsAreByteMasks) {
  std::vector<UnitProperty> p = props(withCpu({}, {}, {}, "0,2-3,9", "0"));
  EXPECT_EQ(valueOf(p, "AllowedCPUs"), UnitValue(std::vector<uint8_t>{0x0d, 0x02}));
  EXPECT_EQ(valueOf(p, "AllowedMemoryNodes"), UnitValue(std::vector<uint8_t>{0x01}));
  Result<std::vector<UnitProperty>> bad = unitPropertiesFor(withCpu({}, {}, {}, "3-1"), kV2);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("linux.resources.cpu.cpus"), std::string::npos);
}

TEST(SystemdProperties, PidsAndIoWeight) {
  spec::Resources r;
  r.pids.emplace().limit = 77;
  r.blockIO.emplace().weight = 500;
  std::vector<UnitProperty> p = props(r);
  EXPECT_EQ(u64(p, "TasksMax"), 77u);
  EXPECT_EQ(u64(p, "IOWeight"), blkioWeightToIoWeight(500));
}

TEST(SystemdProperties, UnsetFieldsGiveNoProperty) {
  std::vector<UnitProperty> p = props(spec::Resources{});
  for (const char* name :
       {"MemoryMax", "CPUWeight", "CPUQuotaPerSecUSec", "TasksMax", "IOWeight", "AllowedCPUs"}) {
    EXPECT_FALSE(valueOf(p, name)) << name;
  }
}

TEST(SystemdProperties, V1HostsGetV1Names) {
  spec::Resources r;
  r.memory = memory(1 << 20, 2 << 20);
  r.cpu = withCpu(512, {}, {}, "0").cpu;
  r.blockIO.emplace().weight = 300;
  std::vector<UnitProperty> p = props(r, kV1);
  EXPECT_EQ(u64(p, "MemoryLimit"), 1u << 20);
  EXPECT_EQ(u64(p, "CPUShares"), 512u);
  EXPECT_EQ(u64(p, "BlockIOWeight"), 300u);
  for (const char* name : {"MemoryMax", "MemorySwapMax", "CPUWeight", "IOWeight", "AllowedCPUs"}) {
    EXPECT_FALSE(valueOf(p, name)) << name;
  }
}

TEST(SystemdProperties, ProcDevicesNamesMajors) {
  DeviceMajors m = parseProcDevices(
      "Character devices:\n  1 mem\n  4 /dev/vc/0\n  4 tty\n136 pts\n\nBlock devices:\n"
      "  7 loop\n259 blkext\n");
  EXPECT_EQ(m.character.at(1), "mem");
  EXPECT_EQ(m.character.at(4), "/dev/vc/0");
  EXPECT_EQ(m.character.at(136), "pts");
  EXPECT_EQ(m.block.at(7), "loop");
  EXPECT_EQ(m.block.count(1), 0u);
}

TEST(SystemdProperties, DeviceRulesBecomeAStrictAllowList) {
  DeviceMajors majors{{{136, "pts"}}, {}};
  std::vector<DeviceRule> rules = {
      rule(false, 'a', {}, {}),
      rule(true, 'c', 1, 3),
      rule(true, 'c', 136, {}, kDevAccessRead | kDevAccessWrite),
      rule(true, 'c', 999, {}, kDevAccessRead),  // no name known
      rule(true, 'b', {}, {}, kDevAccessMknod),
      rule(false, 'c', 1, 3),  // a hole systemd cannot express
  };
  std::vector<UnitProperty> p = devicePropertiesFor(rules, majors);
  EXPECT_EQ(valueOf(p, "DevicePolicy"), UnitValue(std::string("strict")));
  EXPECT_EQ(valueOf(p, "DeviceAllow"),
            UnitValue(DeviceAllowList{
                {"/dev/char/1:3", "rwm"}, {"char-pts", "rw"}, {"char-*", "r"}, {"block-*", "m"}}));
}

TEST(SystemdProperties, AllowingEveryDeviceIsPolicyAuto) {
  std::vector<DeviceRule> rules = {rule(true, 'a', {}, {}), rule(false, 'c', 10, 200)};
  std::vector<UnitProperty> p = devicePropertiesFor(rules, {});
  EXPECT_EQ(valueOf(p, "DevicePolicy"), UnitValue(std::string("auto")));
  EXPECT_EQ(valueOf(p, "DeviceAllow"), UnitValue(DeviceAllowList{}));
}

TEST(SystemdProperties, AnAnyTypeRuleAllowsBothTypes) {
  std::vector<DeviceRule> rules = {rule(true, 'a', 5, 1, kDevAccessRead)};
  EXPECT_EQ(valueOf(devicePropertiesFor(rules, {}), "DeviceAllow"),
            UnitValue(DeviceAllowList{{"/dev/char/5:1", "r"}, {"/dev/block/5:1", "r"}}));
}

TEST(SystemdProperties, DeviceRulesBringTheDefaultDevices) {
  EXPECT_FALSE(valueOf(props(spec::Resources{}), "DevicePolicy"));  // as the files' driver
  spec::Resources r;
  r.devices.emplace_back().allow = false;  // deny all
  std::vector<UnitProperty> p = props(r);
  EXPECT_EQ(valueOf(p, "DevicePolicy"), UnitValue(std::string("strict")));
  auto allow = std::get<DeviceAllowList>(*valueOf(p, "DeviceAllow"));
  EXPECT_NE(std::find(allow.begin(), allow.end(),
                      std::pair<std::string, std::string>("/dev/char/1:3", "rwm")),
            allow.end());
}

}  // namespace
}  // namespace sangja::cgroups
