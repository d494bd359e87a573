// Result<T>: a value or an Error carrying errno and a message that gains
// context as it rises.
//
// The error model:
// - Parent-side functions return [[nodiscard]] Result<T> / Status; nothing
//   throws across our code (a library's exception is caught where it is
//   called, and main turns a stray one into one line).
// - Each layer says what it was doing, once: the step ("mount proc on
//   /x/proc"), the container verb at the CLI ("create c1"), so a user reads
//   `create c1: mount proc on /x/proc: Operation not permitted`. The errno
//   travels unchanged in code() for callers that branch on it.
// - A child between clone and exec cannot use this: it reports {step, errno}
//   over the sync channel (base/sync_channel.h), which becomes an Error here.
// - A failure that may truly be ignored goes through log::bestEffort, which
//   logs it; nothing is dropped silently.
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sangja {

class Error {
 public:
  Error(int code, std::string message) : code_(code), message_(std::move(message)) {}

  // "what: strerror(err)", code err.
  static Error fromErrno(int err, std::string_view what);
  // Same, reading errno now.
  static Error fromErrno(std::string_view what) { return fromErrno(errno, what); }
  // A logical error (bad input), code EINVAL unless given.
  static Error invalid(std::string message, int code = EINVAL) {
    return Error(code, std::move(message));
  }

  int code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefix the message with context: "context: message".
  Error wrap(std::string_view context) const&;
  Error wrap(std::string_view context) &&;

 private:
  int code_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error takeError() && { return std::get<1>(std::move(v_)); }

  // The value, or fallback on error.
  T valueOr(T fallback) && { return ok() ? std::get<0>(std::move(v_)) : std::move(fallback); }

  // Adds context to the error, if any.
  Result context(std::string_view ctx) && {
    if (ok()) return std::move(*this);
    return std::get<1>(std::move(v_)).wrap(ctx);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  void value() const {}

  const Error& error() const { return *error_; }
  Error takeError() && { return std::move(*error_); }

  Result context(std::string_view ctx) && {
    if (ok()) return {};
    return std::move(*error_).wrap(ctx);
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status okStatus() {
  return {};
}

}  // namespace sangja

// Evaluates a Result; on error returns it from the enclosing function, else
// yields the value. (GNU statement expression: g++ and clang both have it.)
#define TRY(expr)                                                     \
  ({                                                                  \
    auto&& try_result_ = (expr);                                      \
    if (!try_result_.ok()) return std::move(try_result_).takeError(); \
    std::move(try_result_).value();                                   \
  })

// As TRY, adding context to the error on the way up.
#define TRY_CTX(expr, ctx)                                                      \
  ({                                                                            \
    auto&& try_result_ = (expr);                                                \
    if (!try_result_.ok()) return std::move(try_result_).takeError().wrap(ctx); \
    std::move(try_result_).value();                                             \
  })
