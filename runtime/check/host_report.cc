#include "runtime/check/host_report.h"

#include <sys/stat.h>

#include <algorithm>

namespace sangja::check {

namespace {

std::string joined(const std::vector<std::string>& items, const char* sep = " ") {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string listOrNone(const std::vector<std::string>& items) {
  return items.empty() ? "none" : joined(items);
}

std::string callerText(const HostFacts& f) {
  std::string out = "uid " + std::to_string(f.uid);
  if (!f.userName.empty()) out += " (" + f.userName + ")";
  return out;
}

std::string bytesText(uint64_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string rangesText(const std::vector<IdRange>& ranges) {
  std::string out;
  for (const IdRange& r : ranges) {
    out += (out.empty() ? "" : ", ") + std::to_string(r.start) + "-" +
           std::to_string(uint64_t{r.start} + r.count - 1) + " (" + std::to_string(r.count) +
           " ids)";
  }
  return out;
}

// Appends findings under the current topic.
class Builder {
 public:
  explicit Builder(std::vector<Finding>& out) : out_(out) {}
  void topic(std::string name) { topic_ = std::move(name); }
  void ok(std::string name, std::string value) {
    out_.push_back({topic_, std::move(name), std::move(value), Level::kOk, "", ""});
  }
  void warn(std::string name, std::string value, std::string reason, std::string advice) {
    out_.push_back({topic_, std::move(name), std::move(value), Level::kWarn, std::move(reason),
                    std::move(advice)});
  }
  void error(std::string name, std::string value, std::string reason, std::string advice) {
    out_.push_back({topic_, std::move(name), std::move(value), Level::kError, std::move(reason),
                    std::move(advice)});
  }

 private:
  std::vector<Finding>& out_;
  std::string topic_;
};

std::string probeValue(const Probe& p) {
  switch (p.state) {
    case Probe::State::kYes:
      return "yes";
    case Probe::State::kNo:
      return "no: " + p.detail;
    case Probe::State::kUnknown:
      break;
  }
  return "unknown (" + p.detail + ")";
}

// A syscall the runtime needs (error when missing) or can do without (warn).
void syscallFinding(Builder& b, const std::string& name, const Probe& p, bool needed,
                    const std::string& missingMeans, const std::string& kernel) {
  if (!p.isNo()) {
    b.ok(name, probeValue(p));
  } else if (needed) {
    b.error(name, probeValue(p), missingMeans, "run a kernel " + kernel + " or later");
  } else {
    b.warn(name, probeValue(p), missingMeans, "run a kernel " + kernel + " or later");
  }
}

void kernelFindings(Builder& b, const HostFacts& f) {
  const KernelProbes& k = f.kernel;
  b.topic("kernel");
  b.ok("release", f.kernelRelease.empty() ? "unknown" : f.kernelRelease);
  syscallFinding(b, "clone3", k.clone3, false,
                 "containers start with clone and are attached to their cgroup afterwards", "5.7");
  syscallFinding(b, "pidfd_open", k.pidfdOpen, false,
                 "waits and signals go by pid, which a reused pid can fool", "5.3");
  syscallFinding(b, "openat2", k.openat2, true,
                 "paths inside the rootfs are resolved with openat2(RESOLVE_IN_ROOT)", "5.6");
  syscallFinding(b, "close_range", k.closeRange, false,
                 "fds are closed one by one through /proc/self/fd instead", "5.9");
  syscallFinding(b, "mount_setattr", k.mountSetattr, true,
                 "bind mounts get their flags with mount_setattr before they are attached", "5.12");
  if (k.idmappedMounts.isNo()) {
    b.warn("idmapped mounts", probeValue(k.idmappedMounts),
           "configs with mounts[].uidMappings or the idmap/ridmap options are refused",
           "a kernel 5.12 or later, and a filesystem that supports idmapped mounts");
  } else {
    b.ok("idmapped mounts",
         probeValue(k.idmappedMounts) +
             (k.idmappedMounts.isYes() ? " (a bind of " + k.idmapProbeDir + ")" : ""));
  }
  if (f.hasNamespaceKind("time")) {
    b.ok("time namespaces", "yes");
  } else {
    b.warn("time namespaces", "no (no /proc/self/ns/time)",
           "configs with a time namespace or linux.timeOffsets are refused",
           "a kernel 5.6 or later with CONFIG_TIME_NS");
  }
  if (f.overlayfs) {
    b.ok("overlayfs", "yes");
  } else {
    b.warn("overlayfs", "not in /proc/filesystems",
           "container engines mount image layers as overlayfs; a mount of type overlay may fail",
           "modprobe overlay");
  }
}

void cgroupFindings(Builder& b, const HostFacts& f) {
  b.topic("cgroups");
  if (!f.cgroupLayout) {
    b.error("mode", "none", f.cgroupError, "mount cgroup2 on /sys/fs/cgroup");
    return;
  }
  const cgroups::CgroupLayout& layout = *f.cgroupLayout;
  std::string mode = cgroups::cgroupModeName(layout.mode);
  switch (layout.mode) {
    case cgroups::CgroupMode::kUnified:
      b.ok("mode", mode + " (cgroup2 at " + layout.v2Mount + ", the v2 driver)");
      break;
    case cgroups::CgroupMode::kHybrid:
      b.ok("mode", mode + " (v1 controllers, cgroup2 at " + layout.v2Mount + "; the v1 driver)");
      break;
    case cgroups::CgroupMode::kLegacy:
      b.ok("mode", mode + " (v1 controllers only; the v1 driver)");
      break;
  }
  if (!layout.v1.empty()) {
    std::vector<std::string> names;
    for (const cgroups::V1Hierarchy& h : layout.v1)
      names.insert(names.end(), h.controllers.begin(), h.controllers.end());
    b.ok("v1 controllers", joined(names));
  }
  if (!layout.v2Mount.empty()) {
    b.ok("v2 controllers", listOrNone(f.cgroup2Controllers));
    if (!f.cgroup2Options.empty()) b.ok("v2 mount options", f.cgroup2Options);
  }
  bool memoryInUse =
      layout.mode == cgroups::CgroupMode::kUnified
          ? std::count(f.cgroup2Controllers.begin(), f.cgroup2Controllers.end(), "memory") > 0
          : layout.hierarchyOf("memory") != nullptr;
  bool swap = layout.mode == cgroups::CgroupMode::kUnified ? f.cgroup2SwapAccounting : f.v1.memsw;
  if (memoryInUse && !swap) {
    b.warn("swap accounting", "off",
           "linux.resources.memory.swap can only be left unlimited (or 0 on cgroup v2)",
           "boot with swapaccount=1 (or a kernel with CONFIG_MEMCG_SWAP)");
  } else if (memoryInUse) {
    b.ok("swap accounting", "on");
  }
  // Delegation is a cgroup v2 matter (delegatedCgroup's rule).
  std::string who = "delegated to " + callerText(f);
  std::optional<Delegation> d = delegatedCgroup(f);
  if (d && d->all) {
    b.ok(who, "all (root)");
  } else if (d) {
    b.ok(who, d->path + " (controllers: " + listOrNone(d->controllers) + ")");
  } else if (layout.mode != cgroups::CgroupMode::kUnified) {
    // The v1 driver serves hybrid and legacy hosts, and v1 is not delegated.
    b.warn(who, "none", "this host's containers get v1 cgroups, which are not delegated",
           "limits need root here, or a host booted with cgroup v2 only");
  } else {
    b.warn(who, "none",
           "no cgroup from " + (f.ownCgroup.empty() ? std::string("the caller's") : f.ownCgroup) +
               " up is owned by " + callerText(f) + " with a cgroup.procs it may write",
           f.systemdRunning
               ? "start it in a delegated cgroup: systemd-run --user --scope -p Delegate=yes ..."
               : "have root chown a cgroup (its directory and cgroup.procs) to you");
  }
  if (layout.mode == cgroups::CgroupMode::kUnified) {
    const Probe& bpf = f.kernel.bpfDeviceFilter;
    if (bpf.isNo()) {
      b.warn("device filter (BPF)", probeValue(bpf),
             "linux.resources.devices needs a BPF_PROG_TYPE_CGROUP_DEVICE program on cgroup v2",
             "a kernel with CONFIG_CGROUP_BPF; check RLIMIT_MEMLOCK below");
    } else {
      b.ok("device filter (BPF)", probeValue(bpf));
    }
    // Before 5.11 BPF memory is charged to RLIMIT_MEMLOCK.
    auto [major, minor] = kernelVersion(f.kernelRelease);
    bool memcgCharged = major > 5 || (major == 5 && minor >= 11);
    std::string memlock =
        f.kernel.memlockBytes ? bytesText(*f.kernel.memlockBytes) : std::string("unlimited");
    if (memcgCharged) {
      b.ok("RLIMIT_MEMLOCK", memlock + " (not used: Linux 5.11+ charges BPF to the memory cgroup)");
    } else if (f.kernel.memlockBytes && *f.kernel.memlockBytes < 64 * 1024) {
      b.warn("RLIMIT_MEMLOCK", memlock,
             "before Linux 5.11 a device program counts against it and may fail with EPERM",
             "raise it (ulimit -l, LimitMEMLOCK= in the service)");
    } else {
      b.ok("RLIMIT_MEMLOCK", memlock);
    }
  }
}

void systemdFindings(Builder& b, const HostFacts& f, const ReportOptions& options) {
  b.topic("systemd");
  std::string pid1 = "pid 1 is " + (f.pid1Name.empty() ? std::string("unknown") : f.pid1Name);
  if (f.systemdRunning) {
    b.ok("running", "yes (" + pid1 + ")");
  } else if (options.systemdCgroup) {
    b.error("running", "no (" + pid1 + ")", "--systemd-cgroup needs systemd as pid 1",
            "drop --systemd-cgroup, or run on a host booted with systemd");
  } else {
    b.ok("running", "no (" + pid1 + "; the cgroupfs driver is used)");
  }
  std::string version = f.systemdVersion.empty() ? "unknown" : f.systemdVersion;
  if (!f.systemdRunning && !f.systemdVersion.empty()) version += " (installed, not running)";
  if (f.systemdRunning || !f.systemdVersion.empty()) b.ok("version", version);
}

void helperFinding(Builder& b, const HostFacts& f, const char* name, const IdMapHelper& h) {
  std::string value = h.path.empty() ? "not found"
                      : h.setuidRoot ? h.path + " (setuid root)"
                      : h.fileCaps   ? h.path + " (file capabilities)"
                                     : h.path + " (neither setuid nor with file capabilities)";
  if (f.uid == 0 || h.usable()) {
    b.ok(name, value + (f.uid == 0 ? "; root writes the maps itself" : ""));
  } else {
    b.warn(name, value, "an unprivileged user maps ids beyond its own through it",
           h.path.empty() ? "apt install uidmap (or your distribution's shadow package)"
                          : "chmod u+s " + h.path);
  }
}

void subIdFinding(Builder& b, const HostFacts& f, const char* file, const char* idKind, uint32_t id,
                  const std::vector<IdRange>& ranges, bool fileExists) {
  std::string name = std::string("ranges in ") + file;
  std::string who = std::string(idKind) + " " + std::to_string(id);
  if (!ranges.empty()) {
    b.ok(name, rangesText(ranges));
  } else if (f.uid == 0) {
    b.ok(name, "none (root maps any id)");
  } else {
    std::string user = f.userName.empty() ? std::to_string(f.uid) : f.userName;
    b.warn(name, fileExists ? "none" : std::string("none (") + file + " does not exist)",
           who + " has no range: a user namespace can map only " + who + " itself",
           std::string("usermod --add-sub") + idKind + "s 100000-165535 " + user);
  }
}

void usernsFindings(Builder& b, const HostFacts& f) {
  b.topic("user namespaces");
  UsernsVerdict verdict = userNamespacesFor(f);
  if (verdict.allowed) {
    b.ok("allowed for " + callerText(f), "yes");
  } else {
    b.warn("allowed for " + callerText(f), "no",
           verdict.reason + "; configs with a user namespace are refused",
           "raise the sysctl (sysctl -w ...), or run as root");
  }
  if (f.maxUserNamespaces) b.ok("user.max_user_namespaces", std::to_string(*f.maxUserNamespaces));
  if (f.unprivilegedUsernsClone) {
    b.ok("kernel.unprivileged_userns_clone", std::to_string(*f.unprivilegedUsernsClone));
  }
  if (f.apparmorRestrictUnprivilegedUserns) {
    b.ok("kernel.apparmor_restrict_unprivileged_userns",
         std::to_string(*f.apparmorRestrictUnprivilegedUserns));
  }
  subIdFinding(b, f, "/etc/subuid", "uid", f.uid, f.subuid, f.subuidFile);
  subIdFinding(b, f, "/etc/subgid", "gid", f.gid, f.subgid, f.subgidFile);
  helperFinding(b, f, "newuidmap", f.newuidmap);
  helperFinding(b, f, "newgidmap", f.newgidmap);
}

void seccompFindings(Builder& b, const HostFacts& f) {
  const KernelProbes& k = f.kernel;
  b.topic("seccomp");
  if (k.seccomp.isNo()) {
    b.warn("available", probeValue(k.seccomp), "configs with linux.seccomp are refused",
           "a kernel with CONFIG_SECCOMP_FILTER");
  } else {
    std::string value = probeValue(k.seccomp);
    if (f.seccompMode && *f.seccompMode != 0) {
      value += " (this process already runs under mode " + std::to_string(*f.seccompMode) + ")";
    }
    b.ok("available", value);
  }
  if (k.seccomp.isYes()) {
    b.ok("actions", listOrNone(k.seccompActions));
    b.ok("filter flags", listOrNone(k.seccompFlags));
  }
  b.ok("libseccomp", k.libseccompVersion.empty() ? "unknown" : k.libseccompVersion);
}

void lsmFindings(Builder& b, const HostFacts& f) {
  b.topic("LSMs");
  b.ok("active", f.lsms ? listOrNone(*f.lsms)
                        : "unknown (securityfs is not mounted on /sys/kernel/security)");
  b.ok("AppArmor",
       f.apparmorEnabled ? "enabled" : "not enabled: process.apparmorProfile is refused");
  b.ok("SELinux",
       f.selinuxMode.empty() ? "not enabled: process.selinuxLabel is refused" : f.selinuxMode);
}

void toolFindings(Builder& b, const HostFacts& f) {
  b.topic("tools");
  if (f.criuPath.empty()) {
    b.warn("criu", "not found", "checkpoint/restore needs CRIU (sangja has no checkpoint yet)",
           "apt install criu");
  } else {
    b.ok("criu", f.criuPath);
  }
}

std::string padded(std::string_view s, size_t width) {
  std::string out(s);
  if (out.size() < width) out.append(width - out.size(), ' ');
  return out;
}

nlohmann::ordered_json probeJson(const Probe& p) {
  if (p.state == Probe::State::kUnknown) return nullptr;
  return p.isYes();
}

template <typename T>
nlohmann::ordered_json optionalJson(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json rangesJson(const std::vector<IdRange>& ranges) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const IdRange& r : ranges) out.push_back({{"start", r.start}, {"count", r.count}});
  return out;
}

nlohmann::ordered_json helperJson(const IdMapHelper& h) {
  return {{"path", h.path}, {"setuidRoot", h.setuidRoot}, {"fileCaps", h.fileCaps}};
}

nlohmann::ordered_json cgroupJson(const HostFacts& f) {
  nlohmann::ordered_json c;
  c["mode"] = f.cgroupLayout ? cgroups::cgroupModeName(f.cgroupLayout->mode) : nullptr;
  c["error"] = f.cgroupError;
  c["v2Mount"] = f.cgroupLayout ? f.cgroupLayout->v2Mount : "";
  std::vector<std::string> v1;
  if (f.cgroupLayout) {
    for (const cgroups::V1Hierarchy& h : f.cgroupLayout->v1)
      v1.insert(v1.end(), h.controllers.begin(), h.controllers.end());
  }
  c["v1Controllers"] = v1;
  c["v2Controllers"] = f.cgroup2Controllers;
  c["ownCgroup"] = f.ownCgroup;
  std::optional<Delegation> d = delegatedCgroup(f);
  c["delegated"] = d ? nlohmann::ordered_json{{"all", d->all},
                                              {"path", d->path},
                                              {"controllers", d->controllers}}
                     : nlohmann::ordered_json(nullptr);
  c["swapAccounting"] = f.cgroupLayout && f.cgroupLayout->mode == cgroups::CgroupMode::kUnified
                            ? f.cgroup2SwapAccounting
                            : f.v1.memsw;
  return c;
}

}  // namespace

const char* levelName(Level level) {
  switch (level) {
    case Level::kOk:
      return "ok";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "unknown";
}

std::vector<Finding> hostFindings(const HostFacts& facts, const ReportOptions& options) {
  std::vector<Finding> out;
  Builder b(out);
  b.topic("caller");
  b.ok("identity", callerText(facts) + ", gid " + std::to_string(facts.gid));
  kernelFindings(b, facts);
  cgroupFindings(b, facts);
  systemdFindings(b, facts, options);
  usernsFindings(b, facts);
  seccompFindings(b, facts);
  lsmFindings(b, facts);
  toolFindings(b, facts);
  return out;
}

int exitStatus(const Report& report) {
  bool hostError = std::any_of(report.findings.begin(), report.findings.end(),
                               [](const Finding& f) { return f.level == Level::kError; });
  return hostError || !report.problems.empty() ? 1 : 0;
}

std::string renderText(const Report& report) {
  std::string out;
  std::string topic;
  size_t warnings = 0;
  for (const Finding& f : report.findings) {
    if (f.topic != topic) {
      topic = f.topic;
      out += (out.empty() ? "" : "\n") + topic + "\n";
    }
    out += "  " + padded(levelName(f.level), 6) + f.name + ": " + f.value + "\n";
    if (!f.reason.empty()) out += "        why: " + f.reason + "\n";
    if (!f.advice.empty()) out += "        fix: " + f.advice + "\n";
    if (f.level == Level::kWarn) ++warnings;
  }
  if (report.bundle) {
    out += "\nbundle " + *report.bundle + "\n";
    if (report.problems.empty()) out += "  ok    every field can be honoured here\n";
    for (const BundleProblem& p : report.problems) {
      std::string where = p.jsonPath.empty() ? "config.json" : p.jsonPath;
      out += "  error " + where + ": " + p.reason +
             (p.source == "create" ? " (create refuses it)" : "") + "\n";
    }
  }
  out += "\n";
  std::vector<std::string> counts;
  if (!report.problems.empty()) {
    counts.push_back(std::to_string(report.problems.size()) +
                     (report.problems.size() == 1 ? " problem" : " problems"));
  }
  if (warnings > 0)
    counts.push_back(std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings"));
  if (exitStatus(report) == 0) {
    out +=
        report.bundle ? "result: this bundle can run here" : "result: this host can run containers";
  } else if (!report.problems.empty()) {
    out += "result: this bundle cannot run here";
  } else {
    out += "result: this host cannot run containers";
  }
  if (!counts.empty()) out += " (" + joined(counts, ", ") + ")";
  return out + "\n";
}

nlohmann::ordered_json renderJson(const Report& report, const HostFacts& f) {
  const KernelProbes& k = f.kernel;
  UsernsVerdict userns = userNamespacesFor(f);
  nlohmann::ordered_json out;
  out["ok"] = exitStatus(report) == 0;
  out["caller"] = {{"uid", f.uid}, {"gid", f.gid}, {"user", f.userName}};
  out["kernel"] = {{"release", f.kernelRelease},
                   {"clone3", probeJson(k.clone3)},
                   {"pidfdOpen", probeJson(k.pidfdOpen)},
                   {"openat2", probeJson(k.openat2)},
                   {"closeRange", probeJson(k.closeRange)},
                   {"mountSetattr", probeJson(k.mountSetattr)},
                   {"idmappedMounts", probeJson(k.idmappedMounts)},
                   {"timeNamespace", f.hasNamespaceKind("time")},
                   {"bpfDeviceFilter", probeJson(k.bpfDeviceFilter)},
                   {"memlockBytes", optionalJson(k.memlockBytes)},
                   {"overlayfs", f.overlayfs},
                   {"namespaces", f.namespaceKinds}};
  out["cgroup"] = cgroupJson(f);
  out["systemd"] = {
      {"running", f.systemdRunning}, {"pid1", f.pid1Name}, {"version", f.systemdVersion}};
  out["userNamespaces"] = {
      {"allowed", userns.allowed},
      {"reason", userns.reason},
      {"maxUserNamespaces", optionalJson(f.maxUserNamespaces)},
      {"unprivilegedUsernsClone", optionalJson(f.unprivilegedUsernsClone)},
      {"apparmorRestrictUnprivilegedUserns", optionalJson(f.apparmorRestrictUnprivilegedUserns)},
      {"subuid", rangesJson(f.subuid)},
      {"subgid", rangesJson(f.subgid)},
      {"newuidmap", helperJson(f.newuidmap)},
      {"newgidmap", helperJson(f.newgidmap)}};
  out["seccomp"] = {{"available", probeJson(k.seccomp)},
                    {"mode", optionalJson(f.seccompMode)},
                    {"actions", k.seccompActions},
                    {"flags", k.seccompFlags},
                    {"libseccomp", k.libseccompVersion}};
  out["lsm"] = {{"active", optionalJson(f.lsms)},
                {"apparmor", f.apparmorEnabled},
                {"selinux", f.selinuxMode}};
  out["criu"] = {{"path", f.criuPath}};
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const Finding& x : report.findings) {
    findings.push_back({{"topic", x.topic},
                        {"name", x.name},
                        {"value", x.value},
                        {"level", levelName(x.level)},
                        {"reason", x.reason},
                        {"advice", x.advice}});
  }
  out["findings"] = std::move(findings);
  if (report.bundle) {
    nlohmann::ordered_json problems = nlohmann::ordered_json::array();
    for (const BundleProblem& p : report.problems) {
      problems.push_back({{"path", p.jsonPath}, {"reason", p.reason}, {"source", p.source}});
    }
    out["bundle"] = {{"dir", *report.bundle},
                     {"ok", report.problems.empty()},
                     {"problems", std::move(problems)}};
  }
  return out;
}

}  // namespace sangja::check
