#include "runtime/check/host_facts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "base/dir_stream.h"
#include "base/file.h"
#include "base/mountinfo.h"
#include "base/numbers.h"
#include "base/text.h"
#include "namespaces/subordinate_ids.h"

namespace sangja::check {

namespace {

std::vector<std::string> splitOn(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t end = s.find(sep);
    std::string_view part = withoutSurroundingBlanks(s.substr(0, end));
    if (!part.empty()) out.emplace_back(part);
    if (end == std::string_view::npos) break;
    s.remove_prefix(end + 1);
  }
  return out;
}

template <typename T>
std::optional<T> number(std::string_view text) {
  T out{};
  if (!parseWhole(text, out)) return std::nullopt;
  return out;
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Reads files below a root prefix; a missing file is nullopt, not an error.
class Tree {
 public:
  explicit Tree(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    if (root_ == "/") root_.clear();
  }

  // abs: an absolute path on the host ("/proc/self/cgroup").
  std::string at(std::string_view abs) const { return root_ + std::string(abs); }

  std::optional<std::string> read(std::string_view abs) const {
    Result<std::string> text = readFile(at(abs));
    if (!text.ok()) return std::nullopt;
    return std::move(text).value();
  }
  std::optional<long> readNumber(std::string_view abs) const {
    std::optional<std::string> text = read(abs);
    if (!text) return std::nullopt;
    std::optional<int64_t> n = number<int64_t>(withoutSurroundingBlanks(*text));
    if (!n) return std::nullopt;
    return static_cast<long>(*n);
  }
  std::optional<struct stat> stat(std::string_view abs) const {
    struct stat st;
    if (::stat(at(abs).c_str(), &st) < 0) return std::nullopt;
    return st;
  }
  bool exists(std::string_view abs) const { return stat(abs).has_value(); }
  // The entries of a directory, sorted ("." and ".." left out).
  std::vector<std::string> list(std::string_view abs) const {
    std::vector<std::string> names;
    Result<UniqueFd> dir = openFile(at(abs), O_RDONLY | O_DIRECTORY);
    if (!dir.ok()) return names;
    Result<DirStream> stream = DirStream::open(dir->get(), abs);
    if (!stream.ok()) return names;
    while (dirent* e = stream->next()) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string root_;
};

void gatherCaller(const Tree& tree, const HostPaths& paths, HostFacts& f) {
  f.uid = paths.uid;
  f.gid = paths.gid;
  f.userName = userNameOf(tree.read("/etc/passwd").value_or(""), paths.uid);
  f.kernelRelease =
      std::string(withoutSurroundingBlanks(tree.read("/proc/sys/kernel/osrelease").value_or("")));
}

// The directories from the v2 root down to the caller's cgroup.
std::vector<CgroupDir> cgroupChain(const Tree& tree, const std::string& mount,
                                   const std::string& own) {
  std::vector<std::string> paths{"/"};
  for (const std::string& part : splitOn(own, '/')) {
    paths.push_back((paths.back() == "/" ? "" : paths.back()) + "/" + part);
  }
  std::vector<CgroupDir> chain;
  for (const std::string& p : paths) {
    std::string dir = mount + (p == "/" ? "" : p);
    std::optional<struct stat> st = tree.stat(dir);
    if (!st) break;  // the own cgroup is not in view (another cgroup namespace)
    CgroupDir d;
    d.path = p;
    d.owner = st->st_uid;
    if (std::optional<struct stat> procs = tree.stat(dir + "/cgroup.procs")) {
      d.procsOwner = procs->st_uid;
      d.procsGroup = procs->st_gid;
      d.procsMode = procs->st_mode & 07777;
    }
    d.controllers = words(tree.read(dir + "/cgroup.controllers").value_or(""));
    chain.push_back(std::move(d));
  }
  return chain;
}

// Swap accounting shows as memory.swap.max in every non-root cgroup with
// the memory controller: the caller's own, else any child of the root.
bool swapAccounting(const Tree& tree, const std::string& mount, const std::string& own) {
  if (own != "/" && tree.exists(mount + own + "/memory.swap.max")) return true;
  for (const std::string& child : tree.list(mount)) {
    if (tree.exists(mount + "/" + child + "/memory.swap.max")) return true;
  }
  return false;
}

// The optional v1 files the v1 translation asks about, in the hierarchies'
// roots (as the v1 driver looks at them).
cgroups::V1Facts v1Facts(const Tree& tree, const cgroups::CgroupLayout& layout) {
  cgroups::V1Facts v;
  for (const cgroups::V1Hierarchy& h : layout.v1) {
    for (const std::string& c : h.controllers) v.mounted.add(c);
  }
  auto has = [&](const char* controller, const char* file) {
    const cgroups::V1Hierarchy* h = layout.hierarchyOf(controller);
    return h != nullptr && tree.exists(h->mountPoint + "/" + file);
  };
  v.memsw = has("memory", "memory.memsw.limit_in_bytes");
  v.kmem = has("memory", "memory.kmem.limit_in_bytes");
  v.kmemTcp = has("memory", "memory.kmem.tcp.limit_in_bytes");
  v.cfsBurst = has("cpu", "cpu.cfs_burst_us");
  v.cpuIdle = has("cpu", "cpu.idle");
  v.realtime = has("cpu", "cpu.rt_runtime_us");
  v.bfqWeight = !has("blkio", "blkio.weight") && has("blkio", "blkio.bfq.weight");
  v.leafWeight = has("blkio", "blkio.leaf_weight");
  v.hugetlbRsvd = has("hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes");
  return v;
}

void gatherCgroups(const Tree& tree, HostFacts& f) {
  std::string mountinfo = tree.read("/proc/self/mountinfo").value_or("");
  Result<cgroups::CgroupLayout> layout = cgroups::parseCgroupLayout(mountinfo);
  if (!layout.ok()) {
    f.cgroupError = layout.error().message();
    return;
  }
  f.cgroupLayout = *layout;
  f.v1 = v1Facts(tree, *layout);
  const std::string& mount = layout->v2Mount;
  if (mount.empty()) return;
  for (const MountinfoEntry& m : parseMountinfo(mountinfo)) {
    if (m.mountPoint == mount && m.fstype == "cgroup2") f.cgroup2Options = m.superOptions;
  }
  f.cgroup2Controllers = words(tree.read(mount + "/cgroup.controllers").value_or(""));
  f.ownCgroup = unifiedCgroupPath(tree.read("/proc/self/cgroup").value_or("")).value_or("");
  if (f.ownCgroup.empty()) return;
  f.ownCgroupChain = cgroupChain(tree, mount, f.ownCgroup);
  f.cgroup2SwapAccounting = swapAccounting(tree, mount, f.ownCgroup);
}

void gatherSystemd(const Tree& tree, HostFacts& f) {
  std::optional<struct stat> dir = tree.stat("/run/systemd/system");
  f.systemdRunning = dir && S_ISDIR(dir->st_mode);
  f.pid1Name = std::string(withoutSurroundingBlanks(tree.read("/proc/1/comm").value_or("")));
  // Without D-Bus or a spawn: the version is in the name of systemd's
  // private library, as pid 1 maps it (root) or as it is installed.
  if (std::optional<std::string> maps = tree.read("/proc/1/maps")) {
    for (const std::string& line : splitOn(*maps, '\n')) {
      std::string name = line.substr(line.rfind('/') + 1);
      if (std::string v = systemdVersionFromLibrary(name); !v.empty()) {
        f.systemdVersion = v;
        return;
      }
    }
  }
  std::vector<std::string> dirs = {"/usr/lib/systemd", "/lib/systemd", "/usr/lib64/systemd"};
  for (const std::string& sub : tree.list("/usr/lib"))
    dirs.push_back("/usr/lib/" + sub + "/systemd");
  for (const std::string& d : dirs) {
    for (const std::string& name : tree.list(d)) {
      if (std::string v = systemdVersionFromLibrary(name); !v.empty()) {
        f.systemdVersion = v;
        return;
      }
    }
  }
}

// The first executable called name on the search path, below the root.
std::string findProgram(const Tree& tree, const std::string& searchPath, const std::string& name) {
  for (const std::string& dir : splitOn(searchPath, ':')) {
    if (dir.empty() || dir[0] != '/') continue;
    std::string path = dir + "/" + name;
    std::optional<struct stat> st = tree.stat(path);
    if (st && S_ISREG(st->st_mode) && (st->st_mode & 0111)) return path;
  }
  return "";
}

IdMapHelper findIdMapHelper(const Tree& tree, const std::string& searchPath, const char* name) {
  IdMapHelper h;
  h.path = findProgram(tree, searchPath, name);
  if (h.path.empty()) return h;
  std::optional<struct stat> st = tree.stat(h.path);
  h.setuidRoot = st && (st->st_mode & S_ISUID) && st->st_uid == 0;
  h.fileCaps = ::getxattr(tree.at(h.path).c_str(), "security.capability", nullptr, 0) > 0;
  return h;
}

void gatherNamespaces(const Tree& tree, const HostPaths& paths, HostFacts& f) {
  for (const std::string& name : tree.list("/proc/self/ns")) {
    if (!name.ends_with("_for_children")) f.namespaceKinds.push_back(name);
  }
  f.maxUserNamespaces = tree.readNumber("/proc/sys/user/max_user_namespaces");
  f.unprivilegedUsernsClone = tree.readNumber("/proc/sys/kernel/unprivileged_userns_clone");
  f.apparmorRestrictUnprivilegedUserns =
      tree.readNumber("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  std::optional<std::string> subuid = tree.read("/etc/subuid");
  std::optional<std::string> subgid = tree.read("/etc/subgid");
  f.subuidFile = subuid.has_value();
  f.subgidFile = subgid.has_value();
  f.subuid = parseSubIdFile(subuid.value_or(""), f.userName, paths.uid);
  // subgid lines name the user too, or its uid (as newgidmap reads them).
  f.subgid = parseSubIdFile(subgid.value_or(""), f.userName, paths.uid);
  f.newuidmap = findIdMapHelper(tree, paths.searchPath, "newuidmap");
  f.newgidmap = findIdMapHelper(tree, paths.searchPath, "newgidmap");
}

void gatherSecurity(const Tree& tree, HostFacts& f) {
  for (const std::string& line : splitOn(tree.read("/proc/self/status").value_or(""), '\n')) {
    if (!line.starts_with("Seccomp:")) continue;
    if (auto mode = number<int>(withoutSurroundingBlanks(std::string_view(line).substr(8)))) {
      f.seccompMode = *mode;
    }
  }
  if (std::optional<std::string> lsm = tree.read("/sys/kernel/security/lsm")) {
    f.lsms = splitOn(*lsm, ',');
  }
  f.apparmorEnabled =
      tree.read("/sys/module/apparmor/parameters/enabled").value_or("").starts_with("Y");
  std::optional<std::string> enforce = tree.read("/sys/fs/selinux/enforce");
  if (enforce)
    f.selinuxMode = withoutSurroundingBlanks(*enforce) == "1" ? "enforcing" : "permissive";
}

void gatherTools(const Tree& tree, const HostPaths& paths, HostFacts& f) {
  std::string filesystems = tree.read("/proc/filesystems").value_or("");
  f.overlayfs = filesystems.find("\toverlay\n") != std::string::npos;
  f.criuPath = findProgram(tree, paths.searchPath, "criu");
}

}  // namespace

HostPaths HostPaths::forThisProcess() {
  HostPaths p;
  p.uid = ::geteuid();
  p.gid = ::getegid();
  if (const char* path = ::getenv("PATH"); path != nullptr && *path != '\0') {
    p.searchPath += ":" + std::string(path);
  }
  return p;
}

bool HostFacts::hasNamespaceKind(std::string_view kind) const {
  return std::find(namespaceKinds.begin(), namespaceKinds.end(), kind) != namespaceKinds.end();
}

Result<HostFacts> gatherHostFacts(const HostPaths& paths) {
  struct stat st;
  if (::stat(paths.root.c_str(), &st) < 0) return Error::fromErrno("host root " + paths.root);
  if (!S_ISDIR(st.st_mode)) return Error::invalid("host root " + paths.root + ": not a directory");
  Tree tree(paths.root);
  HostFacts f;
  gatherCaller(tree, paths, f);
  gatherCgroups(tree, f);
  gatherSystemd(tree, f);
  gatherNamespaces(tree, paths, f);
  gatherSecurity(tree, f);
  gatherTools(tree, paths, f);
  return f;
}

std::vector<IdRange> parseSubIdFile(std::string_view text, std::string_view name, uint32_t id) {
  // The runtime's own reading (namespaces/subordinate_ids.h), so that what
  // check reports is what create will grant.
  std::vector<IdRange> out;
  for (const ns::SubIdRange& r : ns::parseSubIds(text, name, id)) {
    if (r.start <= UINT32_MAX && r.count <= UINT32_MAX) {
      out.push_back(IdRange{static_cast<uint32_t>(r.start), static_cast<uint32_t>(r.count)});
    }
  }
  return out;
}

std::string userNameOf(std::string_view passwd, uid_t uid) {
  std::string idText = std::to_string(uid);
  for (const std::string& line : splitOn(passwd, '\n')) {
    // name:password:uid:...
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    size_t c = b == std::string::npos ? b : line.find(':', b + 1);
    if (c != std::string::npos && line.compare(b + 1, c - b - 1, idText) == 0) {
      return line.substr(0, a);
    }
  }
  return "";
}

std::optional<std::string> unifiedCgroupPath(std::string_view procCgroup) {
  for (const std::string& line : splitOn(procCgroup, '\n')) {
    if (line.starts_with("0::")) return line.substr(3);
  }
  return std::nullopt;
}

std::string systemdVersionFromLibrary(std::string_view name) {
  constexpr std::string_view kPrefix = "libsystemd-shared-";
  if (!name.starts_with(kPrefix) || !name.ends_with(".so")) return "";
  std::string_view version = name.substr(kPrefix.size(), name.size() - kPrefix.size() - 3);
  // "252", or "255.4-1" on some builds: the leading number is the version.
  size_t digits = 0;
  while (digits < version.size() && version[digits] >= '0' && version[digits] <= '9') ++digits;
  return digits == 0 ? "" : std::string(version.substr(0, digits));
}

std::optional<Delegation> delegatedCgroup(const HostFacts& f) {
  if (f.uid == 0) return Delegation{true, "", f.cgroup2Controllers};
  if (!f.cgroupLayout || f.cgroupLayout->v2Mount.empty()) return std::nullopt;
  auto writableProcs = [&](const CgroupDir& d) {
    if (d.procsMode == 0) return false;
    if (d.procsOwner == f.uid) return (d.procsMode & S_IWUSR) != 0;
    if (d.procsGroup == f.gid) return (d.procsMode & S_IWGRP) != 0;
    return (d.procsMode & S_IWOTH) != 0;
  };
  const CgroupDir* highest = nullptr;
  // Upwards from the own cgroup, while the caller owns the directory and may
  // move processes into it.
  for (auto it = f.ownCgroupChain.rbegin(); it != f.ownCgroupChain.rend(); ++it) {
    if (it->owner != f.uid || !writableProcs(*it)) break;
    highest = &*it;
  }
  if (highest == nullptr) return std::nullopt;
  return Delegation{false, highest->path, highest->controllers};
}

UsernsVerdict userNamespacesFor(const HostFacts& f) {
  if (!f.namespaceKinds.empty() && !f.hasNamespaceKind("user")) {
    return {false, "the kernel has no user namespaces (CONFIG_USER_NS)"};
  }
  if (f.maxUserNamespaces && *f.maxUserNamespaces <= 0) {
    return {false, "user.max_user_namespaces is " + std::to_string(*f.maxUserNamespaces)};
  }
  if (f.uid == 0) return {true, ""};
  if (f.unprivilegedUsernsClone && *f.unprivilegedUsernsClone == 0) {
    return {false, "kernel.unprivileged_userns_clone is 0"};
  }
  if (f.apparmorRestrictUnprivilegedUserns && *f.apparmorRestrictUnprivilegedUserns != 0) {
    return {false, "kernel.apparmor_restrict_unprivileged_userns is " +
                       std::to_string(*f.apparmorRestrictUnprivilegedUserns) +
                       " (AppArmor takes the capabilities away in them)"};
  }
  return {true, ""};
}

std::pair<int, int> kernelVersion(std::string_view release) {
  int major = 0, minor = 0;
  size_t i = 0;
  auto number = [&](int& out) {
    size_t start = i;
    while (i < release.size() && release[i] >= '0' && release[i] <= '9') {
      out = out * 10 + (release[i++] - '0');
    }
    return i > start;
  };
  if (!number(major) || i >= release.size() || release[i++] != '.' || !number(minor)) {
    return {0, 0};
  }
  return {major, minor};
}

}  // namespace sangja::check
