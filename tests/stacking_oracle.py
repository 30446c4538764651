"""An independent brute-force model of the part/whole relation, built by scanning the N-Quads
lines of generated credentials (no SPARQL, no mcgraph.pathways): what the stacking queries and
the gap answer must agree with."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from mcgraph.service import Service

ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
#: the statements the model needs, found in N-Quads text (one credential's at a time) by
#: their predicate first (fast), the subject read back to the start of the line
_STATEMENT = re.compile(
    r"> <http://data\.europa\.eu/snb/model/elm/"
    r"(isPartOf|hasPart|specifiedBy|creditPoint|point|framework|volumeOfLearning)> "
    r'(<[^>]*>|"(?:[^"\\]|\\.)*")'
)


def _statements(text: str) -> Iterable[tuple[str, str, str]]:
    for match in _STATEMENT.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        yield text[start + 1 : match.start()], match.group(1), match.group(2)


@dataclass
class Oracle:
    wholes: dict[str, set[str]] = field(default_factory=dict)  # part -> wholes
    parts: dict[str, set[str]] = field(default_factory=dict)  # whole -> parts
    spec_of: dict[str, str] = field(default_factory=dict)  # credential -> specification
    credit_node: dict[str, str] = field(default_factory=dict)
    points: dict[str, str] = field(default_factory=dict)
    framework: dict[str, str] = field(default_factory=dict)
    hours: dict[str, str] = field(default_factory=dict)

    def scan(self, texts: Iterable[str]) -> None:
        """Read N-Quads text (e.g. each generated credential's) into the model."""
        achievements: dict[str, str] = {}
        for text in texts:
            for s, name, o in _statements(text):
                iri = o[1:-1] if o.startswith("<") else None
                literal = o[1:-1] if o.startswith('"') else None
                if name == "isPartOf" and iri:
                    self._edge(s, iri)
                elif name == "hasPart" and iri:
                    self._edge(iri, s)
                elif name == "specifiedBy" and iri and s.endswith("/achievement"):
                    achievements[s] = iri
                elif name == "creditPoint" and iri:
                    self.credit_node[s] = iri
                elif name == "point" and literal is not None:
                    self.points[s] = literal
                elif name == "framework" and iri:
                    self.framework[s] = iri
                elif name == "volumeOfLearning" and literal is not None:
                    self.hours[s] = literal
        for achievement, spec in achievements.items():
            self.spec_of[achievement.removesuffix("/achievement")] = spec

    def _edge(self, part: str, whole: str) -> None:
        self.wholes.setdefault(part, set()).add(whole)
        self.parts.setdefault(whole, set()).add(part)

    def _reach(self, start: str, links: dict[str, set[str]]) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in links.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def stacks_into(self, spec: str) -> set[str]:
        return self._reach(spec, self.wholes)

    def built_from(self, spec: str) -> set[str]:
        return self._reach(spec, self.parts)

    def missing(self, target: str, held: set[str]) -> list[str]:
        """The gap, by its definition, recursively: a component is earned when it or anything
        above it (within the target) is held; an unearned one with earned parts below is
        opened, otherwise it is missing whole; a target without parts is its own component."""
        earned: set[str] = set()
        for spec in held:
            if spec == target or spec in self.built_from(target):
                earned |= {spec} | self.built_from(spec)
        if target in earned:
            return []
        if not self.parts.get(target):
            return [target]
        out: list[str] = []

        def visit(whole: str) -> None:
            for part in sorted(self.parts.get(whole, ())):
                if part in earned or part in out:
                    continue
                if self.parts.get(part) and self.built_from(part) & earned:
                    visit(part)
                elif part not in out:
                    out.append(part)

        visit(target)
        return out

    def ects(self, spec: str) -> Decimal:
        node = self.credit_node.get(spec)
        if node is None or self.framework.get(node) != ECTS:
            return Decimal(0)
        return Decimal(self.points[node].replace(",", "."))

    def hours_of(self, spec: str) -> Decimal:
        text = self.hours.get(spec, "PT0H")
        return Decimal(text.removeprefix("PT").removesuffix("H"))

    def held_sample(self, target: str, rng: random.Random) -> set[str]:
        """A random set of the target's components a learner might hold."""
        below = sorted(self.built_from(target))
        return set(rng.sample(below, rng.randint(0, len(below)))) if below else set()


def check_against_oracle(service: Service, oracle: Oracle, *, targets: int, seed: int) -> int:
    """Compare closure and gap answers for ``targets`` wholes (all, if fewer); returns how
    many were compared."""
    rng = random.Random(seed)
    wholes = sorted(oracle.parts)
    chosen = wholes if len(wholes) <= targets else rng.sample(wholes, targets)
    credential_of = {spec: cred for cred, spec in sorted(oracle.spec_of.items())}
    for whole in chosen:
        answer = service.pathways(whole)
        assert answer.reachable("from") == oracle.built_from(whole), whole
        assert answer.reachable("into") == oracle.stacks_into(whole), whole
        for part in sorted(oracle.built_from(whole))[:3]:
            assert service.pathways(part).reachable("into") == oracle.stacks_into(part), part
        held_specs = oracle.held_sample(whole, rng)
        # hold credentials where the specification has one issued, else name the specification
        held = sorted(credential_of.get(spec, spec) for spec in held_specs)
        gap = service.gap(held, whole)
        expected = oracle.missing(whole, held_specs)
        assert [c.iri for c in gap.missing] == expected, (whole, held)
        assert gap.credits_needed.get("ECTS", Decimal(0)) == sum(
            (oracle.ects(s) for s in expected), Decimal(0)
        )
        assert gap.hours_needed == sum((oracle.hours_of(s) for s in expected), Decimal(0))
        assert gap.complete == (not expected)
    return len(chosen)


def cycle_document(part: str, whole: str) -> dict[str, object]:
    """A catalogue specification saying that ``whole`` is part of ``part``: ``part`` is already
    part of ``whole`` in the store, so this closes a cycle."""
    return {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "http://data.europa.eu/snb/model/context/edc-ap",
        ],
        "id": whole,
        "type": "LearningAchievementSpecification",
        "title": {"en": "A whole that claims to be part of its own part"},
        "isPartOf": {"id": part, "type": "LearningAchievementSpecification"},
    }
