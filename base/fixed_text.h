// A bounded string in a fixed buffer, for code that runs between clone and
// exec and so must not allocate. Text past the capacity is dropped.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace sangja {

template <size_t N>
class FixedText {
 public:
  FixedText() { buf_[0] = '\0'; }
  explicit FixedText(std::string_view s) : FixedText() { append(s); }

  FixedText& append(std::string_view s) {
    size_t n = s.size() < N - 1 - len_ ? s.size() : N - 1 - len_;
    std::memcpy(buf_ + len_, s.data(), n);
    len_ += n;
    buf_[len_] = '\0';
    return *this;
  }
  FixedText& append(const char* s) { return append(std::string_view(s ? s : "(null)")); }

  FixedText& appendInt(long long v) {
    char digits[24];
    size_t n = 0;
    unsigned long long u = v < 0 ? 0ULL - static_cast<unsigned long long>(v) : v;
    do {
      digits[n++] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (v < 0) append("-");
    while (n > 0) append(std::string_view(&digits[--n], 1));
    return *this;
  }

  const char* c_str() const { return buf_; }
  std::string_view view() const { return {buf_, len_}; }
  size_t size() const { return len_; }
  void clear() {
    len_ = 0;
    buf_[0] = '\0';
  }

 private:
  char buf_[N];
  size_t len_ = 0;
};

// "/proc/self/fd/N": how mount(2) reaches a target we hold as an fd.
inline FixedText<32> procFdPath(int fd) {
  FixedText<32> p("/proc/self/fd/");
  p.appendInt(fd);
  return p;
}

}  // namespace sangja
