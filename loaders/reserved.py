"""The property names ringtrace itself writes on the nodes and relationships a load makes, and the names an
extra column (one the data contract does not define) is stored under so it never takes one of them.

An extra column named like one of ringtrace's own properties would forge it: `decision=false_positive`
would read as an investigator's decision, `requests` stored as text would break detection. Such a column is
kept, renamed `extra_<name>`, on both load paths (they share loaders/load.py's row building), and the load
summary says so. tests/integration/test_hardening_loader.py checks every property a load, detection and a case decision
write is a contract column or named here.
"""
from __future__ import annotations

from loaders import bulk_model
from loaders.contract import CATEGORIES

EXTRA_PREFIX = "extra_"
PROVENANCE = ("load_runs", "sources")
# cases/store.py: an investigator's decision on an account
DECISION = ("decision", "decision_case", "decision_at", "decision_by")
# loaders/load.py and loaders/cypher.py: keys the loader derives from a row
DERIVED = ("name_key", "billing_name_key", "identifier_id", "release", "is_proxy_exit", "kind", "value",
           "link_key", "at", "via", "netblock")
# loaders/logstore.py: an account's aggregates of the request and login logs (SET_ACCOUNT_ACTIVITY)
ACCOUNT_ACTIVITY = ("requests", "input_tokens", "output_tokens", "first_request", "last_request", "request_ips",
                    "prompt_templates", *(f"req_{c}" for c in CATEGORIES),
                    "logins", "first_login", "last_login", "login_ips", "login_devices")


def _bulk_model_properties() -> set[str]:
    """Every property loaders/bulk_model.py maps from something other than a row's own columns."""
    names: set[str] = set()
    for label in bulk_model.LABELS:
        for part in label.parts:
            names |= set(part.columns) | set(part.times) | set(part.constants)
    for rel in bulk_model.RELATIONSHIPS:
        for part in rel.parts:
            names |= set(part.columns) | set(part.times) | set(part.merge_keys)
    return names


RESERVED = frozenset({*PROVENANCE, *DECISION, *DERIVED, *ACCOUNT_ACTIVITY, *_bulk_model_properties()})


def _taken(name: str) -> bool:
    return name in RESERVED or name.startswith("_")


def extra_names(extras: list[str], columns: set[str]) -> dict[str, str]:
    """The property name of each extra column: its own, or `extra_<name>` (prefixed again until it is no other
    column's name either) when ringtrace writes a property of that name."""
    names = {}
    for column in extras:
        name = column
        while _taken(name) or (name != column and name in columns):
            name = EXTRA_PREFIX + name
        names[column] = name
    return names


def renamed(extras: list[str], columns: set[str]) -> dict[str, str]:
    """The extra columns stored under another name, with that name (for the load summary)."""
    return {c: n for c, n in extra_names(extras, columns).items() if c != n}
