"""The default SHACL engine: the compiled subset (:mod:`mcgraph.validation.compiled`) evaluated
in Python over each document's quads, indexed in dictionaries; no store, no query planner.

A document of a few hundred triples is indexed in about a tenth of a millisecond
(:mod:`~mcgraph.validation.native_graph`); the path prefixes that the checks on one target
share are walked once per focus node, and each constraint is then a few look-ups. That beats
loading the quads into a pyoxigraph store (the ``sparql`` engine) by an order of magnitude.
Values are judged as pySHACL judges them (:mod:`~mcgraph.validation.native_constraints`): a
literal is compared, matched and reported as the rdflib literal pySHACL's data graph holds.
tests/test_engines.py proves the results equal, on the test corpus and on hand-written shapes
that use every feature of the compiled subset.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from mcgraph.rdfconvert import term_text
from mcgraph.validation.compiled import PropertyCheck, Target, compile_shapes
from mcgraph.validation.native_constraints import constraint
from mcgraph.validation.native_graph import (
    Graph,
    Nodes,
    Prefixes,
    Term,
    Value,
    sequences,
    value_nodes,
    walker,
)
from mcgraph.validation.report import ValidationResult
from mcgraph.validation.shapes import ShapeSet


class _Check:
    """One property shape, ready to run on a document."""

    def __init__(self, check: PropertyCheck, prefixes: Prefixes) -> None:
        self.check = check
        self.path = check.path_text
        steps = sequences(check.path)
        self.ends = () if steps is None else tuple({prefixes.add(s): None for s in steps})
        self.walk = walker(check.path) if steps is None else None
        self.tests = [(component, constraint(test)) for component, test in check.tests]
        self.existence_only = check.min_count == 1 and check.max_count is None and not self.tests

    def run(
        self, graph: Graph, focus: Term, reached_by: list[Nodes], results: list[ValidationResult]
    ) -> None:
        if self.existence_only and self.walk is None:  # the common case, made cheap
            if not any(reached_by[end] for end in self.ends):
                results.append(self._result(focus, None))
            return
        if self.walk is not None:
            reached = self.walk(graph, (focus,))
        elif len(self.ends) == 1:
            reached = reached_by[self.ends[0]]
        else:
            reached = {}
            for end in self.ends:
                reached.update(reached_by[end])
        check = self.check
        low, high = check.min_count, check.max_count
        if low == 1:
            if not reached:
                results.append(self._result(focus, None))
        elif low is not None or high is not None:
            count = len(value_nodes(reached))
            if (low is not None and count < low) or (high is not None and count > high):
                results.append(self._result(focus, None))
        if self.tests and reached:
            found = value_nodes(reached)
            for _component, test in self.tests:
                for value in found:
                    if not test(graph, value):
                        results.append(self._result(focus, value))

    def _result(self, focus: Term, value: Value | None) -> ValidationResult:
        check = self.check
        return ValidationResult(
            element=check.element,
            severity=check.severity,
            focus=term_text(focus),  # type: ignore[arg-type]
            path=self.path,
            message=check.message,
            value=None if value is None else term_text(value),  # type: ignore[arg-type]
            source_shape=check.shape or None,
        )


class NativeEngine:
    """Validates documents with the compiled subset evaluated in Python (see module doc)."""

    name = "native"

    def __init__(self, shapes: ShapeSet, *, lang: str = "en") -> None:
        self.shapes = shapes
        self.checks = compile_shapes(shapes, lang)
        by_target: dict[Target, list[PropertyCheck]] = {}
        for check in self.checks:
            by_target.setdefault(check.target, []).append(check)
        self._groups = []
        for target, checks in by_target.items():
            prefixes = Prefixes()
            self._groups.append((target, prefixes, [_Check(c, prefixes) for c in checks]))

    def validate(self, quads: Sequence[ox.Quad]) -> list[ValidationResult]:
        return self.validate_graph(Graph(quads))

    def validate_graph(self, graph: Graph) -> list[ValidationResult]:
        """Results for one indexed document (the validator indexes each document once)."""
        results: list[ValidationResult] = []
        for target, prefixes, checks in self._groups:
            for focus in graph.focus_nodes(target):
                reached_by = prefixes.walk(graph, focus)
                for check in checks:
                    check.run(graph, focus, reached_by, results)
        return results

    def validate_batch(
        self, documents: Sequence[Sequence[ox.Quad]]
    ) -> list[list[ValidationResult]]:
        return [self.validate(quads) for quads in documents]
