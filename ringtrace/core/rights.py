"""Who may do what: the roles of workbench users and the actions each may take (CLI and workbench)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from ringtrace.core import config
from ringtrace.core.errors import RingtraceError

ROLES = ("viewer", "investigator", "admin")
# actions that change shared state, and the roles allowed them; everything else is reading (every role)
WRITE_ACTIONS = {
    "export": ("investigator", "admin"),
    "note": ("investigator", "admin"),
    "save_query": ("investigator", "admin"),
    "case_write": ("investigator", "admin"),
    "intel": ("investigator", "admin"),
    "load": ("investigator", "admin"),
    "detect": ("investigator", "admin"),
    "trace": ("investigator", "admin"),
    "manage_users": ("admin",),
}


@dataclass(frozen=True)
class Actor:
    """Who does something: a name for the audit log and case history, and a role for rights."""

    name: str
    role: str


def can(role: str, action: str) -> bool:
    """viewers read; investigators also load, detect, trace, export, write notes and change cases and intel;
    admins do everything."""
    if action in WRITE_ACTIONS:
        return role in WRITE_ACTIONS[action]
    return role in ROLES


def require(actor: Actor, action: str) -> None:
    """Refuse an action the actor's role does not allow, saying which roles may."""
    if not can(actor.role, action):
        allowed = " or ".join(WRITE_ACTIONS.get(action, ROLES))
        article = "an" if actor.role[:1] in ("a", "e", "i", "o", "u") else "a"
        raise RingtraceError(f"{actor.name} is {article} {actor.role}: only an {allowed} may do that ({action}).")


def users_path():
    """The workbench users file (bcrypt hashes and roles) in the ringtrace home."""
    return config.home() / "users.json"


def cli_actor() -> Actor:
    """Who runs a CLI command: a workbench user named by RINGTRACE_USER (with that user's role), else the
    local operator, who holds the database password and so acts as admin."""
    name = config.cli_user()
    if name:
        users = users_path()
        known = json.loads(users.read_text()) if users.exists() else {}
        if name not in known:
            raise RingtraceError(f"RINGTRACE_USER={name} is not a workbench user: add it with "
                                 "`ringtrace user add NAME --role ROLE`, or unset RINGTRACE_USER.")
        return Actor(name, known[name].get("role", "viewer"))
    return Actor(local_operator(), "admin")


def local_operator() -> str:
    """The name the CLI's local operator has in the audit log and case history."""
    return f"cli:{config.os_user() or 'unknown'}"
