// Internal to spec/: typed, path-tracking access to a parsed nlohmann::json
// document. A validation failure throws json_detail::Invalid{path, message};
// parseDocument() catches it (and JSON syntax errors) and turns it into an
// Error, so no exception leaves the spec/ API.
#pragma once

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace sangja::spec::json_detail {

using json = nlohmann::json;

struct Invalid {
  std::string path;  // "linux.namespaces[2].type"; empty for the document itself
  std::string message;
};

[[noreturn]] inline void fail(const std::string& path, std::string message) {
  throw Invalid{path, std::move(message)};
}

// A JSON string literal for s, for quoting values in messages.
inline std::string quote(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

inline std::string member(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string out = path;
  out += '.';
  out += key;
  return out;
}

inline std::string element(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

inline std::string mapKey(const std::string& path, const std::string& key) {
  return path + "[" + quote(key) + "]";
}

[[noreturn]] inline void typeError(const json& j, const std::string& path, const char* want) {
  fail(path, std::string("expected ") + want + ", got " + j.type_name());
}

// A NUL byte would silently cut the string where it meets the kernel or
// libc ("100\u0000x" becoming "100"): refused wherever a string is read.
inline void requireNoNul(std::string_view s, const std::string& path) {
  if (s.find('\0') != std::string_view::npos) fail(path, "must not contain a NUL byte");
}

template <class T>
struct IsVector : std::false_type {};
template <class U>
struct IsVector<std::vector<U>> : std::true_type {};

template <class T>
struct IsStringMap : std::false_type {};
template <class U>
struct IsStringMap<std::map<std::string, U>> : std::true_type {};

template <class T>
T convInt(const json& j, const std::string& path) {
  using L = std::numeric_limits<T>;
  auto range = [] {
    return " is out of range (" + std::to_string(L::min()) + " to " + std::to_string(L::max()) +
           ")";
  };
  if (j.is_number_unsigned()) {
    uint64_t v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(L::max())) fail(path, std::to_string(v) + range());
    return static_cast<T>(v);
  }
  if (j.is_number_integer()) {  // negative: unsigned values took the branch above
    int64_t v = j.get<int64_t>();
    if constexpr (std::is_unsigned_v<T>) {
      fail(path, std::to_string(v) + range());
    } else {
      if (v < static_cast<int64_t>(L::min()) || v > static_cast<int64_t>(L::max()))
        fail(path, std::to_string(v) + range());
      return static_cast<T>(v);
    }
  }
  if (j.is_number_float()) {
    // nlohmann reads integers beyond 64 bits as doubles.
    double d = j.get<double>();
    // Whole: every double from 2^52 up is; below, the int64 round trip says
    // (no std::trunc: libm stays out of the binary, base/plain_math.h).
    bool whole = std::isfinite(d) && (std::fabs(d) >= 4503599627370496.0 ||
                                      d == static_cast<double>(static_cast<int64_t>(d)));
    // 2^digits: max() + 1 rounds to it as a double for every width.
    constexpr double kAboveMax = static_cast<double>(L::max()) + 1.0;
    if (whole && (d < static_cast<double>(L::min()) || d >= kAboveMax))
      fail(path, j.dump() + range());
    fail(path, "expected integer, got " + j.dump());
  }
  typeError(j, path, "integer");
}

// Converts a JSON value to string, bool, an integer type, or vectors and
// string-keyed maps of those, failing with the path on a type mismatch.
template <class T>
T conv(const json& j, const std::string& path) {
  if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) typeError(j, path, "string");
    const std::string& s = j.get_ref<const std::string&>();
    requireNoNul(s, path);
    return s;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) typeError(j, path, "boolean");
    return j.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    return convInt<T>(j, path);
  } else if constexpr (IsVector<T>::value) {
    if (!j.is_array()) typeError(j, path, "array");
    T out;
    out.reserve(j.size());
    for (size_t i = 0; i < j.size(); ++i)
      out.push_back(conv<typename T::value_type>(j[i], element(path, i)));
    return out;
  } else {
    static_assert(IsStringMap<T>::value, "unsupported type");
    if (!j.is_object()) typeError(j, path, "object");
    T out;
    for (const auto& [key, value] : j.items()) {
      requireNoNul(key, mapKey(path, key));
      out.emplace(key, conv<typename T::mapped_type>(value, mapKey(path, key)));
    }
    return out;
  }
}

// A JSON object and its path. Absent members and members set to null read
// as absent; unknown members are ignored.
class Obj {
 public:
  Obj(const json& j, std::string path) : j_(&j), path_(std::move(path)) {
    if (!j.is_object()) typeError(j, path_, "object");
  }

  const std::string& path() const { return path_; }

 private:
  json::const_iterator findIgnoringCase(std::string_view key) const {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    for (auto it = j_->begin(); it != j_->end(); ++it) {
      const std::string& k = it.key();
      if (k.size() != key.size()) continue;
      bool same = true;
      for (size_t i = 0; i < k.size() && same; ++i) same = lower(k[i]) == lower(key[i]);
      if (same) return it;
    }
    return j_->end();
  }

 public:
  std::string at(std::string_view key) const { return member(path_, key); }

  // The exact key, else one that differs only in ASCII case: Go's
  // encoding/json matches so, and configs written for runc rely on it
  // ("pagesize" for "pageSize").
  const json* find(const char* key) const {
    auto it = j_->find(key);
    if (it == j_->end()) it = findIgnoringCase(key);
    if (it == j_->end() || it->is_null()) return nullptr;
    return &*it;
  }

  template <class T>
  std::optional<T> opt(const char* key) const {
    if (const json* v = find(key)) return conv<T>(*v, at(key));
    return std::nullopt;
  }

  // The value, or T{} when absent.
  template <class T>
  T get(const char* key) const {
    if (const json* v = find(key)) return conv<T>(*v, at(key));
    return T{};
  }

  template <class T>
  T req(const char* key) const {
    if (const json* v = find(key)) return conv<T>(*v, at(key));
    fail(at(key), "required");
  }

  // A nested object parsed by f(const Obj&).
  template <class F>
  auto object(const char* key, F f) const -> std::optional<std::invoke_result_t<F, const Obj&>> {
    if (const json* v = find(key)) return f(Obj(*v, at(key)));
    return std::nullopt;
  }

  // An array of objects, each parsed by f(const Obj&).
  template <class F>
  auto list(const char* key, F f) const -> std::vector<std::invoke_result_t<F, const Obj&>> {
    std::vector<std::invoke_result_t<F, const Obj&>> out;
    const json* v = find(key);
    if (!v) return out;
    std::string p = at(key);
    if (!v->is_array()) typeError(*v, p, "array");
    out.reserve(v->size());
    for (size_t i = 0; i < v->size(); ++i) out.push_back(f(Obj((*v)[i], element(p, i))));
    return out;
  }

  // An object whose values are objects, each parsed by f(const Obj&).
  template <class F>
  auto map(const char* key, F f) const
      -> std::map<std::string, std::invoke_result_t<F, const Obj&>> {
    std::map<std::string, std::invoke_result_t<F, const Obj&>> out;
    const json* v = find(key);
    if (!v) return out;
    std::string p = at(key);
    if (!v->is_object()) typeError(*v, p, "object");
    for (const auto& [k, value] : v->items()) {
      requireNoNul(k, mapKey(p, k));
      out.emplace(k, f(Obj(value, mapKey(p, k))));
    }
    return out;
  }

 private:
  const json* j_;
  std::string path_;
};

// "invalid JSON at line 3, column 5: syntax error while parsing ..."
inline std::string describeParseError(const json::parse_error& e) {
  std::string what = e.what();
  // The "last read" excerpt may hold broken UTF-8; keep the message clean.
  for (char& c : what)
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  size_t at = what.find(" at line ");
  if (at != std::string::npos) return "invalid JSON" + what.substr(at);
  size_t colon = what.find(": ");
  return "invalid JSON: " + (colon == std::string::npos ? what : what.substr(colon + 2));
}

// Any other nlohmann error while reading ("number overflow parsing
// '1e309'" is an out_of_range, not a parse_error), without the library's
// "[json.exception.out_of_range.406] " prefix.
inline std::string describeJsonError(const json::exception& e) {
  std::string what = e.what();
  size_t close = what.find("] ");
  if (what.starts_with("[json.exception.") && close != std::string::npos) what.erase(0, close + 2);
  for (char& c : what)
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\n') c = '?';
  return "invalid JSON: " + what;
}

// Parses text as JSON and hands the top-level object to f; errors become
// "<what>: <path>: <message>". Every exception the parser or f can throw
// becomes an Error: no input may abort the runtime.
template <class T, class F>
Result<T> parseDocument(std::string_view text, std::string_view what, F f) {
  json j;
  try {
    j = json::parse(text.data(), text.data() + text.size());
  } catch (const json::parse_error& e) {
    return Error::invalid(std::string(what) + ": " + describeParseError(e));
  } catch (const json::exception& e) {
    return Error::invalid(std::string(what) + ": " + describeJsonError(e));
  } catch (const std::bad_alloc&) {
    return Error::invalid(std::string(what) + ": out of memory while parsing", ENOMEM);
  }
  try {
    return f(Obj(j, ""));
  } catch (const Invalid& e) {
    std::string msg(what);
    msg += ": ";
    if (!e.path.empty()) msg += e.path + ": ";
    msg += e.message;
    return Error::invalid(std::move(msg));
  } catch (const json::exception& e) {
    return Error::invalid(std::string(what) + ": " + describeJsonError(e));
  } catch (const std::exception& e) {
    return Error::invalid(std::string(what) + ": " + e.what());
  }
}

}  // namespace sangja::spec::json_detail
