"""Qualification levels: frameworks in the store, the NQF→EQF crosswalk, and level decisions.

Level reasoning is done at query time, not materialised: a national level's EQF level is one
join with its framework's graph (a few hundred triples), so the answer is always that of the
frameworks loaded now — nothing derived can go stale when a framework is reloaded or a document
replaced, and a killed load has nothing derived to repair. Validation uses the same referencing
(:class:`Crosswalk`) to warn when a document's stated EQF level contradicts its NQF level.

Level decisions are a framework body's own statements, each in the body's graph
``{base}decisions/{body}``, never mixed with what the provider claims in its documents.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from mcgraph.documents import to_nquads
from mcgraph.errors import NotFoundError, UsageError
from mcgraph.frameworks import FrameworkDocument, read_framework, shipped_framework_files
from mcgraph.validation.report import ValidationResult
from mcgraph.vocab import DC, DCAT, ELM, FOAF, MCG, PROV, RDF, SKOS, SPDX, XSD

EQF = "http://data.europa.eu/snb/eqf/"
EQF_SCHEME = EQF + "25831c2"
_EQF_LEVEL = ox.NamedNode(ELM + "EQFLevel")
_NQF_LEVEL = ox.NamedNode(ELM + "NQFLevel")
_BODY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

#: runs a named query with text parameters and returns rows of text values (None: unbound)
QueryRunner = Callable[[str, Mapping[str, str | None]], list[dict[str, str | None]]]


def eqf_iri(value: str) -> str:
    """``6``, ``EQF6``, ``eqf-6`` or the IRI → ``http://data.europa.eu/snb/eqf/6``."""
    match = re.fullmatch(r"(?:eqf[-\s]?)?([1-8])", value.strip(), flags=re.I)
    if match:
        return f"{EQF}{match.group(1)}"
    return value


def find_framework(run: QueryRunner, identifier: str) -> dict[str, str | None]:
    """A stored framework by its id (``ie-nfq``) or scheme IRI."""
    for row in run("frameworks", {}):
        if identifier in (row["identifier"], row["framework"]):
            return row
    raise NotFoundError(f"no framework {identifier!r} is stored (see `mcgraph levels list`)")


def resolve_level(run: QueryRunner, text: str) -> str:
    """A level named as its IRI, ``eqf:6`` / ``6``, or ``{framework id}:{notation}``
    (``ie-nfq:7``, ``uk-scqf:9``) → the level concept's IRI."""
    bare = text.removeprefix("eqf:").removeprefix("EQF:")
    if eqf_iri(bare) != bare:
        return eqf_iri(bare)
    identifier, sep, notation = text.partition(":")
    if sep and "/" not in notation:
        scheme = find_framework(run, identifier)["framework"]
        for row in run("framework-levels", {"framework": scheme}):
            if row["notation"] == notation:
                return str(row["level"])
        raise NotFoundError(f"framework {identifier} has no level {notation!r}")
    return text


def crosswalk(
    run: QueryRunner, level: str, *, target: str | None = None, per_level: int = 500
) -> dict[str, Any]:
    """The levels comparable to ``level`` (through the EQF), optionally only those of the
    ``target`` framework, each with up to ``per_level`` credentials at it."""
    start = resolve_level(run, level)
    if not run("level-framework", {"level": start}):
        raise NotFoundError(f"{start} is not a level of any stored framework")
    scheme = find_framework(run, target)["framework"] if target else None

    def credentials(at: str) -> list[dict[str, str | None]]:
        rows = run("credentials-at-level", {"level": at})[:per_level]
        return [{"credential": r["credential"], "how": r["how"]} for r in rows]

    return {
        "level": start,
        "credentials": credentials(start),
        "comparable": [
            {**row, "credentials": credentials(str(row["comparable"]))}
            for row in run("crosswalk", {"level": start, "target": scheme})
        ],
    }


@dataclass(frozen=True)
class Referencing:
    """What one level of a framework is referenced to."""

    level: str
    framework: str
    eqf: str
    match: str  # exact | broad


class Crosswalk:
    """The NQF→EQF referencing of a set of frameworks, for checks that run outside SPARQL."""

    def __init__(self, referencing: Iterable[Referencing]) -> None:
        self.referencing = list(referencing)
        self._by_level: dict[str, set[str]] = {}
        for item in self.referencing:
            self._by_level.setdefault(item.level, set()).add(item.eqf)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, str | None]]) -> Crosswalk:
        """From rows of ``queries/level-referencing.rq``."""
        return cls(
            Referencing(str(r["level"]), str(r["framework"]), str(r["eqf"]), str(r["match"]))
            for r in rows
            if r.get("level") and r.get("eqf")
        )

    def __len__(self) -> int:
        return len(self._by_level)

    def implied_eqf(self, level: str) -> set[str]:
        """The EQF level(s) a national level is referenced to (empty if not known here)."""
        return set(self._by_level.get(level, ()))

    def contradictions(self, quads: Iterable[ox.Quad]) -> list[ValidationResult]:
        """A warning on the ``level`` element for every stated NQF level whose referenced EQF
        level is not among the EQF levels the same resource states."""
        stated_eqf: dict[ox.NamedNode | ox.BlankNode, set[str]] = {}
        stated_nqf: dict[ox.NamedNode | ox.BlankNode, set[str]] = {}
        for quad in quads:
            if not isinstance(quad.object, ox.NamedNode):
                continue
            subject = quad.subject
            if not isinstance(subject, ox.NamedNode | ox.BlankNode):
                continue
            if quad.predicate == _EQF_LEVEL:
                stated_eqf.setdefault(subject, set()).add(quad.object.value)
            elif quad.predicate == _NQF_LEVEL:
                stated_nqf.setdefault(subject, set()).add(quad.object.value)
        results = []
        for subject, nqf_levels in stated_nqf.items():
            eqf_levels = stated_eqf.get(subject)
            if not eqf_levels:
                continue
            for nqf in sorted(nqf_levels):
                referenced = self.implied_eqf(nqf)
                if referenced and not referenced & eqf_levels:
                    results.append(
                        ValidationResult(
                            element="level",
                            severity="warning",
                            focus=str(subject).strip("<>"),
                            path="elm:EQFLevel",
                            message=(
                                f"The stated EQF level ({_levels(eqf_levels)}) contradicts the "
                                f"national level {nqf}, which its framework references to "
                                f"{_levels(referenced)}."
                            ),
                            value=f"<{sorted(eqf_levels)[0]}>",
                        )
                    )
        return results


def referencing_in(quads: Iterable[ox.Quad]) -> list[Referencing]:
    """The EQF referencing a framework's own triples state (for frameworks not yet stored)."""
    schemes: dict[str, str] = {}
    matches: list[tuple[str, str, str]] = []
    for quad in quads:
        if not isinstance(quad.subject, ox.NamedNode) or not isinstance(quad.object, ox.NamedNode):
            continue
        predicate = quad.predicate.value
        if predicate == SKOS + "inScheme":
            schemes[quad.subject.value] = quad.object.value
        elif predicate in (
            SKOS + "exactMatch",
            SKOS + "broadMatch",
        ) and quad.object.value.startswith(EQF):
            kind = "exact" if predicate.endswith("exactMatch") else "broad"
            matches.append((quad.subject.value, quad.object.value, kind))
    return [
        Referencing(level, schemes[level], eqf, kind)
        for level, eqf, kind in matches
        if level in schemes
    ]


@functools.cache
def shipped_referencing() -> tuple[Referencing, ...]:
    """The referencing of the frameworks shipped with mcgraph, read once per process (what
    ``mcgraph validate`` checks against without a store)."""
    found: list[Referencing] = []
    for path in shipped_framework_files():
        found += referencing_in(read_framework(path, base_iri="urn:mcgraph:shipped/").quads)
    return tuple(found)


def _levels(iris: Iterable[str]) -> str:
    return ", ".join(f"EQF {i.removeprefix(EQF)}" if i.startswith(EQF) else i for i in sorted(iris))


# -- frameworks in the store ------------------------------------------------------------------


def framework_record(graph: str, doc: FrameworkDocument, *, base_iri: str, source: str) -> str:
    """The metadata record of a stored framework, as N-Triples (like a document's record)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    checksum = f"{graph}#checksum"
    lines = [
        (graph, RDF + "type", ox.NamedNode(DCAT + "CatalogRecord")),
        (graph, RDF + "type", ox.NamedNode(PROV + "Entity")),
        (graph, DC + "source", ox.NamedNode(f"{base_iri}source/{source}")),
        (graph, PROV + "generatedAtTime", ox.Literal(now, datatype=ox.NamedNode(XSD + "dateTime"))),
        (
            graph,
            DC + "format",
            ox.Literal("text/turtle" if doc.source.endswith(".ttl") else "text/csv"),
        ),
        (graph, SPDX + "checksum", ox.NamedNode(checksum)),
        (checksum, SPDX + "algorithm", ox.NamedNode(SPDX + "checksumAlgorithm_sha256")),
        (checksum, SPDX + "checksumValue", ox.Literal(doc.checksum)),
        (graph, MCG + "validatedAgainst", ox.NamedNode(MCG + "framework")),
        (graph, MCG + "conforms", ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))),
        (graph, FOAF + "primaryTopic", ox.NamedNode(doc.scheme)),
        (graph, PROV + "hadPrimarySource", ox.Literal(doc.source)),
    ]
    return "".join(f"<{s}> <{p}> {o} .\n" for s, p, o in lines)


def framework_update(
    doc: FrameworkDocument, *, metadata_graph: str, base_iri: str, source: str
) -> str:
    """One SPARQL update that replaces a framework's graph and its record atomically."""
    graph = doc.scheme
    body = to_nquads(doc.quads, "urn:mcgraph:scratch").decode("utf-8")
    triples = body.replace(" <urn:mcgraph:scratch> .\n", " .\n")
    record = framework_record(graph, doc, base_iri=base_iri, source=source)
    return (
        f"DROP SILENT GRAPH <{graph}> ;\n"
        f"DELETE WHERE {{ GRAPH <{metadata_graph}> {{ <{graph}> ?p ?o }} }} ;\n"
        f"DELETE WHERE {{ GRAPH <{metadata_graph}> {{ <{graph}#checksum> ?p ?o }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{graph}> {{\n{triples}}} }} ;\n"
        f"INSERT DATA {{ GRAPH <{metadata_graph}> {{\n{record}}} }}"
    )


# -- level decisions --------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelDecision:
    """A framework body's decision that a specification is at a level of its framework."""

    body: str  # the body's short id: its graph is {base}decisions/{body}
    body_name: str | None
    specification: str
    level: str
    basis: str
    source: str | None = None  # where the decision is published
    date: dt.datetime | None = None


def decisions_graph(base_iri: str, body: str) -> str:
    return f"{base_iri}decisions/{body}"


def check_decision(decision: LevelDecision) -> None:
    """Refuse a decision that would say nothing checkable: the problem is named."""
    if not _BODY_ID.match(decision.body):
        raise UsageError(
            f"body id {decision.body!r} must be 1-64 lowercase letters, digits or '-' "
            "(it names the body's graph)"
        )
    if not decision.basis.strip():
        raise UsageError("a level decision needs its basis: say on what grounds it was decided")
    for name, iri in (("specification", decision.specification), ("level", decision.level)):
        if not re.match(r"^[a-z][a-z0-9+.-]*:\S+$", iri, flags=re.I):
            raise UsageError(f"{name} must be an absolute IRI, not {iri!r}")
    if decision.source is not None and not re.match(r"^https?://\S+$", decision.source):
        raise UsageError(f"source must be an http(s) URL, not {decision.source!r}")


def decision_update(
    decision: LevelDecision, *, base_iri: str, superseded: Sequence[str]
) -> tuple[str, str]:
    """(decision IRI, one SPARQL update recording it in the body's graph). Earlier current
    decisions of the body on the same specification and framework are marked replaced, so the
    history stays while queries see the newest."""
    graph = decisions_graph(base_iri, decision.body)
    iri = f"{base_iri}decision/{uuid.uuid4()}"
    body_iri = f"{base_iri}body/{decision.body}"
    when = (decision.date or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    stamp = when.isoformat().replace("+00:00", "Z")
    node, lit = ox.NamedNode, ox.Literal
    triples: list[tuple[str, str, ox.NamedNode | ox.Literal]] = [
        (iri, RDF + "type", node(MCG + "LevelDecision")),
        (iri, RDF + "type", node(PROV + "Entity")),
        (iri, MCG + "decisionOn", node(decision.specification)),
        (iri, MCG + "assignedLevel", node(decision.level)),
        (iri, PROV + "wasAttributedTo", node(body_iri)),
        (iri, DC + "date", lit(stamp, datatype=node(XSD + "dateTime"))),
        (iri, MCG + "basis", lit(decision.basis.strip(), language="en")),
        (body_iri, RDF + "type", node(PROV + "Agent")),
        (body_iri, RDF + "type", node(ELM + "Organisation")),
    ]
    if decision.body_name:
        triples.append((body_iri, SKOS + "prefLabel", lit(decision.body_name, language="en")))
    if decision.source:
        triples.append((iri, DC + "source", node(decision.source)))
    for old in superseded:
        triples.append((old, DC + "isReplacedBy", node(iri)))
    data = "".join(f"<{s}> <{p}> {o} .\n" for s, p, o in triples)
    return iri, f"INSERT DATA {{ GRAPH <{graph}> {{\n{data}}} }}"
