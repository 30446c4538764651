"""The fast SHACL engine: each property shape compiled to one SPARQL query, run by pyoxigraph
over a whole batch of documents at once (each document in its own named graph, so that no
document can satisfy another's constraints).

It implements the subset of SHACL Core that the generated Annex I/II shapes use: targets by
class (with rdfs:subClassOf*), subjects-of and objects-of; any SHACL path; sh:minCount,
sh:maxCount, sh:in, sh:datatype, sh:pattern, sh:class, sh:nodeKind, sh:or of value-level
shapes, and sh:node whose shape holds value-level constraints and sh:minCount properties.
Anything else raises UnsupportedShapeError, and the validator uses pySHACL for that shape set.
tests/test_engines.py proves it reports the same results as pySHACL on the test corpus.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection

from mcgraph import paths
from mcgraph.documents import to_nquads
from mcgraph.errors import ConfigurationError
from mcgraph.rdfconvert import term_text
from mcgraph.validation.report import ValidationResult
from mcgraph.validation.shapes import ShapeSet
from mcgraph.vocab import MCG, SH

_SH = rdflib.Namespace(SH)
_XSD = rdflib.XSD
_SEVERITY: dict[rdflib.term.Node | None, str] = {
    _SH.Violation: "violation",
    _SH.Warning: "warning",
    _SH.Info: "info",
}
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_TYPE_PATH = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
#: datatypes whose lexical form pyoxigraph can check by casting, as rdflib does when parsing
_CASTABLE = {
    str(d)
    for d in (
        _XSD.dateTime,
        _XSD.date,
        _XSD.time,
        _XSD.duration,
        _XSD.boolean,
        _XSD.integer,
        _XSD.decimal,
        _XSD.double,
        _XSD.float,
    )
}
_ANNOTATIONS = {
    rdflib.RDF.type,
    rdflib.RDFS.label,
    rdflib.RDFS.comment,
    _SH.name,
    _SH.description,
    _SH.message,
    _SH.severity,
    _SH.order,
    _SH.group,
    _SH.deactivated,
    _SH.defaultValue,
}
_NODE_KINDS: dict[rdflib.term.Node, str] = {
    _SH.IRI: "isIRI(?value)",
    _SH.BlankNode: "isBlank(?value)",
    _SH.Literal: "isLiteral(?value)",
    _SH.BlankNodeOrIRI: "!isLiteral(?value)",
    _SH.BlankNodeOrLiteral: "!isIRI(?value)",
    _SH.IRIOrLiteral: "!isBlank(?value)",
}


def _quoted(text: rdflib.term.Node) -> str:
    return rdflib.Literal(str(text)).n3()


class UnsupportedShapeError(ConfigurationError):
    """A shape uses SHACL features outside the compiled subset."""


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


def _ours(predicate: rdflib.term.Node) -> bool:
    return str(predicate).startswith(MCG)


class _Compiler:
    def __init__(self, shapes: ShapeSet, lang: str) -> None:
        self.shapes, self.graph, self.lang = shapes, shapes.graph, lang

    def compile(self) -> list[CompiledCheck]:
        checks: list[CompiledCheck] = []
        for node_shape in sorted(set(self.graph.subjects(_SH.property, None)), key=str):
            if self._deactivated(node_shape):
                continue
            target = self._target(node_shape)
            if target is None:
                continue  # not a targeted shape (e.g. a shape only used through sh:node)
            self._only(
                node_shape,
                {
                    _SH.property,
                    _SH.targetClass,
                    _SH.targetSubjectsOf,
                    _SH.targetObjectsOf,
                    _SH.closed,
                    _SH.ignoredProperties,
                },
            )
            for prop in sorted(self.graph.objects(node_shape, _SH.property), key=str):
                if not self._deactivated(prop):
                    checks += self._property(prop, target)
        return checks

    def _deactivated(self, shape: rdflib.term.Node) -> bool:
        return bool(self.graph.value(shape, _SH.deactivated))

    def _only(self, shape: rdflib.term.Node, allowed: set[rdflib.term.Node]) -> None:
        for predicate in self.graph.predicates(shape, None):
            if predicate not in allowed and predicate not in _ANNOTATIONS and not _ours(predicate):
                raise UnsupportedShapeError(f"shape {shape}: {predicate} is not compiled to SPARQL")
        if self.graph.value(shape, _SH.closed) not in (None, rdflib.Literal(False)):
            raise UnsupportedShapeError(f"shape {shape}: closed shapes are not compiled to SPARQL")

    def _target(self, shape: rdflib.term.Node) -> str | None:
        parts = []
        classes = sorted(str(c) for c in self.graph.objects(shape, _SH.targetClass))
        if classes:
            values = " ".join(f"<{c}>" for c in classes)
            parts.append(f"VALUES ?class {{ {values} }} ?focus {_TYPE_PATH} ?class .")
        for predicate in sorted(str(p) for p in self.graph.objects(shape, _SH.targetSubjectsOf)):
            parts.append(f"?focus <{predicate}> ?any .")
        for predicate in sorted(str(p) for p in self.graph.objects(shape, _SH.targetObjectsOf)):
            parts.append(f"?any <{predicate}> ?focus .")
        if (shape, _SH.targetNode, None) in self.graph:
            raise UnsupportedShapeError(f"shape {shape}: sh:targetNode is not compiled to SPARQL")
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else " UNION ".join(f"{{ {p} }}" for p in parts)

    def _property(self, prop: rdflib.term.Node, target: str) -> list[CompiledCheck]:
        self._only(prop, {_SH.path, _SH.minCount, _SH.maxCount, *self._value_constraints()})
        path_node = self.graph.value(prop, _SH.path)
        if path_node is None:
            raise UnsupportedShapeError(f"property shape {prop} has no sh:path")
        path = paths.from_shacl(self.graph, path_node)
        sparql_path = paths.to_sparql(path, prefixed=False)
        shape_iri = str(prop) if isinstance(prop, rdflib.URIRef) else None

        def check(query: str, reports_value: bool, component: str) -> CompiledCheck:
            return CompiledCheck(
                shape=shape_iri or "",
                element=self.shapes.element(shape_iri),
                severity=_SEVERITY.get(self.graph.value(prop, _SH.severity), "violation"),
                message=self._message(prop, component),
                path=paths.to_sparql(path),
                query=query,
                reports_value=reports_value,
            )

        checks = []
        min_count = self._int(prop, _SH.minCount)
        if min_count == 1:
            checks.append(
                check(
                    "SELECT DISTINCT ?g ?focus WHERE { GRAPH ?g { "
                    f"{target} FILTER NOT EXISTS {{ ?focus {sparql_path} ?value }} }} }}",
                    False,
                    "MinCount",
                )
            )
        elif min_count:
            checks.append(
                check(self._count_query(target, sparql_path, f"< {min_count}"), False, "MinCount")
            )
        max_count = self._int(prop, _SH.maxCount)
        if max_count is not None:
            checks.append(
                check(self._count_query(target, sparql_path, f"> {max_count}"), False, "MaxCount")
            )
        for component, condition in self._value_tests(prop):
            checks.append(
                check(
                    "SELECT DISTINCT ?g ?focus ?value WHERE { GRAPH ?g { "
                    f"{target} ?focus {sparql_path} ?value . FILTER (!({condition})) }} }}",
                    True,
                    component,
                )
            )
        return checks

    @staticmethod
    def _count_query(target: str, sparql_path: str, comparison: str) -> str:
        return (
            "SELECT ?g ?focus WHERE { { SELECT DISTINCT ?g ?focus WHERE { GRAPH ?g { "
            f"{target} }} }} }} OPTIONAL {{ GRAPH ?g {{ ?focus {sparql_path} ?value }} }} }} "
            f"GROUP BY ?g ?focus HAVING (COUNT(DISTINCT ?value) {comparison})"
        )

    @staticmethod
    def _value_constraints() -> set[rdflib.term.Node]:
        return {
            _SH["in"],
            _SH.datatype,
            _SH.pattern,
            _SH.flags,
            _SH["class"],
            _SH.nodeKind,
            _SH["or"],
            _SH.node,
        }

    def _int(self, shape: rdflib.term.Node, predicate: rdflib.URIRef) -> int | None:
        value = self.graph.value(shape, predicate)
        return None if value is None else int(value)  # type: ignore[call-overload]

    def _value_tests(self, shape: rdflib.term.Node) -> list[tuple[str, str]]:
        """(component, SPARQL condition that a conforming ?value satisfies) per constraint."""
        g, tests = self.graph, []
        members = g.value(shape, _SH["in"])
        if members is not None:
            items = list(Collection(g, members))
            if all(isinstance(i, rdflib.URIRef) for i in items):
                tests.append(
                    (
                        "In",
                        "isIRI(?value) && ?value IN (" + ", ".join(f"<{i}>" for i in items) + ")",
                    )
                )
            else:
                tests.append(("In", " || ".join(f"sameTerm(?value, {i.n3()})" for i in items)))
        for datatype in g.objects(shape, _SH.datatype):
            tests.append(("Datatype", self._datatype_test(str(datatype))))
        for pattern in g.objects(shape, _SH.pattern):
            flags = g.value(shape, _SH.flags)
            flag_arg = f", {_quoted(flags)}" if flags else ""
            tests.append(
                (
                    "Pattern",
                    f"!isBlank(?value) && REGEX(STR(?value), {_quoted(pattern)}{flag_arg})",
                )
            )
        for cls in g.objects(shape, _SH["class"]):
            tests.append(("Class", f"EXISTS {{ ?value {_TYPE_PATH} <{cls}> }}"))
        for kind in g.objects(shape, _SH.nodeKind):
            if kind not in _NODE_KINDS:
                raise UnsupportedShapeError(f"shape {shape}: unknown sh:nodeKind {kind}")
            tests.append(("NodeKind", _NODE_KINDS[kind]))
        for options in g.objects(shape, _SH["or"]):
            alternatives = [self._shape_test(o) for o in Collection(g, options)]
            tests.append(("Or", " || ".join(f"({a})" for a in alternatives)))
        for node in g.objects(shape, _SH.node):
            tests.append(("Node", self._shape_test(node)))
        return tests

    def _shape_test(self, shape: rdflib.term.Node) -> str:
        """Condition under which ?value conforms to a value-level node shape."""
        self._only(shape, {_SH.property, *self._value_constraints()})
        conditions = [condition for _, condition in self._value_tests(shape)]
        for index, prop in enumerate(sorted(self.graph.objects(shape, _SH.property), key=str)):
            self._only(prop, {_SH.path, _SH.minCount})
            if self._int(prop, _SH.minCount) != 1:
                raise UnsupportedShapeError(
                    f"nested property shape {prop}: only sh:minCount 1 is compiled"
                )
            nested = paths.to_sparql(
                paths.from_shacl(self.graph, self.graph.value(prop, _SH.path)),  # type: ignore[arg-type]
                prefixed=False,
            )
            conditions.append(f"EXISTS {{ ?value {nested} ?nested{index} }}")
        return " && ".join(f"({c})" for c in conditions) or "true"

    @staticmethod
    def _datatype_test(datatype: str) -> str:
        if datatype == str(rdflib.RDF.langString):
            return 'isLiteral(?value) && LANG(?value) != ""'
        test = f"isLiteral(?value) && DATATYPE(?value) = <{datatype}>"
        if datatype in _CASTABLE:
            test += f" && COALESCE(<{datatype}>(STR(?value)) = ?value, false)"
        return test

    def _message(self, shape: rdflib.term.Node, component: str) -> str:
        messages = {
            (m.language or ""): str(m)
            for m in self.graph.objects(shape, _SH.message)
            if isinstance(m, rdflib.Literal)
        }
        for lang in (self.lang, "en", ""):
            if lang in messages:
                return messages[lang]
        return f"sh:{component}Constraint not satisfied"


class SparqlEngine:
    """Validates batches of documents with the shapes compiled to SPARQL (see module doc)."""

    name = "sparql"

    def __init__(self, shapes: ShapeSet, *, lang: str = "en") -> None:
        self.shapes = shapes
        self.checks = _Compiler(shapes, lang).compile()

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
