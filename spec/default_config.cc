#include "spec/default_config.h"

#include <utility>

namespace sangja::spec {

namespace {

Mount mount(std::string destination, std::string type, std::string source,
            std::vector<std::string> options) {
  Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

// runc's specconv.ToRootless: user namespace instead of a network namespace,
// the caller's ids mapped to root, /sys bind-mounted (a new sysfs needs a
// network namespace the user owns; the cgroup mount stays over it, read-only:
// the rbind's ro is its top mount's only), no uid=/gid= mount options, no
// cgroup resources.
void toRootless(Config& c, uid_t uid, gid_t gid) {
  Linux& l = *c.linux;
  std::vector<Namespace> namespaces;
  for (const Namespace& ns : l.namespaces)
    if (ns.type != NamespaceType::Network && ns.type != NamespaceType::User)
      namespaces.push_back(ns);
  namespaces.push_back(Namespace{NamespaceType::User, std::nullopt});
  l.namespaces = std::move(namespaces);
  l.uidMappings = {IdMapping{0, static_cast<uint32_t>(uid), 1}};
  l.gidMappings = {IdMapping{0, static_cast<uint32_t>(gid), 1}};

  for (Mount& m : c.mounts) {
    if (m.destination == "/sys") {
      m = mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"});
      continue;
    }
    std::vector<std::string> options;
    for (std::string& o : m.options)
      if (o.rfind("gid=", 0) != 0 && o.rfind("uid=", 0) != 0) options.push_back(std::move(o));
    m.options = std::move(options);
  }
  l.resources.reset();
}

}  // namespace

Config defaultConfig(const DefaultConfigOptions& options) {
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};

  Config c;
  c.ociVersion = std::string(kOciVersion);
  c.root = Root{"rootfs", true};

  Process& p = c.process.emplace();
  p.terminal = true;
  p.args = {"sh"};
  p.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  p.cwd = "/";
  p.noNewPrivileges = true;
  Capabilities& cap = p.capabilities.emplace();
  cap.bounding = caps;
  cap.effective = caps;
  cap.permitted = caps;
  p.rlimits = {Rlimit{"RLIMIT_NOFILE", 1024, 1024}};

  c.hostname = "sangja";
  c.mounts = {
      mount("/proc", "proc", "proc", {}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  };

  Linux& l = c.linux.emplace();
  l.maskedPaths = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                   "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                   "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                   "/proc/scsi"};
  l.readonlyPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  Resources& r = l.resources.emplace();
  DeviceCgroupRule denyAll;
  denyAll.allow = false;
  denyAll.access = "rwm";
  r.devices = {denyAll};
  for (NamespaceType t : {NamespaceType::Pid, NamespaceType::Network, NamespaceType::Ipc,
                          NamespaceType::Uts, NamespaceType::Mount})
    l.namespaces.push_back(Namespace{t, std::nullopt});
  if (options.cgroupNamespace)
    l.namespaces.push_back(Namespace{NamespaceType::Cgroup, std::nullopt});

  if (options.rootless) toRootless(c, options.uid, options.gid);
  return c;
}

std::string defaultConfigJson(const DefaultConfigOptions& options) {
  return toJson(defaultConfig(options), 1, '\t');
}

std::string defaultConfigJson(bool rootless, uid_t uid, gid_t gid, bool cgroupNamespace) {
  DefaultConfigOptions options;
  options.rootless = rootless;
  options.uid = uid;
  options.gid = gid;
  options.cgroupNamespace = cgroupNamespace;
  return defaultConfigJson(options);
}

}  // namespace sangja::spec
