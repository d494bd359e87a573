/* The exec trampoline: the container init's last exec lands here, and this
 * execs the container's program. It lives in a sealed memfd that sangja
 * fills once per create/run (runtime/process/exec_guard.h), so that the host's
 * sangja binary is never /proc/PID/exe of a process that the container can
 * reach after set-up; in particular, a `#!/proc/self/exe` script in the
 * image (CVE-2019-5736) finds this program, not sangja.
 *
 *   argv: [SANGJA_TRAMPOLINE_MARKER, path, arg0, arg1, ...]
 *   -> execve(path, argv + 2, envp)
 *
 * Static, no libc, raw system calls, a few hundred bytes of code: the exec of
 * it costs little and it has nothing a hostile environment (LD_PRELOAD,
 * argv) could steer. */
#include <asm/errno.h>
#include <asm/unistd.h>

#include "runtime/process/exec_trampoline_abi.h"

#if defined(__x86_64__)
__asm__(
    ".text\n"
    ".global _start\n"
    "_start:\n"
    "  xor %ebp, %ebp\n"
    "  mov %rsp, %rdi\n"
    "  and $-16, %rsp\n"
    "  call trampoline_main\n"
    "  hlt\n");

static long sys3(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
__asm__(
    ".text\n"
    ".global _start\n"
    "_start:\n"
    "  mov x29, #0\n"
    "  mov x0, sp\n"
    "  bl trampoline_main\n");

static long sys3(long nr, long a, long b, long c) {
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
#else
#error "exec trampoline: add the system call convention of this architecture"
#endif

__attribute__((noreturn)) static void exit_group(int code) {
  for (;;) sys3(__NR_exit_group, code, 0, 0);
}

/* The same words glibc's strerrordesc_np gives, for what execve returns,
 * so that messages read as they did before the trampoline. */
static const char* describe(long err) {
  switch (err) {
    case EPERM:
      return "Operation not permitted";
    case ENOENT:
      return "No such file or directory";
    case EIO:
      return "Input/output error";
    case E2BIG:
      return "Argument list too long";
    case ENOEXEC:
      return "Exec format error";
    case EAGAIN:
      return "Resource temporarily unavailable";
    case ENOMEM:
      return "Cannot allocate memory";
    case EACCES:
      return "Permission denied";
    case EFAULT:
      return "Bad address";
    case ENOTDIR:
      return "Not a directory";
    case EISDIR:
      return "Is a directory";
    case EINVAL:
      return "Invalid argument";
    case ENFILE:
      return "Too many open files in system";
    case EMFILE:
      return "Too many open files";
    case ETXTBSY:
      return "Text file busy";
    case ENAMETOOLONG:
      return "File name too long";
    case ENOSYS:
      return "Function not implemented";
    case ELOOP:
      return "Too many levels of symbolic links";
    case ELIBBAD:
      return "Accessing a corrupted shared library";
    default:
      return 0;
  }
}

struct text {
  char buf[512];
  unsigned long len;
};

static void append(struct text* t, const char* s) {
  while (*s != '\0' && t->len < sizeof t->buf - 1) t->buf[t->len++] = *s++;
}

static void append_number(struct text* t, unsigned long v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0 && t->len < sizeof t->buf - 1) t->buf[t->len++] = digits[--n];
}

__attribute__((noreturn)) static void fail(struct text* t, int code) {
  append(t, "\n");
  if (t->len == sizeof t->buf - 1) t->buf[t->len - 1] = '\n';
  sys3(__NR_write, 2, (long)t->buf, (long)t->len);
  exit_group(code);
}

static int is_marker(const char* s) {
  const char* m = SANGJA_TRAMPOLINE_MARKER;
  while (*m != '\0' && *s == *m) {
    ++s;
    ++m;
  }
  return *m == '\0' && *s == '\0';
}

__attribute__((noreturn, used)) void trampoline_main(long* sp) {
  long argc = sp[0];
  char** argv = (char**)(sp + 1);
  char** envp = argv + argc + 1;
  struct text t;
  t.len = 0;
  if (argc < 3 || !is_marker(argv[0])) {
    append(&t, "sangja: exec trampoline: refusing to run: not started by sangja's container init");
    fail(&t, SANGJA_TRAMPOLINE_REFUSED);
  }
  long err = -sys3(__NR_execve, (long)argv[1], (long)(argv + 2), (long)envp);
  append(&t, "sangja: exec ");
  append(&t, argv[1]);
  append(&t, ": ");
  const char* what = describe(err);
  if (what != 0) {
    append(&t, what);
  } else {
    append(&t, "errno ");
    append_number(&t, (unsigned long)err);
  }
  fail(&t, SANGJA_TRAMPOLINE_EXEC_FAILED);
}
