#!/usr/bin/env python3
"""Runs a command and prints its CPU seconds (user+sys of all its threads, from wait4: exact,
not tick-rounded), peak RSS in KiB, exit code and wall seconds.
Usage: cpu_of.py OUT ERR -- CMD... (stdout to OUT, stderr to ERR)."""
import os
import sys
import time

out, err = sys.argv[1], sys.argv[2]
cmd = sys.argv[4:]
start = time.monotonic()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
    os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    os.execvp(cmd[0], cmd)
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - start
print(f"{ru.ru_utime + ru.ru_stime:.4f} {ru.ru_maxrss} {os.waitstatus_to_exitcode(status)} {wall:.4f}")
