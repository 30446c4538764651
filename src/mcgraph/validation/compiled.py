"""The SHACL subset the fast engines run, read once from a shapes graph into plain data.

Both fast engines (pyoxigraph SPARQL and the native Python evaluator) start from this model,
so they agree on what is supported: targets by class (with rdfs:subClassOf*), subjects-of
and objects-of; any SHACL path; sh:minCount, sh:maxCount, sh:in, sh:datatype, sh:pattern,
sh:class, sh:nodeKind, sh:or of value-level shapes, and sh:node whose shape holds value-level
constraints and sh:minCount 1 properties. Anything else raises UnsupportedShapeError, and the
validator runs that shape set on pySHACL instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import rdflib
from rdflib.collection import Collection

from mcgraph import paths
from mcgraph.errors import ConfigurationError
from mcgraph.validation.shapes import ShapeSet
from mcgraph.vocab import MCG, SH

_SH = rdflib.Namespace(SH)
_SEVERITY: dict[rdflib.term.Node | None, str] = {
    _SH.Violation: "violation",
    _SH.Warning: "warning",
    _SH.Info: "info",
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
_VALUE_CONSTRAINTS = {
    _SH["in"],
    _SH.datatype,
    _SH.pattern,
    _SH.flags,
    _SH["class"],
    _SH.nodeKind,
    _SH["or"],
    _SH.node,
}
#: sh:nodeKind values, by local name
NODE_KINDS = ("IRI", "BlankNode", "Literal", "BlankNodeOrIRI", "BlankNodeOrLiteral", "IRIOrLiteral")


class UnsupportedShapeError(ConfigurationError):
    """A shape uses SHACL features outside the compiled subset."""


@dataclass(frozen=True)
class Target:
    """Focus nodes: instances of ``classes`` (rdfs:subClassOf* included), subjects of
    ``subjects_of`` and objects of ``objects_of`` predicates."""

    classes: tuple[str, ...] = ()
    subjects_of: tuple[str, ...] = ()
    objects_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class In:
    members: tuple[rdflib.term.Node, ...]


@dataclass(frozen=True)
class Datatype:
    iri: str


@dataclass(frozen=True)
class Pattern:
    regex: str
    #: sh:flags, or None
    flags: str | None


@dataclass(frozen=True)
class Class:
    iri: str


@dataclass(frozen=True)
class NodeKind:
    #: one of NODE_KINDS
    kind: str


@dataclass(frozen=True)
class NodeTest:
    """A value-level shape: its own constraints, and paths that must have a value."""

    tests: tuple[ValueTest, ...]
    required: tuple[paths.Path, ...]


@dataclass(frozen=True)
class Or:
    options: tuple[NodeTest, ...]


ValueTest = In | Datatype | Pattern | Class | NodeKind | Or | NodeTest


@dataclass(frozen=True)
class PropertyCheck:
    """One targeted property shape, as data."""

    shape: str
    element: str | None
    severity: str
    #: sh:message in the chosen language (pySHACL's generic messages are not reproduced)
    message: str
    path: paths.Path
    target: Target
    min_count: int | None
    max_count: int | None
    #: (SHACL constraint component name, e.g. "Datatype", test) for each value constraint
    tests: tuple[tuple[str, ValueTest], ...]

    @property
    def path_text(self) -> str:
        """The path as reports show it (prefixed SPARQL)."""
        return paths.to_sparql(self.path)


def compile_shapes(shapes: ShapeSet, lang: str) -> list[PropertyCheck]:
    """Every targeted property shape of ``shapes``; raises UnsupportedShapeError when one
    needs a feature outside the subset."""
    return _Reader(shapes, lang).checks()


class _Reader:
    def __init__(self, shapes: ShapeSet, lang: str) -> None:
        self.shapes, self.graph, self.lang = shapes, shapes.graph, lang

    def checks(self) -> list[PropertyCheck]:
        checks: list[PropertyCheck] = []
        g = self.graph
        for node_shape in sorted(set(g.subjects(_SH.property, None)), key=str):
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
            for prop in sorted(g.objects(node_shape, _SH.property), key=str):
                if not self._deactivated(prop):
                    checks.append(self._property(prop, target))
        return checks

    def _deactivated(self, shape: rdflib.term.Node) -> bool:
        return bool(self.graph.value(shape, _SH.deactivated))

    def _only(self, shape: rdflib.term.Node, allowed: set[rdflib.term.Node]) -> None:
        for predicate in self.graph.predicates(shape, None):
            ours = str(predicate).startswith(MCG)
            if predicate not in allowed and predicate not in _ANNOTATIONS and not ours:
                raise UnsupportedShapeError(f"shape {shape}: {predicate} is not compiled")
        if self.graph.value(shape, _SH.closed) not in (None, rdflib.Literal(False)):
            raise UnsupportedShapeError(f"shape {shape}: closed shapes are not compiled")

    def _target(self, shape: rdflib.term.Node) -> Target | None:
        g = self.graph
        if (shape, _SH.targetNode, None) in g:
            raise UnsupportedShapeError(f"shape {shape}: sh:targetNode is not compiled")
        target = Target(
            classes=tuple(sorted(str(c) for c in g.objects(shape, _SH.targetClass))),
            subjects_of=tuple(sorted(str(p) for p in g.objects(shape, _SH.targetSubjectsOf))),
            objects_of=tuple(sorted(str(p) for p in g.objects(shape, _SH.targetObjectsOf))),
        )
        return target if target != Target() else None

    def _property(self, prop: rdflib.term.Node, target: Target) -> PropertyCheck:
        self._only(prop, {_SH.path, _SH.minCount, _SH.maxCount, *_VALUE_CONSTRAINTS})
        path_node = self.graph.value(prop, _SH.path)
        if path_node is None:
            raise UnsupportedShapeError(f"property shape {prop} has no sh:path")
        shape_iri = str(prop) if isinstance(prop, rdflib.URIRef) else None
        return PropertyCheck(
            shape=shape_iri or "",
            element=self.shapes.element(shape_iri),
            severity=_SEVERITY.get(self.graph.value(prop, _SH.severity), "violation"),
            message=self._message(prop, shape_iri),
            path=paths.from_shacl(self.graph, path_node),
            target=target,
            min_count=self._int(prop, _SH.minCount),
            max_count=self._int(prop, _SH.maxCount),
            tests=tuple(self._value_tests(prop)),
        )

    def _int(self, shape: rdflib.term.Node, predicate: rdflib.URIRef) -> int | None:
        value = self.graph.value(shape, predicate)
        if value is None:
            return None
        if not isinstance(value, rdflib.Literal) or not isinstance(value.value, int):
            raise UnsupportedShapeError(f"shape {shape}: {predicate} is not an integer")
        return int(value.value)

    def _value_tests(self, shape: rdflib.term.Node) -> list[tuple[str, ValueTest]]:
        g, tests = self.graph, list[tuple[str, ValueTest]]()
        members = g.value(shape, _SH["in"])
        if members is not None:
            tests.append(("In", In(tuple(Collection(g, members)))))
        for datatype in g.objects(shape, _SH.datatype):
            tests.append(("Datatype", Datatype(str(datatype))))
        for pattern in g.objects(shape, _SH.pattern):
            flags = g.value(shape, _SH.flags)
            tests.append(("Pattern", Pattern(str(pattern), None if flags is None else str(flags))))
        for cls in g.objects(shape, _SH["class"]):
            tests.append(("Class", Class(str(cls))))
        for kind in g.objects(shape, _SH.nodeKind):
            name = str(kind).removeprefix(SH)
            if name not in NODE_KINDS:
                raise UnsupportedShapeError(f"shape {shape}: unknown sh:nodeKind {kind}")
            tests.append(("NodeKind", NodeKind(name)))
        for options in g.objects(shape, _SH["or"]):
            tests.append(("Or", Or(tuple(self._node_test(o) for o in Collection(g, options)))))
        for node in g.objects(shape, _SH.node):
            tests.append(("Node", self._node_test(node)))
        return tests

    def _node_test(self, shape: rdflib.term.Node) -> NodeTest:
        """A value-level node shape (as used by sh:node and inside sh:or)."""
        self._only(shape, {_SH.property, *_VALUE_CONSTRAINTS})
        required = []
        for prop in sorted(self.graph.objects(shape, _SH.property), key=str):
            self._only(prop, {_SH.path, _SH.minCount})
            path_node = self.graph.value(prop, _SH.path)
            if self._int(prop, _SH.minCount) != 1 or path_node is None:
                raise UnsupportedShapeError(
                    f"nested property shape {prop}: only a path with sh:minCount 1 is compiled"
                )
            required.append(paths.from_shacl(self.graph, path_node))
        tests = tuple(test for _, test in self._value_tests(shape))
        return NodeTest(tests, tuple(required))

    def _message(self, shape: rdflib.term.Node, name: str | None) -> str:
        """sh:message in the chosen language, as the pySHACL engine picks it."""
        messages = {
            (m.language or ""): str(m)
            for m in self.graph.objects(shape, _SH.message)
            if isinstance(m, rdflib.Literal)
        }
        for lang in (self.lang, "en", ""):
            if lang in messages:
                return messages[lang]
        if not messages:
            raise UnsupportedShapeError(
                f"property shape {name or shape} has no sh:message: pySHACL words its own"
            )
        return next(iter(messages.values()))
