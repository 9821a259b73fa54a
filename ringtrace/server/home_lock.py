"""One exclusive lock per ringtrace home for what changes the local server or its data: `load`, `neo4j start`
and `neo4j stop`. Two bulk loads at once would each stop and start the server under the other (both failed
and left a server no pid file named); with the lock the second waits, up to config.HOME_LOCK_WAIT_S, then
stops with who holds the lock.

An fcntl lock on `<home>/ringtrace.lock`: the kernel drops it when its holder exits, however it exits, so a
killed command never leaves the home locked. A process may take it again while it holds it (a bulk load
stops and starts the server itself, from more than one thread).
"""
from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Iterator

from ringtrace.core import config
from ringtrace.core.errors import RingtraceError

LOCK_FILE = "ringtrace.lock"
POLL_S = 0.2

_guard = threading.Lock()
_held: dict[Path, tuple[IO[str], int]] = {}  # home -> (open lock file, depth) of this process


class HomeLocked(RingtraceError):
    """Another process holds the home's lock."""


def _holder(fh: IO[str]) -> str:
    try:
        fh.seek(0)
        who = json.loads(fh.read() or "{}")
    except (OSError, ValueError):
        who = {}
    if not who:
        return "another ringtrace command"
    return f"`{who.get('action', '?')}` (pid {who.get('pid', '?')}, since {who.get('since', '?')})"


@contextmanager
def hold(action: str, wait_s: float | None = None) -> Iterator[None]:
    """Hold the current home's lock while the block runs, waiting up to `wait_s` seconds for it."""
    home = config.home()
    wait_s = config.HOME_LOCK_WAIT_S if wait_s is None else wait_s
    with _guard:
        if home in _held:
            fh, depth = _held[home]
            _held[home] = (fh, depth + 1)
            taken = False
        else:
            taken = True
    if taken:
        home.mkdir(parents=True, exist_ok=True)
        fh = open(home / LOCK_FILE, "a+", encoding="utf-8")
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(fh)
                    fh.close()
                    raise HomeLocked(
                        f"The ringtrace home {home} is busy: {holder} holds its lock, and `{action}` waited "
                        f"{wait_s:.0f} s for it. Wait for that command to finish and run `{action}` again "
                        f"(RINGTRACE_LOCK_WAIT sets how long to wait); to stop it instead, `kill` its pid.") \
                        from None
                time.sleep(POLL_S)
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"action": action, "pid": os.getpid(),
                             "since": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}))
        fh.flush()
        with _guard:
            _held[home] = (fh, 1)
    try:
        yield
    finally:
        with _guard:
            fh, depth = _held[home]
            if depth > 1:
                _held[home] = (fh, depth - 1)
            else:
                del _held[home]
                fh.seek(0)
                fh.truncate()
                fh.flush()
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
