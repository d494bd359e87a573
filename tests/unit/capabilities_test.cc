#include "runtime/process/capabilities.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>

namespace sangja {
namespace {

constexpr uint64_t bit(int cap) {
  return uint64_t{1} << cap;
}

int kernelLastCap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int v = -1;
  in >> v;
  return v;
}

CapabilitySets sets(const spec::Capabilities& caps) {
  Result<CapabilitySets> r = capabilitySets(caps);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : CapabilitySets{};
}

TEST(Capabilities, EmptySets) {
  CapabilitySets s = sets({});
  EXPECT_EQ(s.bounding, 0u);
  EXPECT_EQ(s.effective, 0u);
  EXPECT_EQ(s.permitted, 0u);
  EXPECT_EQ(s.inheritable, 0u);
  EXPECT_EQ(s.ambient, 0u);
}

TEST(Capabilities, LastCapIsTheKernels) {
  int last = kernelLastCap();
  ASSERT_GT(last, 0) << "cannot read /proc/sys/kernel/cap_last_cap";
  EXPECT_EQ(sets({}).lastCap, last);
}

uint64_t effectiveFromProcStatus() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  }
  ADD_FAILURE() << "no CapEff line in /proc/self/status";
  return 0;
}

TEST(Capabilities, LastCapWalkFindsEveryKernelsLast) {
  for (int last : {0, 5, 37, 39, 40, 41, 45, 63}) {
    for (int guess : {0, 1, 40, 63}) {
      int calls = 0;
      auto known = [&](int cap) {
        ++calls;
        EXPECT_GE(cap, 0);
        EXPECT_LE(cap, kMaxCapability);
        return cap <= last;
      };
      EXPECT_EQ(lastCapabilityFrom(guess, known), last) << "guess " << guess;
      EXPECT_LE(calls, std::abs(guess - last) + 2) << "last " << last << " guess " << guess;
    }
  }
}

// A filter around sangja that refuses PR_CAPBSET_READ (EPERM) must not make
// every capability up to 63 look known (dropping them would then fail):
// the kernel's number comes from procfs. In a child: the filter stays.
TEST(Capabilities, LastCapWithTheProbeRefusedComesFromProcfs) {
  int expected = kernelLastCap();
  ASSERT_GT(expected, 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    scmp_arg_cmp capbsetRead{};  // field by field: clang warns on SCMP_A0's partial init
    capbsetRead.arg = 0;
    capbsetRead.op = SCMP_CMP_EQ;
    capbsetRead.datum_a = PR_CAPBSET_READ;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == nullptr ||
        seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl), 1, &capbsetRead) != 0 ||
        seccomp_load(ctx) != 0) {
      ::_exit(100);
    }
    if (::prctl(PR_CAPBSET_READ, 0, 0, 0, 0) != -1 || errno != EPERM) ::_exit(101);
    ::_exit(kernelLastCapability());
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_NE(WEXITSTATUS(status), 100) << "could not load the filter";
  ASSERT_NE(WEXITSTATUS(status), 101) << "the filter did not refuse PR_CAPBSET_READ";
  EXPECT_EQ(WEXITSTATUS(status), expected);
}

TEST(Capabilities, EffectiveSetMatchesProcStatus) {
  uint64_t eff = effectiveFromProcStatus();
  // As root some bit is set, so an answer that is always false fails here.
  if (::geteuid() == 0) {
    EXPECT_NE(eff, 0u) << "root without any effective capability";
  }
  for (int cap = 0; cap <= kMaxCapability; ++cap) {
    EXPECT_EQ(hasEffectiveCapability(cap), ((eff >> cap) & 1U) != 0) << "capability " << cap;
  }
  EXPECT_FALSE(hasEffectiveCapability(-1));
  EXPECT_FALSE(hasEffectiveCapability(kMaxCapability + 1));
}

TEST(Capabilities, NamesToBits) {
  spec::Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  caps.effective = {"CAP_KILL"};
  caps.permitted = {"CAP_SYS_ADMIN", "CAP_KILL"};
  caps.inheritable = {"CAP_DAC_OVERRIDE"};
  CapabilitySets s = sets(caps);
  EXPECT_EQ(s.bounding, bit(CAP_CHOWN) | bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(s.bounding, bit(0) | bit(5) | bit(10));
  EXPECT_EQ(s.effective, bit(CAP_KILL));
  EXPECT_EQ(s.permitted, bit(CAP_SYS_ADMIN) | bit(CAP_KILL));
  EXPECT_EQ(s.inheritable, bit(CAP_DAC_OVERRIDE));
  EXPECT_EQ(s.ambient, 0u);
}

TEST(Capabilities, DuplicatesAreHarmless) {
  spec::Capabilities caps;
  caps.bounding = {"CAP_KILL", "CAP_KILL"};
  EXPECT_EQ(sets(caps).bounding, bit(CAP_KILL));
}

TEST(Capabilities, HighestCapabilityThisKernelKnows) {
  int last = kernelLastCap();
  ASSERT_GE(last, 40) << "this kernel predates CAP_CHECKPOINT_RESTORE";
  spec::Capabilities caps;
  caps.permitted = {"CAP_CHECKPOINT_RESTORE", "CAP_BPF", "CAP_PERFMON"};
  EXPECT_EQ(sets(caps).permitted, bit(40) | bit(39) | bit(38));
}

std::string unknownError(spec::Capabilities caps) {
  Result<CapabilitySets> r = capabilitySets(caps);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code(), EINVAL);
  return r.error().message();
}

TEST(Capabilities, UnknownBoundingName) {
  spec::Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_NOPE"};
  EXPECT_EQ(unknownError(caps), "process.capabilities.bounding: unknown capability \"CAP_NOPE\"");
}

TEST(Capabilities, UnknownEffectiveName) {
  spec::Capabilities caps;
  caps.effective = {"CAP_BOGUS"};
  EXPECT_EQ(unknownError(caps), "process.capabilities.effective: unknown capability \"CAP_BOGUS\"");
}

TEST(Capabilities, UnknownPermittedName) {
  spec::Capabilities caps;
  caps.permitted = {"CAP_KILL", ""};
  EXPECT_EQ(unknownError(caps), "process.capabilities.permitted: unknown capability \"\"");
}

TEST(Capabilities, UnknownInheritableName) {
  spec::Capabilities caps;
  caps.inheritable = {"KILL"};
  EXPECT_EQ(unknownError(caps), "process.capabilities.inheritable: unknown capability \"KILL\"");
}

TEST(Capabilities, UnknownAmbientName) {
  spec::Capabilities caps;
  caps.ambient = {"CAP_WHATEVER"};
  EXPECT_EQ(unknownError(caps),
            "process.capabilities.ambient: unknown capability \"CAP_WHATEVER\"");
}

TEST(Capabilities, AmbientIsFilteredToPermittedAndInheritable) {
  spec::Capabilities caps;
  caps.permitted = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  caps.inheritable = {"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"};
  caps.ambient = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN", "CAP_NET_RAW"};
  CapabilitySets s = sets(caps);
  EXPECT_EQ(s.ambient, bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE));
  // The other sets are left as given.
  EXPECT_EQ(s.permitted, bit(CAP_CHOWN) | bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(s.inheritable, bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE) | bit(CAP_SYS_ADMIN));
}

// runc's default spec: ambient listed, inheritable empty -> no ambient caps.
TEST(Capabilities, AmbientWithoutInheritableIsDropped) {
  spec::Capabilities caps;
  caps.permitted = {"CAP_KILL", "CAP_AUDIT_WRITE"};
  caps.ambient = {"CAP_KILL", "CAP_AUDIT_WRITE"};
  EXPECT_EQ(sets(caps).ambient, 0u);
}

}  // namespace
}  // namespace sangja
