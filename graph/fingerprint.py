"""A graph's fingerprint: node counts by label, relationship counts by type, and the properties of a sample
of nodes and relationships, comparable across databases (the bulk and incremental load paths must agree).

Run ids differ between two loads of the same data, so `load_runs` is compared by length and LoadRun nodes
are left out; everything else is compared as stored.
"""
from __future__ import annotations

import re
from typing import Any

from graph.db import Graph

SKIPPED_LABELS = ("LoadRun",)
RUN_LIST = "load_runs"

COUNT_LABELS = """
CALL db.labels() YIELD label
CALL (label) { MATCH (n) WHERE label IN labels(n) RETURN count(n) AS n }
RETURN label, n
"""
COUNT_TYPES = """
CALL db.relationshipTypes() YIELD relationshipType AS type
CALL (type) { MATCH ()-[r]->() WHERE type(r) = type RETURN count(r) AS n }
RETURN type, n
"""
# Labels and keys cannot be parameters; these templates are filled only from the caller's allow-list of
# labels and key properties (checked by `_pattern`), so the lookups use the unique indexes.
KEYS_OF_LABEL = "MATCH (n:{label}) RETURN n.{key} AS key ORDER BY key"
NODES_BY_KEY = """
UNWIND $keys AS k
MATCH (n:{label} {{{key}: k}})
RETURN k AS key, properties(n) AS props
"""
RELS_FROM = """
UNWIND $keys AS k
MATCH (a:{label} {{{key}: k}})-[r]->(b) WHERE type(r) = $type
RETURN k AS start, labels(b)[0] AS end_label, b[$label_keys[labels(b)[0]]] AS end, properties(r) AS props
"""
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _pattern(template: str, label: str, key: str) -> str:
    if not (NAME.match(label) and NAME.match(key)):
        raise ValueError(f"not a label and key property: {label!r}, {key!r}")
    return template.format(label=label, key=key)


def _value(v: Any) -> Any:
    """A stored value, its type kept where Python would compare across types (1 == 1.0 == True)."""
    if isinstance(v, list):
        return [_value(x) for x in v]
    if hasattr(v, "iso_format"):
        return v.iso_format()
    if isinstance(v, (bool, int, float)):
        return (type(v).__name__, v)
    return v


def _props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: (len(v) if k == RUN_LIST else _value(v)) for k, v in sorted(props.items())}


def counts(graph: Graph) -> dict[str, int]:
    """Nodes per label and relationships per type (LoadRun left out), zero counts dropped."""
    out = {f"node:{r['label']}": r["n"] for r in graph.read(COUNT_LABELS) if r["label"] not in SKIPPED_LABELS}
    out.update({f"rel:{r['type']}": r["n"] for r in graph.read(COUNT_TYPES)})
    return {k: v for k, v in sorted(out.items()) if v}


def sample_keys(graph: Graph, label: str, key: str, size: int) -> list[Any]:
    """`size` keys of `label` spread evenly over the sorted keys."""
    keys = [r["key"] for r in graph.read(_pattern(KEYS_OF_LABEL, label, key))]
    step = max(1, len(keys) // size)
    return keys[::step][:size]


def sample(graph: Graph, keys_by_label: dict[str, tuple[str, list[Any]]], types: dict[str, str],
           label_keys: dict[str, str]) -> dict[str, Any]:
    """Properties of the given nodes, and of every relationship of each type leaving the sampled start nodes
    (`types`: relationship type -> start label; `label_keys`: label -> its key property), in a form two
    databases can be compared in."""
    out: dict[str, Any] = {}
    for label, (key, keys) in keys_by_label.items():
        rows = graph.read(_pattern(NODES_BY_KEY, label, key), {"keys": keys})
        out[f"sample:node:{label}"] = {str(r["key"]): _props(r["props"]) for r in rows}
    for rel, start in types.items():
        key, keys = keys_by_label[start]
        rows = graph.read(_pattern(RELS_FROM, start, key), {"keys": keys, "type": rel, "label_keys": label_keys})
        found = sorted((str(r["start"]), r["end_label"], str(r["end"]), repr(_props(r["props"]))) for r in rows)
        out[f"sample:rel:{rel}"] = found
    return out


def differences(a: dict[str, Any], b: dict[str, Any], limit: int = 20) -> list[str]:
    """What differs between two fingerprints (counts or samples), at most `limit` lines."""
    diffs = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) == b.get(k):
            continue
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            for item in sorted(set(va) | set(vb)):
                if va.get(item) != vb.get(item):
                    diffs.append(f"{k} {item}: {va.get(item)!r} != {vb.get(item)!r}")
        elif isinstance(va, list) and isinstance(vb, list):
            only_a, only_b = sorted(set(va) - set(vb)), sorted(set(vb) - set(va))
            diffs.append(f"{k}: {len(va)} vs {len(vb)}; only first: {only_a[:2]}; only second: {only_b[:2]}")
        else:
            diffs.append(f"{k}: {va!r} != {vb!r}")
    return diffs[:limit]
