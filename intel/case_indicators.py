"""A confirmed case's watched items as a STIX 2.1 bundle for partners: a report, its indicators, and who sent it.

Identifiers ringtrace cannot express in standard STIX (card fingerprints, devices, prompt templates, proxy
services, identifiers such as phone numbers) use the custom observable `x-ringtrace-identifier` with a
`kind` and a `value` (docs/intel.md). Indicator ids are derived from the case and the item, so publishing
the same case twice sends the same objects (a TAXII server keeps one copy).
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from bundles.stix import ip_pattern, stix_time
from cases import store, watchlist
from graph.db import Graph
from intel.stix_in import CUSTOM_TYPE, TLP_MARKING_IDS
from ringtrace.core import config
from ringtrace.core.errors import RingtraceError

ID_NAMESPACE = uuid.UUID("6f3c1a52-7d0e-4f7b-9a3e-2b8d5c1e9f40")  # ringtrace's namespace for uuid5 ids
TLP_DEFINED = "2017-01-20T00:00:00.000Z"  # when STIX 2.1 defined its TLP markings


def tlp() -> str:
    """The TLP level published indicators carry (an AMBER report may be shared within the partner's own
    organisation and its clients only)."""
    level = config.publish_tlp()
    if level not in TLP_MARKING_IDS:
        raise RingtraceError(f"RINGTRACE_TLP={level!r}: choose one of {', '.join(TLP_MARKING_IDS)}.")
    return level


def _id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(ID_NAMESPACE, '|'.join(parts))}"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _stamp(value: Any) -> str:
    """A Neo4j or Python datetime as a STIX timestamp (now, when there is none)."""
    when = value.to_native() if hasattr(value, "to_native") else value
    return stix_time(when if isinstance(when, datetime) else None)


def pattern(kind: str, value: str) -> tuple[str, dict[str, Any]]:
    """The STIX pattern for one item, and custom properties the indicator needs to say exactly what it is."""
    if kind in ("key_ip", "ip"):
        text = ip_pattern(value)
        if text is None:
            raise RingtraceError(f"Watched address {value!r} is not an IP address.")
        return text, ({"x_ringtrace_kind": kind} if kind == "key_ip" else {})
    if kind == "identifier":
        kind, value = value.split(":", 1)
    return (f"[{CUSTOM_TYPE}:kind = {_quote(kind)} AND {CUSTOM_TYPE}:value = {_quote(value)}]", {})


def case_bundle(graph: Graph, case_id: str) -> dict[str, Any]:
    """The case's watched items as indicators of one report; refuses a case with nothing watched."""
    view = store.show(graph, case_id)
    items = watchlist.watchlist(graph, case_id)
    if not items:
        raise RingtraceError(f"Case {case_id} watches nothing: only a confirmed case watches its infrastructure "
                             f"(`ringtrace case set {case_id} --status confirmed`).")
    created = _stamp(view.case.get("created_at"))
    level = tlp()
    marking = {"type": "marking-definition", "spec_version": "2.1", "id": TLP_MARKING_IDS[level],
               "created": TLP_DEFINED, "definition_type": "tlp", "name": f"TLP:{level.upper()}",
               "definition": {"tlp": level}}
    marked = {"object_marking_refs": [marking["id"]]}
    producer = {"type": "identity", "spec_version": "2.1", "id": _id("identity", config.ORGANISATION),
                "name": config.ORGANISATION,
                "identity_class": "organization", "created": created, "modified": created}
    indicators = []
    for it in items:
        text, extra = pattern(it["kind"], str(it["value"]))
        stamp = _stamp(it["added_at"])
        indicators.append({
            "type": "indicator", "spec_version": "2.1", "id": _id("indicator", case_id, it["kind"], str(it["value"])),
            "created": stamp, "modified": stamp, "created_by_ref": producer["id"],
            "name": f"{it['kind'].replace('_', ' ')} {it['value']}", "indicator_types": ["malicious-activity"],
            "description": f"Held by {it['case_holders']} of the {it['holders']} accounts using it, all in a "
                           f"confirmed fraud case", "pattern": text, "pattern_type": "stix", "valid_from": stamp,
            **marked, **extra})
    report = {"type": "report", "spec_version": "2.1", "id": _id("report", case_id), "created": created,
              "modified": _stamp(view.case.get("updated_at")), "created_by_ref": producer["id"],
              "name": f"{config.ORGANISATION} case {case_id}: {view.case.get('title')}",
              "report_types": ["threat-actor"],
              "published": _stamp(view.case.get("updated_at")), "object_refs": [i["id"] for i in indicators],
              **marked}
    return {"type": "bundle", "id": _id("bundle", case_id, report["modified"]),
            "objects": [marking, producer, report, *indicators]}


def write_case_bundle(graph: Graph, case_id: str, out: Path) -> int:
    """Write the case's bundle (case_bundle) as JSON to `out`; returns how many indicators it holds."""
    bundle = case_bundle(graph, case_id)
    out.write_text(json.dumps(bundle, indent=2))
    return sum(o["type"] == "indicator" for o in bundle["objects"])
