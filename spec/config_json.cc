// config.h's toJson: serialization in Go struct field order with Go's
// omitempty rules (what runc writes, byte for byte where it matters).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/config.h"

namespace sangja::spec {

using ojson = nlohmann::ordered_json;

namespace {

template <class T>
void putOpt(ojson& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
void putStr(ojson& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
void putBool(ojson& j, const char* key, bool v) {
  if (v) j[key] = true;
}
template <class T>
void putNum(ojson& j, const char* key, T v) {
  if (v != 0) j[key] = v;
}
template <class T>
void putList(ojson& j, const char* key, const std::vector<T>& v) {
  if (!v.empty()) j[key] = v;
}
template <class T, class F>
void putList(ojson& j, const char* key, const std::vector<T>& v, F f) {
  if (v.empty()) return;
  ojson a = ojson::array();
  for (const T& x : v) a.push_back(f(x));
  j[key] = std::move(a);
}
template <class T, class F>
void putMap(ojson& j, const char* key, const std::map<std::string, T>& m, F f) {
  if (m.empty()) return;
  ojson o = ojson::object();
  for (const auto& [k, v] : m) o[k] = f(v);
  j[key] = std::move(o);
}
void putStrMap(ojson& j, const char* key, const std::map<std::string, std::string>& m) {
  putMap(j, key, m, [](const std::string& v) { return v; });
}

ojson idMappingJson(const IdMapping& m) {
  ojson j;
  j["containerID"] = m.containerID;
  j["hostID"] = m.hostID;
  j["size"] = m.size;
  return j;
}

ojson processJson(const Process& p) {
  ojson j = ojson::object();
  putBool(j, "terminal", p.terminal);
  if (p.consoleSize)
    j["consoleSize"] = {{"height", p.consoleSize->height}, {"width", p.consoleSize->width}};
  ojson u;
  u["uid"] = p.user.uid;
  u["gid"] = p.user.gid;
  putOpt(u, "umask", p.user.umask);
  putList(u, "additionalGids", p.user.additionalGids);
  putStr(u, "username", p.user.username);
  j["user"] = std::move(u);
  putList(j, "args", p.args);
  putStr(j, "commandLine", p.commandLine);
  putList(j, "env", p.env);
  j["cwd"] = p.cwd;
  if (p.capabilities) {
    ojson c = ojson::object();
    putList(c, "bounding", p.capabilities->bounding);
    putList(c, "effective", p.capabilities->effective);
    putList(c, "inheritable", p.capabilities->inheritable);
    putList(c, "permitted", p.capabilities->permitted);
    putList(c, "ambient", p.capabilities->ambient);
    j["capabilities"] = std::move(c);
  }
  putList(j, "rlimits", p.rlimits, [](const Rlimit& r) {
    ojson o;
    o["type"] = r.type;
    o["hard"] = r.hard;
    o["soft"] = r.soft;
    return o;
  });
  putBool(j, "noNewPrivileges", p.noNewPrivileges);
  putStr(j, "apparmorProfile", p.apparmorProfile);
  putOpt(j, "oomScoreAdj", p.oomScoreAdj);
  if (const auto& s = p.scheduler) {
    ojson o;
    o["policy"] = s->policy;
    putNum(o, "nice", s->nice);
    putNum(o, "priority", s->priority);
    putList(o, "flags", s->flags);
    putNum(o, "runtime", s->runtime);
    putNum(o, "deadline", s->deadline);
    putNum(o, "period", s->period);
    j["scheduler"] = std::move(o);
  }
  putStr(j, "selinuxLabel", p.selinuxLabel);
  if (p.ioPriority) {
    ojson o;
    o["class"] = p.ioPriority->ioClass;
    o["priority"] = p.ioPriority->priority;
    j["ioPriority"] = std::move(o);
  }
  if (p.execCPUAffinity) {
    ojson o = ojson::object();
    putStr(o, "initial", p.execCPUAffinity->initial);
    putStr(o, "final", p.execCPUAffinity->final);
    j["execCPUAffinity"] = std::move(o);
  }
  return j;
}

ojson hookJson(const Hook& h) {
  ojson j;
  j["path"] = h.path;
  putList(j, "args", h.args);
  putList(j, "env", h.env);
  putOpt(j, "timeout", h.timeout);
  return j;
}

ojson throttleJson(const ThrottleDevice& t) {
  ojson j;
  j["major"] = t.major;
  j["minor"] = t.minor;
  j["rate"] = t.rate;
  return j;
}

ojson resourcesJson(const Resources& r) {
  ojson j = ojson::object();
  putList(j, "devices", r.devices, [](const DeviceCgroupRule& d) {
    ojson o;
    o["allow"] = d.allow;
    putStr(o, "type", d.type);
    putOpt(o, "major", d.major);
    putOpt(o, "minor", d.minor);
    putStr(o, "access", d.access);
    return o;
  });
  if (const auto& m = r.memory) {
    ojson o = ojson::object();
    putOpt(o, "limit", m->limit);
    putOpt(o, "reservation", m->reservation);
    putOpt(o, "swap", m->swap);
    putOpt(o, "kernel", m->kernel);
    putOpt(o, "kernelTCP", m->kernelTCP);
    putOpt(o, "swappiness", m->swappiness);
    putOpt(o, "disableOOMKiller", m->disableOOMKiller);
    putOpt(o, "useHierarchy", m->useHierarchy);
    putOpt(o, "checkBeforeUpdate", m->checkBeforeUpdate);
    j["memory"] = std::move(o);
  }
  if (const auto& c = r.cpu) {
    ojson o = ojson::object();
    putOpt(o, "shares", c->shares);
    putOpt(o, "quota", c->quota);
    putOpt(o, "burst", c->burst);
    putOpt(o, "period", c->period);
    putOpt(o, "realtimeRuntime", c->realtimeRuntime);
    putOpt(o, "realtimePeriod", c->realtimePeriod);
    putStr(o, "cpus", c->cpus);
    putStr(o, "mems", c->mems);
    putOpt(o, "idle", c->idle);
    j["cpu"] = std::move(o);
  }
  if (r.pids) {
    ojson o = ojson::object();
    putOpt(o, "limit", r.pids->limit);
    j["pids"] = std::move(o);
  }
  if (const auto& b = r.blockIO) {
    ojson o = ojson::object();
    putOpt(o, "weight", b->weight);
    putOpt(o, "leafWeight", b->leafWeight);
    putList(o, "weightDevice", b->weightDevice, [](const WeightDevice& w) {
      ojson d;
      d["major"] = w.major;
      d["minor"] = w.minor;
      putOpt(d, "weight", w.weight);
      putOpt(d, "leafWeight", w.leafWeight);
      return d;
    });
    putList(o, "throttleReadBpsDevice", b->throttleReadBpsDevice, throttleJson);
    putList(o, "throttleWriteBpsDevice", b->throttleWriteBpsDevice, throttleJson);
    putList(o, "throttleReadIOPSDevice", b->throttleReadIOPSDevice, throttleJson);
    putList(o, "throttleWriteIOPSDevice", b->throttleWriteIOPSDevice, throttleJson);
    j["blockIO"] = std::move(o);
  }
  putList(j, "hugepageLimits", r.hugepageLimits, [](const HugepageLimit& h) {
    ojson o;
    o["pageSize"] = h.pageSize;
    o["limit"] = h.limit;
    return o;
  });
  if (const auto& n = r.network) {
    ojson o = ojson::object();
    putOpt(o, "classID", n->classID);
    putList(o, "priorities", n->priorities, [](const InterfacePriority& p) {
      ojson x;
      x["name"] = p.name;
      x["priority"] = p.priority;
      return x;
    });
    j["network"] = std::move(o);
  }
  putMap(j, "rdma", r.rdma, [](const Rdma& d) {
    ojson o = ojson::object();
    putOpt(o, "hcaHandles", d.hcaHandles);
    putOpt(o, "hcaObjects", d.hcaObjects);
    return o;
  });
  putStrMap(j, "unified", r.unified);
  return j;
}

ojson linuxJson(const Linux& l) {
  ojson j = ojson::object();
  putList(j, "uidMappings", l.uidMappings, idMappingJson);
  putList(j, "gidMappings", l.gidMappings, idMappingJson);
  putStrMap(j, "sysctl", l.sysctl);
  if (l.resources) j["resources"] = resourcesJson(*l.resources);
  putStr(j, "cgroupsPath", l.cgroupsPath);
  putList(j, "namespaces", l.namespaces, [](const Namespace& ns) {
    ojson o;
    o["type"] = namespaceTypeName(ns.type);
    if (ns.path) o["path"] = *ns.path;
    return o;
  });
  putList(j, "devices", l.devices, [](const Device& d) {
    ojson o;
    o["path"] = d.path;
    o["type"] = std::string(1, d.type);
    o["major"] = d.major;
    o["minor"] = d.minor;
    putOpt(o, "fileMode", d.fileMode);
    putOpt(o, "uid", d.uid);
    putOpt(o, "gid", d.gid);
    return o;
  });
  putMap(j, "netDevices", l.netDevices, [](const NetDevice& d) {
    ojson o = ojson::object();
    putStr(o, "name", d.name);
    return o;
  });
  if (const auto& s = l.seccomp) {
    ojson o;
    o["defaultAction"] = s->defaultAction;
    putOpt(o, "defaultErrnoRet", s->defaultErrnoRet);
    putList(o, "architectures", s->architectures);
    putList(o, "flags", s->flags);
    putStr(o, "listenerPath", s->listenerPath);
    putStr(o, "listenerMetadata", s->listenerMetadata);
    putList(o, "syscalls", s->syscalls, [](const Syscall& sc) {
      ojson x;
      x["names"] = sc.names;
      x["action"] = sc.action;
      putOpt(x, "errnoRet", sc.errnoRet);
      putList(x, "args", sc.args, [](const SeccompArg& a) {
        ojson y;
        y["index"] = a.index;
        y["value"] = a.value;
        putNum(y, "valueTwo", a.valueTwo);
        y["op"] = a.op;
        return y;
      });
      return x;
    });
    j["seccomp"] = std::move(o);
  }
  putStr(j, "rootfsPropagation", l.rootfsPropagation);
  putList(j, "maskedPaths", l.maskedPaths);
  putList(j, "readonlyPaths", l.readonlyPaths);
  putStr(j, "mountLabel", l.mountLabel);
  if (const auto& r = l.intelRdt) {
    ojson o = ojson::object();
    putStr(o, "closID", r->closID);
    putList(o, "schemata", r->schemata);
    putStr(o, "l3CacheSchema", r->l3CacheSchema);
    putStr(o, "memBwSchema", r->memBwSchema);
    putBool(o, "enableMonitoring", r->enableMonitoring);
    j["intelRdt"] = std::move(o);
  }
  if (const auto& m = l.memoryPolicy) {
    ojson o;
    o["mode"] = m->mode;
    putStr(o, "nodes", m->nodes);
    putList(o, "flags", m->flags);
    j["memoryPolicy"] = std::move(o);
  }
  if (const auto& p = l.personality) {
    ojson o;
    o["domain"] = p->domain;
    putList(o, "flags", p->flags);
    j["personality"] = std::move(o);
  }
  putMap(j, "timeOffsets", l.timeOffsets, [](const TimeOffset& t) {
    ojson o = ojson::object();
    putNum(o, "secs", t.secs);
    putNum(o, "nanosecs", t.nanosecs);
    return o;
  });
  return j;
}

ojson configJson(const Config& c) {
  ojson j;
  j["ociVersion"] = c.ociVersion;
  if (c.process) j["process"] = processJson(*c.process);
  ojson root;
  root["path"] = c.root.path;
  putBool(root, "readonly", c.root.readonly);
  j["root"] = std::move(root);
  putStr(j, "hostname", c.hostname);
  putStr(j, "domainname", c.domainname);
  putList(j, "mounts", c.mounts, [](const Mount& m) {
    ojson o;
    o["destination"] = m.destination;
    putStr(o, "type", m.type);
    putStr(o, "source", m.source);
    putList(o, "options", m.options);
    putList(o, "uidMappings", m.uidMappings, idMappingJson);
    putList(o, "gidMappings", m.gidMappings, idMappingJson);
    return o;
  });
  if (!c.hooks.empty()) {
    ojson h = ojson::object();
    putList(h, "prestart", c.hooks.prestart, hookJson);
    putList(h, "createRuntime", c.hooks.createRuntime, hookJson);
    putList(h, "createContainer", c.hooks.createContainer, hookJson);
    putList(h, "startContainer", c.hooks.startContainer, hookJson);
    putList(h, "poststart", c.hooks.poststart, hookJson);
    putList(h, "poststop", c.hooks.poststop, hookJson);
    j["hooks"] = std::move(h);
  }
  putStrMap(j, "annotations", c.annotations);
  if (c.linux) j["linux"] = linuxJson(*c.linux);
  return j;
}

std::string dump(const ojson& j, int indent, char indentChar) {
  return j.dump(indent, indentChar, false, ojson::error_handler_t::replace);
}

}  // namespace

std::string toJson(const Config& config, int indent, char indentChar) {
  return dump(configJson(config), indent, indentChar);
}

std::string toJson(const Process& process, int indent, char indentChar) {
  return dump(processJson(process), indent, indentChar);
}

std::string toJson(const Resources& resources, int indent, char indentChar) {
  return dump(resourcesJson(resources), indent, indentChar);
}

}  // namespace sangja::spec
