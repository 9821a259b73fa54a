"""Read a partner's STIX 2.1 bundle into ringtrace items `(kind, value)`; refuse a malformed one whole.

What is understood (docs/intel.md has examples):

- `ipv4-addr` / `ipv6-addr` `value`: ip (key_ip when the indicator says `x_ringtrace_kind: key_ip`);
- `email-addr` `value`: email; `domain-name` `value`: email_domain;
- `user-account` `user_id` or `account_login`: account;
- `x-ringtrace-identifier` `kind` + `value`: card, device, template, proxy_service, key_ip, or any identifier
  kind of the data contract (phone, bank_account…), matched as the identifier `kind:value`.

Each may come as an observable object or as an indicator whose STIX pattern is one observation of equality
comparisons joined by OR (or, for `x-ringtrace-identifier`, its `kind` AND its `value`). Valid STIX that says
something else (another pattern language, ranges, sequences) is skipped and listed, not refused.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ringtrace.errors import RingtraceError

STIX_ID = re.compile(r"^([a-z0-9][a-z0-9-]*[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{12}$")
COMPARISON = re.compile(r"([a-z0-9-]+):([^\s=!<>]+)\s*=\s*'((?:[^'\\]|\\.)*)'")
JOINER = re.compile(r"\s+(AND|OR)\s+")
CUSTOM_TYPE = "x-ringtrace-identifier"
# ringtrace's own item kinds that the custom object can name (others are identifier kinds: kind:value)
CUSTOM_KINDS = ("card", "device", "template", "proxy_service", "key_ip", "ip", "email", "email_domain", "account")
SCO_PATHS = {("ipv4-addr", "value"): "ip", ("ipv6-addr", "value"): "ip", ("email-addr", "value"): "email",
             ("domain-name", "value"): "email_domain", ("user-account", "user_id"): "account",
             ("user-account", "account_login"): "account"}
KIND_OVERRIDES = {"ip": ("key_ip",)}  # an indicator may narrow an address to an API-key creation address
TLP_MARKING_IDS = {"white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
                   "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
                   "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
                   "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}  # STIX 2.1, 7.2.1.4


@dataclass
class Item:
    kind: str
    value: str
    stix_id: str


@dataclass
class Report:
    """What a bundle says: the report it is, who sent it, the items it names, and what was skipped."""

    report_id: str
    name: str
    partner: str | None
    tlp: str | None = None  # the report's Traffic Light Protocol level, when it carries one
    items: list[Item] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    objects: int = 0


def _normal(kind: str, value: str) -> str:
    value = value.strip()
    return value.lower() if kind in ("email", "email_domain") else value


def _custom(kind: str, value: str) -> tuple[str, str]:
    kind = kind.strip()
    if kind in CUSTOM_KINDS:
        return kind, _normal(kind, value)
    return "identifier", f"{kind}:{value.strip().lower() if kind == 'email' else value.strip()}"


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _pattern_items(pattern: str) -> list[tuple[str, str]] | str:
    """Items of a supported pattern, or the reason it is not supported."""
    body = pattern.strip()
    if not (body.startswith("[") and body.endswith("]")) or body.count("[") != 1:
        return "only one observation ([...]) per pattern is supported"
    body = body[1:-1].strip()
    comparisons = COMPARISON.findall(body)
    rest = JOINER.split(COMPARISON.sub("", body))
    joiners = {j for j in rest if j in ("AND", "OR")}
    if not comparisons or any(part.strip() for part in rest if part not in ("AND", "OR")):
        return "only equality comparisons (=) joined by AND/OR are supported"
    types = {t for t, _, _ in comparisons}
    if types == {CUSTOM_TYPE}:
        props = {p: _unescape(v) for _, p, v in comparisons}
        if joiners != {"AND"} or set(props) != {"kind", "value"} or len(comparisons) != 2:
            return f"{CUSTOM_TYPE} needs exactly its kind AND its value"
        return [_custom(props["kind"], props["value"])]
    if "AND" in joiners:
        return "AND is supported only between the kind and value of " + CUSTOM_TYPE
    out = []
    for t, p, v in comparisons:
        kind = SCO_PATHS.get((t, p))
        if kind is None:
            return f"{t}:{p} is not an item ringtrace can match"
        out.append((kind, _normal(kind, _unescape(v))))
    return out


def _sco_items(obj: dict[str, Any]) -> list[tuple[str, str]]:
    t = obj["type"]
    if t == CUSTOM_TYPE:
        if not isinstance(obj.get("kind"), str) or not isinstance(obj.get("value"), str):
            raise ValueError(f"{CUSTOM_TYPE} needs string properties kind and value")
        return [_custom(obj["kind"], obj["value"])]
    found = [(kind, _normal(kind, str(obj[p]))) for (st, p), kind in SCO_PATHS.items() if st == t and obj.get(p)]
    if not found:
        raise ValueError(f"{t} has none of the properties " + ", ".join(p for (st, p) in SCO_PATHS if st == t))
    return found[:1]


def parse(text: str | bytes, source: str) -> Report:
    """Parse and check a STIX 2.1 bundle; RingtraceError names the object and the reason if it is malformed."""
    from stix2patterns.validator import run_validator

    def refuse(reason: str) -> RingtraceError:
        return RingtraceError(f"{source}: not a usable STIX 2.1 bundle: {reason}. Nothing was imported.")

    try:
        bundle = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise refuse(f"not JSON ({exc})") from None
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        raise refuse('the top level must be an object with "type": "bundle"')
    if not isinstance(bundle.get("id"), str) or not STIX_ID.match(bundle["id"]):
        raise refuse('the bundle needs an "id" of the form bundle--<uuid>')
    objects = bundle.get("objects")
    if not isinstance(objects, list):
        raise refuse('"objects" must be a list')
    identities = {o.get("id"): o.get("name") for o in objects if isinstance(o, dict) and o.get("type") == "identity"}
    reports = [o for o in objects if isinstance(o, dict) and o.get("type") == "report"]
    first = reports[0] if len(reports) == 1 else {}
    partner = identities.get(first.get("created_by_ref")) or next(iter(identities.values()), None)
    levels = {o.get("id"): (o.get("definition") or {}).get("tlp") for o in objects
              if isinstance(o, dict) and o.get("type") == "marking-definition"}
    levels.update({v: k for k, v in TLP_MARKING_IDS.items()})
    marked = [levels[m] for m in first.get("object_marking_refs", []) if levels.get(m)]
    report = Report(first.get("id") or bundle["id"], str(first.get("name") or f"{source} ({bundle['id']})"),
                    partner, marked[0] if marked else None, objects=len(objects))
    for i, obj in enumerate(objects):
        where = f"object {i + 1}"
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or not isinstance(obj.get("id"), str):
            raise refuse(f"{where} needs a string type and id")
        where = f"object {i + 1} ({obj['id']})"
        match = STIX_ID.match(obj["id"])
        if not match or match.group(1) != obj["type"]:
            raise refuse(f"{where}: its id must be {obj['type']}--<uuid>")
        if obj.get("spec_version", "2.1") != "2.1":
            raise refuse(f"{where}: spec_version {obj['spec_version']!r} is not 2.1")
        if obj["type"] == "indicator":
            pattern, pattern_type = obj.get("pattern"), obj.get("pattern_type")
            if not isinstance(pattern, str) or not isinstance(pattern_type, str):
                raise refuse(f"{where}: an indicator needs a pattern and a pattern_type")
            if pattern_type != "stix":
                report.skipped.append((obj["id"], f"pattern_type {pattern_type} (only stix patterns are matched)"))
                continue
            errors = run_validator(pattern)
            if errors:
                raise refuse(f"{where}: invalid STIX pattern {pattern!r}: {errors[0]}")
            items = _pattern_items(pattern)
            if isinstance(items, str):
                report.skipped.append((obj["id"], items))
                continue
            narrowed = obj.get("x_ringtrace_kind")
            for kind, value in items:
                if narrowed and narrowed in KIND_OVERRIDES.get(kind, ()):
                    kind = narrowed
                report.items.append(Item(kind, value, obj["id"]))
        elif obj["type"] == CUSTOM_TYPE or obj["type"] in {t for t, _ in SCO_PATHS}:
            try:
                items = _sco_items(obj)
            except ValueError as exc:
                raise refuse(f"{where}: {exc}") from None
            report.items += [Item(kind, value, obj["id"]) for kind, value in items]
    seen: set[tuple[str, str]] = set()
    report.items = [it for it in report.items if (it.kind, it.value) not in seen and not seen.add((it.kind, it.value))]
    return report
