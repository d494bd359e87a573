// sd-bus through dlopen: a table of the functions used, filled once.
#include "cgroups/systemd_bus.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "base/log.h"

namespace sangja::cgroups {

namespace {

constexpr const char* kLibrary = "libsystemd.so.0";
constexpr const char* kDestination = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
constexpr const char* kNoSuchUnit = "org.freedesktop.systemd1.NoSuchUnit";
constexpr const char* kUnitExists = "org.freedesktop.systemd1.UnitExists";
// How long a unit's job may take (runc waits 30 s too); a method call's own
// timeout is sd-bus's default (25 s).
constexpr int64_t kJobTimeoutNs = 30'000'000'000;

// The sd-bus functions used, resolved from the library.
struct SdBus {
  decltype(&sd_bus_open_system) openSystem;
  decltype(&sd_bus_open_user) openUser;
  decltype(&sd_bus_get_property_string) getPropertyString;
  decltype(&sd_bus_flush_close_unref) flushCloseUnref;
  decltype(&sd_bus_message_new_method_call) newMethodCall;
  decltype(&sd_bus_message_append) append;
  decltype(&sd_bus_message_append_array) appendArray;
  decltype(&sd_bus_message_open_container) openContainer;
  decltype(&sd_bus_message_close_container) closeContainer;
  decltype(&sd_bus_message_read) read;
  decltype(&sd_bus_message_unref) messageUnref;
  decltype(&sd_bus_call) call;
  decltype(&sd_bus_call_method) callMethod;
  decltype(&sd_bus_error_free) errorFree;
  decltype(&sd_bus_error_has_name) errorHasName;
  decltype(&sd_bus_match_signal) matchSignal;
  decltype(&sd_bus_slot_unref) slotUnref;
  decltype(&sd_bus_process) process;
  decltype(&sd_bus_wait) wait;
};

template <typename F>
bool resolve(void* lib, const char* name, F& out) {
  out = reinterpret_cast<F>(::dlsym(lib, name));
  return out != nullptr;
}

// Loaded once per process; the handle stays open for its lifetime.
Result<const SdBus*> loadSdBus() {
  static SdBus table;
  static bool loaded = false;
  if (loaded) return &table;
  void* lib = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    return Error::invalid(std::string("--systemd-cgroup: cannot load ") + kLibrary + " (" +
                              ::dlerror() + "); install libsystemd0",
                          ENOENT);
  }
  bool all = resolve(lib, "sd_bus_open_system", table.openSystem) &&
             resolve(lib, "sd_bus_open_user", table.openUser) &&
             resolve(lib, "sd_bus_get_property_string", table.getPropertyString) &&
             resolve(lib, "sd_bus_flush_close_unref", table.flushCloseUnref) &&
             resolve(lib, "sd_bus_message_new_method_call", table.newMethodCall) &&
             resolve(lib, "sd_bus_message_append", table.append) &&
             resolve(lib, "sd_bus_message_append_array", table.appendArray) &&
             resolve(lib, "sd_bus_message_open_container", table.openContainer) &&
             resolve(lib, "sd_bus_message_close_container", table.closeContainer) &&
             resolve(lib, "sd_bus_message_read", table.read) &&
             resolve(lib, "sd_bus_message_unref", table.messageUnref) &&
             resolve(lib, "sd_bus_call", table.call) &&
             resolve(lib, "sd_bus_call_method", table.callMethod) &&
             resolve(lib, "sd_bus_error_free", table.errorFree) &&
             resolve(lib, "sd_bus_error_has_name", table.errorHasName) &&
             resolve(lib, "sd_bus_match_signal", table.matchSignal) &&
             resolve(lib, "sd_bus_slot_unref", table.slotUnref) &&
             resolve(lib, "sd_bus_process", table.process) &&
             resolve(lib, "sd_bus_wait", table.wait);
  if (!all) {
    return Error::invalid(std::string("--systemd-cgroup: ") + kLibrary +
                              " lacks an sd-bus function sangja needs (systemd 237 or later)",
                          ENOSYS);
  }
  loaded = true;
  return &table;
}

int64_t monotonicNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Where sd_bus_open_user looks, for the error when nobody answers there.
std::string userBusAddress() {
  if (const char* address = ::getenv("DBUS_SESSION_BUS_ADDRESS"); address && *address) {
    return address;
  }
  if (const char* dir = ::getenv("XDG_RUNTIME_DIR"); dir && *dir) {
    return std::string(dir) + "/bus";
  }
  return "neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set";
}

// An sd_bus_error freed on scope exit.
class BusError {
 public:
  explicit BusError(const SdBus& sd) : sd_(sd) {}
  ~BusError() { sd_.errorFree(&e_); }
  BusError(const BusError&) = delete;
  BusError& operator=(const BusError&) = delete;
  sd_bus_error* get() { return &e_; }
  bool is(const char* name) const { return sd_.errorHasName(&e_, name) > 0; }
  // "what: the bus's message (errno)".
  Error toError(const std::string& what, int r) const {
    std::string msg = what + ": ";
    msg += e_.message != nullptr ? e_.message : std::strerror(-r);
    return Error::invalid(std::move(msg), -r);
  }

 private:
  const SdBus& sd_;
  sd_bus_error e_ = SD_BUS_ERROR_NULL;
};

// A message reference dropped on scope exit.
class Message {
 public:
  explicit Message(const SdBus& sd) : sd_(sd) {}
  ~Message() { sd_.messageUnref(m_); }
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  sd_bus_message** out() { return &m_; }
  sd_bus_message* get() const { return m_; }

 private:
  const SdBus& sd_;
  sd_bus_message* m_ = nullptr;
};

// Appends one property value to a message, in its D-Bus type.
struct ValueWriter {
  const SdBus& sd;
  sd_bus_message* m;
  int operator()(bool v) const {
    int r = sd.openContainer(m, 'v', "b");
    return r < 0 ? r : sd.append(m, "b", static_cast<int>(v));
  }
  int operator()(uint64_t v) const {
    int r = sd.openContainer(m, 'v', "t");
    return r < 0 ? r : sd.append(m, "t", v);
  }
  int operator()(const std::string& v) const {
    int r = sd.openContainer(m, 'v', "s");
    return r < 0 ? r : sd.append(m, "s", v.c_str());
  }
  int operator()(const std::vector<uint8_t>& v) const {
    int r = sd.openContainer(m, 'v', "ay");
    return r < 0 ? r : sd.appendArray(m, 'y', v.data(), v.size());
  }
  int operator()(const std::vector<uint32_t>& v) const {
    int r = sd.openContainer(m, 'v', "au");
    return r < 0 ? r : sd.appendArray(m, 'u', v.data(), v.size() * sizeof(uint32_t));
  }
  int operator()(const DeviceAllowList& v) const {
    int r = sd.openContainer(m, 'v', "a(ss)");
    if (r >= 0) r = sd.openContainer(m, 'a', "(ss)");
    for (const auto& [path, access] : v) {
      if (r >= 0) r = sd.append(m, "(ss)", path.c_str(), access.c_str());
    }
    return r < 0 ? r : sd.closeContainer(m);
  }
};

// Appends a(sv).
int appendProperties(const SdBus& sd, sd_bus_message* m, const std::vector<UnitProperty>& props) {
  int r = sd.openContainer(m, 'a', "(sv)");
  for (const UnitProperty& p : props) {
    if (r >= 0) r = sd.openContainer(m, 'r', "sv");
    if (r >= 0) r = sd.append(m, "s", p.name.c_str());
    if (r >= 0) r = std::visit(ValueWriter{sd, m}, p.value);
    if (r >= 0) r = sd.closeContainer(m);  // v
    if (r >= 0) r = sd.closeContainer(m);  // r
  }
  return r < 0 ? r : sd.closeContainer(m);
}

// JobRemoved signals seen so far: a job can finish before its caller has
// read the reply that names it.
struct JobResults {
  const SdBus* sd = nullptr;
  std::vector<std::pair<std::string, std::string>> done;  // job path, result
};

int onJobRemoved(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  auto* jobs = static_cast<JobResults*>(userdata);
  uint32_t id = 0;
  const char* path = nullptr;
  const char* unit = nullptr;
  const char* result = nullptr;
  if (jobs->sd->read(m, "uoss", &id, &path, &unit, &result) >= 0) {
    jobs->done.emplace_back(path, result);
  }
  return 0;
}

}  // namespace

struct SystemdBus::Impl {
  const SdBus& sd;
  sd_bus* bus = nullptr;
  sd_bus_slot* jobSlot = nullptr;
  JobResults jobs;

  explicit Impl(const SdBus& table) : sd(table) { jobs.sd = &table; }
  ~Impl() {
    sd.slotUnref(jobSlot);
    sd.flushCloseUnref(bus);
  }

  // Waits for JobRemoved of job; its result must be "done".
  Status waitForJob(const std::string& job, const std::string& what) {
    int64_t deadline = monotonicNs() + kJobTimeoutNs;
    while (true) {
      for (const auto& [path, result] : jobs.done) {
        if (path != job) continue;
        if (result == "done") return {};
        return Error::invalid(
            what + ": systemd's job ended \"" + result + "\" (see journalctl for the unit)", EIO);
      }
      int r = sd.process(bus, nullptr);
      if (r < 0) return Error::fromErrno(-r, what + ": reading from the system bus");
      if (r > 0) continue;  // more may be queued
      int64_t left = deadline - monotonicNs();
      if (left <= 0) return Error::invalid(what + ": systemd's job did not finish in 30 s", ETIME);
      r = sd.wait(bus, static_cast<uint64_t>(left / 1000));
      if (r < 0) return Error::fromErrno(-r, what + ": waiting on the system bus");
    }
  }

  // A Manager method that returns a job; then waits for the job.
  Status callForJob(const char* method, const std::string& unit, const std::string& what,
                    const std::vector<UnitProperty>* props) {
    Message call(sd);
    int r = sd.newMethodCall(bus, call.out(), kDestination, kManagerPath, kManager, method);
    if (r >= 0) r = sd.append(call.get(), "ss", unit.c_str(), props ? "fail" : "replace");
    if (r >= 0 && props != nullptr) {
      r = appendProperties(sd, call.get(), *props);
      if (r >= 0) r = sd.append(call.get(), "a(sa(sv))", 0);  // no auxiliary units
    }
    if (r < 0) return Error::fromErrno(-r, what + ": building the D-Bus call");
    BusError error(sd);
    Message reply(sd);
    r = sd.call(bus, call.get(), 0, error.get(), reply.out());
    if (r < 0) {
      if (props == nullptr && error.is(kNoSuchUnit)) return {};  // stopping: gone already
      if (props != nullptr && error.is(kUnitExists)) {
        return Error::invalid(error.toError(what, r).message(), EEXIST);
      }
      return error.toError(what, r);
    }
    const char* job = nullptr;
    r = sd.read(reply.get(), "o", &job);
    if (r < 0) return Error::fromErrno(-r, what + ": reading systemd's reply");
    return waitForJob(job, what);
  }
};

SystemdBus::SystemdBus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SystemdBus::~SystemdBus() = default;
SystemdBus::SystemdBus(SystemdBus&&) noexcept = default;
SystemdBus& SystemdBus::operator=(SystemdBus&&) noexcept = default;

Result<SystemdBus> SystemdBus::connect(SystemdInstance instance) {
  // sd_booted(3)'s test, without loading the library for it.
  struct stat st {};
  if (::lstat("/run/systemd/system", &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Error::invalid(
        "--systemd-cgroup: systemd is not running on this host (/run/systemd/system is "
        "missing); leave out --systemd-cgroup to use the cgroupfs driver",
        ENOTSUP);
  }
  const SdBus& sd = *TRY(loadSdBus());
  auto impl = std::make_unique<Impl>(sd);
  if (instance == SystemdInstance::kSystem) {
    int r = sd.openSystem(&impl->bus);
    if (r < 0) return Error::fromErrno(-r, "--systemd-cgroup: connecting to the system bus");
  } else {
    // $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus: the user's
    // session bus, where the user's systemd instance answers.
    int r = sd.openUser(&impl->bus);
    if (r < 0) {
      return Error::fromErrno(
          -r, "--systemd-cgroup: connecting to the session bus of uid " +
                  std::to_string(::geteuid()) + " (" + userBusAddress() +
                  "), where a rootless container's scope is made by the user's own systemd: "
                  "log in, or `loginctl enable-linger`, or leave out --systemd-cgroup");
    }
  }
  // Before any job is asked for, so that no JobRemoved is missed.
  int r = sd.matchSignal(impl->bus, &impl->jobSlot, kDestination, kManagerPath, kManager,
                         "JobRemoved", onJobRemoved, &impl->jobs);
  if (r < 0) return Error::fromErrno(-r, "--systemd-cgroup: subscribing to systemd's jobs");
  return SystemdBus(std::move(impl));
}

Result<std::string> SystemdBus::managerControlGroup() {
  const SdBus& sd = impl_->sd;
  BusError error(sd);
  char* value = nullptr;
  int r = sd.getPropertyString(impl_->bus, kDestination, kManagerPath, kManager, "ControlGroup",
                               error.get(), &value);
  if (r < 0) return error.toError("systemd: reading the manager's ControlGroup", r);
  std::string out = value != nullptr ? value : "";
  ::free(value);
  return out;
}

Result<bool> SystemdBus::unitLoaded(const std::string& unit) {
  const SdBus& sd = impl_->sd;
  BusError error(sd);
  Message reply(sd);
  int r = sd.callMethod(impl_->bus, kDestination, kManagerPath, kManager, "GetUnit", error.get(),
                        reply.out(), "s", unit.c_str());
  if (r >= 0) return true;
  if (error.is(kNoSuchUnit)) return false;
  return error.toError("systemd: looking up " + unit, r);
}

bool SystemdBus::unitFileExists(const std::string& unit) {
  const SdBus& sd = impl_->sd;
  BusError error(sd);
  Message reply(sd);
  return sd.callMethod(impl_->bus, kDestination, kManagerPath, kManager, "GetUnitFileState",
                       error.get(), reply.out(), "s", unit.c_str()) >= 0;
}

Status SystemdBus::startTransientUnit(const std::string& unit,
                                      const std::vector<UnitProperty>& props) {
  return impl_->callForJob("StartTransientUnit", unit, "systemd: starting " + unit, &props);
}

Status SystemdBus::setUnitProperties(const std::string& unit,
                                     const std::vector<UnitProperty>& props) {
  const SdBus& sd = impl_->sd;
  std::string what = "systemd: setting properties of " + unit;
  Message call(sd);
  int r = sd.newMethodCall(impl_->bus, call.out(), kDestination, kManagerPath, kManager,
                           "SetUnitProperties");
  if (r >= 0) r = sd.append(call.get(), "sb", unit.c_str(), 1);  // runtime only
  if (r >= 0) r = appendProperties(sd, call.get(), props);
  if (r < 0) return Error::fromErrno(-r, what + ": building the D-Bus call");
  BusError error(sd);
  Message reply(sd);
  r = sd.call(impl_->bus, call.get(), 0, error.get(), reply.out());
  if (r < 0) return error.toError(what, r);
  return {};
}

Status SystemdBus::stopUnit(const std::string& unit) {
  TRY(impl_->callForJob("StopUnit", unit, "systemd: stopping " + unit, nullptr));
  // A unit that failed stays loaded (and its name taken) until reset.
  const SdBus& sd = impl_->sd;
  BusError error(sd);
  Message reply(sd);
  int r = sd.callMethod(impl_->bus, kDestination, kManagerPath, kManager, "ResetFailedUnit",
                        error.get(), reply.out(), "s", unit.c_str());
  if (r < 0 && !error.is(kNoSuchUnit) && !error.is("org.freedesktop.systemd1.UnitNotFailed")) {
    log::warning("systemd: resetting " + unit + " after stop: " + error.toError("", r).message());
  }
  return {};
}

}  // namespace sangja::cgroups
