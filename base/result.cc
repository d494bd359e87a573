#include "base/result.h"

#include <cstring>

namespace sangja {

Error Error::fromErrno(int err, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  return Error(err, std::move(msg));
}

Error Error::wrap(std::string_view context) const& {
  Error copy = *this;
  return std::move(copy).wrap(context);
}

Error Error::wrap(std::string_view context) && {
  std::string msg(context);
  msg += ": ";
  msg += message_;
  message_ = std::move(msg);
  return std::move(*this);
}

}  // namespace sangja
