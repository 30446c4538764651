"""What the change feed needs from the write side: tombstones for deleted documents.

A portal that harvests this service asks what changed since its last visit. Stored and
replaced documents answer from their records (``prov:generatedAtTime``), but a deleted
document's record is gone with it, so each deletion leaves a tombstone in the metadata graph::

    <{graph}#tombstone> a mcg:Tombstone ; mcg:deletedGraph <{graph}> ;
        mcg:deletedFrom <{source}> ; mcg:deletedTopic <{topic}> ;
        prov:invalidatedAtTime "..."^^xsd:dateTime .

(Not dc:source / foaf:primaryTopic: queries that find a source's documents by those would then
find its tombstones too.)

``tombstone_update`` must run in the same update as the deletion and before the record is
forgotten (it reads the record's source and topic): ``delete_documents`` puts it first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from mcgraph.vocab import DC, FOAF, MCG, PROV, RDF, XSD


def tombstone_update(metadata_graph: str, graphs: Iterable[str], now: str | None = None) -> str:
    """SPARQL update operations (joined with ``;``) recording the deletion of ``graphs`` at
    ``now`` (ISO 8601 with time zone; default: the current time). A graph deleted again gets
    a new time; a graph without a record (nothing stored) gets no tombstone."""
    when = now or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    meta = metadata_graph
    ops = []
    for graph in graphs:
        tomb = f"<{graph}#tombstone>"
        ops += [
            f"DELETE WHERE {{ GRAPH <{meta}> {{ {tomb} ?p ?o }} }}",
            f"INSERT {{ GRAPH <{meta}> {{ {tomb} <{RDF}type> <{MCG}Tombstone> ; "
            f"<{MCG}deletedGraph> <{graph}> ; <{MCG}deletedFrom> ?source ; "
            f"<{MCG}deletedTopic> ?topic ; "
            f'<{PROV}invalidatedAtTime> "{when}"^^<{XSD}dateTime> }} }} '
            f"WHERE {{ GRAPH <{meta}> {{ <{graph}> <{DC}source> ?source "
            f"OPTIONAL {{ <{graph}> <{FOAF}primaryTopic> ?topic }} }} }}",
        ]
    return " ;\n".join(ops)
