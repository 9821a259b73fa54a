"""The audit log: who ran which query, export or note, and when (JSON lines in the home)."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ringtrace.core import config


def log_path() -> Path:
    return config.home() / "audit.log"


def record(user: str, action: str, details: dict[str, Any]) -> None:
    """Append one audit entry; the file is created readable by its owner only."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"at": datetime.now(timezone.utc).isoformat(), "user": user, "action": action, **details}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, default=str) + "\n")


def entries() -> list[dict[str, Any]]:
    if not log_path().exists():
        return []
    return [json.loads(line) for line in log_path().read_text().splitlines() if line.strip()]
