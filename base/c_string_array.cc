#include "base/c_string_array.h"

namespace sangja {

CStringArray::CStringArray(const std::vector<std::string>& strings) {
  size_t total = 0;
  for (const std::string& s : strings) total += s.size() + 1;
  text_.reserve(total);
  std::vector<size_t> starts;
  starts.reserve(strings.size());
  for (const std::string& s : strings) {
    starts.push_back(text_.size());
    text_.insert(text_.end(), s.begin(), s.end());
    text_.push_back('\0');
  }
  for (size_t start : starts) pointers_.push_back(text_.data() + start);
  pointers_.push_back(nullptr);
}

// The same offsets, in our own text.
CStringArray::CStringArray(const CStringArray& other) : text_(other.text_) {
  pointers_.reserve(other.pointers_.size());
  for (char* p : other.pointers_) {
    pointers_.push_back(p == nullptr ? nullptr : text_.data() + (p - other.text_.data()));
  }
}

CStringArray& CStringArray::operator=(const CStringArray& other) {
  if (this != &other) *this = CStringArray(other);
  return *this;
}

}  // namespace sangja
