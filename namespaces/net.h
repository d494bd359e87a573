// The network namespace: a new one gets its loopback up, over rtnetlink.
#pragma once

#include "base/sync_channel.h"

namespace sangja::ns {

namespace child {

// Child side: sets IFF_UP on "lo" (ifindex 1 in a new netns). The message is
// built with libmnl in a stack buffer; no allocation.
void bringUpLoopback(const ChildChannel& channel);

}  // namespace child

}  // namespace sangja::ns
