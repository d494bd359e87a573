#!/usr/bin/python3
# in_pty.py COMMAND...: runs COMMAND with a new pty as its controlling
# terminal, stdin, stdout and stderr; prints what it wrote there and exits
# with its status. Nothing is ever typed into the pty (script(1) types an
# EOF once its own stdin ends, which the container's terminal echoes back,
# and loses the exit status when its stdin stays open). For the e2e tests'
# `-t` scenarios.
import os
import pty
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: the last holder of the pty closed it
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
