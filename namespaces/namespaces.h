// Which namespaces a container gets: new ones become clone flags, ones
// given by path are opened in the parent and joined (setns) in the child.
#pragma once

#include <sched.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/sync_channel.h"
#include "base/unique_fd.h"
#include "spec/config.h"

namespace sangja::ns {

struct Join {
  int type;          // CLONE_NEW*
  std::string path;  // for messages
  UniqueFd fd;       // opened by the parent before clone
};

struct NamespacePlan {
  unsigned long cloneFlags = 0;  // new namespaces made at clone time (user first of all)
  bool newCgroupNs = false;      // unshared by the child once inside its cgroup
  bool newTimeNs = false;        // unshared by the child (see namespaces/time.h)
  // With a user namespace the ipc namespace is unshared by the child once
  // root inside, so that its mqueue filesystem belongs to the container's root.
  bool ipcNsAfterRoot = false;
  UniqueFd pidNsToJoin;     // joined by the parent, so the child is born in it
  UniqueFd userNsToJoin;    // the child is cloned from inside it (namespaces/user.h)
  std::vector<Join> joins;  // joined by the child (all but pid and user)

  bool hasNew(int type) const {
    if (type == CLONE_NEWCGROUP) return newCgroupNs;
    if (type == CLONE_NEWTIME) return newTimeNs;
    if (type == CLONE_NEWIPC && ipcNsAfterRoot) return true;
    return (cloneFlags & static_cast<unsigned long>(type)) != 0;
  }
  bool has(int type) const;  // new or joined
};

// Parent side: opens the paths to join (types and duplicates are checked
// when config.json is parsed).
Result<NamespacePlan> planNamespaces(const std::vector<spec::Namespace>& requests);

namespace child {

// Child side: setns() into every namespace in plan.joins, in an order that
// keeps the needed privileges (the mount namespace last).
void joinNamespaces(const NamespacePlan& plan, const ChildChannel& channel);

// Child side: unshare the ipc namespace left for after becoming root.
void enterNewIpcNamespace(const NamespacePlan& plan, const ChildChannel& channel);

// Child side: unshare the cgroup namespace, once placed in the cgroup.
void enterNewCgroupNamespace(const NamespacePlan& plan, const ChildChannel& channel);

}  // namespace child

// Parent side. Joining a pid namespace only affects later children, so the
// runtime joins one for the length of a clone and then returns to its own
// (on destruction; if that fails the runtime exits, see the destructor).
// nsFd < 0: nothing to join.
class PidNamespaceSwitch {
 public:
  static Result<PidNamespaceSwitch> enter(int nsFd);
  ~PidNamespaceSwitch();
  PidNamespaceSwitch(PidNamespaceSwitch&&) = default;

 private:
  PidNamespaceSwitch() = default;
  UniqueFd own_;
};

}  // namespace sangja::ns
