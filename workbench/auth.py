"""Workbench users: bcrypt password hashes and roles in a file under the ringtrace home."""
from __future__ import annotations

import json
import os
from pathlib import Path

import bcrypt

from ringtrace import config
from ringtrace.errors import RingtraceError

ROLES = ("viewer", "investigator", "admin")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
LOCAL_USER = "local"


def users_file() -> Path:
    return config.home() / "users.json"


def _read() -> dict[str, dict[str, str]]:
    try:
        return json.loads(users_file().read_text())
    except FileNotFoundError:
        return {}


def add_user(name: str, password: str, role: str) -> None:
    if role not in ROLES:
        raise RingtraceError(f"Role must be one of {', '.join(ROLES)}.")
    if len(password) < 8:
        raise RingtraceError("Use a password of at least 8 characters.")
    users = _read()
    users[name] = {"hash": bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode(), "role": role}
    path = users_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(users, fh, indent=1)


def check(name: str, password: str) -> str | None:
    """The user's role when the password is right, else None."""
    user = _read().get(name)
    if not user:
        bcrypt.checkpw(b"timing", bcrypt.hashpw(b"x", bcrypt.gensalt(4)))  # same work for unknown users
        return None
    return user["role"] if bcrypt.checkpw(password.encode(), user["hash"].encode()) else None


def login_required(host: str) -> bool:
    """A login is needed whenever the workbench listens beyond loopback."""
    return host not in LOOPBACK_HOSTS


def can(role: str, action: str) -> bool:
    """viewers read; investigators also export and write notes; admins do everything."""
    if action in ("export", "note", "save_query"):
        return role in ("investigator", "admin")
    return role in ROLES
