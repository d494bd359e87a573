// exec-agent: a tiny long-lived process that runs commands on request and times them.
//
// bench/run.sh starts one agent per "cgroup view" (one inside a private mount namespace where
// /sys/fs/cgroup is a cgroup2 mount, optionally one on the host as is) and talks to it over
// two fifos. Keeping the agent alive for the whole benchmark means the cost of entering the
// namespace (unshare + mount) is paid once, never inside a timed run, while rounds can still be
// interleaved across runtimes. Every runtime, the floor included, goes through this same code.
//
// usage: exec-agent [TIMEOUT_SECONDS]   (default 60; a run still going then is SIGKILLed)
//
// Protocol, one request per line on stdin:
//     LOGFILE <TAB> ARG0 <TAB> ARG1 ... <LF>
// ARG0 is run with stdin from /dev/null and stdout+stderr appended to LOGFILE (opened before
// the clock starts). One reply line per request on stdout:
//     STATUS <SP> WALL_NS <SP> MAXRSS_KB <SP> CPU_US <LF>
// STATUS is the exit code, 128+signal when killed, 124 after a timeout (noted in LOGFILE), or
// 255 with WALL_NS 0 when ARG0 could not be started at all. WALL_NS is CLOCK_MONOTONIC from just before posix_spawn to just after
// wait4 returns: exec of the runtime, all of its work, and its exit.
//
// MAXRSS_KB and CPU_US come from the rusage wait4 returns for the spawned process. The kernel
// fills it with RUSAGE_BOTH of that process: its own usage plus that of every descendant it
// (or they) waited for. ru_maxrss is therefore the *largest single process* in the runtime's
// tree (the runtime, any helper or re-exec it forks and reaps, the container's /bin/true),
// not a sum. It is the same number `/usr/bin/time -f %M` prints. CPU_US (user+sys) is summed
// over that tree.
//
// One special request, for bench/lifecycle.sh (a command path never starts with '@'):
//     LOGFILE <TAB> @waitpid <TAB> PID <LF>
// waits (pidfd + poll, so PID need not be our child) until process PID has exited, i.e. is a
// zombie or gone. Reply as above: STATUS 0 (also when PID no longer exists), 124 after the
// timeout (noted in LOGFILE, nothing killed), 255 when PID is not a number; WALL_NS is the
// time waited, MAXRSS_KB and CPU_US are 0.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { MAX_ARGS = 64 };
static int timeout_ms = 60 * 1000;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// Splits LINE in place at tabs; returns the field count.
static int split_tabs(char *line, char **fields, int max) {
  int n = 0;
  char *save = NULL;
  for (char *tok = strtok_r(line, "\t", &save); tok && n < max; tok = strtok_r(NULL, "\t", &save))
    fields[n++] = tok;
  return n;
}

// Appends one line to LOGFILE, so a failure is explainable from the run's log.
static void log_note(const char *logfile, const char *what, const char *detail) {
  FILE *f = fopen(logfile, "a");
  if (f) {
    fprintf(f, "exec-agent: %s%s\n", what, detail);
    fclose(f);
  }
}

// The @waitpid request: waits until PID has exited (it need not be our child).
static void wait_pid(const char *logfile, const char *arg) {
  char *end;
  long pid = strtol(arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || pid <= 0) {
    log_note(logfile, "@waitpid: not a pid: ", arg);
    printf("255 0 0 0\n");
    return;
  }
  long long t0 = now_ns();
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) {
    // ESRCH: already exited and reaped, which is what we wait for.
    if (errno == ESRCH) {
      printf("0 %lld 0 0\n", now_ns() - t0);
    } else {
      log_note(logfile, "@waitpid: pidfd_open: ", strerror(errno));
      printf("255 0 0 0\n");
    }
    return;
  }
  // A pidfd polls readable once the process has exited, zombie or reaped.
  struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
  int r;
  do r = poll(&pfd, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  close(pidfd);
  if (r == 0) log_note(logfile, "@waitpid: process still running after the timeout: ", arg);
  printf("%d %lld 0 0\n", r == 0 ? 124 : 0, now_ns() - t0);
}

// Runs one request; always prints exactly one reply line.
static void run_one(char *line) {
  char *fields[MAX_ARGS + 2];
  int n = split_tabs(line, fields, MAX_ARGS + 1);
  if (n < 2) {
    printf("255 0 0 0\n");
    return;
  }
  const char *logfile = fields[0];
  char **argv = &fields[1];
  argv[n - 1] = NULL;
  if (strcmp(argv[0], "@waitpid") == 0) {
    wait_pid(logfile, n > 2 ? argv[1] : "");
    return;
  }

  // Set up the child's fds before the clock starts: only the runtime is timed.
  int logfd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (nullfd >= 0) posix_spawn_file_actions_adddup2(&fa, nullfd, 0);
  if (logfd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, logfd, 1);
    posix_spawn_file_actions_adddup2(&fa, logfd, 2);
  }

  pid_t pid;
  long long t0 = now_ns();
  // posix_spawn (vfork-style in glibc) keeps the agent's own share of each run small and equal.
  int err = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
  struct rusage ru;
  int status = 0, timed_out = 0;
  pid_t w = -1;
  if (err == 0) {
    // A hung runtime must not hang the benchmark: wait on a pidfd with a deadline. Costs two
    // syscalls inside the timed window, the same for every runtime.
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd >= 0) {
      struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
      int r;
      do r = poll(&pfd, 1, timeout_ms);
      while (r < 0 && errno == EINTR);
      if (r == 0) {
        kill(pid, SIGKILL);
        timed_out = 1;
      }
      close(pidfd);
    }
    do w = wait4(pid, &status, 0, &ru);
    while (w < 0 && errno == EINTR);
  }
  long long t1 = now_ns();

  posix_spawn_file_actions_destroy(&fa);
  if (logfd >= 0) close(logfd);
  if (nullfd >= 0) close(nullfd);

  if (err != 0 || w < 0) {
    // Leave a trace in the run's log so the failure is explainable.
    FILE *f = fopen(logfile, "a");
    if (f) {
      fprintf(f, "exec-agent: cannot run %s: %s\n", argv[0], strerror(err ? err : errno));
      fclose(f);
    }
    printf("255 0 0 0\n");
    return;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (timed_out) {
    FILE *f = fopen(logfile, "a");
    if (f) {
      fprintf(f, "exec-agent: %s still running after %d s, killed\n", argv[0], timeout_ms / 1000);
      fclose(f);
    }
    code = 124;
  }
  long long cpu_us = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
                     ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
  printf("%d %lld %ld %lld\n", code, t1 - t0, ru.ru_maxrss, cpu_us);
}

int main(int argc, char **argv) {
  if (argc > 1 && atoi(argv[1]) > 0) timeout_ms = atoi(argv[1]) * 1000;
  // Whatever fds the shell leaked to us (the fifos of another agent, say) must neither reach
  // the runtimes nor keep another agent's stdin open after the script closes it.
  syscall(SYS_close_range, 3U, ~0U, 0U);
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, stdin)) > 0) {
    if (line[len - 1] == '\n') line[len - 1] = '\0';
    run_one(line);
    fflush(stdout);
  }
  free(line);
  return 0;
}
