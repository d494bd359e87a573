// Recorded hosts for the `sangja check` tests (tests/unit/fixtures/check/):
//   hybrid          this repository's CI host, recorded (v1 controllers,
//                   cgroup2 at /sys/fs/cgroup/unified, no systemd as pid 1)
//   unified-systemd Debian 12, systemd 252, pure cgroup v2 (nsdelegate,
//                   memory_recursiveprot); uid 1000 in a scope below
//                   user@1000.service
//   no-userns       Ubuntu 20.04 (5.4) hardened: user.max_user_namespaces=0,
//                   unprivileged_userns_clone=0, no /etc/subuid, legacy cgroups
// Only the files gatherHostFacts reads are there. Git keeps neither owners
// nor setuid bits: tests set those facts themselves, as the host had them.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "runtime/check/host_facts.h"

namespace sangja::check::testing {

inline std::string fixtureRoot(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / "fixtures" / "check" / name).string();
}

inline HostFacts gatherFixture(const std::string& name, uid_t uid, gid_t gid) {
  HostPaths paths;
  paths.root = fixtureRoot(name);
  paths.uid = uid;
  paths.gid = gid;
  Result<HostFacts> facts = gatherHostFacts(paths);
  if (!facts.ok()) throw std::runtime_error(facts.error().message());
  return std::move(facts).value();
}

// A kernel of today: every probe says yes.
inline KernelProbes modernKernel() {
  KernelProbes k;
  for (Probe* p : {&k.clone3, &k.pidfdOpen, &k.openat2, &k.closeRange, &k.mountSetattr,
                   &k.idmappedMounts, &k.bpfDeviceFilter, &k.seccomp}) {
    *p = Probe::yes();
  }
  k.idmapProbeDir = "/tmp";
  k.seccompActions = {"SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                      "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
                      "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
  k.seccompFlags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                    "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  k.libseccompVersion = "2.5.4";
  return k;
}

// Debian 12's ownership below /sys/fs/cgroup: the slices are root's,
// user@1000.service and everything in it belong to uid 1000 (systemd
// chowns the directory and its cgroup.procs when it delegates).
inline void ownLikeDebian(HostFacts& f) {
  for (CgroupDir& d : f.ownCgroupChain) {
    bool delegated = d.path.find("/user@1000.service") != std::string::npos;
    d.owner = delegated ? 1000 : 0;
    d.procsOwner = delegated ? 1000 : 0;
    d.procsGroup = delegated ? 1000 : 0;
    d.procsMode = 0644;
  }
}

}  // namespace sangja::check::testing
