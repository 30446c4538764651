"""SHACL value constraints judged as pySHACL judges them, for the native engine: each
component's rules ported case by case, on values as :func:`native_graph.value` gives them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal

import pyoxigraph as ox
import rdflib

from mcgraph.rdfconvert import to_rdflib_term
from mcgraph.validation.compiled import (
    Class,
    Datatype,
    In,
    NodeKind,
    NodeTest,
    Or,
    Pattern,
    ValueTest,
)
from mcgraph.validation.native_graph import NO_EDGES, RDF_TYPE, Graph, Value, closure, walker
from mcgraph.vocab import RDF, RDFS, XSD

Test = Callable[[Graph, Value], bool]


_PYTHON_TYPES: dict[str, type | tuple[type, ...]] = {
    XSD + "string": (str, bytes),
    RDF + "langString": (str, bytes),
    XSD + "integer": int,
    XSD + "float": float,
    XSD + "decimal": Decimal,
    XSD + "boolean": bool,
    XSD + "date": date,
    XSD + "time": time,
    XSD + "dateTime": datetime,
}


def _datatype_test(iri: str) -> Test:
    """pySHACL's DatatypeConstraintComponent, case by case."""
    rule = rdflib.URIRef(iri)
    python_type = _PYTHON_TYPES.get(iri)

    def actual(literal: rdflib.Literal) -> bool:
        return python_type is None or isinstance(literal.value, python_type)

    def test(graph: Graph, value: Value) -> bool:
        if not isinstance(value, rdflib.Literal):
            return False
        if value.datatype == rule:
            return value.ill_typed is not True and actual(value)
        if iri == RDFS + "Literal":
            return True
        if iri == RDFS + "Datatype":
            return value.datatype is not None
        if value.datatype is None and value.language is None and iri == XSD + "string":
            return actual(value)
        if iri == RDF + "langString" and value.language:
            return actual(value)
        return False

    return test


def _pattern_test(pattern: Pattern) -> Test:
    """pySHACL's PatternConstraintComponent: a search in the lexical form or the IRI."""
    flags = (pattern.flags or "").lower()
    regex = re.compile(
        pattern.regex, (re.IGNORECASE if "i" in flags else 0) | (re.M if "m" in flags else 0)
    )

    def test(graph: Graph, value: Value) -> bool:
        if isinstance(value, rdflib.Literal):
            text = str(value)
        elif isinstance(value, ox.NamedNode):
            text = value.value
        elif isinstance(value, ox.BlankNode):
            return False
        else:
            text = str(value)
        return regex.search(text) is not None

    return test


def _in_test(members: tuple[rdflib.term.Node, ...]) -> Test:
    if all(isinstance(m, rdflib.URIRef) for m in members):
        iris = frozenset(ox.NamedNode(str(m)) for m in members)
        return lambda graph, value: value in iris
    listed = frozenset(members)

    def test(graph: Graph, value: Value) -> bool:
        node = value if isinstance(value, rdflib.Literal) else to_rdflib_term(value)
        return node in listed

    return test


def _class_test(iri: str) -> Test:
    """rdf:type/rdfs:subClassOf* in the data, as pySHACL's ClassConstraintComponent."""
    wanted = ox.NamedNode(iri)

    def test(graph: Graph, value: Value) -> bool:
        if isinstance(value, rdflib.Literal):
            return False
        types = graph.out.get(value, NO_EDGES).get(RDF_TYPE, ())
        return bool(types) and wanted in closure(graph, types, False)

    return test


_KINDS: dict[str, tuple[type, ...]] = {
    "IRI": (ox.NamedNode,),
    "BlankNode": (ox.BlankNode,),
    "Literal": (rdflib.Literal,),
    "BlankNodeOrIRI": (ox.BlankNode, ox.NamedNode),
    "BlankNodeOrLiteral": (ox.BlankNode, rdflib.Literal),
    "IRIOrLiteral": (ox.NamedNode, rdflib.Literal),
}


def constraint(test: ValueTest) -> Test:
    if isinstance(test, In):
        return _in_test(test.members)
    if isinstance(test, Datatype):
        return _datatype_test(test.iri)
    if isinstance(test, Pattern):
        return _pattern_test(test)
    if isinstance(test, Class):
        return _class_test(test.iri)
    if isinstance(test, NodeKind):
        kinds = _KINDS[test.kind]
        return lambda graph, value: isinstance(value, kinds)
    if isinstance(test, Or):
        options = [constraint(o) for o in test.options]
        return lambda graph, value: any(option(graph, value) for option in options)
    return _node_test(test)


def _node_test(node: NodeTest) -> Test:
    """The value conforms to a value-level shape: its own tests, and a value on each path."""
    tests = [constraint(t) for t in node.tests]
    required = [walker(p) for p in node.required]

    def test(graph: Graph, value: Value) -> bool:
        if not all(t(graph, value) for t in tests):
            return False
        if isinstance(value, rdflib.Literal):
            return not required  # a literal has no properties
        return all(walk(graph, (value,)) for walk in required)

    return test
