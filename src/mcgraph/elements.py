"""The Annex I elements, Annex II principles and validation profiles, read from ontology/.

``ontology/annex1-elements.ttl`` is the single source; this module turns it into typed records
that the shapes generator, the validators' reports and the API share. Read once per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import rdflib

from mcgraph import resources
from mcgraph.errors import ConfigurationError
from mcgraph.paths import Path, parse_path
from mcgraph.vocab import MCG, SH, SKOS

_M = rdflib.Namespace(MCG)
_SKOS = rdflib.Namespace(SKOS)
_SH = rdflib.Namespace(SH)

SEVERITIES = {_SH.Violation: "violation", _SH.Warning: "warning", _SH.Info: "info"}


@dataclass(frozen=True)
class Profile:
    key: str
    iri: str
    focus_classes: tuple[str, ...]
    #: anchor IRI → path from the focus node (None: the focus node itself)
    anchors: dict[str, Path | None]
    labels: dict[str, str]


@dataclass(frozen=True)
class Check:
    """One requirement on the values at an anchor path (see mcg:Check)."""

    key: str
    element: str
    principle: str | None
    anchor: str
    path: Path | None
    severity: str
    messages: dict[str, str]
    required: bool = False
    in_scheme: str | None = None
    iri_pattern: str | None = None
    literal_pattern: str | None = None
    datatypes: tuple[str, ...] = ()
    each_value_has: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Element:
    key: str
    iri: str
    order: int
    labels: dict[str, str]
    comment: str | None
    applies_to: frozenset[str]
    mandatory_for: frozenset[str]
    #: (anchor IRI, path) alternatives whose presence satisfies the element
    satisfied_by: tuple[tuple[str, Path | None], ...]
    checks: tuple[Check, ...] = field(default=())

    @property
    def mandatory(self) -> bool:
        return bool(self.mandatory_for)

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.key


@dataclass(frozen=True)
class Principle:
    key: str
    iri: str
    order: int
    labels: dict[str, str]
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class StandardModel:
    profiles: dict[str, Profile]
    elements: tuple[Element, ...]
    principles: tuple[Principle, ...]

    def element(self, key: str) -> Element:
        for element in self.elements:
            if element.key == key:
                return element
        raise KeyError(key)

    @property
    def element_keys(self) -> tuple[str, ...]:
        return tuple(e.key for e in self.elements)


def _graph() -> rdflib.Graph:
    graph = rdflib.Graph()
    ontology = resources.data_dir("ontology")
    files = [ontology / "mcgraph.ttl", ontology / "annex1-elements.ttl"]
    files += [ontology / "annex2-principles.ttl", *sorted((ontology / "labels").glob("*.ttl"))]
    for path in files:
        try:
            graph.parse(path, format="turtle")
        except (OSError, SyntaxError, ValueError) as error:
            raise ConfigurationError(f"ontology file {path.name} cannot be read: {error}") from None
    return graph


def _labels(
    graph: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef
) -> dict[str, str]:
    return {
        (label.language or "en"): str(label)
        for label in graph.objects(node, predicate)
        if isinstance(label, rdflib.Literal)
    }


def _text(graph: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef) -> str | None:
    value = graph.value(node, predicate)
    return None if value is None else str(value)


def _key(graph: rdflib.Graph, node: rdflib.term.Node) -> str:
    key = _text(graph, node, _M.key)
    if key is None:
        raise ConfigurationError(f"{node} has no mcg:key in the ontology")
    return key


def _check(
    graph: rdflib.Graph, node: rdflib.term.Node, element: str, principle: str | None
) -> Check:
    severity = graph.value(node, _M.severity)
    if severity not in SEVERITIES:
        raise ConfigurationError(f"check {_key(graph, node)} has no valid mcg:severity")
    scheme = graph.value(node, _M.inScheme)
    return Check(
        key=_key(graph, node),
        element=element,
        principle=principle,
        anchor=str(graph.value(node, _M.anchor)),
        path=parse_path(_text(graph, node, _M.path) or ""),
        severity=SEVERITIES[severity],  # type: ignore[index]
        messages=_labels(graph, node, _M.message),
        required=bool(graph.value(node, _M.required)),
        in_scheme=None if scheme is None else str(scheme),
        iri_pattern=_text(graph, node, _M.iriPattern),
        literal_pattern=_text(graph, node, _M.literalPattern),
        datatypes=tuple(sorted(str(d) for d in graph.objects(node, _M.datatype))),
        each_value_has=tuple(
            p
            for p in (
                parse_path(t) for t in sorted(str(o) for o in graph.objects(node, _M.eachValueHas))
            )
            if p is not None
        ),
    )


def _order(graph: rdflib.Graph, node: rdflib.term.Node) -> int:
    value = graph.value(node, _M.annexOrder)
    return int(value) if isinstance(value, rdflib.Literal) else 0


@functools.cache
def standard_model() -> StandardModel:
    """The profiles, elements and principles (parsed once per process)."""
    graph = _graph()
    profiles = {}
    for node in graph.subjects(rdflib.RDF.type, _M.Profile):
        key = str(node).removeprefix(MCG)
        focus = tuple(sorted(str(c) for c in graph.objects(node, _M.focusClass)))
        profiles[str(node)] = Profile(
            key, str(node), focus, {}, _labels(graph, node, rdflib.RDFS.label)
        )
    for anchor in graph.subjects(rdflib.RDF.type, _M.Anchor):
        for spec in graph.objects(anchor, _M.anchorPath):
            profile = profiles[str(graph.value(spec, _M.profile))]
            profile.anchors[str(anchor)] = parse_path(_text(graph, spec, _M.path) or "")
    elements = []
    for node in graph.subjects(rdflib.RDF.type, _M.StandardElement):
        key = _key(graph, node)
        satisfied = tuple(
            sorted(
                (
                    (str(graph.value(s, _M.anchor)), parse_path(_text(graph, s, _M.path) or ""))
                    for s in graph.objects(node, _M.satisfiedBy)
                ),
                key=lambda pair: (pair[0], repr(pair[1])),
            )
        )
        checks = tuple(
            sorted(
                (_check(graph, c, key, None) for c in graph.objects(node, _M.check)),
                key=lambda c: c.key,
            )
        )
        elements.append(
            Element(
                key=key,
                iri=str(node),
                order=_order(graph, node),
                labels=_labels(graph, node, _SKOS.prefLabel),
                comment=_text(graph, node, rdflib.RDFS.comment),
                applies_to=frozenset(str(p) for p in graph.objects(node, _M.appliesTo)),
                mandatory_for=frozenset(str(p) for p in graph.objects(node, _M.mandatoryFor)),
                satisfied_by=satisfied,
                checks=checks,
            )
        )
    elements.sort(key=lambda e: e.order)
    by_iri = {e.iri: e.key for e in elements}
    principles = []
    for node in graph.subjects(rdflib.RDF.type, _M.Principle):
        key = _key(graph, node)
        principle_checks: list[Check] = []
        for check in graph.objects(node, _M.check):
            element = by_iri.get(str(graph.value(check, _M.element)))
            if element is None:
                raise ConfigurationError(f"principle check {_key(graph, check)} names no element")
            principle_checks.append(_check(graph, check, element, key))
        principle_checks.sort(key=lambda c: c.key)
        principles.append(
            Principle(
                key,
                str(node),
                _order(graph, node),
                _labels(graph, node, _SKOS.prefLabel),
                tuple(principle_checks),
            )
        )
    principles.sort(key=lambda p: p.order)
    return StandardModel(profiles, tuple(elements), tuple(principles))


def profile_named(key: str) -> Profile:
    """The profile ``issued`` or ``specification``."""
    for profile in standard_model().profiles.values():
        if profile.key == key:
            return profile
    raise ConfigurationError(f"unknown profile {key!r}")
