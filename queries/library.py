"""The saved-query library: shipped `.cypher` files here, user queries under the ringtrace home.

A query file starts with a header of `// key: value` lines:

    // name: accounts_sharing_card
    // title: Accounts sharing a card with an account
    // description: ...
    // param: account_id string "acc-00000001" The account to start from
    // tags: card, sharing

`param` lines give NAME TYPE DEFAULT DESCRIPTION, where TYPE is one of PARAM_TYPES and
DEFAULT is a JSON value. Parameters always reach Cypher as parameters, never as text.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ringtrace.core import config
from ringtrace.core.errors import RingtraceError

SHIPPED_DIR = Path(__file__).resolve().parent
# `cluster` (`campaign`) is a cluster (campaign) id; left empty it means the top one of the latest detection run.
PARAM_TYPES = ("string", "int", "float", "bool", "list", "datetime", "cluster", "campaign")
HEADER_RE = re.compile(r"^//\s*(name|title|description|param|tags):\s*(.*)$")
PARAM_RE = re.compile(r"^(\w+)\s+(\w+)\s+(\"(?:[^\"\\]|\\.)*\"|\[[^\]]*\]|\S+)\s*(.*)$")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
PARSED_KEPT = 512  # parsed query files kept (keyed by path and version)


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    description: str


@dataclass
class SavedQuery:
    name: str
    title: str
    description: str
    params: list[Param]
    tags: list[str]
    text: str
    path: Path | None = None
    shipped: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def typed_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Defaults overridden by `raw` (strings from the CLI or typed values), converted and checked."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise RingtraceError(f"Query {self.name} has no parameter {unknown[0]}; its parameters are: "
                                 f"{', '.join(known) or 'none'}.")
        return {p.name: convert_param(p, raw[p.name]) if p.name in raw else p.default for p in self.params}


def convert_param(p: Param, value: Any) -> Any:
    """A parameter value of the declared type; strings from the command line are parsed."""
    try:
        if p.type in ("string", "cluster", "campaign"):
            return str(value)
        if p.type == "int":
            return int(value)
        if p.type == "float":
            return float(value)
        if p.type == "bool":
            if isinstance(value, bool):
                return value
            word = str(value).strip().lower()
            if word not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(value)
            return word in ("true", "1", "yes")
        if p.type == "list":
            if isinstance(value, list):
                return value
            text = str(value).strip()
            return json.loads(text) if text.startswith("[") else [v.strip() for v in text.split(",") if v.strip()]
        if p.type == "datetime":
            return datetime.fromisoformat(str(value).replace("Z", "+00:00")).isoformat()
    except (ValueError, json.JSONDecodeError):
        raise RingtraceError(f"Parameter {p.name} must be a {p.type}; got {value!r}.") from None
    raise RingtraceError(f"Parameter {p.name} has unknown type {p.type}.")


def parse(text: str, path: Path | None = None, shipped: bool = True) -> SavedQuery:
    """A SavedQuery from a `.cypher` file's text; errors name the file and the line."""
    where = path.name if path else "query"
    meta: dict[str, str] = {}
    params: list[Param] = []
    body: list[str] = []
    in_header = True
    for number, line in enumerate(text.splitlines(), 1):
        m = HEADER_RE.match(line.strip()) if in_header else None
        if m:
            key, value = m.group(1), m.group(2).strip()
            if key == "param":
                pm = PARAM_RE.match(value)
                if not pm:
                    raise RingtraceError(f"{where} line {number}: a param line is NAME TYPE DEFAULT DESCRIPTION.")
                name, ptype, default, desc = pm.groups()
                if ptype not in PARAM_TYPES:
                    raise RingtraceError(f"{where} line {number}: parameter type {ptype} is not one of "
                                         f"{', '.join(PARAM_TYPES)}.")
                try:
                    default_value = json.loads(default)
                except json.JSONDecodeError:
                    raise RingtraceError(f"{where} line {number}: the default of {name} must be a JSON value "
                                         "(quote strings).") from None
                params.append(Param(name, ptype, default_value, desc))
            else:
                meta[key] = value
            continue
        if line.strip().startswith("//") and in_header:
            continue
        in_header = False
        body.append(line)
    name = meta.get("name", path.stem if path else "")
    if not NAME_RE.match(name):
        raise RingtraceError(f"{where}: the query name '{name}' must be lower case letters, digits and _.")
    query_text = "\n".join(body).strip()
    if not query_text:
        raise RingtraceError(f"{where}: the query has no Cypher after its header.")
    return SavedQuery(name=name, title=meta.get("title", name), description=meta.get("description", ""),
                      params=params, tags=[t.strip() for t in meta.get("tags", "").split(",") if t.strip()],
                      text=query_text, path=path, shipped=shipped)


def user_dir() -> Path:
    return config.home() / "queries"


@functools.lru_cache(maxsize=PARSED_KEPT)
def _parsed(path: Path, shipped: bool, mtime_ns: int, size: int) -> SavedQuery:
    """A query file parsed once per version of the file (a page run looks several queries up)."""
    return parse(path.read_text(), path, shipped=shipped)


def _load(path: Path, shipped: bool) -> SavedQuery:
    st = path.stat()
    return _parsed(path, shipped, st.st_mtime_ns, st.st_size)


def load_library() -> dict[str, SavedQuery]:
    """Shipped queries, then the user's (a user query may not shadow a shipped one)."""
    library: dict[str, SavedQuery] = {}
    for path in sorted(SHIPPED_DIR.glob("*.cypher")):
        q = _load(path, shipped=True)
        library[q.name] = q
    if user_dir().exists():
        for path in sorted(user_dir().glob("*.cypher")):
            q = _load(path, shipped=False)
            if q.name not in library:
                library[q.name] = q
    return library


def get(name: str) -> SavedQuery:
    library = load_library()
    if name not in library:
        raise RingtraceError(f"No saved query named {name}. `ringtrace query list` shows them all.")
    return library[name]
