#include "namespaces/mount_plan.h"

#include <algorithm>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <climits>
#include <cstdlib>

#include "namespaces/user.h"

namespace sangja::mnt {

namespace {

// Lexically cleaned and made relative to the rootfs: "//dev/./pts/" -> "dev/pts".
// ".." stops at the root, as it does inside the rootfs at mount time.
std::string relative(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    std::string_view part = path.substr(pos, next - pos);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = next + 1;
  }
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

std::string absoluteIn(const std::string& base, const std::string& path) {
  if (!path.empty() && path.front() == '/') return path;
  return base + "/" + path;
}

Result<std::string> resolveRootfs(const spec::Config& config, const std::string& bundle) {
  std::string path = absoluteIn(bundle, config.root.path);
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return Error::fromErrno("rootfs " + path);
  struct stat st;
  if (::stat(real, &st) < 0) return Error::fromErrno("rootfs " + path);
  if (!S_ISDIR(st.st_mode)) return Error::invalid("rootfs " + path + ": not a directory", ENOTDIR);
  // The host's own root cannot be a container's (pivot_root fails with a
  // bare EBUSY, and the container would be the host).
  if (std::string_view(real) == "/") {
    return Error::invalid("root.path " + path + ": resolves to the host's / (not a rootfs)");
  }
  return std::string(real);
}

Result<MountStep> planMount(const spec::Mount& m, size_t index, const RootfsOptions& options) {
  const std::string& bundle = options.bundle;
  std::string where = "mounts[" + std::to_string(index) + "] (" + m.destination + ")";
  MountStep step;
  step.options = TRY(parseMountOptions(m.options).context(where));
  step.target = relative(m.destination);
  if (step.target.empty()) return Error::invalid(where + ": cannot mount over the rootfs itself");
  if (m.type == "bind") step.options.flags |= MS_BIND;
  if (step.options.copyUp && m.type != "tmpfs") {
    return Error::invalid(where + ": tmpcopyup applies to tmpfs mounts only");
  }
  if (m.type == "tmpfs" && (step.options.flags & MS_RDONLY) != 0) {
    step.options.flags &= ~static_cast<unsigned long>(MS_RDONLY);
    step.readonlyAfterSetup = true;
  }
  // Mappings without idmap/ridmap still ask for an idmapped mount (runc
  // takes them so too).
  if (step.options.idmap || !m.uidMappings.empty()) {
    if (!step.options.bind()) {
      return Error::invalid(where +
                            ": idmapped mounts (idmap, ridmap, uidMappings) need a bind mount");
    }
    MountStep::Idmap idmap;
    idmap.recursive = step.options.recursiveIdmap;
    std::string at = "mounts[" + std::to_string(index) + "].";
    if (!m.uidMappings.empty()) {
      idmap.uidMap = TRY(ns::renderIdMap(m.uidMappings, at + "uidMappings"));
      idmap.gidMap = TRY(ns::renderIdMap(m.gidMappings, at + "gidMappings"));
    } else if (!options.userNamespace) {
      return Error::invalid(where +
                            ": idmap needs uidMappings and gidMappings, or a user namespace for "
                            "the container whose maps it takes");
    }
    if (index >= kMaxParentOpenedSources) {
      return Error::invalid(where + ": an idmapped mount must be among the first " +
                            std::to_string(kMaxParentOpenedSources) + " mounts");
    }
    step.idmap = std::move(idmap);
  }
  if (step.options.bind()) {
    step.source = absoluteIn(bundle, m.source);
    // Missing now may be made by an earlier mount of this config (a path
    // through the rootfs, resolved in the container's mount namespace, as
    // runc does); the init opens it when its turn comes and says so if it
    // is still missing. Other errors are final already.
    struct stat st;
    if (::stat(step.source.c_str(), &st) < 0 && errno != ENOENT) {
      return Error::fromErrno(where + ": source " + step.source);
    }
    return step;
  }
  if (m.type.empty()) return Error::invalid(where + ": type is required for a non-bind mount");
  // A v2 host has one cgroup filesystem.
  step.fstype = m.type == "cgroup" ? "cgroup2" : m.type;
  step.source = m.source.empty() ? step.fstype : m.source;
  if (step.fstype == "cgroup2" && !options.cgroup2Flags.empty()) {
    std::string& data = step.options.data;
    data = data.empty() ? options.cgroup2Flags : options.cgroup2Flags + "," + data;
  }
  if (options.userNamespace || options.runtimeRootless) {
    if (step.fstype == "sysfs") step.fallbackBind = "/sys";
    if (step.fstype == "cgroup2") step.fallbackBind = options.cgroup2Mount;
  }
  return step;
}

bool bindsHostDev(const spec::Config& config) {
  for (const spec::Mount& m : config.mounts) {
    if (relative(m.destination) != "dev") continue;
    for (const std::string& o : m.options) {
      if (o == "bind" || o == "rbind") return true;
    }
    if (m.type == "bind") return true;
  }
  return false;
}

Result<mode_t> deviceType(char type) {
  switch (type) {
    case 'c':
    case 'u':
      return static_cast<mode_t>(S_IFCHR);
    case 'b':
      return static_cast<mode_t>(S_IFBLK);
    case 'p':
      return static_cast<mode_t>(S_IFIFO);
  }
  return Error::invalid(std::string("unknown device type '") + type + "'");
}

// In a user namespace a device is bind-mounted from the host's same path,
// which must hold that device.
Status bindFromHost(DeviceNode& d, const std::string& where) {
  if (!S_ISCHR(d.mode) && !S_ISBLK(d.mode)) return {};  // a fifo can be made
  d.hostPath = "/" + d.path;
  struct stat st;
  if (::stat(d.hostPath.c_str(), &st) < 0) {
    return Error::fromErrno(
        where + ": in a user namespace devices are bind-mounted from the host: " + d.hostPath);
  }
  if ((st.st_mode & S_IFMT) != (d.mode & S_IFMT) || st.st_rdev != d.dev) {
    return Error::invalid(where +
                          ": in a user namespace devices are bind-mounted from the host, and " +
                          d.hostPath + " there is not device " + std::to_string(major(d.dev)) +
                          ":" + std::to_string(minor(d.dev)));
  }
  return {};
}

// The devices every container gets, then linux.devices (same path wins).
Result<std::vector<DeviceNode>> planDevices(const spec::Config& config, bool userNamespace) {
  struct Default {
    const char* name;
    unsigned major, minor;
  };
  constexpr Default kDefaults[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                                   {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  std::vector<DeviceNode> out;
  const std::vector<spec::Device> none;
  const auto& devices = config.linux ? config.linux->devices : none;
  for (const Default& d : kDefaults) {
    std::string path = std::string("dev/") + d.name;
    bool overridden = false;
    for (const spec::Device& dev : devices) overridden |= relative(dev.path) == path;
    if (!overridden) {
      out.push_back(DeviceNode{path, S_IFCHR | 0666, makedev(d.major, d.minor), 0, 0, ""});
      if (userNamespace) TRY(bindFromHost(out.back(), "/" + path));
    }
  }
  for (size_t i = 0; i < devices.size(); ++i) {
    const spec::Device& dev = devices[i];
    std::string where = "linux.devices[" + std::to_string(i) + "]";
    mode_t type = TRY(deviceType(dev.type).context(where));
    mode_t perm = dev.fileMode ? static_cast<mode_t>(*dev.fileMode) & 07777 : 0666;
    out.push_back(
        DeviceNode{relative(dev.path), type | perm,
                   makedev(static_cast<unsigned>(dev.major), static_cast<unsigned>(dev.minor)),
                   dev.uid.value_or(0), dev.gid.value_or(0), ""});
    if (userNamespace) TRY(bindFromHost(out.back(), where));
  }
  return out;
}

std::vector<Symlink> devSymlinks() {
  return {{"/proc/self/fd", "dev/fd"},
          {"/proc/self/fd/0", "dev/stdin"},
          {"/proc/self/fd/1", "dev/stdout"},
          {"/proc/self/fd/2", "dev/stderr"},
          {"pts/ptmx", "dev/ptmx"}};
}

Result<std::vector<Sysctl>> planSysctls(const spec::Config& config) {
  std::vector<Sysctl> out;
  if (!config.linux) return out;
  const spec::Linux& lx = *config.linux;
  bool net = lx.hasNamespace(spec::NamespaceType::Network);
  bool ipc = lx.hasNamespace(spec::NamespaceType::Ipc);
  bool uts = lx.hasNamespace(spec::NamespaceType::Uts);
  for (const auto& [key, value] : lx.sysctl) {
    std::string path = TRY(sysctlProcPath(key, net, ipc, uts).context("linux.sysctl"));
    out.push_back(Sysctl{std::move(path), value});
  }
  return out;
}

}  // namespace

Result<std::string> sysctlProcPath(const std::string& key, bool netNs, bool ipcNs, bool utsNs) {
  // "net.ipv4.ip_forward" or "net/ipv4/ip_forward"; in the slash form a dot
  // belongs to a name ("net/ipv4/conf/eth0.100/forwarding"), as in sysctl(8).
  bool slashForm = key.find('/') != std::string::npos;
  std::string dotted = key;
  for (char& c : dotted) {
    if (c == '/') c = '.';
  }
  if (dotted.empty() || dotted.find("..") != std::string::npos || dotted.front() == '.' ||
      dotted.back() == '.') {
    return Error::invalid("invalid sysctl key \"" + key + "\"");
  }
  auto needs = [&](bool have, const char* ns) -> Status {
    if (have) return {};
    return Error::invalid("sysctl \"" + key + "\" needs the container's own " + ns + " namespace");
  };
  constexpr const char* kIpcKeys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced"};
  bool known = false;
  if (dotted.starts_with("net.")) {
    TRY(needs(netNs, "network"));
    known = true;
  } else if (dotted.starts_with("fs.mqueue.")) {
    TRY(needs(ipcNs, "ipc"));
    known = true;
  } else if (dotted == "kernel.hostname" || dotted == "kernel.domainname") {
    TRY(needs(utsNs, "uts"));
    known = true;
  } else {
    for (const char* k : kIpcKeys) {
      if (dotted == k) {
        TRY(needs(ipcNs, "ipc"));
        known = true;
      }
    }
  }
  if (!known) {
    return Error::invalid("sysctl \"" + key + "\" is not namespaced: it would change the host");
  }
  std::string path = "/proc/sys/";
  for (char c : key) path += (c == '.' && !slashForm) ? '/' : c;
  return path;
}

namespace {

// A "cgroup" mount on a v1 host, as runc makes it: a tmpfs (read-only
// after the setup if asked), in it a bind of the container's own cgroup
// from each hierarchy, with the mount's flags, and a symlink per
// controller of a joint hierarchy.
Status planCgroupV1View(const spec::Mount& m, size_t index, const RootfsOptions& options,
                        RootfsPlan& plan) {
  spec::Mount tmpfs = m;
  tmpfs.type = "tmpfs";
  tmpfs.source = "tmpfs";
  tmpfs.options.push_back("mode=755");
  plan.mounts.push_back(TRY(planMount(tmpfs, index, options)));
  std::string where = "mounts[" + std::to_string(index) + "] (" + m.destination + ")";
  std::vector<std::string> bindOptions;
  for (const std::string& o : m.options) {
    // Filesystem data means nothing to a bind.
    if (o == "ro" || o == "rw" || o == "nosuid" || o == "noexec" || o == "nodev" ||
        o == "relatime" || o == "noatime") {
      bindOptions.push_back(o);
    }
  }
  bindOptions.push_back("bind");
  std::string dest = relative(m.destination);
  for (const cgroups::CgroupViewBind& view : options.cgroupV1View) {
    MountStep bind;
    bind.options = TRY(parseMountOptions(bindOptions).context(where));
    bind.source = view.source;
    bind.target = dest + "/" + view.name;
    plan.mounts.push_back(std::move(bind));
    for (const std::string& alias : view.aliases) {
      plan.symlinks.push_back(Symlink{view.name, dest + "/" + alias});
    }
  }
  return {};
}

}  // namespace

Result<RootfsPlan> planRootfs(const spec::Config& config, const RootfsOptions& options) {
  RootfsPlan plan;
  plan.rootfs = TRY(resolveRootfs(config, options.bundle));
  std::string propagation = config.linux ? config.linux->rootfsPropagation : "";
  plan.finalPropagation = TRY(parsePropagation(propagation).context("linux.rootfsPropagation"));
  // Start from a private or slave "/": the container's mounts must never
  // propagate to the host.
  plan.rootPropagation =
      (plan.finalPropagation & MS_PRIVATE) ? MS_REC | MS_PRIVATE : MS_REC | MS_SLAVE;
  for (size_t i = 0; i < config.mounts.size(); ++i) {
    if (config.mounts[i].type == "cgroup" && !options.cgroupV1View.empty()) {
      TRY(planCgroupV1View(config.mounts[i], i, options, plan));
      continue;
    }
    plan.mounts.push_back(TRY(planMount(config.mounts[i], i, options)));
    if (plan.mounts.back().idmap) plan.idmappedMounts = true;
  }
  if (!bindsHostDev(config)) {
    plan.devices = TRY(planDevices(config, options.userNamespace || options.runtimeRootless));
    for (Symlink& link : devSymlinks()) plan.symlinks.push_back(std::move(link));
  }
  if (config.linux) {
    // Each once: twice would stack a second mount over the first.
    auto addOnce = [](std::vector<std::string>& list, std::string path) {
      if (std::find(list.begin(), list.end(), path) == list.end()) list.push_back(std::move(path));
    };
    for (const std::string& p : config.linux->maskedPaths) addOnce(plan.maskedPaths, relative(p));
    for (const std::string& p : config.linux->readonlyPaths) {
      addOnce(plan.readonlyPaths, relative(p));
    }
  }
  plan.sysctls = TRY(planSysctls(config));
  if (config.process) plan.cwd = relative(config.process->cwd);
  plan.readonlyRoot = config.root.readonly;
  plan.noPivot = options.noPivot;
  plan.userNamespace = options.userNamespace || options.runtimeRootless;
  plan.ownMountNamespace = options.ownMountNamespace;
  return plan;
}

}  // namespace sangja::mnt
