"""A SHACL engine on pyoxigraph: each constraint of the compiled subset (see
:mod:`mcgraph.validation.compiled`) becomes one SPARQL query, run over a whole batch of
documents at once (each document in its own named graph, so that no document can satisfy
another's constraints).

tests/test_engines.py proves it reports what pySHACL reports on the test corpus. Elsewhere it
can differ where pyoxigraph and rdflib see literals differently (canonical lexical forms,
literal members of sh:in) and in the labels of blank nodes it reports; the default ``native``
engine has none of these differences and is faster.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib

from mcgraph import paths
from mcgraph.documents import to_nquads
from mcgraph.errors import ConfigurationError
from mcgraph.rdfconvert import term_text
from mcgraph.validation.compiled import (
    Class,
    Datatype,
    In,
    NodeKind,
    Or,
    Pattern,
    PropertyCheck,
    Target,
    ValueTest,
    compile_shapes,
)
from mcgraph.validation.report import ValidationResult
from mcgraph.validation.shapes import ShapeSet
from mcgraph.vocab import RDF, RDFS, XSD

_RDF_TYPE = RDF + "type"
_SUBCLASS_OF = RDFS + "subClassOf"
_TYPE_PATH = f"<{_RDF_TYPE}>/<{_SUBCLASS_OF}>*"
#: datatypes whose lexical form pyoxigraph can check by casting, as rdflib does when parsing
_CASTABLE = {
    XSD + name for name in ("dateTime", "date", "time", "duration", "boolean", "integer", "decimal")
} | {XSD + "double", XSD + "float"}
_NODE_KINDS = {
    "IRI": "isIRI(?value)",
    "BlankNode": "isBlank(?value)",
    "Literal": "isLiteral(?value)",
    "BlankNodeOrIRI": "!isLiteral(?value)",
    "BlankNodeOrLiteral": "!isIRI(?value)",
    "IRIOrLiteral": "!isBlank(?value)",
}


def _quoted(text: str) -> str:
    return rdflib.Literal(text).n3()


@dataclass(frozen=True)
class CompiledCheck:
    shape: str
    element: str | None
    severity: str
    message: str
    path: str | None
    query: str
    reports_value: bool

    @property
    def query_without_subclasses(self) -> str:
        """The same query for data with no rdfs:subClassOf triples (then rdf:type is enough)."""
        return self.query.replace(_TYPE_PATH, f"<{_RDF_TYPE}>")


def _target(target: Target) -> str:
    parts = []
    if target.classes:
        values = " ".join(f"<{c}>" for c in target.classes)
        parts.append(f"VALUES ?class {{ {values} }} ?focus {_TYPE_PATH} ?class .")
    parts += [f"?focus <{p}> ?any ." for p in target.subjects_of]
    parts += [f"?any <{p}> ?focus ." for p in target.objects_of]
    return parts[0] if len(parts) == 1 else " UNION ".join(f"{{ {p} }}" for p in parts)


def _queries(check: PropertyCheck) -> list[CompiledCheck]:
    """One SPARQL query per constraint of ``check``, over every document graph ?g."""
    target = _target(check.target)
    sparql_path = paths.to_sparql(check.path, prefixed=False)

    def compiled(query: str, reports_value: bool) -> CompiledCheck:
        return CompiledCheck(
            check.shape, check.element, check.severity, check.message, check.path_text,
            query, reports_value,
        )  # fmt: skip

    queries = []
    if check.min_count == 1:
        queries.append(
            compiled(
                "SELECT DISTINCT ?g ?focus WHERE { GRAPH ?g { "
                f"{target} FILTER NOT EXISTS {{ ?focus {sparql_path} ?value }} }} }}",
                False,
            )
        )
    elif check.min_count:
        queries.append(compiled(_count_query(target, sparql_path, f"< {check.min_count}"), False))
    if check.max_count is not None:
        queries.append(compiled(_count_query(target, sparql_path, f"> {check.max_count}"), False))
    for _component, test in check.tests:
        queries.append(
            compiled(
                "SELECT DISTINCT ?g ?focus ?value WHERE { GRAPH ?g { "
                f"{target} ?focus {sparql_path} ?value . FILTER (!({_condition(test)})) }} }}",
                True,
            )
        )
    return queries


def _count_query(target: str, sparql_path: str, comparison: str) -> str:
    return (
        "SELECT ?g ?focus WHERE { { SELECT DISTINCT ?g ?focus WHERE { GRAPH ?g { "
        f"{target} }} }} }} OPTIONAL {{ GRAPH ?g {{ ?focus {sparql_path} ?value }} }} }} "
        f"GROUP BY ?g ?focus HAVING (COUNT(DISTINCT ?value) {comparison})"
    )


def _condition(test: ValueTest) -> str:
    """The SPARQL condition that a conforming ?value satisfies."""
    if isinstance(test, In):
        if all(isinstance(i, rdflib.URIRef) for i in test.members):
            listed = ", ".join(f"<{i}>" for i in test.members)
            return f"isIRI(?value) && ?value IN ({listed})"
        return " || ".join(f"sameTerm(?value, {i.n3()})" for i in test.members) or "false"
    if isinstance(test, Datatype):
        return _datatype_test(test.iri)
    if isinstance(test, Pattern):
        flags = f", {_quoted(test.flags)}" if test.flags else ""
        return f"!isBlank(?value) && REGEX(STR(?value), {_quoted(test.regex)}{flags})"
    if isinstance(test, Class):
        return f"EXISTS {{ ?value {_TYPE_PATH} <{test.iri}> }}"
    if isinstance(test, NodeKind):
        return _NODE_KINDS[test.kind]
    if isinstance(test, Or):
        return " || ".join(f"({_condition(o)})" for o in test.options) or "false"
    conditions = [_condition(t) for t in test.tests]
    for index, path in enumerate(test.required):
        nested = paths.to_sparql(path, prefixed=False)
        conditions.append(f"EXISTS {{ ?value {nested} ?nested{index} }}")
    return " && ".join(f"({c})" for c in conditions) or "true"


def _datatype_test(datatype: str) -> str:
    if datatype == str(rdflib.RDF.langString):
        return 'isLiteral(?value) && LANG(?value) != ""'
    test = f"isLiteral(?value) && DATATYPE(?value) = <{datatype}>"
    if datatype in _CASTABLE:
        test += f" && COALESCE(<{datatype}>(STR(?value)) = ?value, false)"
    return test


class SparqlEngine:
    """Validates batches of documents with the shapes compiled to SPARQL (see module doc)."""

    name = "sparql"

    def __init__(self, shapes: ShapeSet, *, lang: str = "en") -> None:
        self.shapes = shapes
        self.checks = [q for check in compile_shapes(shapes, lang) for q in _queries(check)]

    def validate(self, quads: Sequence[ox.Quad]) -> list[ValidationResult]:
        return self.validate_batch([quads])[0]

    def validate_batch(
        self, documents: Sequence[Sequence[ox.Quad]]
    ) -> list[list[ValidationResult]]:
        store = ox.Store()
        graphs: dict[str, int] = {}
        chunks = []
        for index, quads in enumerate(documents):
            graph = f"urn:mcgraph:validation:{index}"
            graphs[graph] = index
            chunks.append(to_nquads(quads, graph))
        store.load(b"".join(chunks), format=ox.RdfFormat.N_QUADS)
        subclasses = bool(store.query(f"ASK {{ GRAPH ?g {{ ?a <{_SUBCLASS_OF}> ?b }} }}"))
        # pyoxigraph releases the GIL while it evaluates: the checks run on every core
        with ThreadPoolExecutor(max_workers=_THREADS) as pool:
            answers = pool.map(lambda c: _solutions(store, c, subclasses), self.checks)
            results: list[list[ValidationResult]] = [[] for _ in documents]
            for check, rows in zip(self.checks, answers, strict=True):
                for graph_name, focus, value in rows:
                    results[graphs[graph_name]].append(
                        ValidationResult(
                            element=check.element,
                            severity=check.severity,
                            focus=focus,
                            path=check.path,
                            message=check.message,
                            value=value,
                            source_shape=check.shape or None,
                        )
                    )
        return results


_THREADS = max(1, min(4, os.cpu_count() or 1))


def _solutions(
    store: ox.Store, check: CompiledCheck, subclasses: bool
) -> list[tuple[str, str, str | None]]:
    """(graph, focus, value) of every result of one check."""
    solutions = store.query(check.query if subclasses else check.query_without_subclasses)
    if not isinstance(solutions, ox.QuerySolutions):
        raise ConfigurationError(f"compiled query for {check.shape} is not a SELECT")
    rows = []
    for solution in solutions:
        graph = solution["g"]
        value = solution["value"] if check.reports_value else None
        rows.append(
            (graph.value, term_text(solution["focus"]), None if value is None else term_text(value))
        )
    return rows
