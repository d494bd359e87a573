// The UTS namespace: hostname and domainname.
#pragma once

#include <string>

#include "base/sync_channel.h"

namespace sangja::ns {

struct UtsPlan {
  std::string hostname;  // empty: leave alone
  std::string domainname;
};

namespace child {

// Child side.
void applyUts(const UtsPlan& plan, const ChildChannel& channel);

}  // namespace child

}  // namespace sangja::ns
