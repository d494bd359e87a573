/* What the exec trampoline (runtime/process/exec_trampoline.c) and its caller
 * (runtime/process/exec_guard.cc) agree on. Plain C: the trampoline is built
 * without libc or C++. */
#ifndef SANGJA_RUNTIME_EXEC_TRAMPOLINE_ABI_H_
#define SANGJA_RUNTIME_EXEC_TRAMPOLINE_ABI_H_

/* argv[0] of the trampoline. Anything else (a `#!/proc/self/exe` script
 * entering it again, argv[0] "/proc/self/exe") is refused with
 * SANGJA_TRAMPOLINE_REFUSED: the marker keeps a script from looping through
 * it, it is not a secret. */
#define SANGJA_TRAMPOLINE_MARKER "sangja-exec-trampoline"
#define SANGJA_TRAMPOLINE_REFUSED 126
/* execve of the container's program failed (as the init's own exec did). */
#define SANGJA_TRAMPOLINE_EXEC_FAILED 127

#endif /* SANGJA_RUNTIME_EXEC_TRAMPOLINE_ABI_H_ */
