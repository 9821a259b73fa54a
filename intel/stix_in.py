"""Read a partner's STIX 2.1 bundle into ringtrace items `(kind, value)`; refuse a malformed one whole.

What is understood (docs/intel.md has examples):

- `ipv4-addr` / `ipv6-addr` `value`: ip (key_ip when the indicator says `x_ringtrace_kind: key_ip`);
- `email-addr` `value`: email; `domain-name` `value`: email_domain;
- `user-account` `user_id` or `account_login`: account;
- `x-ringtrace-identifier` `kind` + `value`: card, device, template, proxy_service, key_ip, or any identifier
  kind of the data contract (phone, bank_account…), matched as the identifier `kind:value`.

Each may come as an observable object or as an indicator with a STIX pattern. Patterns are parsed with the
OASIS `stix2-patterns` library (its parse tree, and `Pattern.inspect()` for the operators between
observations and the qualifiers); every equality comparison (`=`, and `IN (...)` as one per value) on a path
above names an item, and `x-ringtrace-identifier` names one with its `kind` AND its `value`. Matching is
exact for comparisons joined by OR, within an observation or between observations (`[a] OR [b]`); what
ringtrace cannot check is matched loosely and said so, per indicator (`Report.loose`): AND across
observations (`[a] AND [b]`: an account touching either alerts), FOLLOWEDBY (order not checked), the
qualifiers WITHIN, REPEATS and START/STOP (time and count not checked), and AND within an observation
between comparisons that are not one custom item (either part alerts). A part no comparison of which
ringtrace can match (a file hash, `!=`, `LIKE`, ranges) is listed; a pattern with nothing to match, or
another pattern language, is skipped and listed, not refused.
"""
from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any

from stix2patterns.v21.grammars.STIXPatternParser import STIXPatternParser as P
from stix2patterns.v21.grammars.STIXPatternVisitor import STIXPatternVisitor
from stix2patterns.v21.pattern import Pattern
from stix2patterns.validator import run_validator

from ringtrace.core.errors import RingtraceError

STIX_ID = re.compile(r"^([a-z0-9][a-z0-9-]*[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{12}$")
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
    sender: str | None = None  # the STIX identity that created it (its created_by_ref)
    items: list[Item] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    loose: list[tuple[str, str]] = field(default_factory=list)  # (indicator, what of its pattern is matched loosely)
    objects: int = 0

    @property
    def key(self) -> str:
        """What a report is kept under: its sender and its id (another sender reusing the id is another report)."""
        return f"{self.sender or 'anonymous'}|{self.report_id}"


def _normal(kind: str, value: str) -> str:
    value = value.strip()
    return value.lower() if kind in ("email", "email_domain") else value


def _custom(kind: str, value: str) -> tuple[str, str]:
    kind = kind.strip()
    if kind in CUSTOM_KINDS:
        return kind, _normal(kind, value)
    return "identifier", f"{kind}:{value.strip().lower() if kind == 'email' else value.strip()}"


MAX_ALTERNATIVES = 10_000  # ANDs of ORs inside an observation, multiplied out (a hostile pattern could explode)


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Comparison:
    """One comparison of a pattern: `type:path op value` (value unquoted for a string literal)."""

    type: str
    path: str
    op: str
    value: str


def _literal(text: str) -> str:
    """A STIX literal's value: a string literal unquoted and unescaped, anything else as written."""
    if len(text) >= 2 and text[0] == "'" and text[-1] == "'":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


class _Observations:
    """Each observation (`[...]`) of a parsed pattern as alternatives of conjunctions (OR of ANDs) of its
    comparisons, read from the stix2-patterns parse tree."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: list[list[list[Comparison]]] = []

    def source(self, ctx: Any) -> str:
        return self.text[ctx.start.start:ctx.stop.stop + 1]

    def dnf(self, ctx: Any) -> list[list[Comparison]]:
        if isinstance(ctx, P.ComparisonExpressionContext):
            parts = ctx.comparisonExpression()
            return [c for part in parts for c in self.dnf(part)] if parts else self.dnf(ctx.comparisonExpressionAnd())
        if isinstance(ctx, P.ComparisonExpressionAndContext):
            parts = ctx.comparisonExpressionAnd()
            if not parts:
                return self.dnf(ctx.propTest())
            out: list[list[Comparison]] = [[]]
            for part in parts:
                out = [a + b for a in out for b in self.dnf(part)]
                if len(out) > MAX_ALTERNATIVES:
                    raise _TooLarge()
            return out
        if isinstance(ctx, P.PropTestParenContext):
            return self.dnf(ctx.comparisonExpression())
        path = self.source(ctx.objectPath())
        obj_type, _, prop = path.partition(":")
        negated = "NOT " if getattr(ctx, "NOT", lambda: None)() is not None else ""
        if isinstance(ctx, P.PropTestEqualContext):
            op = negated + ("=" if ctx.EQ() is not None else "!=")
            return [[Comparison(obj_type, prop, op, _literal(ctx.primitiveLiteral().getText()))]]
        if isinstance(ctx, P.PropTestSetContext) and not negated:  # IN ('a', 'b'): a = 'a' OR a = 'b'
            values = [_literal(v.getText()) for v in ctx.setLiteral().primitiveLiteral()]
            return [[Comparison(obj_type, prop, "=", v)] for v in values]
        words = self.source(ctx)[len(path):].strip()
        return [[Comparison(obj_type, prop, words.split(" ", 1)[0] if words else "?", words)]]

    def walk(self, tree: Any) -> None:
        if isinstance(tree, P.ObservationExpressionSimpleContext):
            self.found.append(self.dnf(tree.comparisonExpression()))
            return
        for child in getattr(tree, "children", None) or []:
            self.walk(child)


def _root_visitor() -> type:
    class Root(STIXPatternVisitor):
        """Returns the pattern's parse tree (Pattern keeps it private; `visit` hands it over)."""

        def visitPattern(self, ctx: Any) -> Any:  # noqa: N802 - ANTLR's visitor interface
            return ctx

    return Root


def _conjunction_items(terms: list[Comparison]) -> tuple[list[tuple[str, str]], list[Comparison]]:
    """The items one AND of comparisons names, and the comparisons that name none."""
    items, unmatched = [], []
    custom = {t.path: t.value for t in terms if t.type == CUSTOM_TYPE and t.op == "=" and t.path in ("kind", "value")}
    if len(custom) == 2:
        items.append(_custom(custom["kind"], custom["value"]))
    for t in terms:
        if t.type == CUSTOM_TYPE and t.op == "=" and t.path in ("kind", "value") and len(custom) == 2:
            continue
        kind = SCO_PATHS.get((t.type, t.path)) if t.op == "=" else None
        if kind is None:
            unmatched.append(t)
        else:
            items.append((kind, _normal(kind, t.value)))
    return items, unmatched


def _describe(t: Comparison) -> str:
    if t.type == CUSTOM_TYPE and t.path in ("kind", "value"):
        return f"{CUSTOM_TYPE} needs its kind AND its value"
    if t.op != "=":
        return f"{t.type}:{t.path} {t.op} is not an equality ringtrace can match"
    return f"{t.type}:{t.path} is not an item ringtrace can match"


def pattern_items(pattern: str) -> tuple[list[tuple[str, str]], list[str]] | str:
    """The items a valid STIX 2.1 pattern names and what of it is matched loosely or not at all; or, when it
    names no item ringtrace can match, the reason."""
    parsed = Pattern(pattern)
    shape = parsed.inspect()  # the operators between observations and the qualifiers
    observations = _Observations(pattern)
    try:
        observations.walk(parsed.visit(_root_visitor()()))
    except _TooLarge:
        return f"an observation combines more than {MAX_ALTERNATIVES:,} alternatives"
    items: list[tuple[str, str]] = []
    notes: list[str] = []
    unmatched: list[str] = []
    for alternatives in observations.found:
        for terms in alternatives:
            found, rest = _conjunction_items(terms)
            if found and (rest or len(found) > 1):
                notes.append("AND within an observation matched as either of its parts (" + " AND ".join(
                    f"{t.type}:{t.path} {t.op} '{t.value}'" for t in terms) + ")")
            if not found:
                unmatched += [_describe(t) for t in rest]
            items += found
    if not items:
        return "; ".join(dict.fromkeys(unmatched)) or "the pattern names no item ringtrace can match"
    if "AND" in shape.observation_ops:
        notes.append("AND across observations matched as OR (an account touching any one of them alerts)")
    if "FOLLOWEDBY" in shape.observation_ops:
        notes.append("FOLLOWEDBY matched as OR (the order of the observations is not checked)")
    for qualifier in sorted(shape.qualifiers):
        notes.append(f"qualifier {qualifier} not checked")
    notes += [f"not matched: {why}" for why in dict.fromkeys(unmatched)]
    seen: set[tuple[str, str]] = set()
    return [it for it in items if it not in seen and not seen.add(it)], notes


def _sco_items(obj: dict[str, Any]) -> list[tuple[str, str]]:
    t = obj["type"]
    if t == CUSTOM_TYPE:
        if not isinstance(obj.get("kind"), str) or not isinstance(obj.get("value"), str):
            raise _Malformed(f"{CUSTOM_TYPE} needs string properties kind and value")
        return [_custom(obj["kind"], obj["value"])]
    paths = [p for (st, p) in SCO_PATHS if st == t]
    wrong = [p for p in paths if obj.get(p) is not None and not isinstance(obj[p], str)]
    if wrong:
        raise _Malformed(f"{t} {wrong[0]} must be a string")
    found = [(kind, _normal(kind, obj[p])) for (st, p), kind in SCO_PATHS.items() if st == t and obj.get(p)]
    if not found:
        raise _Malformed(f"{t} has none of the properties " + ", ".join(paths))
    return found[:1]


MAX_JSON_DEPTH = 64  # STIX objects are shallow; deeper JSON is refused before anything walks it
MAX_PATTERN_CHARS = 20_000
ADDRESS_KINDS = ("ip", "key_ip")


class _Malformed(Exception):
    """One object ringtrace cannot read: the bundle is refused (a file) or the object skipped (a TAXII pull)."""


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether parsed JSON nests lists and objects deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def canonical_item(kind: str, value: str) -> tuple[str, str] | str:
    """The item with an address in `ipaddress`'s canonical form (as the loader stores it), or why it is not
    matched: a range wider than one address, or no address at all."""
    if kind not in ADDRESS_KINDS:
        return kind, value
    text = value.strip()
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            if network.num_addresses != 1:
                return f"the range {text} is not matched (ringtrace matches single addresses, not ranges)"
            return kind, str(network.network_address)
        return kind, str(ipaddress.ip_address(text))
    except ValueError:
        return f"{text!r} is not an IP address"


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _header(bundle: dict[str, Any], objects: list[Any], source: str) -> Report:
    """The report a bundle is: its id, name, sender (the identity that created it), partner and TLP, read
    from its one `report` object (wrongly typed properties are ignored, the objects themselves checked later)."""
    dicts = [o for o in objects if isinstance(o, dict)]
    identities = {o["id"]: _string(o.get("name")) for o in dicts
                  if o.get("type") == "identity" and isinstance(o.get("id"), str)}
    found = [o for o in dicts if o.get("type") == "report"]
    first = found[0] if len(found) == 1 else {}
    sender = _string(first.get("created_by_ref")) or next(iter(identities), None)
    partner = identities.get(sender) if sender else None
    levels = {o["id"]: _string((o.get("definition") or {}).get("tlp")) for o in dicts
              if o.get("type") == "marking-definition" and isinstance(o.get("id"), str)
              and isinstance(o.get("definition") or {}, dict)}
    levels.update({v: k for k, v in TLP_MARKING_IDS.items()})
    refs = first.get("object_marking_refs")
    marked = [levels[m] for m in (refs if isinstance(refs, list) else [])
              if isinstance(m, str) and levels.get(m) in TLP_MARKING_IDS]
    report_id = _string(first.get("id"))
    report_id = report_id if report_id and STIX_ID.match(report_id) else bundle["id"]
    return Report(report_id, _string(first.get("name")) or f"{source} ({bundle['id']})", partner,
                  marked[0] if marked else None, sender=sender, objects=len(objects))


def _indicator_items(obj: dict[str, Any], report: Report) -> list[tuple[str, str]]:
    """The items an indicator names (its loose parts noted on the report); [] when it is skipped."""
    pattern, pattern_type = obj.get("pattern"), obj.get("pattern_type")
    if not isinstance(pattern, str) or not isinstance(pattern_type, str):
        raise _Malformed("an indicator needs a pattern and a pattern_type")
    if pattern_type != "stix":
        report.skipped.append((obj["id"], f"pattern_type {pattern_type} (only stix patterns are matched)"))
        return []
    if len(pattern) > MAX_PATTERN_CHARS:
        raise _Malformed(f"its pattern is longer than {MAX_PATTERN_CHARS:,} characters")
    try:
        errors = run_validator(pattern)
        found = None if errors else pattern_items(pattern)
    except RecursionError:
        raise _Malformed("its pattern is nested too deeply to parse") from None
    if errors:
        raise _Malformed(f"invalid STIX pattern {pattern!r}: {errors[0]}")
    if isinstance(found, str):
        report.skipped.append((obj["id"], found))
        return []
    items, notes = found
    report.loose += [(obj["id"], note) for note in notes]
    narrowed = _string(obj.get("x_ringtrace_kind"))
    return [(narrowed if narrowed and narrowed in KIND_OVERRIDES.get(kind, ()) else kind, value)
            for kind, value in items]


def _object_items(obj: Any, i: int) -> tuple[str, list[tuple[str, str]] | None]:
    """The object's id and, for an observable or custom item, its items (None for other objects); raises
    _Malformed for an object ringtrace cannot read."""
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or not isinstance(obj.get("id"), str):
        raise _Malformed(f"object {i + 1} needs a string type and id")
    where = f"object {i + 1} ({obj['id']})"
    match = STIX_ID.match(obj["id"])
    if not match or match.group(1) != obj["type"]:
        raise _Malformed(f"{where}: its id must be {obj['type']}--<uuid>")
    if obj.get("spec_version", "2.1") != "2.1":
        raise _Malformed(f"{where}: spec_version {obj['spec_version']!r} is not 2.1")
    if obj["type"] == CUSTOM_TYPE or obj["type"] in {t for t, _ in SCO_PATHS}:
        try:
            return obj["id"], _sco_items(obj)
        except _Malformed as exc:
            raise _Malformed(f"{where}: {exc}") from None
    return obj["id"], None


def parse(text: str | bytes, source: str, lenient: bool = False) -> Report:
    """Parse and check a STIX 2.1 bundle; RingtraceError names the object and the reason if it is malformed.

    `lenient` (a TAXII pull): a malformed object is skipped and listed in `Report.skipped` instead, so one
    bad object neither hides the good ones beside it nor blocks later pulls."""

    def refuse(reason: str) -> RingtraceError:
        return RingtraceError(f"{source}: not a usable STIX 2.1 bundle: {reason}. Nothing was imported.")

    try:
        bundle = json.loads(text)
    except RecursionError:
        raise refuse("its JSON is nested too deeply to read") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise refuse(f"not JSON ({exc})") from None
    if too_deep(bundle):
        raise refuse(f"its JSON is nested deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
        raise refuse('the top level must be an object with "type": "bundle"')
    if not isinstance(bundle.get("id"), str) or not STIX_ID.match(bundle["id"]):
        raise refuse('the bundle needs an "id" of the form bundle--<uuid>')
    objects = bundle.get("objects")
    if not isinstance(objects, list):
        raise refuse('"objects" must be a list')
    report = _header(bundle, objects, source)
    for i, obj in enumerate(objects):
        try:
            stix_id, items = _object_items(obj, i)
            if items is None and obj["type"] == "indicator":
                try:
                    items = _indicator_items(obj, report)
                except _Malformed as exc:
                    raise _Malformed(f"object {i + 1} ({stix_id}): {exc}") from None
        except _Malformed as exc:
            if not lenient:
                raise refuse(str(exc)) from None
            ident = obj["id"] if isinstance(obj, dict) and isinstance(obj.get("id"), str) else f"object {i + 1}"
            report.skipped.append((ident, f"malformed, not imported: {exc}"))
            continue
        for kind, value in items or []:
            usable = canonical_item(kind, value)
            if isinstance(usable, str):
                report.skipped.append((stix_id, usable))
            else:
                report.items.append(Item(*usable, stix_id))
    seen: set[tuple[str, str]] = set()
    report.items = [it for it in report.items if (it.kind, it.value) not in seen and not seen.add((it.kind, it.value))]
    return report
