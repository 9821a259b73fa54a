"""Notes on graph elements (any node: an account, a card, a cluster): their Cypher and the two calls on it."""
from __future__ import annotations

import uuid
from typing import Any

from graph.db import Graph, plain

ADD_NOTE = """
MATCH (t) WHERE elementId(t) = $element_id
CREATE (note:Note {note_id: $note_id, text: $text, author: $author, created_at: datetime()})-[:ABOUT]->(t)
RETURN note.note_id AS note_id
"""
NOTES_OF = """
MATCH (note:Note)-[:ABOUT]->(t) WHERE elementId(t) = $element_id
RETURN note.text AS text, note.author AS author, note.created_at AS created_at ORDER BY created_at DESC
"""


def add_note(graph: Graph, element_id: str, text: str, author: str) -> str:
    """Attach a note to the node with this element id; returns the note's id ("" when no such node)."""
    rows = graph.write(ADD_NOTE, {"element_id": element_id, "text": text, "author": author,
                                  "note_id": str(uuid.uuid4())})
    return rows[0]["note_id"] if rows else ""


def notes_of(graph: Graph, element_id: str) -> list[dict[str, Any]]:
    """The notes on a node, newest first."""
    return [plain(r) for r in graph.read(NOTES_OF, {"element_id": element_id})]
