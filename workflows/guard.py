"""The one check every workflow makes first: may this actor do it? A refusal is audited once, then raised."""
from __future__ import annotations

from typing import Any

from ringtrace.core import audit
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import Actor, require


def authorise(actor: Actor, right: str, action: str, details: dict[str, Any]) -> None:
    """Refuse `action` (audited as `<action>_refused` with `details` and the reason) unless the actor's role
    has `right` (ringtrace.core.rights.WRITE_ACTIONS)."""
    try:
        require(actor, right)
    except RingtraceError as exc:
        audit.record(actor.name, f"{action}_refused", {**details, "reason": str(exc)})
        raise
