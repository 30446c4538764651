"""A document as the N-Triples statements pyoxigraph serialises it to: the form ingestion
works on where it can. pyoxigraph builds a new Python object on every access to a quad's term,
so reading each quad's subject, predicate and object was most of ingestion's Python time;
serialising a document is one call, and the statements then are plain bytes, where equal terms
are equal text.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from mcgraph.documents import to_nquads
from mcgraph.elements import profile_named
from mcgraph.validation import PROFILES
from mcgraph.vocab import RDF

_TYPE_NT = f"<{RDF}type>".encode()


@functools.cache
def _focus_classes(profile: str) -> frozenset[bytes]:
    return frozenset(f"<{c}>".encode() for c in profile_named(profile).focus_classes)


@dataclass
class Statements:
    """A document as pyoxigraph serialises it: its N-Triples statements without the final
    `` .``, in the order of its quads, and each split at its first two spaces (subject,
    predicate, object: IRIs and blank nodes hold no space)."""

    lines: list[bytes]
    rows: list[list[bytes]]

    @classmethod
    def of(cls, quads: Sequence[ox.Quad]) -> Statements | None:
        """None for what only the quads can say: RDF 1.2 triple terms (``<<`` anywhere, even
        in a literal, to be safe), or quads not all in one named or default graph."""
        if not quads or isinstance(quads[0].graph_name, ox.BlankNode):
            return None
        data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
        if b"<<" in data:
            return None
        first = quads[0].graph_name
        ending = f" <{first.value}> .\n" if isinstance(first, ox.NamedNode) else " .\n"
        lines = data.split(ending.encode())  # a line ending, never inside a literal
        if lines.pop() != b"" or len(lines) != len(quads):
            return None
        return cls(lines, [line.split(b" ", 2) for line in lines])

    def identify(self, profile: str, source: str) -> tuple[str | None, str]:
        """As :func:`~mcgraph.validation.detect_profile` (for ``auto``) and
        :func:`~mcgraph.ingest.document_identifier` say, in one pass over the predicates."""
        typed = [(s, o) for s, p, o in self.rows if p == _TYPE_NT]
        chosen: str | None = profile
        if profile == "auto":
            types = {o for _, o in typed}
            chosen = next((p for p in PROFILES if not _focus_classes(p).isdisjoint(types)), None)
        if chosen is not None:
            focus = _focus_classes(chosen)
            subjects = {s for s, o in typed if o in focus and s.startswith(b"<")}
            if len(subjects) == 1:
                return chosen, subjects.pop()[1:-1].decode("utf-8")
        return chosen, source


def statements_of(quads: Sequence[ox.Quad]) -> list[bytes]:
    """Quads (in one graph) as N-Triples statements without their final `` .``."""
    scratch = b" <urn:mcgraph:scratch> .\n"
    lines = to_nquads(quads, "urn:mcgraph:scratch").split(scratch)
    lines.pop()
    return lines
