"""An independent brute-force model of the part/whole relation, built by scanning the N-Quads
lines of generated credentials (no SPARQL, no mcgraph.pathways): what the stacking queries and
the gap answer must agree with."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

ELM = "http://data.europa.eu/snb/model/elm/"
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
_LINE = re.compile(
    r'^<([^>]*)> <([^>]*)> (<[^>]*>|"(?:[^"\\]|\\.)*"(?:\^\^<[^>]*>|@[\w-]+)?) <([^>]*)> \.$'
)


@dataclass
class Oracle:
    wholes: dict[str, set[str]] = field(default_factory=dict)  # part -> wholes
    parts: dict[str, set[str]] = field(default_factory=dict)  # whole -> parts
    spec_of: dict[str, str] = field(default_factory=dict)  # credential -> specification
    credit_node: dict[str, str] = field(default_factory=dict)
    points: dict[str, str] = field(default_factory=dict)
    framework: dict[str, str] = field(default_factory=dict)
    hours: dict[str, str] = field(default_factory=dict)

    def scan(self, lines: Iterable[str]) -> None:
        achievements: dict[str, str] = {}
        for line in lines:
            match = _LINE.match(line)
            if not match:
                continue
            s, p, o, _g = match.groups()
            iri = o[1:-1] if o.startswith("<") else None
            text = o[1 : o.rindex('"')] if o.startswith('"') else None
            if p == ELM + "isPartOf" and iri:
                self._edge(s, iri)
            elif p == ELM + "hasPart" and iri:
                self._edge(iri, s)
            elif p == ELM + "specifiedBy" and iri and s.endswith("/achievement"):
                achievements[s] = iri
            elif p == ELM + "creditPoint" and iri:
                self.credit_node[s] = iri
            elif p == ELM + "point" and text is not None:
                self.points[s] = text
            elif p == ELM + "framework" and iri:
                self.framework[s] = iri
            elif p == ELM + "volumeOfLearning" and text is not None:
                self.hours[s] = text
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
