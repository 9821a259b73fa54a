"""Workbench users: bcrypt password hashes and roles in a file under the ringtrace home,
the decision whether a login is needed, and sign-in throttling (lockout per user and client)."""
from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

import bcrypt

from ringtrace.core import audit, config, rights
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import ROLES, can  # noqa: F401  (pages check rights through this module)

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
    if not name.strip() or len(name) > config.LOGIN_NAME_MAX_CHARS:
        raise RingtraceError(f"A user name has 1 to at most {config.LOGIN_NAME_MAX_CHARS} characters.")
    if len(password) < 8:
        raise RingtraceError("Use a password of at least 8 characters.")
    if len(password.encode()) > config.PASSWORD_MAX_BYTES:
        raise RingtraceError(f"Use a password of at most {config.PASSWORD_MAX_BYTES} bytes (bcrypt reads no more).")
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
    try:
        rights.require(actor, "manage_users")
        previous = add_user(name, password, role)
    except RingtraceError as exc:
        audit.record(actor.name, "user_add_refused", {"name": name, "role": role, "reason": str(exc)})
        raise
    audit.record(actor.name, "user_add" if previous is None else "user_update",
                 {"name": name, "role": role, "previous_role": previous})
    return previous


_DUMMY_HASH = bcrypt.hashpw(b"no such user", bcrypt.gensalt()).decode()


def check(name: str, password: str) -> str | None:
    """The user's role when the password is right, else None. An unknown name and a password longer than
    bcrypt reads cost the same bcrypt work as a wrong password (nothing tells them apart)."""
    user = _read().get(name)
    secret = password.encode()
    if not user or len(secret) > config.PASSWORD_MAX_BYTES:
        bcrypt.checkpw(b"timing", _DUMMY_HASH.encode())
        return None
    return user["role"] if bcrypt.checkpw(secret, user["hash"].encode()) else None


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
    """A login is needed unless the workbench listens on loopback only (fails closed), and always behind a
    reverse proxy (a trusted proxy header is configured): the proxy brings other machines' clients."""
    return not is_loopback(address) or config.trusted_proxy_header() is not None


@dataclass(frozen=True)
class Throttle:
    """Failed sign-ins allowed per user and per client before a lockout, and its length."""

    max_failures: int = field(default_factory=lambda: config.LOGIN_MAX_FAILURES)
    window_s: float = config.LOGIN_FAILURE_WINDOW_S
    lockout_s: float = field(default_factory=lambda: config.LOGIN_LOCKOUT_S)


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


def _keys(name: str | None, client: str | None) -> list[str]:
    """The throttle keys of an attempt: its user, and its client when its address is known (an unknown client
    is never one key for everybody)."""
    return ([f"user:{name}"] if name is not None else []) + ([f"client:{client}"] if client else [])


def client_of(headers: Mapping[str, str], peer: str | None) -> str | None:
    """The client's address: the last one in the configured proxy header when the request has it, else the
    socket's peer; None when that is no valid address."""
    header = config.trusted_proxy_header()
    candidate = peer
    if header:
        lowered = {k.lower(): v for k, v in headers.items()}
        if lowered.get(header.lower()) is not None:
            candidate = lowered[header.lower()].split(",")[-1].strip() or None
    try:
        return str(ipaddress.ip_address(candidate)) if candidate else None
    except ValueError:
        return None


def _locked(state: dict[str, list[float]], keys: list[str], throttle: Throttle, now: float) -> float:
    wait = 0.0
    for key in keys:
        times = state.get(key, [])
        # locked when the last `max_failures` failures all fell within one window
        if len(times) >= throttle.max_failures and times[-1] - times[-throttle.max_failures] <= throttle.window_s:
            wait = max(wait, times[-1] + throttle.lockout_s - now)
    return max(0.0, wait)


def _forget_old(state: dict[str, list[float]], throttle: Throttle, now: float) -> None:
    for key in [k for k, times in state.items() if not times or now - times[-1] > throttle.window_s + throttle.lockout_s]:
        del state[key]  # forgotten once they can no longer lock anyone out


def locked_for(name: str, client: str | None, throttle: Throttle | None = None, now: float | None = None) -> float:
    """Seconds until `name` may try again from `client` (0 when not locked out)."""
    throttle = throttle or Throttle()
    now = time.time() if now is None else now
    with _failures() as state:
        return _locked(state, _keys(name, client), throttle, now)


def _count(state: dict[str, list[float]], keys: list[str], now: float, throttle: Throttle) -> None:
    for key in keys:
        state[key] = (state.get(key, []) + [now])[-throttle.max_failures * 2:]


def record_failure(name: str, client: str | None, now: float | None = None,
                   throttle: Throttle | None = None) -> None:
    throttle = throttle or Throttle()
    now = time.time() if now is None else now
    with _failures() as state:
        _forget_old(state, throttle, now)
        _count(state, _keys(name, client), now, throttle)


def claim_attempt(name: str | None, client: str | None, throttle: Throttle | None = None,
                  now: float | None = None) -> tuple[float, float]:
    """Check the lockout and count this attempt as a failure in one step under the lock, before any password
    is checked: (seconds locked out, else 0; the time the attempt was counted at)."""
    throttle = throttle or Throttle()
    now = time.time() if now is None else now
    with _failures() as state:
        _forget_old(state, throttle, now)
        keys = _keys(name, client)
        wait = _locked(state, keys, throttle, now)
        if wait == 0:
            _count(state, keys, now, throttle)
        return wait, now


def record_success(name: str, client: str | None, counted_at: float | None = None) -> None:
    """A right password: the user's failures are forgotten, and the client's count loses this attempt only
    (a client's own account cannot reset the count of its guesses at others)."""
    with _failures() as state:
        state.pop(f"user:{name}", None)
        times = state.get(f"client:{client}") if client else None
        if times and counted_at in times:
            times.remove(counted_at)


@dataclass(frozen=True)
class SignIn:
    """The outcome of one sign-in: the role when signed in, else how long the user or client is locked out."""

    role: str | None
    wait_s: float = 0.0


def _shown_name(name: str) -> str:
    """A user name as the audit log may hold it: capped, so an attacker's huge name writes almost nothing."""
    cap = config.LOGIN_NAME_MAX_CHARS
    return name if len(name) <= cap else name[:cap] + "…"


def sign_in(name: str, password: str, client: str | None, throttle: Throttle | None = None) -> SignIn:
    """One sign-in attempt from `client`: refused while the user or client is locked out, else counted as a
    failure before the password is checked (concurrent attempts check no more guesses than the throttle
    allows), and audited. A name longer than any user's counts against the client only; a password longer
    than bcrypt reads fails like a wrong one, for every name."""
    too_long = len(name) > config.LOGIN_NAME_MAX_CHARS
    details: dict[str, object] = {"client": client}
    if too_long:
        details["name_chars"] = len(name)
    if len(password) > config.PASSWORD_MAX_BYTES or len(password.encode()) > config.PASSWORD_MAX_BYTES:
        details["password_over_bytes"] = config.PASSWORD_MAX_BYTES
    shown = _shown_name(name)
    wait, counted_at = claim_attempt(None if too_long else name, client, throttle)
    if wait > 0:
        audit.record(shown, "login_refused", {**details, "locked_for_s": round(wait)})
        return SignIn(None, wait)
    role = None if too_long else check(name, password[:config.PASSWORD_MAX_BYTES + 1])
    if role:
        record_success(name, client, counted_at)
        audit.record(name, "login", {"role": role, "client": client})
        return SignIn(role)
    audit.record(shown, "login_failed", details)
    return SignIn(None)
