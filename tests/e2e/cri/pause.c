// The pod sandbox's process for tests/e2e/cri_e2e_test.sh (its "pause"
// image): holds the pod's namespaces, reaps what is re-parented to it (in
// a pod that shares its pid namespace it is pid 1), and exits on SIGTERM or
// SIGINT. Built static at test time.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, 0, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction on_stop = {.sa_handler = stop};
  struct sigaction on_child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
  sigaction(SIGTERM, &on_stop, 0);
  sigaction(SIGINT, &on_stop, 0);
  sigaction(SIGCHLD, &on_child, 0);
  for (;;) pause();
}
