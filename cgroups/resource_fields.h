// Helpers the v2 and v1 resource translations share: how a field is
// named in an error, how numbers and devices are written, what every host
// refuses. Internal to cgroups/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "spec/config.h"

namespace sangja::cgroups::fields {

inline std::string quoted(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

// "linux.resources.FIELD: MESSAGE". EINVAL: a configuration that cannot
// be right on any host; other codes say what this host lacks.
inline Error fieldError(std::string_view field, std::string_view message, int code = EINVAL) {
  std::string text = "linux.resources.";
  text += field;
  text += ": ";
  text += message;
  return Error::invalid(std::move(text), code);
}

inline std::string num(int64_t v) {
  return std::to_string(v);
}
inline std::string num(uint64_t v) {
  return std::to_string(v);
}

inline std::string device(int64_t major, int64_t minor) {
  return num(major) + ":" + num(minor);
}

// "2MB", "1GB", "64KB": it becomes part of a file name, so nothing but
// letters and digits.
inline bool validPageSize(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
}

// An RDMA device name becomes the first token of an rdma.max line.
inline bool validRdmaDevice(std::string_view s) {
  return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
  });
}

inline Status checkBytes(const std::optional<int64_t>& v, std::string_view field) {
  if (v && *v < -1) {
    return fieldError(field, num(*v) + " is neither a byte count nor -1 (unlimited)");
  }
  return {};
}

// rdma.max's line for one device (the same file on v1 and v2).
inline std::string rdmaLine(const std::string& name, const spec::Rdma& limits) {
  std::string value = name;
  if (limits.hcaHandles) value += " hca_handle=" + num(uint64_t{*limits.hcaHandles});
  if (limits.hcaObjects) value += " hca_object=" + num(uint64_t{*limits.hcaObjects});
  return value;
}

// Page sizes and RDMA devices: they become file names and lines.
inline Status checkHugepagesAndRdma(const spec::Resources& r) {
  for (size_t i = 0; i < r.hugepageLimits.size(); ++i) {
    const std::string& size = r.hugepageLimits[i].pageSize;
    if (!validPageSize(size)) {
      return fieldError("hugepageLimits[" + std::to_string(i) + "].pageSize",
                        quoted(size) + " is not a page size such as \"2MB\"");
    }
  }
  for (const auto& [name, limits] : r.rdma) {
    std::string field = "rdma[" + quoted(name) + "]";
    if (!validRdmaDevice(name)) return fieldError(field, "not a device name");
    if (!limits.hcaHandles && !limits.hcaObjects) {
      return fieldError(field, "needs hcaHandles or hcaObjects");
    }
  }
  return {};
}

}  // namespace sangja::cgroups::fields
