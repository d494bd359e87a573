#include "namespaces/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstring>

#include "base/file.h"
#include "base/fixed_text.h"

namespace sangja::ns {

bool NamespacePlan::has(int type) const {
  if (hasNew(type)) return true;
  if (type == CLONE_NEWPID && pidNsToJoin) return true;
  if (type == CLONE_NEWUSER && userNsToJoin) return true;
  for (const Join& j : joins) {
    if (j.type == type) return true;
  }
  return false;
}

Result<NamespacePlan> planNamespaces(const std::vector<spec::Namespace>& requests) {
  NamespacePlan plan;
  for (const spec::Namespace& req : requests) {
    int flag = spec::namespaceCloneFlag(req.type);
    std::string name(spec::namespaceTypeName(req.type));
    if (!req.path) {
      if (flag == CLONE_NEWCGROUP)
        plan.newCgroupNs = true;
      else if (flag == CLONE_NEWTIME)
        plan.newTimeNs = true;
      else
        plan.cloneFlags |= static_cast<unsigned long>(flag);
      continue;
    }
    UniqueFd fd = TRY(openFile(*req.path, O_RDONLY).context("join " + name + " namespace"));
    if (flag == CLONE_NEWPID)
      plan.pidNsToJoin = std::move(fd);
    else if (flag == CLONE_NEWUSER)
      plan.userNsToJoin = std::move(fd);
    else
      plan.joins.push_back(Join{flag, *req.path, std::move(fd)});
  }
  if (plan.has(CLONE_NEWUSER) && (plan.cloneFlags & CLONE_NEWIPC)) {
    plan.cloneFlags &= ~static_cast<unsigned long>(CLONE_NEWIPC);
    plan.ipcNsAfterRoot = true;
  }
  return plan;
}

void child::joinNamespaces(const NamespacePlan& plan, const ChildChannel& channel) {
  // Joining a mount namespace changes what paths mean: do it last.
  for (int pass = 0; pass < 2; ++pass) {
    for (const Join& j : plan.joins) {
      if ((j.type == CLONE_NEWNS) != (pass == 1)) continue;
      if (::setns(j.fd.get(), j.type) < 0) channel.fail(errno, "join namespace", j.path);
    }
  }
}

void child::enterNewIpcNamespace(const NamespacePlan& plan, const ChildChannel& channel) {
  if (plan.ipcNsAfterRoot && ::unshare(CLONE_NEWIPC) < 0) {
    channel.fail(errno, "unshare ipc namespace");
  }
}

void child::enterNewCgroupNamespace(const NamespacePlan& plan, const ChildChannel& channel) {
  if (plan.newCgroupNs && ::unshare(CLONE_NEWCGROUP) < 0) {
    channel.fail(errno, "unshare cgroup namespace");
  }
}

Result<PidNamespaceSwitch> PidNamespaceSwitch::enter(int nsFd) {
  PidNamespaceSwitch sw;
  if (nsFd < 0) return sw;
  UniqueFd own = TRY(openFile("/proc/self/ns/pid", O_RDONLY));
  if (::setns(nsFd, CLONE_NEWPID) < 0) return Error::fromErrno("join pid namespace");
  sw.own_ = std::move(own);  // only now is there a way back to take
  return sw;
}

// Every later child (a hook, the next init) would be born in the
// container's pid namespace: the runtime cannot go on from there.
PidNamespaceSwitch::~PidNamespaceSwitch() {
  if (!own_ || ::setns(own_.get(), CLONE_NEWPID) == 0) return;
  FixedText<160> text("sangja: fatal: return to the runtime's own pid namespace: ");
  text.append(std::strerror(errno)).append("\n");
  ssize_t ignored = ::write(STDERR_FILENO, text.view().data(), text.size());
  (void)ignored;
  ::_exit(1);
}

}  // namespace sangja::ns
