"""Stacking pathways: part/whole closure, the gap to a target, cycles refused, ELM workloads read
as numbers."""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest

from mcgraph.pathways import (
    Component,
    CycleGuard,
    compute_gap,
    credit_points,
    duration_hours,
    part_whole_edges,
)
from mcgraph.vocab import ELM


@pytest.mark.parametrize(
    ("text", "expected"),
    [("6", Decimal(6)), ("7.5", Decimal("7.5")), ("7,5", Decimal("7.5")), (" 2 ", Decimal(2))],
)
def test_credit_points_are_parsed_from_elm_strings(text: str, expected: Decimal) -> None:
    assert credit_points(text) == expected


@pytest.mark.parametrize("text", ["five", "", "-3", "0", "1e3", None])
def test_credit_points_that_are_no_positive_number_are_unknown(text: str | None) -> None:
    assert credit_points(text) is None


@pytest.mark.parametrize(
    ("text", "hours"),
    [("PT60H", Decimal(60)), ("P2DT4H", Decimal(52)), ("PT90M", Decimal("1.5")), ("P1D", 24)],
)
def test_durations_are_read_as_hours(text: str, hours: Decimal) -> None:
    assert duration_hours(text) == hours


@pytest.mark.parametrize("text", ["P1M", "P1Y", "PT", "P", "60 hours", "PT-5H"])
def test_durations_without_fixed_hours_are_unknown(text: str) -> None:
    assert duration_hours(text) is None


def _quad(s: str, p: str, o: str) -> ox.Quad:
    return ox.Quad(ox.NamedNode(s), ox.NamedNode(ELM + p), ox.NamedNode(o))


def test_edges_read_both_directions_of_the_part_whole_relation() -> None:
    quads = [_quad("urn:a", "isPartOf", "urn:w"), _quad("urn:w", "hasPart", "urn:b")]
    assert part_whole_edges(quads) == [("urn:a", "urn:w"), ("urn:b", "urn:w")]


def test_a_cycle_through_stored_and_new_statements_is_named() -> None:
    stored = {"urn:b": ["urn:c"], "urn:c": ["urn:a"]}
    guard = CycleGuard(lambda node: stored.get(node, []))
    assert guard.cycle([("urn:a", "urn:b")]) == ["urn:a", "urn:b", "urn:c", "urn:a"]
    assert guard.cycle([("urn:x", "urn:b")]) is None
    assert guard.cycle([("urn:s", "urn:s")]) == ["urn:s", "urn:s"]


def test_a_cycle_spread_over_accepted_documents_is_caught_at_the_closing_one() -> None:
    guard = CycleGuard()
    first = [("urn:a", "urn:b")]
    assert guard.cycle(first) is None
    guard.accept(first)
    assert guard.cycle([("urn:b", "urn:a")]) == ["urn:b", "urn:a", "urn:b"]


def _tree(*edges: tuple[str, str], credits: dict[str, int] | None = None) -> dict[str, Component]:
    tree: dict[str, Component] = {}
    for part, whole in edges:
        tree.setdefault(part, Component(part)).wholes.add(whole)
        tree.setdefault(whole, Component(whole))
    for iri, points in (credits or {}).items():
        tree.setdefault(iri, Component(iri)).credits["ECTS"] = Decimal(points)
        tree[iri].hours = Decimal(points * 25)
    return tree


def test_gap_lists_the_smallest_whole_components_still_needed() -> None:
    # T has parts A and B; A has parts A1 and A2
    tree = _tree(
        ("A", "T"), ("B", "T"), ("A1", "A"), ("A2", "A"), credits={"A1": 2, "A2": 3, "B": 5}
    )
    nothing = compute_gap("T", tree, [])
    assert [c.iri for c in nothing.missing] == ["A", "B"]
    partly = compute_gap("T", tree, ["A1"])
    assert [c.iri for c in partly.missing] == ["A2", "B"]
    assert partly.credits_needed == {"ECTS": Decimal(8)}
    assert partly.hours_needed == Decimal(200)
    assert partly.counted == ["A1"]
    assert compute_gap("T", tree, ["A", "B"]).complete
    assert compute_gap("T", tree, ["A1", "A2", "B"]).complete
    assert compute_gap("T", tree, ["T"]).complete


def test_gap_to_a_target_without_parts_is_the_target_itself() -> None:
    tree = _tree(credits={"T": 4})
    gap = compute_gap("T", tree, [])
    assert [c.iri for c in gap.missing] == ["T"]
    assert gap.credits_needed == {"ECTS": Decimal(4)}
