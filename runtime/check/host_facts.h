// `sangja check`: what a host offers containers, as plain data. Every file
// is read below a root prefix, so that unit tests can point the gathering
// at a recorded tree (tests/unit/fixtures/check/); what needs a syscall
// probe comes from kernel_probes.h and is stored here too (tests set it).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cgroups/layout.h"
#include "cgroups/resources_v1.h"
#include "runtime/check/kernel_probes.h"

namespace sangja::check {

// Where and for whom the facts are gathered.
struct HostPaths {
  std::string root = "/";  // prefix of every file read
  uid_t uid = 0;           // the caller (its effective ids)
  gid_t gid = 0;
  // Where helper programs (newuidmap, criu) are looked for, below root.
  std::string searchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  // This process: root "/", its effective ids, the default search path
  // followed by $PATH.
  static HostPaths forThisProcess();
};

// One range of an /etc/subuid or /etc/subgid line.
struct IdRange {
  uint32_t start = 0;
  uint32_t count = 0;
  bool operator==(const IdRange&) const = default;
};

// newuidmap / newgidmap as found on the search path.
struct IdMapHelper {
  std::string path;  // "" when not found
  bool setuidRoot = false;
  bool fileCaps = false;  // a security.capability xattr
  bool usable() const { return !path.empty() && (setuidRoot || fileCaps); }
  bool operator==(const IdMapHelper&) const = default;
};

// One directory on the way from the cgroup v2 root to the caller's own
// cgroup, as the delegation rule needs it.
struct CgroupDir {
  std::string path;  // below the hierarchy root: "/", "/user.slice"
  uid_t owner = 0;   // of the directory
  // cgroup.procs: its owner, group and mode bits (mode 0: absent).
  uid_t procsOwner = 0;
  gid_t procsGroup = 0;
  mode_t procsMode = 0;
  std::vector<std::string> controllers;  // cgroup.controllers
  bool operator==(const CgroupDir&) const = default;
};

struct HostFacts {
  // The caller.
  uid_t uid = 0;
  gid_t gid = 0;
  std::string userName;  // from etc/passwd; "" if it has no entry
  std::string kernelRelease;

  // cgroups: the layout (nullopt, with cgroupError, when nothing is
  // mounted under /sys/fs/cgroup).
  std::optional<cgroups::CgroupLayout> cgroupLayout;
  std::string cgroupError;
  std::string cgroup2Options;                   // the v2 mount's super options
  std::vector<std::string> cgroup2Controllers;  // the v2 root's cgroup.controllers
  std::string ownCgroup;                        // the "0::" line of proc/self/cgroup
  std::vector<CgroupDir> ownCgroupChain;        // the v2 root first, the own cgroup last
  // memory.swap.max exists below the v2 root (swap accounting).
  bool cgroup2SwapAccounting = false;
  cgroups::V1Facts v1;  // the v1 hierarchies' optional files

  // systemd.
  bool systemdRunning = false;  // run/systemd/system exists
  std::string pid1Name;         // proc/1/comm
  std::string systemdVersion;   // "252"; "" when not found

  // Namespaces: the kinds in proc/self/ns ("cgroup", "ipc", "mnt", "net",
  // "pid", "time", "user", "uts").
  std::vector<std::string> namespaceKinds;
  bool hasNamespaceKind(std::string_view kind) const;
  std::optional<long> maxUserNamespaces;                   // proc/sys/user/max_user_namespaces
  std::optional<long> unprivilegedUsernsClone;             // Debian's and Ubuntu's sysctl
  std::optional<long> apparmorRestrictUnprivilegedUserns;  // Ubuntu 23.10+
  bool subuidFile = false;                                 // etc/subuid exists
  bool subgidFile = false;
  std::vector<IdRange> subuid;  // the caller's, by name or by uid
  std::vector<IdRange> subgid;
  IdMapHelper newuidmap;
  IdMapHelper newgidmap;

  // Seccomp: the Seccomp field of proc/self/status (nullopt: no such
  // field, a kernel without CONFIG_SECCOMP).
  std::optional<int> seccompMode;

  // LSMs: sys/kernel/security/lsm (nullopt: securityfs not mounted).
  std::optional<std::vector<std::string>> lsms;
  bool apparmorEnabled = false;  // sys/module/apparmor/parameters/enabled is Y
  std::string selinuxMode;       // "enforcing", "permissive", or "" (not enabled)

  // Filesystems and tools.
  bool overlayfs = false;  // in proc/filesystems
  std::string criuPath;    // "" when not on the search path

  KernelProbes kernel;
};

// Reads every file fact below paths.root. Missing files are facts (absent
// features), not errors; only a root that is not a directory is an error.
Result<HostFacts> gatherHostFacts(const HostPaths& paths);

// Pure: the caller's ranges in an /etc/subuid or /etc/subgid text, matched
// by user name or by decimal uid (comments and bad lines are skipped).
std::vector<IdRange> parseSubIdFile(std::string_view text, std::string_view name, uint32_t id);

// Pure: the name of uid in /etc/passwd's text, "" if none.
std::string userNameOf(std::string_view passwd, uid_t uid);

// Pure: the "0::PATH" entry of /proc/PID/cgroup, nullopt if none.
std::optional<std::string> unifiedCgroupPath(std::string_view procCgroup);

// Pure: the systemd version in a libsystemd-shared-NNN.so file name, or
// "" when name is not one.
std::string systemdVersionFromLibrary(std::string_view name);

// The cgroup delegated to the caller (cgroup v2): root gets all; anyone
// else the highest ancestor of their own cgroup, walking up from it, that
// they own and whose cgroup.procs they may write. Pure.
struct Delegation {
  bool all = false;  // root
  std::string path;  // "" with all
  std::vector<std::string> controllers;
  bool operator==(const Delegation&) const = default;
};
std::optional<Delegation> delegatedCgroup(const HostFacts& facts);

// Pure: whether the caller may create a user namespace on this host, and
// if not, why (the sysctl that forbids it).
struct UsernsVerdict {
  bool allowed = false;
  std::string reason;
};
UsernsVerdict userNamespacesFor(const HostFacts& facts);

// Pure: "6.1.0-13-amd64" -> {6, 1}; {0, 0} when it does not parse.
std::pair<int, int> kernelVersion(std::string_view release);

}  // namespace sangja::check
