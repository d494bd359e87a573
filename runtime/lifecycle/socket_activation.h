// systemd socket activation (sd_listen_fds(3)) passed through to the
// container, as runc does: when the runtime itself was handed sockets
// (LISTEN_FDS=N with LISTEN_PID naming this process), fds 3..3+N-1 reach the
// container process ahead of any --preserve-fds ones, and its environment
// says LISTEN_FDS=N, LISTEN_PID=1.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace sangja {

// How many activation fds this process was given: LISTEN_FDS when
// LISTEN_PID is `self`, else 0 (the variables were meant for another
// process). Malformed values count as none. listenFds/listenPid may be null.
int socketActivationFds(const char* listenFds, const char* listenPid, pid_t self);

// Adds LISTEN_FDS=n and LISTEN_PID=1 to env, replacing any it had.
void addSocketActivationEnv(std::vector<std::string>& env, int n);

}  // namespace sangja
