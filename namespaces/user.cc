#include "namespaces/user.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <tuple>

#include "base/child_steps.h"
#include "base/file.h"
#include "base/spawn.h"

namespace sangja::ns {

namespace {

constexpr uint64_t kIdLimit = 0xFFFFFFFFull;  // (uid_t)-1 is never a valid id

std::string rangeText(uint64_t first, uint64_t size) {
  return std::to_string(first) + "-" + std::to_string(first + size - 1);
}

bool overlaps(uint64_t a, uint64_t aSize, uint64_t b, uint64_t bSize) {
  return a < b + bSize && b < a + aSize;
}

Status writeProcFile(pid_t pid, const char* name, std::string_view text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd = TRY(openFile(path, O_WRONLY));
  return writeAll(fd.get(), text, path);
}

Status checkMapped(const std::vector<spec::IdMapping>& mappings, uint32_t id,
                   const std::string& what, const char* mapsPath) {
  if (isMapped(mappings, id)) return {};
  return Error::invalid(what + ": " + std::to_string(id) + " is not mapped by " + mapsPath);
}

// Child side (a fork of the parent): copies a /proc file into fd.
bool copyProcFile(const char* path, int out) {
  char buf[16384];
  int in = ::open(path, O_RDONLY | O_CLOEXEC);
  if (in < 0) return false;
  ssize_t n;
  while ((n = ::read(in, buf, sizeof buf)) > 0) {
    if (::write(out, buf, static_cast<size_t>(n)) != n) return false;
  }
  ::close(in);
  return n == 0;
}

}  // namespace

Result<std::string> renderIdMap(const std::vector<spec::IdMapping>& mappings,
                                std::string_view jsonPath) {
  std::string where(jsonPath);
  if (mappings.empty()) return Error::invalid(where + ": needs at least one mapping");
  if (mappings.size() > kMaxIdMapLines) {
    return Error::invalid(where + ": " + std::to_string(mappings.size()) +
                          " mappings; the kernel takes at most " + std::to_string(kMaxIdMapLines));
  }
  std::string text;
  for (size_t i = 0; i < mappings.size(); ++i) {
    const spec::IdMapping& m = mappings[i];
    std::string at = where + "[" + std::to_string(i) + "]";
    if (m.size == 0) return Error::invalid(at + ": size must be at least 1");
    uint64_t size = m.size;
    if (m.containerID + size > kIdLimit) {
      return Error::invalid(at + ": containerID " + std::to_string(m.containerID) + " + size " +
                            std::to_string(m.size) + " goes past the largest id 4294967294");
    }
    if (m.hostID + size > kIdLimit) {
      return Error::invalid(at + ": hostID " + std::to_string(m.hostID) + " + size " +
                            std::to_string(m.size) + " goes past the largest id 4294967294");
    }
    for (size_t j = 0; j < i; ++j) {
      const spec::IdMapping& o = mappings[j];
      std::string other = where + "[" + std::to_string(j) + "]";
      if (overlaps(m.containerID, size, o.containerID, o.size)) {
        return Error::invalid(at + ": containerID range " + rangeText(m.containerID, size) +
                              " overlaps " + other + " (" + rangeText(o.containerID, o.size) + ")");
      }
      if (overlaps(m.hostID, size, o.hostID, o.size)) {
        return Error::invalid(at + ": hostID range " + rangeText(m.hostID, size) + " overlaps " +
                              other + " (" + rangeText(o.hostID, o.size) + ")");
      }
    }
    text += std::to_string(m.containerID) + " " + std::to_string(m.hostID) + " " +
            std::to_string(m.size) + "\n";
  }
  return text;
}

Result<std::vector<spec::IdMapping>> parseIdMap(std::string_view text) {
  std::vector<spec::IdMapping> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string line(text.substr(pos, eol - pos));
    pos = eol + 1;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    uint64_t v[3];
    const char* p = line.c_str();
    for (uint64_t& x : v) {
      char* end;
      errno = 0;
      x = std::strtoull(p, &end, 10);
      if (end == p || errno != 0 || x > kIdLimit) {
        return Error::invalid("id map line \"" + line + "\": expected three numbers");
      }
      p = end;
    }
    if (std::string_view(p).find_first_not_of(" \t") != std::string_view::npos) {
      return Error::invalid("id map line \"" + line + "\": expected three numbers");
    }
    out.push_back(spec::IdMapping{static_cast<uint32_t>(v[0]), static_cast<uint32_t>(v[1]),
                                  static_cast<uint32_t>(v[2])});
  }
  return out;
}

bool isMapped(const std::vector<spec::IdMapping>& mappings, uint32_t containerId) {
  for (const spec::IdMapping& m : mappings) {
    if (containerId >= m.containerID && containerId - m.containerID < m.size) return true;
  }
  return false;
}

bool sameMappings(std::vector<spec::IdMapping> a, std::vector<spec::IdMapping> b) {
  auto key = [](const spec::IdMapping& m) { return std::tie(m.containerID, m.hostID, m.size); };
  auto less = [&](const spec::IdMapping& x, const spec::IdMapping& y) { return key(x) < key(y); };
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  return a == b;
}

Result<UserPlan> planUserNamespace(const spec::Config& config, const NamespacePlan& namespaces,
                                   bool privileged, const IdGrants* grants,
                                   const std::vector<spec::IdMapping>* joinedUidMap,
                                   const std::vector<spec::IdMapping>* joinedGidMap) {
  static const std::vector<spec::IdMapping> kNone;
  const auto& uids = config.linux ? config.linux->uidMappings : kNone;
  const auto& gids = config.linux ? config.linux->gidMappings : kNone;
  bool fresh = namespaces.hasNew(CLONE_NEWUSER);
  bool joined = namespaces.userNsToJoin.valid();
  UserPlan plan;
  if (!fresh && !joined) {
    if (!uids.empty()) {
      return Error::invalid("linux.uidMappings: needs a user namespace in linux.namespaces");
    }
    if (!gids.empty()) {
      return Error::invalid("linux.gidMappings: needs a user namespace in linux.namespaces");
    }
    return plan;
  }
  plan.becomeRoot = true;
  if (joined) {
    // containerd repeats the joined namespace's maps in the config: fine
    // when they match, an error when they do not (as runc).
    if (!uids.empty() && (joinedUidMap == nullptr || !sameMappings(uids, *joinedUidMap))) {
      return Error::invalid(
          "linux.uidMappings: differ from the maps of the user namespace joined by path "
          "(give a path or mappings, not both)");
    }
    if (!gids.empty() && (joinedGidMap == nullptr || !sameMappings(gids, *joinedGidMap))) {
      return Error::invalid(
          "linux.gidMappings: differ from the maps of the user namespace joined by path "
          "(give a path or mappings, not both)");
    }
    return plan;
  }
  if (uids.empty()) {
    return Error::invalid("linux.uidMappings: a new user namespace needs uid mappings");
  }
  if (gids.empty()) {
    return Error::invalid("linux.gidMappings: a new user namespace needs gid mappings");
  }
  plan.uidMap = TRY(renderIdMap(uids, "linux.uidMappings"));
  plan.gidMap = TRY(renderIdMap(gids, "linux.gidMappings"));
  // The init becomes root inside before it builds the rootfs (runc needs
  // a root mapping too).
  TRY(checkMapped(uids, 0, "container root uid", "linux.uidMappings"));
  TRY(checkMapped(gids, 0, "container root gid", "linux.gidMappings"));
  if (config.process) {
    const spec::User& user = config.process->user;
    TRY(checkMapped(uids, user.uid, "process.user.uid", "linux.uidMappings"));
    TRY(checkMapped(gids, user.gid, "process.user.gid", "linux.gidMappings"));
    for (size_t i = 0; i < user.additionalGids.size(); ++i) {
      TRY(checkMapped(gids, user.additionalGids[i],
                      "process.user.additionalGids[" + std::to_string(i) + "]",
                      "linux.gidMappings"));
    }
  }
  if (!privileged && grants != nullptr) {
    if (!mapsOnlyOwnId(uids, grants->uids.ownId)) {
      TRY(checkGranted(uids, grants->uids, "linux.uidMappings"));
      plan.uidsViaHelper = uids;
    }
    if (!mapsOnlyOwnId(gids, grants->gids.ownId)) {
      TRY(checkGranted(gids, grants->gids, "linux.gidMappings"));
      plan.gidsViaHelper = gids;
    }
  }
  // The kernel takes an unprivileged gid_map only once setgroups is denied.
  plan.denySetgroups = !privileged && plan.gidsViaHelper.empty();
  if (plan.denySetgroups && config.process && !config.process->user.additionalGids.empty()) {
    return Error::invalid(
        "process.user.additionalGids: cannot be set without privilege: setgroups is denied in "
        "the user namespace (map more than the caller's own gid, from /etc/subgid, to allow it)");
  }
  return plan;
}

Result<UserPlan> planUser(const spec::Config& config, const NamespacePlan& namespaces) {
  bool privileged = !namespaces.has(CLONE_NEWUSER) || ::geteuid() == 0;
  std::optional<IdGrants> grants;
  if (!privileged && !namespaces.userNsToJoin) {
    grants = IdGrants{TRY(readGrant("/etc/subuid", ::geteuid(), ::geteuid())),
                      TRY(readGrant("/etc/subgid", ::getegid(), ::geteuid()))};
  }
  const IdGrants* granted = grants ? &*grants : nullptr;
  bool repeated =
      config.linux && (!config.linux->uidMappings.empty() || !config.linux->gidMappings.empty());
  if (!namespaces.userNsToJoin || !repeated) {
    return planUserNamespace(config, namespaces, privileged, granted);
  }
  std::vector<spec::IdMapping> uids, gids;
  TRY(readIdMaps(namespaces.userNsToJoin.get(), &uids, &gids)
          .context("read the maps of the user namespace to join"));
  return planUserNamespace(config, namespaces, privileged, granted, &uids, &gids);
}

namespace {

struct ReadMapsArgs {
  int userNsFd;
  int writeEnd;
};

}  // namespace

namespace child {
namespace {

// Inside the namespace, its own maps read as they were written.
void readMapsInside(void* p) {
  const auto* args = static_cast<const ReadMapsArgs*>(p);
  bool ok = ::setns(args->userNsFd, CLONE_NEWUSER) == 0 &&
            copyProcFile("/proc/self/uid_map", args->writeEnd) &&
            ::write(args->writeEnd, "", 1) == 1 &&
            copyProcFile("/proc/self/gid_map", args->writeEnd);
  ::_exit(ok ? 0 : 1);
}

}  // namespace
}  // namespace child

Status readIdMaps(int userNsFd, std::vector<spec::IdMapping>* uidMap,
                  std::vector<spec::IdMapping>* gidMap) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return Error::fromErrno("read id maps: pipe");
  UniqueFd readEnd(p[0]);
  UniqueFd writeEnd(p[1]);
  ReadMapsArgs args{userNsFd, writeEnd.get()};
  Spawned reader = TRY(spawn({}, child::readMapsInside, &args).context("read id maps"));
  writeEnd.reset();
  std::string text = TRY(readFd(readEnd.get(), "id maps of the user namespace"));
  size_t nul = text.find('\0');
  if (nul == std::string::npos) {
    return Error::invalid("read id maps: cannot join the user namespace", EPERM);
  }
  *uidMap = TRY(parseIdMap(std::string_view(text).substr(0, nul)));
  *gidMap = TRY(parseIdMap(std::string_view(text).substr(nul + 1)));
  return {};
}

Status writeIdMaps(const UserPlan& plan, pid_t pid) {
  if (plan.uidMap.empty()) return {};
  if (plan.denySetgroups) TRY(writeProcFile(pid, "setgroups", "deny"));
  if (plan.uidsViaHelper.empty()) {
    TRY(writeProcFile(pid, "uid_map", plan.uidMap).context("linux.uidMappings"));
  } else {
    TRY(runIdMapHelper("newuidmap", pid, plan.uidsViaHelper, "linux.uidMappings"));
  }
  if (plan.gidsViaHelper.empty()) {
    TRY(writeProcFile(pid, "gid_map", plan.gidMap).context("linux.gidMappings"));
  } else {
    TRY(runIdMapHelper("newgidmap", pid, plan.gidsViaHelper, "linux.gidMappings"));
  }
  return {};
}

namespace {

struct HelperArgs {
  int report;  // the helper's end of the socket
  int userNsFd;
  int pidNsFd;
  unsigned long cloneFlags;
  void (*childMain)(const void*);
  const void* arg;
};

}  // namespace

// The helpers' children, between clone and exec (or _exit).
namespace child {
namespace {

[[noreturn]] void waitToBeKilled(void*) {
  for (;;) ::pause();  // killed by its owner once it holds the namespace
}

void initInJoinedNamespace(void* p) {
  const auto* args = static_cast<const HelperArgs*>(p);
  ::close(args->report);
  args->childMain(args->arg);
}

// Child: joins the namespaces, then clones the init as our parent's child
// (it must outlive this helper) and reports its pid.
void joinAndCloneInit(void* p) {
  const auto* args = static_cast<const HelperArgs*>(p);
  ChildChannel report(args->report);
  // A pid namespace applies to children only, so the helper joins it
  // while it may: root before it drops into the user namespace (the pid
  // namespace may belong to an outer one); a rootless runtime only once
  // the user namespace that owns it gave it the right.
  bool pidJoined = args->pidNsFd < 0 || ::setns(args->pidNsFd, CLONE_NEWPID) == 0;
  if (!pidJoined && errno != EPERM) report.fail(errno, "join pid namespace");
  if (args->userNsFd >= 0 && ::setns(args->userNsFd, CLONE_NEWUSER) < 0) {
    report.fail(errno, "join user namespace");
  }
  if (!pidJoined && ::setns(args->pidNsFd, CLONE_NEWPID) < 0) {
    report.fail(errno, "join pid namespace");
  }
  int pidfd;
  bool inCgroup;
  SpawnOptions init{args->cloneFlags, -1, true};
  long pid = spawnFromChild(init, initInJoinedNamespace, p, &pidfd, &inCgroup);
  if (pid < 0)
    report.fail(static_cast<int>(-pid), "clone container init in the joined user namespace");
  report.sendSpawned(static_cast<int32_t>(pid));
  ::_exit(0);
}

}  // namespace
}  // namespace child

Result<UniqueFd> makeUserNamespace(const std::string& uidMap, const std::string& gidMap) {
  Spawned holder = TRY(spawn({CLONE_NEWUSER}, child::waitToBeKilled, nullptr)
                           .context("create a user namespace for an idmapped mount"));
  TRY(writeIdMaps(UserPlan{uidMap, gidMap, false, false, {}, {}}, holder.pid));
  return openFile("/proc/" + std::to_string(holder.pid) + "/ns/user", O_RDONLY);
}

Result<pid_t> cloneInUserNamespace(int userNsFd, int pidNsFd, unsigned long cloneFlags,
                                   void (*childMain)(const void*), const void* arg) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
    return Error::fromErrno("create helper socket");
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  HelperArgs args{theirs.get(), userNsFd, pidNsFd, cloneFlags, childMain, arg};
  Spawned helper =
      TRY(spawn({}, child::joinAndCloneInit, &args).context("fork user namespace helper"));
  theirs.reset();
  TRY(helper.child.wait().context("user namespace helper"));
  Result<SyncMessage> msg = receiveSync(ours.get());
  if (!msg.ok()) return std::move(msg).takeError().wrap("user namespace helper");
  if (msg->type == SyncType::kError) return errorFromChild(*msg);
  if (msg->type != SyncType::kSpawned || msg->pid <= 0) {
    return Error::invalid("user namespace helper: unexpected message");
  }
  return static_cast<pid_t>(msg->pid);
}

void child::becomeRoot(const UserPlan& plan, const ChildChannel& channel) {
  if (!plan.becomeRoot) return;
  if (int err = sangja::child::setIdentity(0, 0, nullptr, -1); err != 0) {
    channel.fail(err, "become root in the user namespace");
  }
}

}  // namespace sangja::ns
