"""The graph model (graph/model.py) is the one declaration of labels, keys, relationship types and item kinds:
every place that spells them out either is made from it or must agree with it here. A kind or label declared in
one place and missing in another fails one of these tests. No Neo4j: these run in the unit tier."""
from __future__ import annotations

import re
from pathlib import Path

from graph import db, item_kinds, model

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = {label.name for label in model.LABELS if label.group == "evidence"}
LOADED = {rel.name for rel in model.RELATIONSHIPS if rel.loaded}

NODE = re.compile(r"\(([\w|\\:]*)(?: \{[^}]*\})?\)")
HOP = re.compile(r"(<-|-)\[\w*:([A-Z_|]+)(?: \{[^]]*\})?\](->|-)")


def _chain(text: str, ends: dict[str, str] | None = None) -> list[tuple[str | None, str, str | None]]:
    """The hops of a pattern `(A)-[:T]->(B)<-[:U]-(c:C)` as (start label, type, end label), direction applied.
    A node is `(variable:Label)`, `(:Label)` or `(Label)` (the README's way); an unlabelled variable takes its
    label from `ends` (variable -> label), else None."""
    ends = ends or {}
    labels = []
    for node in NODE.findall(text):
        var, _, label = node.replace("\\", "").partition(":")
        if not label and var[:1].isupper():
            var, label = "", var
        labels.append(label or ends.get(var))
    hops = HOP.findall(text)
    assert len(labels) == len(hops) + 1, text
    out = []
    for a, (arrow_in, types, _), b in zip(labels, hops, labels[1:]):
        for t in types.split("|"):
            out.append((b, t, a) if arrow_in == "<-" else (a, t, b))
    return out


def _fits(start: str | None, rel: str, end: str | None) -> bool:
    declared = model.RELATIONSHIP.get(rel)
    if declared is None:
        return False
    return all(lab is None or set(lab.split("|")) <= set(allowed)
               for lab, allowed in ((start, declared.start), (end, declared.end)))


# --- the model itself -----------------------------------------------------------------------------------------

def test_item_kind_paths_run_from_an_account_to_their_label_along_declared_relationships():
    for kind in model.ITEM_KINDS.values():
        assert kind.label in model.LABEL, kind.name
        for hop in _chain(kind.path, {"a": "Account", "x": kind.label}):
            assert _fits(*hop), (kind.name, hop)


def test_relationship_endpoints_are_declared_labels():
    for rel in model.RELATIONSHIPS:
        assert set(rel.start) | set(rel.end) <= set(model.LABEL), rel.name


# --- the schema ------------------------------------------------------------------------------------------------

def test_every_label_has_its_uniqueness_constraint_and_no_other():
    text = (ROOT / "graph" / "schema.cypher").read_text()
    constraints = set(re.findall(r"^CREATE CONSTRAINT \w+ IF NOT EXISTS FOR \(n:(\w+)\) REQUIRE n\.(\w+) IS UNIQUE;",
                                 text, flags=re.M))
    assert constraints == {(label.name, label.key) for label in model.LABELS}


def test_graph_views_use_the_model_keys():
    assert db.LABEL_KEYS == {label.name: label.key for label in model.GRAPH_LABELS}
    assert db.TRANSIENT_RELATIONSHIPS == ["EVIDENCE_LINK"]
    assert item_kinds.KINDS is model.ITEM_KINDS


# --- the loaders: incremental (Cypher) and bulk (bulk_model) --------------------------------------------------

def _loader_statements() -> dict[str, str]:
    from loaders import cypher

    out = {name: value for name, value in vars(cypher).items() if isinstance(value, str) and name.isupper()}
    for name, value in vars(cypher).items():
        if isinstance(value, cypher.AggregateLinks):
            out[f"{name}.nodes"], out[f"{name}.links"] = value.nodes, value.links
    return out


def test_the_loaders_cypher_writes_model_labels_with_their_keys():
    keyed = set()
    for name, text in _loader_statements().items():
        if "{label}" in text:
            continue  # SET_EMPTY_LISTS: a template filled with bulk_model's labels, tested below
        for label, key in re.findall(r"MERGE \(\w*:(\w+) \{(\w+):", text):
            assert model.LABEL[label].key == key, (name, label, key)
            keyed.add(label)
    assert keyed == EVIDENCE | {"LoadRun"}


def test_the_loaders_cypher_writes_each_loaded_relationship_between_its_declared_labels():
    written = set()
    for name, text in _loader_statements().items():
        bound = {v: lab for v, lab in re.findall(r"\((\w+):(\w+)", text)}
        for line in text.splitlines():
            if not re.search(r"\b(MERGE|CREATE)\b", line) or "-[" not in line:
                continue
            pattern = line[line.index("("):]
            for start, rel, end in _chain(pattern, bound):
                assert _fits(start, rel, end), (name, start, rel, end)
                written.add(rel)
    assert written == LOADED


def test_the_bulk_model_writes_what_the_model_declares():
    from loaders import bulk_model

    assert {label.name for label in bulk_model.LABELS} == EVIDENCE
    for label in bulk_model.LABELS:
        assert label.key == model.LABEL[label.name].key, label.name
    assert {rel.name for rel in bulk_model.RELATIONSHIPS} | {bulk_model.IN_NETWORK_OF} == LOADED
    for rel in bulk_model.RELATIONSHIPS:
        assert _fits(rel.start, rel.name, rel.end), rel.name


# --- detection --------------------------------------------------------------------------------------------------

def test_detection_reads_every_detected_kind_along_its_model_path():
    from detection import evidence, projection

    detected = {k.name for k in model.ITEM_KINDS.values() if k.detected}
    held = {k.name for k in model.ITEM_KINDS.values() if k.detected and k.identifies}
    assert set(evidence.INCIDENCE) == detected | set(model.ACCOUNT_LINK_KINDS)
    assert set(evidence.HOLDER_COUNTS) == set(evidence.HOLDINGS) == set(evidence.HELD_KINDS) == held
    assert set(projection.KIND_WEIGHT) == set(projection.DF_CAP) == set(evidence.INCIDENCE)
    for name in detected:
        kind, query = model.ITEM_KINDS[name], evidence.INCIDENCE[name]
        assert f"(x:{kind.label})" in query and f"x.{kind.key} AS item" in query, name
        assert all(f"[:{t}]" in query for t in kind.types), name
    for name, rel in model.ACCOUNT_LINK_KINDS.items():
        assert model.RELATIONSHIP[rel].start == model.RELATIONSHIP[rel].end == ("Account",)
        assert f"[:{rel}]" in evidence.INCIDENCE[name]


def test_the_kinds_cases_and_intel_name_are_model_kinds():
    from cases import store, watchlist
    from intel import stix_in

    assert set(watchlist.WATCH_KINDS) <= set(model.ITEM_KINDS)
    assert set(store.FP_EVIDENCE_KINDS) <= set(model.ITEM_KINDS)
    assert set(stix_in.CUSTOM_KINDS) - {"email", "account"} <= set(model.ITEM_KINDS)


# --- the workbench and the bundle ---------------------------------------------------------------------------------

def test_every_coloured_label_is_drawn_on_the_workbench_and_nothing_else():
    from workbench import canvas

    coloured = {label.name for label in model.LABELS if label.colour}
    assert set(canvas.KIND_SHAPE) == coloured
    for name in coloured:
        assert canvas.KIND_STYLE[name][0] == model.LABEL[name].colour
    for label in model.LABELS:
        assert canvas.KIND_NAMES.get(label.name, label.name) == label.shown


def test_the_bundle_draws_the_evidence_labels_in_the_model_colours():
    from bundles import render

    assert set(render.NODE_SHAPE) == {name for name in EVIDENCE if model.LABEL[name].colour} | {"Cluster"}
    for name in render.NODE_SHAPE:
        assert render.NODE_STYLE[name][0] == model.LABEL[name].colour


def test_workbench_search_looks_each_label_up_by_its_key():
    from workbench import data

    for label, key in re.findall(r"MATCH \(n:(\w+)\) WHERE n\.(\w+) STARTS WITH", data.SEARCH):
        if key != model.LABEL[label].key:
            assert (label, key) in {("Account", "email"), ("Identifier", "value")}, (label, key)


# --- the README ---------------------------------------------------------------------------------------------------

def _readme_model() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## Graph model\n"):text.index("\n## ", text.index("## Graph model\n") + 5)]


def test_the_readme_names_every_evidence_label_with_its_key():
    section = _readme_model()
    intro = section[:section.index("plus ")]
    named = dict(re.findall(r"`(\w+)\((\w+)\)`", intro))
    assert named == {name: model.LABEL[name].key for name in EVIDENCE}


def test_the_readme_model_table_is_the_model():
    shown = set()
    for line in _readme_model().splitlines():
        if not line.startswith("| `("):
            continue
        for cell in re.findall(r"`(\([^`]*)`", re.split(r"(?<!\\)\|", line)[1]):
            for hop in _chain(cell):
                assert _fits(*hop), (cell, hop)
                shown.add(hop[1])
    assert LOADED <= shown
    assert shown <= set(model.RELATIONSHIP)


def test_the_readme_says_how_to_add_an_evidence_kind():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Adding an evidence kind"):]
    for place in ("graph/model.py", "detection/projection.py", "tests/unit/test_model.py"):
        assert place in section


def test_the_labels_the_workbench_names_are_model_labels():
    from workbench import cluster_graph
    from workbench.views import overview

    named = (set(overview.OVERVIEW_KINDS) | set(overview.INTERNAL_KINDS) | set(cluster_graph.GROUP_KINDS)
             | set(cluster_graph.INFRASTRUCTURE_KINDS) | set(cluster_graph.NAMED_KINDS))
    assert named <= {label.name for label in model.GRAPH_LABELS}
    # every label the overview counts has its place in its order or is internal (Event and Case come after)
    assert set(db.LABEL_KEYS) - set(overview.OVERVIEW_KINDS) - set(overview.INTERNAL_KINDS) == {"Event", "Case"}
