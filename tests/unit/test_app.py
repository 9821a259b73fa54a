"""The workbench under Streamlit's AppTest: every page, empty states, Neo4j down, login, roles."""
from __future__ import annotations


def test_large_clusters_draw_accounts_grouped_and_kinds_can_be_hidden():
    from workbench import cluster_graph

    rows = []
    for i in range(60):
        a = f"acc-{i:03d}"
        rows.append({"source_label": "Account", "source": a, "type": "MEMBER_OF", "target_label": "Cluster",
                     "target": "c1"})
        rows.append({"source_label": "Account", "source": a, "type": "PAID_WITH", "target_label": "PaymentCard",
                     "target": f"card-{i % 3}"})
        rows.append({"source_label": "Account", "source": a, "type": "USED_DEVICE", "target_label": "Device",
                     "target": "dev-1"})
    rows.append({"source_label": "PaymentCard", "source": "card-0", "type": "BILLED_TO",
                 "target_label": "Organisation", "target": "org-1"})
    g = cluster_graph.build(rows)
    assert g.grouped and g.accounts == 60
    groups = [n for n in g.nodes.values() if n["label"] == cluster_graph.ACCOUNT_GROUP]
    # card-0 leads on to an organisation, so its group is drawn with it; the two groups whose cards lead nowhere
    # else are alike on the canvas (both reach only dev-1): one node, their cards counted in its properties
    assert sorted(n["caption"] for n in groups) == ["20 accounts", "40 accounts in 2 groups"]
    assert sum(n["props"]["accounts"] for n in groups) == 60
    assert {n["props"]["card_fingerprint"] for n in g.nodes.values() if n["label"] == "PaymentCard"} == {"card-0"}
    merged = next(n for n in groups if n["props"].get("groups") == 2)
    assert merged["props"]["PaymentCard only its accounts use"] == 2
    hidden = cluster_graph.build(rows, {"Device"})
    assert "Device" not in hidden.kinds() and all(not v.startswith("Device:") for _, v, _ in hidden.edges)
    small = cluster_graph.build(rows[:30])
    assert not small.grouped and all(n["caption"] != n["label"] for n in small.nodes.values())
