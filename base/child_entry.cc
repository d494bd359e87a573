#include "base/child_entry.h"

namespace sangja::child {

void childEntered() {}

}  // namespace sangja::child
