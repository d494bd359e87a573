#include "spec/state.h"

#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "spec/config.h"
#include "spec/json_util.h"

namespace sangja::spec {

using json_detail::fail;
using json_detail::Obj;
using json_detail::parseDocument;
using json_detail::quote;
using ojson = nlohmann::ordered_json;

namespace {

std::string dump(const ojson& j, int indent = -1) {
  return j.dump(indent, ' ', false, ojson::error_handler_t::replace);
}

ojson annotationsJson(const std::map<std::string, std::string>& annotations) {
  ojson o = ojson::object();
  for (const auto& [k, v] : annotations) o[k] = v;
  return o;
}

using Annotations = std::map<std::string, std::string>;

}  // namespace

constexpr std::pair<Status, const char*> kStatusNames[] = {{Status::kCreating, "creating"},
                                                           {Status::kCreated, "created"},
                                                           {Status::kRunning, "running"},
                                                           {Status::kPaused, "paused"},
                                                           {Status::kStopped, "stopped"}};

const char* statusName(Status status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<Status> statusFromName(std::string_view name) {
  for (const auto& [value, text] : kStatusNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string toJson(const State& s) {
  ojson j;
  j["ociVersion"] = s.ociVersion;
  j["id"] = s.id;
  j["status"] = statusName(s.status);
  if (s.pid != 0) j["pid"] = s.pid;
  j["bundle"] = s.bundle;
  if (!s.annotations.empty()) j["annotations"] = annotationsJson(s.annotations);
  return dump(j);
}

Result<State> parseState(std::string_view text) {
  return parseDocument<State>(text, "state", [](const Obj& o) {
    State s;
    s.ociVersion = o.req<std::string>("ociVersion");
    s.id = o.req<std::string>("id");
    std::string status = o.req<std::string>("status");
    std::optional<Status> known = statusFromName(status);
    if (!known) fail(o.at("status"), "unknown status " + quote(status));
    s.status = *known;
    s.pid = o.get<int>("pid");
    if (s.pid < 0) fail(o.at("pid"), "must not be negative");
    s.bundle = o.req<std::string>("bundle");
    s.annotations = o.get<Annotations>("annotations");
    return s;
  });
}

std::string toJson(const StoredState& s) {
  ojson j;
  j["id"] = s.id;
  j["bundle"] = s.bundle;
  j["rootfs"] = s.rootfs;
  j["pid"] = s.pid;
  j["pidStartTime"] = s.pidStartTime;
  j["created"] = s.created;
  j["owner"] = s.owner;
  j["cgroupPath"] = s.cgroupPath;
  if (!s.cgroupCreatedFrom.empty()) j["cgroupCreatedFrom"] = s.cgroupCreatedFrom;
  if (!s.cgroupMode.empty()) j["cgroupMode"] = s.cgroupMode;
  if (!s.cgroupDriver.empty()) j["cgroupDriver"] = s.cgroupDriver;
  if (!s.cgroupMadeSlice.empty()) j["cgroupMadeSlice"] = s.cgroupMadeSlice;
  j["annotations"] = annotationsJson(s.annotations);
  if (s.noNewKeyring) j["noNewKeyring"] = true;
  if (s.noProcess) j["noProcess"] = true;
  return dump(j);
}

Result<StoredState> parseStoredState(std::string_view text) {
  return parseDocument<StoredState>(text, "state.json", [](const Obj& o) {
    StoredState s;
    s.id = o.req<std::string>("id");
    if (s.id.empty()) fail(o.at("id"), "must be a non-empty string");
    s.bundle = o.req<std::string>("bundle");
    s.rootfs = o.req<std::string>("rootfs");
    s.pid = o.req<int>("pid");
    if (s.pid < 0) fail(o.at("pid"), "must not be negative");
    s.pidStartTime = o.get<uint64_t>("pidStartTime");
    s.created = o.get<std::string>("created");
    s.owner = o.get<std::string>("owner");
    s.cgroupPath = o.get<std::string>("cgroupPath");
    s.cgroupCreatedFrom = o.get<std::string>("cgroupCreatedFrom");
    s.cgroupMode = o.get<std::string>("cgroupMode");
    s.cgroupDriver = o.get<std::string>("cgroupDriver");
    s.cgroupMadeSlice = o.get<std::string>("cgroupMadeSlice");
    s.annotations = o.get<Annotations>("annotations");
    s.noNewKeyring = o.get<bool>("noNewKeyring");
    s.noProcess = o.get<bool>("noProcess");
    return s;
  });
}

std::string renderStateJson(const StoredState& s, std::string_view status, int pid) {
  ojson j;
  j["ociVersion"] = std::string(kOciVersion);
  j["id"] = s.id;
  j["pid"] = pid;
  j["status"] = std::string(status);
  j["bundle"] = s.bundle;
  j["rootfs"] = s.rootfs;
  j["created"] = s.created;
  if (!s.annotations.empty()) j["annotations"] = annotationsJson(s.annotations);
  j["owner"] = s.owner;
  return dump(j, 2);
}

namespace {

// Days since 1970-01-01 as a proleptic Gregorian date (the civil-from-days
// arithmetic of 400-year eras). gmtime_r would do, but glibc reads
// /etc/localtime on its first call even for UTC: six syscalls per create.
void civilFromDays(int64_t days, int64_t& year, int& month, int& day) {
  days += 719468;  // from 0000-03-01
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t dayOfEra = days - era * 146097;
  int64_t yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
  int64_t dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
  int64_t mp = (5 * dayOfYear + 2) / 153;  // March = 0
  day = static_cast<int>(dayOfYear - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
}

}  // namespace

std::string formatRfc3339Nano(const struct timespec& ts) {
  int64_t secs = ts.tv_sec;
  int64_t days = (secs >= 0 ? secs : secs - 86399) / 86400;
  int64_t secOfDay = secs - days * 86400;
  int64_t year;
  int month, day;
  civilFromDays(days, year, month, day);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d",
                        static_cast<long long>(year), month, day, static_cast<int>(secOfDay / 3600),
                        static_cast<int>(secOfDay / 60 % 60), static_cast<int>(secOfDay % 60));
  std::string out(buf, static_cast<size_t>(n));
  long nsec = ts.tv_nsec;
  if (nsec > 0 && nsec < 1000000000) {
    char frac[16];
    std::snprintf(frac, sizeof frac, "%09ld", nsec);
    std::string f(frac);
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += '.';
    out += f;
  }
  out += 'Z';
  return out;
}

}  // namespace sangja::spec
