"""The one boundary between pyoxigraph terms and rdflib terms (rdflib feeds pySHACL only).

Blank node identifiers are kept, so that a node reported by either side has the same name.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib


def to_rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"RDF-star triple terms are not supported: {term}")


def to_rdflib_graph(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """All quads as one rdflib graph (graph names dropped: a document is validated as a whole)."""
    graph = rdflib.Graph()
    add = graph.add
    for quad in quads:
        add(
            (
                to_rdflib_term(quad.subject),
                to_rdflib_term(quad.predicate),
                to_rdflib_term(quad.object),
            )
        )
    return graph


def term_text(term: rdflib.term.Node | ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """How reports name a term: an IRI as is, a blank node as ``_:id``, a literal in N-Triples."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, rdflib.URIRef):
        return str(term)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    if isinstance(term, ox.Literal):
        return _literal_text(term.value, term.language, term.datatype.value)
    if isinstance(term, rdflib.Literal):
        datatype = str(term.datatype) if term.datatype else _XSD_STRING
        return _literal_text(str(term), term.language, datatype)
    return str(term)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def _literal_text(value: str, language: str | None, datatype: str) -> str:
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if language:
        return f"{quoted}@{language}"
    if datatype in (_XSD_STRING, _LANG_STRING):
        return quoted
    return f"{quoted}^^<{datatype}>"
