/* Runs in a container: makes the raw syscall numbered argv[1] (no
 * arguments) and prints "NR errno=E" (0 when it succeeded), so a test can
 * see what a seccomp profile answers for a syscall busybox never makes.
 * Static, so it runs in any rootfs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    long nr = strtol(argv[i], NULL, 10);
    errno = 0;
    long rc = syscall(nr, 0, 0, 0, 0, 0, 0);
    printf("%ld errno=%d\n", nr, rc < 0 ? errno : 0);
  }
  return 0;
}
