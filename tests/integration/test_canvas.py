"""The investigation canvas: infrastructure grouped per service, captions, sizes and marks, typed properties in
the side panel, neutralised data for the component, telling neighbours first, and the chains Trace draws."""
from __future__ import annotations

from workbench import cluster_graph


def test_telling_neighbours_come_first_tied_then_rare(graph):
    """A device's neighbours: the account also tied to the canvas first, then the rare one before the common."""
    graph.write("""
    CREATE (d:Device {device_id: 'dev-x'}), (c:Card {id: 'canvas'})
    CREATE (tied:Account {account_id: 'a-tied'}), (rare:Account {account_id: 'a-rare'}),
           (common:Account {account_id: 'a-common'})
    CREATE (tied)-[:USED_DEVICE]->(d), (rare)-[:USED_DEVICE]->(d), (common)-[:USED_DEVICE]->(d)
    CREATE (tied)-[:PAID_WITH]->(c)
    WITH common UNWIND range(1, 30) AS i CREATE (common)-[:LOGGED_IN_FROM]->(:IPAddress {ip: '10.9.9.' + i})
    WITH common LIMIT 1 CREATE (common)-[:LOGGED_IN_FROM]->(:IPAddress {ip: '10.9.8.1'})
    """)
    dev = graph.read("MATCH (d:Device {device_id: 'dev-x'}) RETURN elementId(d) AS e")[0]["e"]
    card = graph.read("MATCH (c:Card {id: 'canvas'}) RETURN elementId(c) AS e")[0]["e"]
    rows, total = cluster_graph.telling_neighbours(graph, dev, [card], None, limit=2)
    assert [r["props"]["account_id"] for r in rows] == ["a-tied", "a-rare"]
    assert total == 3 and rows[0]["shared"] >= 1 and rows[1]["shared"] == 0
