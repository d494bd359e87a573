#include "namespaces/time.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "base/procfs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace sangja::ns {

Result<std::string> renderTimensOffsets(const std::map<std::string, spec::TimeOffset>& offsets) {
  std::string text;
  for (const auto& [clock, offset] : offsets) {
    std::string where = "linux.timeOffsets." + clock;
    if (clock != "monotonic" && clock != "boottime") {
      return Error::invalid(where + ": unknown clock (want monotonic or boottime)");
    }
    if (offset.nanosecs >= 1000000000u) {
      return Error::invalid(where + ".nanosecs: " + std::to_string(offset.nanosecs) +
                            " is not below one second (1000000000)");
    }
    text +=
        clock + " " + std::to_string(offset.secs) + " " + std::to_string(offset.nanosecs) + "\n";
  }
  return text;
}

Result<TimePlan> planTimeNamespace(const spec::Config& config, const NamespacePlan& namespaces) {
  TimePlan plan;
  plan.unshare = namespaces.hasNew(CLONE_NEWTIME);
  if (!config.linux || config.linux->timeOffsets.empty()) return plan;
  if (!namespaces.has(CLONE_NEWTIME)) {
    return Error::invalid("linux.timeOffsets: needs a time namespace in linux.namespaces");
  }
  if (!plan.unshare) {
    return Error::invalid(
        "linux.timeOffsets: cannot change the offsets of a time namespace joined by path");
  }
  plan.offsets = TRY(renderTimensOffsets(config.linux->timeOffsets));
  return plan;
}

void child::enterNewTimeNamespace(const TimePlan& plan, const ChildChannel& channel) {
  if (!plan.unshare) return;
  if (::unshare(CLONE_NEWTIME) < 0) channel.fail(errno, "unshare time namespace");
  if (!plan.offsets.empty()) {
    int fd = openVerifiedProc("/proc/self/timens_offsets", O_WRONLY);
    if (fd < 0) channel.fail(-fd, "open /proc/self/timens_offsets");
    if (::write(fd, plan.offsets.data(), plan.offsets.size()) < 0) {
      channel.fail(errno, "write linux.timeOffsets to /proc/self/timens_offsets");
    }
    ::close(fd);
  }
  // unshare only moves our future children; recent kernels also switch at
  // execve, older ones (6.1) do not. Entering it now works on both.
  int ns = ::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
  if (ns < 0) channel.fail(errno, "open /proc/self/ns/time_for_children");
  if (::setns(ns, CLONE_NEWTIME) < 0) channel.fail(errno, "enter the new time namespace");
  ::close(ns);
}

}  // namespace sangja::ns
