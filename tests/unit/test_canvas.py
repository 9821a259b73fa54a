"""The investigation canvas: infrastructure grouped per service, captions, sizes and marks, typed properties in
the side panel, neutralised data for the component, telling neighbours first, and the chains Trace draws."""
from __future__ import annotations

import datetime as dt

from tracing.attribution import Attribution, Candidate, EvidencePath
from workbench import cluster_graph


PROXY = "Organisation:proxy-hydra"


LAB = "Organisation:org-lab"


PERSON = "Person:person-9"


def _rows(accounts: int = 6, exits: int = 60) -> list[dict]:
    """A cluster whose accounts share one card billed to a lab and reach `exits` proxy exit addresses."""
    rows = []
    for i in range(accounts):
        a = f"acc-{i:03d}"
        rows.append({"source_label": "Account", "source": a, "type": "MEMBER_OF", "target_label": "Cluster",
                     "target": "c1"})
        rows.append({"source_label": "Account", "source": a, "type": "PAID_WITH", "target_label": "PaymentCard",
                     "target": "card-fp-1"})
        rows.append({"source_label": "Account", "source": a, "type": "USED_DEVICE", "target_label": "Device",
                     "target": "dev-staff"})
    for j in range(exits):  # each exit address is used by two of the accounts
        for a in {j % accounts, (j + 1) % accounts}:
            rows.append({"source_label": "Account", "source": f"acc-{a:03d}", "type": "LOGGED_IN_FROM",
                         "target_label": "IPAddress", "target": f"100.64.0.{j}"})
        rows.append({"source_label": "IPAddress", "source": f"100.64.0.{j}", "type": "EXIT_NODE_OF",
                     "target_label": "Organisation", "target": "proxy-hydra"})
    rows.append({"source_label": "PaymentCard", "source": "card-fp-1", "type": "BILLED_TO",
                 "target_label": "Organisation", "target": "org-lab"})
    rows.append({"source_label": "Person", "source": "person-9", "type": "USES_DEVICE", "target_label": "Device",
                 "target": "dev-staff"})
    return rows


NAMES = {PROXY: {"name": "HydraNet Proxies", "kind": "proxy_service"},
         LAB: {"name": "Quillon Systems", "kind": "ai_lab"}, PERSON: {"name": "Bex Glenrock", "kind": "staff"}}


def test_proxy_exit_addresses_collapse_into_one_captioned_node_per_service():
    g = cluster_graph.build(_rows(), names=NAMES)
    groups = [n for n in g.nodes.values() if n["label"] == cluster_graph.INFRA_GROUP]
    assert [n["caption"] for n in groups] == ["HydraNet Proxies: 60 exit addresses"]
    assert not any(n["label"] == "IPAddress" for n in g.nodes.values())
    assert groups[0]["users"] == 6, "the group is used by the cluster's 6 accounts (each counted once)"
    assert g.nodes[LAB]["caption"] == "Quillon Systems" and g.nodes[PERSON]["caption"] == "Bex Glenrock"


def test_expanding_the_group_draws_its_addresses_again():
    first = cluster_graph.build(_rows(), names=NAMES)
    (key,) = first.collapsed
    g = cluster_graph.build(_rows(), names=NAMES, expanded={key})
    assert sum(1 for n in g.nodes.values() if n["label"] == "IPAddress") == 60
    assert key not in g.nodes


def test_every_node_is_captioned_sized_and_accounts_marked():
    from workbench.canvas import elements

    g = cluster_graph.build(_rows(), names=NAMES, flagged=True, decisions={"acc-001": "confirmed"})
    els = elements(g.nodes, g.edges)
    assert all(n["data"]["name"] for n in els["nodes"])
    by_id = {n["data"]["id"]: n["data"] for n in els["nodes"]}
    assert by_id["Account:acc-001"]["decision"] == "confirmed" and by_id["Account:acc-001"]["flagged"] is True
    assert by_id["PaymentCard:card-fp-1"]["size"] > by_id["Account:acc-000"]["size"], "6 accounts outweigh 1"
    long_id = cluster_graph.caption("PaymentCard", {"card_fingerprint": "f" * 64})
    assert len(long_id) <= cluster_graph.SHORT_ID_CHARS and long_id.endswith("…")


def test_large_cluster_groups_accounts_and_infrastructure():
    g = cluster_graph.build(_rows(accounts=60, exits=120), names=NAMES)
    assert g.grouped and len(g.nodes) < 10, sorted(g.nodes)
    assert "HydraNet Proxies: 120 exit addresses" in {n["caption"] for n in g.nodes.values()}


def test_crafted_names_reach_the_component_as_text_only():
    """st-link-analysis writes node data into its info panel as HTML: no angle bracket or ampersand gets there."""
    from workbench.canvas import elements

    crafted = '<img src=x onerror="alert(1)">&amp;'
    g = cluster_graph.build(_rows(), names={**NAMES, LAB: {"name": crafted, "kind": "ai_lab"}})
    els = elements(g.nodes, g.edges)
    blob = repr(els)
    assert "<img" not in blob and "&amp;" not in blob
    assert any("img src=x" in n["data"]["name"] for n in els["nodes"]), "the name is still readable"


def test_properties_are_typed_values_not_python_reprs():
    from neo4j.time import DateTime

    from workbench.node_panel import format_value, properties_table

    assert format_value(False) == "no" and format_value(True) == "yes"
    assert format_value(["people.csv", "logins.parquet"]) == "people.csv, logins.parquet"
    assert format_value(DateTime(2026, 9, 1, 12, 30, 5, 123456789, tzinfo=dt.timezone.utc)) == \
        "2026-09-01 12:30:05 UTC"
    assert format_value(1234567) == "1,234,567"
    table = properties_table({"verified": False, "sources": ["a", "b"], "contributions": "[...]"})
    assert list(table["value"]) == ["no", "a, b"]


def _attribution() -> Attribution:
    person = Candidate("person", "person-9", "Bex Glenrock", [
        EvidencePath("person_device", 46, ["dev-staff-004"], 62, 0.70),
        EvidencePath("card_in_person_name", 24, ["card-fp-1"], 24, 0.44)], 0.83, 1)
    org = Candidate("organisation", "org-lab", "Quillon Systems", [
        EvidencePath("card_billed_to_org", 15, ["card-fp-2"], 15, 0.70),
        EvidencePath("via_staff_member", 46, ["Bex Glenrock (person-9)"], 2, 0.66),
        EvidencePath("api_key_from_network", 3, ["198.18.20.77"], 3, 0.48)], 0.95, 1)
    return Attribution("c1", True, [org], [person], [])


def test_trace_chains_run_through_the_real_items_strongest_first():
    from tracing.chains import chains

    found = chains(_attribution(), "Cluster c0001: 84 accounts")
    strengths = [c.strength for c in found]
    assert strengths == sorted(strengths, reverse=True)
    staff = next(c for c in found if c.evidence == "via_staff_member")
    assert [s.label for s in staff.steps] == ["Cluster", "Device", "Person", "Organisation"]
    assert [s.caption for s in staff.steps[1:]] == ["dev-staff-004", "Bex Glenrock", "Quillon Systems"]
    assert staff.relations[-1] == "works for"
    card = next(c for c in found if c.evidence == "card_billed_to_org")
    assert card.text().startswith("Cluster c0001: 84 accounts → 15 account(s) paid with → card-fp-2 → billed to → "
                                  "Quillon Systems")
    assert "strength 0.70" in card.text()


def test_groups_alike_on_the_canvas_are_drawn_once_and_private_items_counted():
    """600 accounts in 20 card groups that all reach the same proxy and staff device: one node, not 20 stacked."""
    rows = []
    for i in range(600):
        a = f"acc-{i:04d}"
        rows += [{"source_label": "Account", "source": a, "type": "MEMBER_OF", "target_label": "Cluster",
                  "target": "c1"},
                 {"source_label": "Account", "source": a, "type": "PAID_WITH", "target_label": "PaymentCard",
                  "target": f"card-{i // 30}"},
                 {"source_label": "Account", "source": a, "type": "USED_DEVICE", "target_label": "Device",
                  "target": "dev-staff"},
                 {"source_label": "Account", "source": a, "type": "LOGGED_IN_FROM", "target_label": "IPAddress",
                  "target": f"100.64.0.{i % 50}"}]
    rows += [{"source_label": "IPAddress", "source": f"100.64.0.{j}", "type": "EXIT_NODE_OF",
              "target_label": "Organisation", "target": "proxy-hydra"} for j in range(50)]
    g = cluster_graph.build(rows, names=NAMES)
    groups = [n for n in g.nodes.values() if n["label"] == cluster_graph.ACCOUNT_GROUP]
    assert [n["caption"] for n in groups] == ["600 accounts in 20 groups"]
    assert groups[0]["props"]["PaymentCard only its accounts use"] == 20
    assert not any(n["label"] == "PaymentCard" for n in g.nodes.values())
    assert len(g.nodes) == 4, sorted(g.nodes)  # the group, the device, the proxy group and its service


def _device_mesh(pairs: int = 100, devices: int = 60) -> list[dict]:
    """Pairs of accounts, each pair on two devices it shares with the next pair: the seed's largest cluster in
    small (421 account groups over 560 devices in overlapping sets)."""
    rows = []
    for k in range(pairs):
        for a in (f"acc-{2 * k:04d}", f"acc-{2 * k + 1:04d}"):
            rows.append({"source_label": "Account", "source": a, "type": "MEMBER_OF", "target_label": "Cluster",
                         "target": "c1"})
            for d in (k % devices, (k + 1) % devices):
                rows.append({"source_label": "Account", "source": a, "type": "USED_DEVICE",
                             "target_label": "Device", "target": f"dev-{d:03d}"})
    return rows


def test_a_crowded_grouped_drawing_draws_shared_items_per_kind_and_expands_them():
    g = cluster_graph.build(_device_mesh(), flagged=True)
    assert len(g.nodes) <= cluster_graph.READABLE_NODES, len(g.nodes)
    captions = sorted(n["caption"] for n in g.nodes.values())
    assert "Devices: 60" in captions and "200 accounts in 60 groups" in captions, captions
    assert not [n for n in g.nodes.values() if n["label"] == "Device"]
    key = f"{cluster_graph.INFRA_GROUP}:Device"
    assert len(g.collapsed[key]) == 60
    again = cluster_graph.build(_device_mesh(), flagged=True, expanded={key})
    assert sum(1 for n in again.nodes.values() if n["label"] == "Device") == 60, "expanded: every device drawn"


def _explore_canvas(exits: int) -> tuple[dict, set]:
    """An Explore canvas as the page keeps it (element ids as keys, the graph's own relationships): an
    account expanded into `exits` exit addresses of one proxy service, and the proxy expanded too."""
    nodes = {"e:acc": {"label": "Account", "props": {"account_id": "acc-1"}, "caption": "acc-1", "users": 1},
             "e:proxy": {"label": "Proxy", "props": {"proxy_id": "px-1"}, "caption": "HydraNet px-1", "users": 9}}
    edges = set()
    for i in range(exits):
        nodes[f"e:ip{i}"] = {"label": "IPAddress", "props": {"ip": f"10.0.0.{i}"}, "caption": f"10.0.0.{i}",
                             "users": 3}
        edges.add(("e:acc", f"e:ip{i}", "REQUESTED_FROM"))
        edges.add(("e:proxy", f"e:ip{i}", "EXIT_IP"))
    return nodes, edges


def test_explore_groups_the_exit_addresses_it_was_expanded_into_per_proxy():
    nodes, edges = _explore_canvas(30)
    view = cluster_graph.group_canvas(nodes, edges, keep={"e:acc", "e:proxy"})
    groups = [n for n in view.nodes.values() if n["label"] == cluster_graph.INFRA_GROUP]
    assert len(groups) == 1 and groups[0]["caption"] == "HydraNet px-1: 30 exit addresses"
    assert groups[0]["users"] == 90, "a group is sized by the accounts its members stand for"
    assert set(view.nodes) == {"e:acc", "e:proxy", *view.collapsed}
    key = next(iter(view.collapsed))
    assert {(u, v) for u, v, _ in view.edges} == {("e:acc", key), ("e:proxy", key)}


def test_explore_never_folds_what_the_investigator_added_and_draws_an_opened_group_whole():
    nodes, edges = _explore_canvas(30)
    kept = cluster_graph.group_canvas(nodes, edges, keep={"e:acc", "e:proxy", "e:ip3"})
    assert "e:ip3" in kept.nodes and "29 exit addresses" in next(
        n["caption"] for n in kept.nodes.values() if n["label"] == cluster_graph.INFRA_GROUP)
    key = next(iter(kept.collapsed))
    opened = cluster_graph.group_canvas(nodes, edges, expanded={key}, keep={"e:acc", "e:proxy"})
    assert not opened.collapsed and set(opened.nodes) == set(nodes)
