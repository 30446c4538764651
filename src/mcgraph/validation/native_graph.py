"""A document's triples indexed in dictionaries, and SHACL paths walked over them, for the
native engine (:mod:`mcgraph.validation.native_engine`).

Literals are handed out as pySHACL's data graph holds them (:func:`value`): rdflib literals,
normalised (``PT60H`` becomes ``P2DT12H``) and flagged when ill-typed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import cast

import pyoxigraph as ox
import rdflib

from mcgraph import paths
from mcgraph.rdfconvert import to_rdflib_term
from mcgraph.validation.compiled import Target
from mcgraph.vocab import RDF, RDFS

#: a term of the data, or a literal of it as pySHACL sees it (see value)
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | rdflib.Literal
#: a value node as pySHACL sees it: literals as rdflib literals, other terms as they are
Value = ox.NamedNode | ox.BlankNode | ox.Triple | rdflib.Literal
Nodes = dict[Term, None]  # an ordered set
Walk = Callable[["Graph", Iterable[Term]], Nodes]

RDF_TYPE = ox.NamedNode(RDF + "type")
_SUBCLASS_OF = ox.NamedNode(RDFS + "subClassOf")
NO_EDGES: dict[ox.NamedNode, list[Term]] = {}

# rdflib logs every ill-typed literal it meets (with a traceback); the report says it better.
logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)


class Graph:
    """One document's triples: subject → predicate → objects, and the reverse on demand."""

    __slots__ = ("_focus", "_instances", "_into", "_subclasses", "out")

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        out: dict[Term, dict[ox.NamedNode, list[Term]]] = {}
        for quad in quads:
            subject = quad.subject
            edges = out.get(subject)
            if edges is None:
                edges = out[subject] = {}
            predicate = quad.predicate
            objects = edges.get(predicate)
            if objects is None:
                edges[predicate] = [quad.object]
            else:
                objects.append(quad.object)
        self.out = out
        self._into: dict[Term, dict[ox.NamedNode, list[Term]]] | None = None
        self._instances: dict[Term, list[Term]] | None = None
        self._subclasses: dict[Term, list[Term]] = {}
        self._focus: dict[Target, list[Value]] = {}

    @property
    def into(self) -> dict[Term, dict[ox.NamedNode, list[Term]]]:
        """object → predicate → subjects (built the first time an inverse path needs it)."""
        if self._into is None:
            into: dict[Term, dict[ox.NamedNode, list[Term]]] = {}
            for subject, edges in self.out.items():
                for predicate, objects in edges.items():
                    for obj in objects:
                        into.setdefault(obj, {}).setdefault(predicate, []).append(subject)
            self._into = into
        return self._into

    @property
    def instances(self) -> dict[Term, list[Term]]:
        """class → the nodes that have it as rdf:type (one pass, which also finds
        :attr:`subclasses`)."""
        if self._instances is None:
            instances: dict[Term, list[Term]] = {}
            subclasses = self._subclasses
            for subject, edges in self.out.items():
                types = edges.get(RDF_TYPE)
                if types is not None:
                    for cls in types:
                        instances.setdefault(cls, []).append(subject)
                superclasses = edges.get(_SUBCLASS_OF)
                if superclasses is not None:
                    for superclass in superclasses:
                        subclasses.setdefault(superclass, []).append(subject)
            self._instances = instances
        return self._instances

    @property
    def subclasses(self) -> dict[Term, list[Term]]:
        """class → its direct subclasses, by the data's rdfs:subClassOf triples."""
        if self._instances is None:
            self.instances  # noqa: B018 (the same pass fills both)
        return self._subclasses

    def superclasses(self, node: Term) -> Sequence[Term]:
        return self.out.get(node, NO_EDGES).get(_SUBCLASS_OF, ())

    def types(self) -> set[Term]:
        """Every class some node has as rdf:type."""
        return set(self.instances)

    def focus_nodes(self, target: Target) -> list[Value]:
        """The focus nodes of ``target``, as pySHACL finds them (memoised per document)."""
        found = self._focus.get(target)
        if found is None:
            nodes: Nodes = {}
            if target.classes:
                instances = self.instances
                classes = [ox.NamedNode(c) for c in target.classes]
                for cls in closure(self, classes, True) if self._subclasses else classes:
                    nodes.update(dict.fromkeys(instances.get(cls, ())))
            for iri in target.subjects_of:
                predicate = ox.NamedNode(iri)
                nodes.update((s, None) for s, edges in self.out.items() if predicate in edges)
            for iri in target.objects_of:
                predicate = ox.NamedNode(iri)
                for edges in self.out.values():
                    nodes.update(dict.fromkeys(edges.get(predicate, ())))
            # a literal focus node (of sh:targetObjectsOf) as pySHACL sees it
            found = self._focus[target] = list(dict.fromkeys(map(value, nodes)))
        return found


def closure(graph: Graph, classes: Sequence[Term], down: bool) -> Nodes:
    """``classes`` and their subclasses (``down``) or superclasses, by the data's
    rdfs:subClassOf triples."""
    seen: Nodes = dict.fromkeys(classes)
    todo: list[Term] = list(classes)
    subclasses = graph.subclasses if down else None
    while todo:
        node = todo.pop()
        more = graph.superclasses(node) if subclasses is None else subclasses.get(node, ())
        for other in more:
            if other not in seen:
                seen[other] = None
                todo.append(other)
    return seen


# -- paths ---------------------------------------------------------------------------------------


def walker(path: paths.Path, inverse: bool = False) -> Walk:
    """A function from start nodes to the nodes ``path`` reaches (SHACL value nodes)."""
    if isinstance(path, paths.Inverse):
        return walker(path.path, not inverse)
    if isinstance(path, paths.Predicate):
        return _step(ox.NamedNode(path.iri), inverse)
    if isinstance(path, paths.Sequence):
        parts = [walker(p, inverse) for p in path.parts]
        return _chain(parts[::-1] if inverse else parts)
    if isinstance(path, paths.Alternative):
        return _union([walker(p, inverse) for p in path.options])
    return _repeat(walker(path.path, inverse), path.modifier)


def _step(predicate: ox.NamedNode, inverse: bool) -> Walk:
    def step(graph: Graph, nodes: Iterable[Term]) -> Nodes:
        index = graph.into if inverse else graph.out
        reached: Nodes = {}
        for node in nodes:
            edges = index.get(node)
            if edges is not None:
                targets = edges.get(predicate)
                if targets is not None:
                    reached.update(dict.fromkeys(targets))
        return reached

    return step


def _chain(parts: list[Walk]) -> Walk:
    def chain(graph: Graph, nodes: Iterable[Term]) -> Nodes:
        reached: Iterable[Term] = nodes
        for part in parts:
            reached = part(graph, reached)
            if not reached:
                return {}
        return reached if isinstance(reached, dict) else dict.fromkeys(reached)

    return chain


def _union(options: list[Walk]) -> Walk:
    def union(graph: Graph, nodes: Iterable[Term]) -> Nodes:
        starts = list(nodes)
        reached: Nodes = {}
        for option in options:
            reached.update(option(graph, starts))
        return reached

    return union


def _repeat(inner: Walk, modifier: str) -> Walk:
    def repeat(graph: Graph, nodes: Iterable[Term]) -> Nodes:
        starts = dict.fromkeys(nodes)
        if modifier == "?":
            return {**starts, **inner(graph, starts)}
        reached: Nodes = dict(starts) if modifier == "*" else {}
        frontier = inner(graph, starts)
        while frontier:
            fresh = {n: None for n in frontier if n not in reached}
            reached.update(fresh)
            frontier = inner(graph, fresh) if fresh else {}
        return reached

    return repeat


# -- values as pySHACL sees them ----------------------------------------------------------------

_MEMO_LITERAL_CHARS = 256


@functools.lru_cache(maxsize=8192)
def _memo_literal(literal: ox.Literal) -> rdflib.Literal:
    return cast(rdflib.Literal, to_rdflib_term(literal))


def value(term: Term) -> Value:
    """A node as pySHACL's data graph holds it: a literal as rdflib makes it (normalised, and
    flagged when ill-typed); short ones memoised, as the same dates and codes recur."""
    if not isinstance(term, ox.Literal):
        return term
    if len(term.value) <= _MEMO_LITERAL_CHARS:
        return _memo_literal(term)
    return cast(rdflib.Literal, to_rdflib_term(term))


def value_nodes(nodes: Iterable[Term]) -> list[Value]:
    """Distinct value nodes as pySHACL's data graph holds them (rdflib merges literals whose
    normalised forms are equal)."""
    return list(dict.fromkeys(map(value, nodes)))


# -- shared path prefixes -----------------------------------------------------------------------

#: a path as the sequences of (predicate, inverse) steps it is an alternative of
Sequences = list[list[tuple[str, bool]]]
_MAX_SEQUENCES = 64
_EMPTY: Nodes = {}  # shared, never mutated


def sequences(path: paths.Path, inverse: bool = False) -> Sequences | None:
    """``path`` as alternative step sequences; None when it repeats (then it is walked)."""
    if isinstance(path, paths.Predicate):
        return [[(path.iri, inverse)]]
    if isinstance(path, paths.Inverse):
        return sequences(path.path, not inverse)
    if isinstance(path, paths.Alternative):
        options = [sequences(p, inverse) for p in path.options]
        if any(o is None for o in options):
            return None
        return [seq for option in options for seq in option or ()]
    if isinstance(path, paths.Sequence):
        combined: Sequences = [[]]
        for part in path.parts[::-1] if inverse else path.parts:
            tails = sequences(part, inverse)
            if tails is None or len(combined) * len(tails) > _MAX_SEQUENCES:
                return None
            combined = [head + tail for head in combined for tail in tails]
        return combined
    return None


class Prefixes:
    """Every step sequence the checks on one target follow, as a tree of shared prefixes:
    each prefix is walked once per focus node, however many checks start with it."""

    def __init__(self) -> None:
        #: (parent prefix or -1 for the focus node, predicate, inverse); parents come first
        self.steps: list[tuple[int, ox.NamedNode, bool]] = []
        self._ids: dict[tuple[int, str, bool], int] = {}

    def add(self, sequence: list[tuple[str, bool]]) -> int:
        parent = -1
        for iri, inverse in sequence:
            key = (parent, iri, inverse)
            number = self._ids.get(key)
            if number is None:
                number = self._ids[key] = len(self.steps)
                self.steps.append((parent, ox.NamedNode(iri), inverse))
            parent = number
        return parent

    def walk(self, graph: Graph, focus: Term) -> list[Nodes]:
        """The nodes each prefix reaches from ``focus``."""
        out = graph.out
        reached_by: list[Nodes] = []
        start: Nodes = {focus: None}
        for parent, predicate, inverse in self.steps:
            nodes = start if parent < 0 else reached_by[parent]
            if not nodes:
                reached_by.append(_EMPTY)
                continue
            index = graph.into if inverse else out
            reached: Nodes = {}
            for node in nodes:
                edges = index.get(node)
                if edges is not None:
                    targets = edges.get(predicate)
                    if targets is not None:
                        for target in targets:
                            reached[target] = None
            reached_by.append(reached)
        return reached_by
