// A NULL-terminated array of C strings, as execve takes argv and envp,
// owning its text. The strings sit in one block the pointers point into,
// and a move hands the block over whole: the array stays valid wherever
// its owner (a plan the child reads) is moved. Built in the parent; the
// child only reads data().
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace sangja {

class CStringArray {
 public:
  CStringArray() : pointers_{nullptr} {}
  explicit CStringArray(const std::vector<std::string>& strings);
  CStringArray(const CStringArray& other);
  CStringArray& operator=(const CStringArray& other);
  CStringArray(CStringArray&&) noexcept = default;
  CStringArray& operator=(CStringArray&&) noexcept = default;

  char* const* data() const { return pointers_.data(); }
  size_t size() const { return pointers_.empty() ? 0 : pointers_.size() - 1; }  // no nullptr
  const char* operator[](size_t i) const { return pointers_[i]; }

 private:
  std::vector<char> text_;  // each string and its NUL, one after another
  std::vector<char*> pointers_;
};

}  // namespace sangja
