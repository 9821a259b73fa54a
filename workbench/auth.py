"""Workbench users: bcrypt password hashes and roles in a file under the ringtrace home,
the decision whether a login is needed, and sign-in throttling (lockout per user and client)."""
from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import bcrypt

from ringtrace import config, rights
from ringtrace.errors import RingtraceError
from ringtrace.rights import ROLES, can  # noqa: F401  (pages check rights through this module)

LOCAL_USER = "local"


def users_file() -> Path:
    return rights.users_path()


def _read() -> dict[str, dict[str, str]]:
    try:
        return json.loads(users_file().read_text())
    except FileNotFoundError:
        return {}


def add_user(name: str, password: str, role: str) -> str | None:
    """Add or update a user; returns the role it had before (None for a new user). Unchecked: callers that
    act for someone go through `manage_user`."""
    if role not in ROLES:
        raise RingtraceError(f"Role must be one of {', '.join(ROLES)}.")
    if len(password) < 8:
        raise RingtraceError("Use a password of at least 8 characters.")
    users = _read()
    previous = users.get(name, {}).get("role")
    users[name] = {"hash": bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode(), "role": role}
    path = users_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(users, fh, indent=1)
    return previous


def manage_user(actor: rights.Actor, name: str, password: str, role: str) -> str | None:
    """Add or update a user for `actor` (admins only), audited under the actor whether made or refused."""
    from ringtrace import audit

    try:
        rights.require(actor, "manage_users")
        previous = add_user(name, password, role)
    except RingtraceError as exc:
        audit.record(actor.name, "user_add_refused", {"name": name, "role": role, "reason": str(exc)})
        raise
    audit.record(actor.name, "user_add" if previous is None else "user_update",
                 {"name": name, "role": role, "previous_role": previous})
    return previous


def check(name: str, password: str) -> str | None:
    """The user's role when the password is right, else None."""
    user = _read().get(name)
    if not user:
        bcrypt.checkpw(b"timing", bcrypt.hashpw(b"x", bcrypt.gensalt(4)))  # same work for unknown users
        return None
    return user["role"] if bcrypt.checkpw(password.encode(), user["hash"].encode()) else None


def is_loopback(address: str | None) -> bool:
    """Whether a listen address reaches this machine only (127.0.0.0/8, ::1, localhost)."""
    if not address:
        return False  # Streamlit's default (no address) listens on every interface
    address = address.strip().strip("[]")
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def login_required(address: str | None) -> bool:
    """A login is needed unless the workbench listens on loopback only (fails closed)."""
    return not is_loopback(address)


@dataclass(frozen=True)
class Throttle:
    """Failed sign-ins allowed per user and per client before a lockout, and its length."""

    max_failures: int = config.LOGIN_MAX_FAILURES
    window_s: float = config.LOGIN_FAILURE_WINDOW_S
    lockout_s: float = config.LOGIN_LOCKOUT_S


def _throttle_file() -> Path:
    return config.home() / "login-failures.json"


@contextmanager
def _failures() -> Iterator[dict[str, list[float]]]:
    """The failure times by key ('user:NAME', 'client:ADDR'), read and written under a file lock."""
    path = _throttle_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        text = fh.read()
        state = json.loads(text) if text.strip() else {}
        yield state
        fh.seek(0)
        fh.truncate()
        json.dump(state, fh)


def _keys(name: str, client: str | None) -> list[str]:
    return [f"user:{name}", f"client:{client or 'unknown'}"]


def locked_for(name: str, client: str | None, throttle: Throttle = Throttle(), now: float | None = None) -> float:
    """Seconds until `name` may try again from `client` (0 when not locked out)."""
    now = time.time() if now is None else now
    with _failures() as state:
        wait = 0.0
        for key in _keys(name, client):
            times = state.get(key, [])
            # locked when the last `max_failures` failures all fell within one window
            if len(times) >= throttle.max_failures and times[-1] - times[-throttle.max_failures] <= throttle.window_s:
                wait = max(wait, times[-1] + throttle.lockout_s - now)
        return max(0.0, wait)


def record_failure(name: str, client: str | None, now: float | None = None,
                   throttle: Throttle = Throttle()) -> None:
    now = time.time() if now is None else now
    with _failures() as state:
        for key in [k for k, times in state.items() if now - times[-1] > throttle.window_s + throttle.lockout_s]:
            del state[key]  # forgotten once they can no longer lock anyone out
        for key in _keys(name, client):
            state[key] = (state.get(key, []) + [now])[-config.LOGIN_MAX_FAILURES * 2:]


def record_success(name: str, client: str | None) -> None:
    with _failures() as state:
        for key in _keys(name, client):
            state.pop(key, None)


@dataclass(frozen=True)
class SignIn:
    """The outcome of one sign-in: the role when signed in, else how long the user or client is locked out."""

    role: str | None
    wait_s: float = 0.0


def sign_in(name: str, password: str, client: str | None, throttle: Throttle = Throttle()) -> SignIn:
    """One sign-in attempt from `client`: throttled, checked and audited."""
    from ringtrace import audit

    wait = locked_for(name, client, throttle)
    if wait > 0:
        audit.record(name, "login_refused", {"client": client, "locked_for_s": round(wait)})
        return SignIn(None, wait)
    role = check(name, password)
    if role:
        record_success(name, client)
        audit.record(name, "login", {"role": role, "client": client})
        return SignIn(role)
    record_failure(name, client, throttle=throttle)
    audit.record(name, "login_failed", {"client": client})
    return SignIn(None)
