#include "namespaces/uts.h"

#include <unistd.h>

namespace sangja::ns {

void child::applyUts(const UtsPlan& plan, const ChildChannel& channel) {
  if (!plan.hostname.empty() && ::sethostname(plan.hostname.data(), plan.hostname.size()) < 0) {
    channel.fail(errno, "set hostname", plan.hostname);
  }
  if (!plan.domainname.empty() &&
      ::setdomainname(plan.domainname.data(), plan.domainname.size()) < 0) {
    channel.fail(errno, "set domainname", plan.domainname);
  }
}

}  // namespace sangja::ns
