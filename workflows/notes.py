"""Notes on graph elements (the workbench's node panel): rights, the note, audit."""
from __future__ import annotations

from cases import notes
from graph.db import Graph
from ringtrace.core import audit
from ringtrace.core.errors import RingtraceError
from ringtrace.core.rights import Actor
from workflows.guard import authorise


def add_note(graph: Graph, actor: Actor, element_id: str, text: str) -> str:
    """Attach a note to a node; returns the note's id."""
    authorise(actor, "note", "note", {"element_id": element_id})
    if not text.strip():
        raise RingtraceError("A note needs some text.")
    note_id = notes.add_note(graph, element_id, text.strip(), actor.name)
    audit.record(actor.name, "note", {"element_id": element_id, "note_id": note_id})
    return note_id
