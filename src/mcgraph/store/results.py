"""SPARQL query results written from rows pulled one at a time, so that a result can be cut at
the row limit without evaluating the rest (pyoxigraph's own writers consume the whole iterator).

Formats: SPARQL 1.1 Query Results JSON, XML, CSV and TSV. Durations stored in their lexical
form (``mcg:lexicalDuration``) are written back as ``xsd:duration``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from mcgraph.store.embedded import LEXICAL_DURATION

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_DURATION = "http://www.w3.org/2001/XMLSchema#duration"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None


def _datatype(term: ox.Literal) -> str:
    datatype = term.datatype.value
    return XSD_DURATION if datatype == LEXICAL_DURATION else datatype


def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif _datatype(term) != XSD_STRING:
            out["datatype"] = _datatype(term)
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    return {}


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if _datatype(term) != XSD_STRING:
            return f"<literal datatype={quoteattr(_datatype(term))}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _nt(term: Term) -> str:
    """A term as in TSV results (N-Triples syntax)."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        value = term.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        value = value.replace("\r", "\\r").replace("\t", "\\t")
        if term.language:
            return f'"{value}"@{term.language}'
        if _datatype(term) in (XSD_STRING, LANG_STRING):
            return f'"{value}"'
        return f'"{value}"^^<{_datatype(term)}>'
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


def _csv_cell(term: Term) -> str:
    if term is None:
        return ""
    text = (
        f"_:{term.value}" if isinstance(term, ox.BlankNode) else getattr(term, "value", str(term))
    )
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return str(text)


def write_solutions(variables: Sequence[str], rows: Sequence[Sequence[Term]], fmt: str) -> bytes:
    """SELECT results in ``fmt`` (json, xml, csv, tsv)."""
    if fmt == "json":
        bindings = [
            {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in rows
        ]
        return json.dumps(
            {"head": {"vars": list(variables)}, "results": {"bindings": bindings}},
            ensure_ascii=False,
        ).encode("utf-8")
    if fmt == "xml":
        head = "".join(f"<variable name={quoteattr(v)}/>" for v in variables)
        results = "".join(
            "<result>"
            + "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row, strict=True)
                if t is not None
            )
            + "</result>"
            for row in rows
        )
        return (
            '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head>{head}</head><results>{results}</results></sparql>"
        ).encode()
    if fmt == "csv":
        lines = [",".join(variables)] + [",".join(_csv_cell(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in variables)] + [
            "\t".join(_nt(t) for t in row) for row in rows
        ]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"unknown results format {fmt}")


def write_boolean(value: bool, fmt: str) -> bytes:
    """ASK results; CSV and TSV carry the bare word, as pyoxigraph writes them."""
    word = "true" if value else "false"
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return (
            '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{word}</boolean></sparql>"
        ).encode()
    return word.encode()
