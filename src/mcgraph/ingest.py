"""Validated ingestion: read → map to ELM → validate (Annex I) → commit.

Each document lives in its own named graph, derived from its source and its identifier (the
credential's or specification's IRI); the metadata graph records where it came from, when, its
checksum, format, mapping, the profile it was validated against and the outcome (DCAT, PROV-O,
SPDX). Documents are committed in batches, each batch one SPARQL update that Oxigraph applies
atomically: a killed process leaves every stored document whole. A rejected document writes
nothing. An unchanged document (same checksum from the same source) is skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from mcgraph.documents import RdfDocument, to_nquads
from mcgraph.elements import profile_named
from mcgraph.errors import DocumentError, UsageError
from mcgraph.level_checks import LevelChecks, closes_cycle
from mcgraph.personal import split_personal
from mcgraph.repository import Repository
from mcgraph.validation import DocumentReport, Validator, detect_profile
from mcgraph.vocab import DC, DCAT, FOAF, MCG, PROV, RDF

SPDX = "http://spdx.org/rdf/terms#"
_MEDIA_TYPES = {
    "jsonld": "application/ld+json",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "rdfxml": "application/rdf+xml",
    "csv": "text/csv",
}
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_TYPE = ox.NamedNode(RDF + "type")


@dataclass
class Outcome:
    """What happened to one input document."""

    source: str
    status: str  # stored | stored-invalid | unchanged | rejected | error
    graph: str | None = None
    report: DocumentReport | None = None
    error: str | None = None


@dataclass
class IngestSummary:
    stored: int = 0
    stored_invalid: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: int = 0
    #: Annex I element → number of rejected (or stored-invalid) documents violating it
    violations: Counter[str] = field(default_factory=Counter)
    problems: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.rejected or self.errors)

    def add(self, outcome: Outcome) -> None:
        counter = _COUNTERS[outcome.status]
        setattr(self, counter, getattr(self, counter) + 1)
        if outcome.report is not None and outcome.status in ("rejected", "stored-invalid"):
            self.violations.update(e or "-" for e in outcome.report.elements("violation"))
        if outcome.status in ("rejected", "error", "stored-invalid"):
            self.problems.append(outcome)


_COUNTERS = {
    "stored": "stored",
    "stored-invalid": "stored_invalid",
    "unchanged": "unchanged",
    "rejected": "rejected",
    "error": "errors",
}


def graph_iri(base_iri: str, source: str, identifier: str) -> str:
    """The named graph of a document: stable for the same source and identifier."""
    digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:32]
    return f"{base_iri}graph/{source}/{digest}"


def document_identifier(doc: RdfDocument, profile: str | None) -> str:
    """The IRI of the document's one credential or specification, else its source."""
    if profile is not None:
        focus = {ox.NamedNode(c) for c in profile_named(profile).focus_classes}
        subjects = sorted(
            {
                q.subject.value
                for q in doc.quads
                if q.predicate == _TYPE
                and q.object in focus
                and isinstance(q.subject, ox.NamedNode)
            }
        )
        if len(subjects) == 1:
            return subjects[0]
    return doc.source


def _literal(text: str) -> str:
    return (
        '"'
        + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        + '"'
    )


def _location(source: str) -> str:
    if re.match(r"^[a-z][a-z0-9+.-]*:", source):
        return source
    from pathlib import Path

    path, _, fragment = source.partition("#")
    uri = Path(path).resolve().as_uri()
    return f"{uri}#{fragment}" if fragment else uri


class Ingestor:
    """Pours documents into a repository, validated, in atomic batches."""

    def __init__(
        self,
        repository: Repository,
        validator: Validator,
        *,
        source: str = "local",
        allow_invalid: bool = False,
        keep_personal_data: bool = False,
        profile: str = "auto",
        batch_size: int = 200,
        checks: LevelChecks | None = None,
    ) -> None:
        if not _SOURCE_NAME.match(source):
            raise UsageError(
                f"source name {source!r}: use lower-case letters, digits, '.', '-', '_'"
            )
        if keep_personal_data and repository.protected is None:
            raise UsageError("this repository was opened without a protected store")
        self.repository = repository
        self.validator = validator
        self.source = source
        self.allow_invalid = allow_invalid
        self.keep_personal_data = keep_personal_data
        self.profile = profile
        self.batch_size = batch_size
        #: checks across documents (part/whole cycles, levels) against the store and the run
        self.checks = checks
        self._checksums: dict[str, str] | None = None

    def ingest(
        self,
        inputs: Iterable[RdfDocument | DocumentError],
        on_progress: Callable[[int], None] | None = None,
    ) -> IngestSummary:
        summary = IngestSummary()
        done = 0
        for batch in _batches(inputs, self.batch_size):
            for outcome in self._ingest_batch(batch):
                summary.add(outcome)
            done += len(batch)
            if on_progress is not None:
                on_progress(done)
        return summary

    def _known_checksums(self) -> dict[str, str]:
        if self._checksums is None:
            rows = self.repository.public.select(
                f"SELECT ?g ?sum WHERE {{ GRAPH <{self.repository.metadata_graph}> {{ "
                f"?g <{SPDX}checksum>/<{SPDX}checksumValue> ?sum }} }}"
            )
            self._checksums = {str(r["g"]): str(r["sum"]) for r in rows}
        return self._checksums

    def _ingest_batch(self, batch: list[RdfDocument | DocumentError]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        known = self._known_checksums()
        pending: list[tuple[RdfDocument, str | None, str]] = []  # document, profile, graph
        for item in batch:
            if isinstance(item, DocumentError):
                outcomes.append(Outcome(item.source, "error", error=item.problem))
                continue
            profile = detect_profile(item.quads) if self.profile == "auto" else self.profile
            graph = graph_iri(
                self.repository.base_iri, self.source, document_identifier(item, profile)
            )
            if known.get(graph) == item.checksum:
                outcomes.append(Outcome(item.source, "unchanged", graph))
                continue
            pending.append((item, profile, graph))
        documents = [doc for doc, _, _ in pending]
        reports = self.validator.validate_documents(documents, profile=self.profile)
        fresh: list[bytes] = []
        fresh_metadata: list[str] = []
        replacing: list[str] = []
        protected: list[str] = []
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for (doc, _, graph), report in zip(pending, reports, strict=True):
            if report.error is not None:
                outcomes.append(Outcome(doc.source, "error", report=report, error=report.error))
                continue
            if self.checks is not None:
                replaced = [graph] if graph in known else []
                report.results.extend(self.checks.check(doc.quads, replacing=replaced))
                if closes_cycle(report):  # never stored, not even with allow_invalid
                    outcomes.append(Outcome(doc.source, "rejected", graph, report))
                    continue
            if not report.conforms and not self.allow_invalid:
                outcomes.append(Outcome(doc.source, "rejected", graph, report))
                continue
            if self.checks is not None:
                self.checks.accept(doc.quads)
            split = split_personal(
                doc.quads, salt=self.repository.salt, base_iri=self.repository.base_iri
            )
            keep = self.keep_personal_data and bool(split.personal)
            metadata = self._metadata(graph, doc, report, now, keep)
            if graph in known:  # a new version: replace graph and record in one transaction
                body = _ntriples(split.public)
                replacing += [
                    f"DROP SILENT GRAPH <{graph}>",
                    f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}}} }}",
                    *self._forget(graph),
                    self._insert_metadata(metadata),
                ]
            else:
                fresh.append(to_nquads(split.public, graph))
                fresh_metadata += metadata
            if self.repository.protected is not None:
                protected.append(f"DROP SILENT GRAPH <{graph}>")
                if keep:
                    protected.append(
                        f"INSERT DATA {{ GRAPH <{graph}> {{\n{_ntriples(split.personal)}}} }}"
                    )
            known[graph] = doc.checksum
            outcomes.append(
                Outcome(
                    doc.source, "stored" if report.conforms else "stored-invalid", graph, report
                )
            )
        if protected and self.repository.protected is not None:
            self.repository.protected.update(" ;\n".join(protected))
        if fresh:
            # documents first (fast, flushed), then their records in one transaction: a document
            # without a record is incomplete and recover_incomplete() drops it
            self.repository.public.bulk_add(b"".join(fresh))
            meta = self.repository.metadata_graph
            records = "".join(f"{line[:-1]} <{meta}> .\n" for line in fresh_metadata)
            self.repository.public.load(records.encode("utf-8"), rdf_format="nquads")
        if replacing:
            self.repository.public.update(" ;\n".join(replacing))
        return outcomes

    def _forget(self, graph: str) -> list[str]:
        meta = self.repository.metadata_graph
        return [
            f"DELETE WHERE {{ GRAPH <{meta}> {{ <{graph}> ?p ?o }} }}",
            f"DELETE WHERE {{ GRAPH <{meta}> {{ <{graph}#checksum> ?p ?o }} }}",
        ]

    def _insert_metadata(self, lines: list[str]) -> str:
        return (
            f"INSERT DATA {{ GRAPH <{self.repository.metadata_graph}> {{\n"
            + "\n".join(lines)
            + "\n} }"
        )

    def _metadata(
        self, graph: str, doc: RdfDocument, report: DocumentReport, now: str, personal: bool
    ) -> list[str]:
        """The record of a stored document, as N-Triples lines."""
        checksum = f"{graph}#checksum"
        xsd = "http://www.w3.org/2001/XMLSchema#"
        lines = [
            f"<{graph}> <{RDF}type> <{DCAT}CatalogRecord> .",
            f"<{graph}> <{RDF}type> <{PROV}Entity> .",
            f"<{graph}> <{DC}source> <{self.repository.base_iri}source/{self.source}> .",
            f"<{graph}> <{PROV}hadPrimarySource> <{_location(doc.source)}> .",
            f'<{graph}> <{PROV}generatedAtTime> "{now}"^^<{xsd}dateTime> .',
            f"<{graph}> <{DC}format> {_literal(_MEDIA_TYPES.get(doc.format, doc.format))} .",
            f"<{graph}> <{SPDX}checksum> <{checksum}> .",
            f"<{checksum}> <{SPDX}algorithm> <{SPDX}checksumAlgorithm_sha256> .",
            f"<{checksum}> <{SPDX}checksumValue> {_literal(doc.checksum)} .",
            f"<{graph}> <{MCG}validatedAgainst> <{MCG}{report.profile}> .",
            f'<{graph}> <{MCG}conforms> "{str(report.conforms).lower()}"^^<{xsd}boolean> .',
            f'<{graph}> <{MCG}hasProtectedData> "{str(personal).lower()}"^^<{xsd}boolean> .',
        ]
        identifier = document_identifier(doc, report.profile)
        if identifier != doc.source:
            lines.append(f"<{graph}> <{FOAF}primaryTopic> <{identifier}> .")
        if doc.mapping:
            lines.append(f"<{graph}> <{MCG}mapping> {_literal(doc.mapping)} .")
        for element in sorted(e for e in report.elements("violation") if e):
            lines.append(f"<{graph}> <{MCG}violates> <{MCG}{element}> .")
        return lines


def _ntriples(quads: list[ox.Quad]) -> str:
    scratch = "urn:mcgraph:scratch"
    return to_nquads(quads, scratch).replace(f" <{scratch}> .\n".encode(), b" .\n").decode("utf-8")


def _batches(
    items: Iterable[RdfDocument | DocumentError], size: int
) -> Iterator[list[RdfDocument | DocumentError]]:
    batch: list[RdfDocument | DocumentError] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def recover_incomplete(repository: Repository) -> int:
    """Drop document graphs that have no metadata record (a load killed mid-batch); returns
    how many. Run whenever a store is opened for writing. Only graphs named as documents are
    (``graph_iri``): graphs written through SPARQL Update or the Graph Store Protocol stay."""
    meta = repository.metadata_graph
    documents = f"{repository.base_iri}graph/"
    records = {
        str(r["g"])
        for r in repository.public.select(
            f"SELECT ?g WHERE {{ GRAPH <{meta}> {{ ?g a <{DCAT}CatalogRecord> }} }}"
        )
    }
    orphans = [
        g
        for g in repository.public.graphs()
        if g.startswith(documents) and g != meta and g not in records
    ]
    if orphans:
        repository.public.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in orphans))
    if repository.protected is not None:
        stale = [g for g in repository.protected.graphs() if g not in records]
        if stale:
            repository.protected.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in stale))
    return len(orphans)


def delete_documents(repository: Repository, graphs: Iterable[str]) -> int:
    """Remove documents (their graph, personal data and metadata) in one atomic update."""
    ops: list[str] = []
    meta = repository.metadata_graph
    count = 0
    for graph in graphs:
        count += 1
        ops += [
            f"DROP SILENT GRAPH <{graph}>",
            f"DELETE WHERE {{ GRAPH <{meta}> {{ <{graph}> ?p ?o }} }}",
            f"DELETE WHERE {{ GRAPH <{meta}> {{ <{graph}#checksum> ?p ?o }} }}",
        ]
    if repository.protected is not None and count:
        repository.protected.update(" ;\n".join(op for op in ops if op.startswith("DROP")))
    if ops:
        repository.public.update(" ;\n".join(ops))
    return count
