#!/usr/bin/env python3
"""Runs a command and prints its CPU seconds (user+sys of all its threads, from wait4: exact,
not tick-rounded), peak RSS in KiB, exit code and wall seconds.
Usage: cpu_of.py OUT ERR -- CMD... (stdout to OUT, stderr to ERR).

The command is started with posix_spawn (vfork-like), not fork: a forked Python child pays
~7 ms of copy-on-write faults on Python's own pages before exec, and wait4 counts them as
the command's CPU time."""
import os
import shutil
import sys
import time

out, err = sys.argv[1], sys.argv[2]
cmd = sys.argv[4:]
path = shutil.which(cmd[0])
if path is None:
    sys.exit(f"cpu_of.py: {cmd[0]}: command not found")
start = time.monotonic()
pid = os.posix_spawn(path, cmd, os.environ, file_actions=[
    (os.POSIX_SPAWN_OPEN, 1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    (os.POSIX_SPAWN_OPEN, 2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
])
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - start
print(f"{ru.ru_utime + ru.ru_stime:.4f} {ru.ru_maxrss} {os.waitstatus_to_exitcode(status)} {wall:.4f}")
