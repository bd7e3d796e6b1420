"""configure(), then the app imports the thread-pool module, then forks (a pre-fork server).

Prints ``CHILD OK`` when the forked child ran, ``CHILD STUCK`` when it hung in
an at-fork hook.
"""

from __future__ import annotations

import os
import signal
import sys
import time

if "concurrent.futures.thread" in sys.modules:
    print("PRECONDITION: thread pool already imported", flush=True)

import workspace_otel

workspace_otel.configure(service_name="fork-late-import", backend="console", metrics=False)

import concurrent.futures.thread  # noqa: E402, F401 - the app's own late import

pid = os.fork()
if pid == 0:
    os._exit(0)
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    done, _status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("CHILD OK", flush=True)
        break
    time.sleep(0.05)
else:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print("CHILD STUCK", flush=True)
