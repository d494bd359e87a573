// Container ids (validateContainerId) name a directory under the state
// root, so the rule is checked against a second, plain reading of it:
// 1 to 255 of [A-Za-z0-9_+.-], not "." or "..". No '/' or NUL gets through.
#include "runtime/lifecycle/state_store.h"
#include "tests/fuzz/fuzz_check.h"

using namespace sangja;

namespace {

bool expected(std::string_view id) {
  if (id.empty() || id.size() > 255 || id == "." || id == "..") return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view id = fuzz::text(data, size);
  Status status = validateContainerId(id);
  fuzz::check(status.ok() == expected(id),
              status.ok() ? "validateContainerId accepted a bad id"
                          : "validateContainerId refused a good id",
              id);
  if (!status.ok()) fuzz::check(!status.error().message().empty(), "an error without a message");
  return 0;
}
