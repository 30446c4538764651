"""Stacking pathways: the part/whole relation between learning achievement specifications.

ELM states it in either direction (``A elm:isPartOf B`` or ``B elm:hasPart A``); both mean
"A is a component of B" here, and neither is ever reasoned over by the store (see
ontology/mcgraph.ttl). This module holds the logic that SPARQL cannot say well: finding a
cycle that a new document would close, reading ELM's credit points and durations as numbers,
and working out what a learner still needs for a target.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox

from mcgraph.vocab import ELM

IS_PART_OF = ox.NamedNode(ELM + "isPartOf")
HAS_PART = ox.NamedNode(ELM + "hasPart")
_DURATION = re.compile(
    r"^P(?!$)(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?"
    r"(?:(\d+(?:\.\d+)?)S)?)?$"
)
_HOURS_PER = (Decimal(24), Decimal(1), Decimal(1) / Decimal(60), Decimal(1) / Decimal(3600))

Edge = tuple[str, str]  # (part, whole)


def part_whole_edges(quads: Iterable[ox.Quad | ox.Triple]) -> list[Edge]:
    """Every (part, whole) pair a document states, whichever direction it states it in."""
    edges: list[Edge] = []
    for quad in quads:
        subject, obj = quad.subject, quad.object
        if not isinstance(subject, ox.NamedNode) or not isinstance(obj, ox.NamedNode):
            continue
        if quad.predicate == IS_PART_OF:
            edges.append((subject.value, obj.value))
        elif quad.predicate == HAS_PART:
            edges.append((obj.value, subject.value))
    return sorted(set(edges))


class CycleGuard:
    """Rejects documents whose part/whole statements would close a cycle.

    ``stored_wholes(x)`` answers what the store already says ``x`` is part of; documents
    accepted so far in this run are added on top, so a cycle spread over several documents
    of one load is caught at the document that closes it.
    """

    def __init__(self, stored_wholes: Callable[[str], Iterable[str]] | None = None) -> None:
        self._stored = stored_wholes
        self._cache: dict[str, frozenset[str]] = {}
        self._accepted: dict[str, set[str]] = {}

    def _wholes(self, node: str) -> set[str]:
        if self._stored is None:
            stored: frozenset[str] = frozenset()
        elif node in self._cache:
            stored = self._cache[node]
        else:
            stored = self._cache[node] = frozenset(self._stored(node))
        return set(stored) | self._accepted.get(node, set())

    def cycle(self, edges: Sequence[Edge]) -> list[str] | None:
        """The cycle (first node repeated at the end) these edges would close, or None."""
        local: dict[str, set[str]] = {}
        for part, whole in edges:
            local.setdefault(part, set()).add(whole)

        def wholes(node: str) -> set[str]:
            return self._wholes(node) | local.get(node, set())

        for part, whole in edges:
            path = _path(whole, part, wholes)
            if path is not None:
                return [part, *path]
        return None

    def accept(self, edges: Sequence[Edge]) -> None:
        for part, whole in edges:
            self._accepted.setdefault(part, set()).add(whole)


def _path(start: str, goal: str, wholes: Callable[[str], set[str]]) -> list[str] | None:
    """A chain start → ... → goal following part-of links, depth first, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen = {start}
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        for nxt in sorted(wholes(node), reverse=True):
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def credit_points(text: str | None) -> Decimal | None:
    """ELM credit points are strings: "6", "7.5", "7,5". None when not a positive number."""
    if text is None:
        return None
    cleaned = text.strip().replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", cleaned):
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None
    return value if value > 0 else None


def duration_hours(text: str | None) -> Decimal | None:
    """An ISO 8601 duration (``PT60H``, ``P2DT4H``) in hours. Years and months have no fixed
    number of hours, so a duration that uses them is None (not a guess)."""
    if text is None:
        return None
    match = _DURATION.match(text.strip())
    if not match:
        return None
    total = Decimal(0)
    for amount, per in zip(match.groups(), _HOURS_PER, strict=True):
        if amount is not None:
            total += Decimal(amount) * per
    return total


@dataclass
class Component:
    """A specification in a target's part/whole tree, with what it is worth."""

    iri: str
    title: str | None = None
    wholes: set[str] = field(default_factory=set)
    #: credit points by credit framework (label or IRI), parsed from ELM's strings
    credits: dict[str, Decimal] = field(default_factory=dict)
    hours: Decimal | None = None


@dataclass
class Gap:
    """What a learner holding ``held`` still needs for ``target``."""

    target: str
    complete: bool
    #: the smallest whole components still to earn, in tree order (parts of a partly earned
    #: component are listed instead of the component itself)
    missing: list[Component]
    #: the held specifications that count towards the target
    counted: list[str]
    credits_needed: dict[str, Decimal]
    hours_needed: Decimal
    #: missing components whose workload is not stated as credits / as a duration in hours
    without_credits: list[str]
    without_hours: list[str]


def components_below(target: str, tree: Mapping[str, Component]) -> dict[str, set[str]]:
    """whole → its direct parts, for the components of ``tree``."""
    parts: dict[str, set[str]] = {}
    for component in tree.values():
        for whole in component.wholes:
            if whole == target or whole in tree:
                parts.setdefault(whole, set()).add(component.iri)
    return parts


def compute_gap(target: str, tree: Mapping[str, Component], held: Iterable[str]) -> Gap:
    """The components of ``target`` a learner still needs, given the specifications held.

    A component counts as earned when it is held or sits inside something held. An unearned
    component with earned parts below it is opened up and its missing parts are listed; an
    unearned component with nothing earned below it is missing whole. Holding every part of
    a whole completes the whole (that is what stacking means)."""
    held_set = set(held)
    parts = components_below(target, tree)
    below: dict[str, set[str]] = {}

    def descendants(node: str) -> set[str]:
        if node not in below:
            below[node] = set()  # a cycle cannot enter the store, but never loop on one
            found: set[str] = set()
            for part in parts.get(node, ()):
                found |= {part} | descendants(part)
            below[node] = found
        return below[node]

    earned = set()
    for node in (target, *tree):
        if node in held_set:
            earned |= {node} | descendants(node)
    counted = sorted(n for n in held_set if n == target or n in tree)
    missing: list[Component] = []
    visited: set[str] = set()

    def walk(node: str) -> None:
        for part in sorted(parts.get(node, ())):
            if part in earned or part in visited:
                continue
            visited.add(part)
            if parts.get(part) and descendants(part) & earned:
                walk(part)
            else:
                missing.append(tree.get(part) or Component(part))

    if target not in earned:
        if parts.get(target):
            walk(target)
        else:
            missing.append(tree.get(target) or Component(target))
    credits: dict[str, Decimal] = {}
    hours = Decimal(0)
    for component in missing:
        for framework, value in component.credits.items():
            credits[framework] = credits.get(framework, Decimal(0)) + value
        hours += component.hours or Decimal(0)
    return Gap(
        target=target,
        complete=not missing,
        missing=missing,
        counted=counted,
        credits_needed=credits,
        hours_needed=hours,
        without_credits=[c.iri for c in missing if not c.credits],
        without_hours=[c.iri for c in missing if c.hours is None],
    )
