// Steps every child of ours takes between clone and exec, written once for
// the container init, an exec'd process and a hook. Child-safe: no
// allocation, no exceptions; each returns 0 or an errno, and the caller
// reports it its own way (the sync channel, or stderr for a hook).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace sangja::child {

// Every signal at its default and none blocked: exec keeps an ignored
// signal ignored, and one leaked in from whoever ran us would make the
// program deaf to it. notAtDefault (bit sig-1 per signal) is what the
// parent found before the clone (signalsNotAtDefault(),
// base/signal_dispositions.h): only those get a sigaction.
int resetSignals(uint64_t notAtDefault);

// The ids of the process, through the raw syscalls: glibc's set*id wrappers
// would signal the threads of the process we were copied from. Groups
// first (nGroups < 0: left as they are), then the gid, then the uid.
int setIdentity(uid_t uid, gid_t gid, const gid_t* groups, int nGroups);

}  // namespace sangja::child
