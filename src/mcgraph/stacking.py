"""Stacking pathways over the store: what a credential stacks into and is built from, and what
a learner still needs for a target. The named queries find the relations; :mod:`mcgraph.pathways`
does the arithmetic SPARQL cannot (ELM credit points are strings, workloads ISO 8601 durations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from mcgraph.errors import NotFoundError, UsageError
from mcgraph.levels import QueryRunner
from mcgraph.pathways import Component, Gap, compute_gap, credit_points, duration_hours

__all__ = ["Gap", "Pathways", "Step", "gap", "gap_json", "pathways", "pathways_json"]

#: ELM's credit frameworks (Europass education-credit scheme) by IRI, for readable totals
CREDIT_FRAMEWORKS = {
    "http://data.europa.eu/snb/education-credit/6fcec5c5af": "ECTS",
    "http://data.europa.eu/snb/education-credit/0b74ec4f2f": "ECVET",
}


@dataclass(frozen=True)
class Step:
    """One stated relation on a pathway: ``source`` --relation--> ``target``."""

    source: str
    relation: str
    target: str


@dataclass
class Pathways:
    """Everything a credential stacks into and is built from, and the relations stated
    between those specifications (the steps of the pathways)."""

    resource: str
    starts: list[str]
    stacks_into: set[str] = field(default_factory=set)
    built_from: set[str] = field(default_factory=set)
    specialisations: set[str] = field(default_factory=set)
    steps: list[Step] = field(default_factory=list)

    def reachable(self, direction: str) -> set[str]:
        """The specifications reached in one direction (``into`` or ``from``)."""
        return set(self.stacks_into if direction == "into" else self.built_from)


def pathways(run: QueryRunner, resource: str) -> Pathways:
    """The stacking closure of a credential (from its specification) or a specification, and
    the stated relations among the specifications it reaches."""
    answer = Pathways(resource, specification_of(run, resource))
    reached = {
        "into": answer.stacks_into,
        "from": answer.built_from,
        "specialisation": answer.specialisations,
    }
    for spec in answer.starts:
        for row in run("stacking-closure", {"specification": spec}):
            reached[str(row["direction"])].add(str(row["node"]))
    nodes = set(answer.starts) | answer.stacks_into | answer.built_from
    seen: set[Step] = set()
    for node in sorted(nodes):
        for row in run("stacking-steps", {"specification": node}):
            step = Step(str(row["from"]), str(row["relation"]), str(row["to"]))
            inside = step.source in nodes and step.target in nodes
            specialising = step.relation == "specialisationOf" and node in answer.starts
            if (inside or specialising) and step not in seen:
                seen.add(step)
                answer.steps.append(step)
    return answer


def specification_of(run: QueryRunner, resource: str) -> list[str]:
    """The specification(s) a credential is an award of; a specification is its own."""
    return sorted(
        {str(r["specification"]) for r in run("specification-of", {"resource": resource})}
    )


def component_tree(run: QueryRunner, target: str) -> dict[str, Component]:
    """The target and its components, transitively, each with its direct wholes and workload."""
    below = {
        str(r["node"])
        for r in run("stacking-closure", {"specification": target})
        if r["direction"] == "from"
    }
    tree = {iri: Component(iri) for iri in {target} | below}
    for iri, component in tree.items():
        for row in run("stacking-steps", {"specification": iri}):
            part, whole = str(row["from"]), str(row["to"])
            if row["relation"] in ("isPartOf", "hasPart") and part == iri and whole in tree:
                component.wholes.add(whole)
        for row in run("specification-workload", {"specification": iri}):
            component.title = row.get("title")
            points = credit_points(row.get("point"))
            if points is not None:
                framework = str(row.get("framework") or "")
                component.credits[CREDIT_FRAMEWORKS.get(framework, framework or "unknown")] = points
            component.hours = duration_hours(row.get("hours"))
    return tree


def gap(run: QueryRunner, held: Sequence[str], target: str) -> Gap:
    """What a learner holding ``held`` (credentials or specifications) still needs for
    ``target`` (a specification, or a credential standing for its specification)."""
    targets = specification_of(run, target)
    if not targets:
        raise NotFoundError(f"no credential or specification {target} is in the store")
    if len(targets) != 1:
        raise UsageError(f"{target} is an award of several specifications: name one of them")
    tree = component_tree(run, targets[0])
    held_specs: set[str] = set()
    for item in held:
        found = specification_of(run, item)
        if not found:
            raise NotFoundError(f"the held credential {item} is not in the store")
        held_specs.update(found)
    return compute_gap(targets[0], tree, held_specs)


def gap_json(result: Gap) -> dict[str, object]:
    """The JSON form of a gap answer (REST and ``mcgraph pathway gap --format json``)."""

    def number(value: Decimal) -> str:
        return format(value.normalize(), "f")

    return {
        "target": result.target,
        "complete": result.complete,
        "counted": result.counted,
        "missing": [
            {
                "specification": c.iri,
                "title": c.title,
                "credits": {k: number(v) for k, v in c.credits.items()},
                "hours": None if c.hours is None else number(c.hours),
            }
            for c in result.missing
        ],
        "creditsNeeded": {k: number(v) for k, v in result.credits_needed.items()},
        "hoursNeeded": number(result.hours_needed),
        "withoutCredits": result.without_credits,
        "withoutHours": result.without_hours,
    }


def pathways_json(result: Pathways) -> dict[str, object]:
    """The JSON form of a pathways answer (REST and ``mcgraph pathway show --format json``)."""
    return {
        "resource": result.resource,
        "specifications": result.starts,
        "stacksInto": sorted(result.stacks_into),
        "builtFrom": sorted(result.built_from),
        "specialisations": sorted(result.specialisations),
        "steps": [{"from": s.source, "relation": s.relation, "to": s.target} for s in result.steps],
    }
