// Its own translation unit, so that a test build can link another
// (base/fault_point.h).
#include "base/fault_point.h"

namespace sangja {

void faultPoint(std::string_view) {}

}  // namespace sangja
