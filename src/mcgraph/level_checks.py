"""Checks that look beyond one document's shapes: the part/whole relation must not form a
cycle (a violation of the integration-and-stackability element, naming the cycle), a part
should not sit at a higher EQF level than its whole, and a stated EQF level should agree with
the stated NQF level's referencing (warnings on the level element).

They run after SHACL, on a batch of documents, against what the store already holds (through
a :data:`~mcgraph.levels.QueryRunner`) plus the documents of the batch accepted so far.
Without a store (``mcgraph validate``) they see the documents alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from mcgraph.levels import EQF, Crosswalk, QueryRunner, shipped_referencing
from mcgraph.pathways import CycleGuard, part_whole_edges
from mcgraph.validation.report import DocumentReport, ValidationResult
from mcgraph.vocab import ELM, MCG

STACKING = "integration-and-stackability"
#: what a part/whole cycle result names as its source (no SHACL shape can see a cycle that
#: spans documents)
CYCLE = MCG + "partWholeCycle"
_EQF_LEVEL = ox.NamedNode(ELM + "EQFLevel")
_NQF_LEVEL = ox.NamedNode(ELM + "NQFLevel")


class LevelChecks:
    """The cross-document checks for one load (build one per ingestion run)."""

    def __init__(self, crosswalk: Crosswalk, run: QueryRunner | None = None) -> None:
        self.crosswalk = crosswalk
        self._run = run
        self._replacing: set[str] = set()
        self._levels: dict[str, set[int]] = {}
        self.guard = CycleGuard(self._stored_wholes if run is not None else None)

    @classmethod
    def shipped(cls) -> LevelChecks:
        """Checks without a store: the shipped frameworks' referencing, the documents alone."""
        return cls(Crosswalk(shipped_referencing()))

    def _stored_wholes(self, part: str) -> list[str]:
        assert self._run is not None
        rows = self._run("stacking-wholes", {"part": part})
        return [str(r["whole"]) for r in rows if r.get("g") not in self._replacing]

    def _stored_levels(self, spec: str) -> set[int]:
        if self._run is None:
            return set()
        rows = self._run("specification-levels", {"specification": spec})
        found: set[int] = set()
        for row in rows:
            found |= _eqf_numbers({str(row["eqf"])} if row.get("eqf") else set())
            if row.get("nqf"):
                found |= _eqf_numbers(self.crosswalk.implied_eqf(str(row["nqf"])))
        return found

    def check(
        self, quads: Sequence[ox.Quad], *, replacing: Iterable[str] = ()
    ) -> list[ValidationResult]:
        """Results for one document; ``replacing`` names the graphs it replaces (their old
        statements do not count). Call :meth:`accept` when the document is stored."""
        self._replacing = set(replacing)
        results = self.crosswalk.contradictions(quads)
        edges = part_whole_edges(quads)
        cycle = self.guard.cycle(edges)
        if cycle is not None:
            results.append(
                ValidationResult(
                    element=STACKING,
                    severity="violation",
                    focus=cycle[0],
                    path="elm:isPartOf",
                    message="The part/whole relation would form a cycle: "
                    + " is part of ".join(cycle)
                    + ". A credential cannot stack into itself.",
                    value=f"<{cycle[1]}>",
                    source_shape=CYCLE,
                )
            )
        own = self._document_levels(quads)
        for part, whole in edges:
            part_levels = own.get(part) or self._levels.get(part) or self._stored_levels(part)
            whole_levels = own.get(whole) or self._levels.get(whole) or self._stored_levels(whole)
            if part_levels and whole_levels and min(part_levels) > max(whole_levels):
                results.append(
                    ValidationResult(
                        element=STACKING,
                        severity="warning",
                        focus=part,
                        path="elm:isPartOf",
                        message=f"The part {part} is at EQF {min(part_levels)}, above its whole "
                        f"{whole} at EQF {max(whole_levels)}.",
                        value=f"<{whole}>",
                    )
                )
        return results

    def accept(self, quads: Sequence[ox.Quad]) -> None:
        """The document was stored: later documents of the run see its statements."""
        self.guard.accept(part_whole_edges(quads))
        for spec, found in self._document_levels(quads).items():
            self._levels.setdefault(spec, set()).update(found)

    def _document_levels(self, quads: Sequence[ox.Quad]) -> dict[str, set[int]]:
        """EQF levels (as numbers) each resource of a document states or implies."""
        found: dict[str, set[int]] = {}
        for quad in quads:
            if not isinstance(quad.subject, ox.NamedNode) or not isinstance(
                quad.object, ox.NamedNode
            ):
                continue
            if quad.predicate == _EQF_LEVEL:
                levels = _eqf_numbers({quad.object.value})
            elif quad.predicate == _NQF_LEVEL:
                levels = _eqf_numbers(self.crosswalk.implied_eqf(quad.object.value))
            else:
                continue
            if levels:
                found.setdefault(quad.subject.value, set()).update(levels)
        return found


def closes_cycle(report: DocumentReport) -> bool:
    """Whether a report holds a part/whole cycle: such a document is never stored."""
    return any(r.source_shape == CYCLE for r in report.results)


def _eqf_numbers(iris: Iterable[str]) -> set[int]:
    numbers = set()
    for iri in iris:
        tail = iri.removeprefix(EQF)
        if iri.startswith(EQF) and tail.isdigit() and 1 <= int(tail) <= 8:
            numbers.add(int(tail))
    return numbers
