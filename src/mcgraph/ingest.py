"""Validated ingestion: read → map to ELM → validate (Annex I) → commit.

Each document lives in its own named graph, derived from its source and its identifier (the
credential's or specification's IRI); the metadata graph records where it came from, when, its
checksum, format, mapping, the profile it was validated against and the outcome (DCAT, PROV-O,
SPDX). A rejected document writes nothing. An unchanged document (same checksum from the same
source) is skipped.

Documents are written in batches of ``batch_size``: the batch's new graphs are bulk-loaded
(fast, not transactional), then their metadata records go in one transaction. A
load killed in between leaves graphs without a record, which :func:`recover_incomplete` drops
when the store is next opened for writing, so every stored document is whole with its record.

For throughput, documents are read, validated and split in chunks (memory stays bounded
whatever the batch size), a :class:`~mcgraph.ingest_writer.BatchWriter` thread writes one
batch while the next is prepared (Oxigraph releases the GIL while it writes), and a document
is handled as its N-Triples statements wherever it can be: pyoxigraph builds a new Python
object on every access to a quad's term, which made those accesses most of the Python time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice

import pyoxigraph as ox

from mcgraph.documents import RdfDocument
from mcgraph.elements import profile_named
from mcgraph.errors import DocumentError, UsageError
from mcgraph.ingest_writer import (
    DEFAULT_BATCH_SIZE,
    Batch,
    BatchWriter,
    Record,
    StoredChecksums,
    delete_documents,
    forget_record,
    recover_incomplete,
)
from mcgraph.level_checks import LevelChecks, closes_cycle
from mcgraph.pathways import HAS_PART, IS_PART_OF
from mcgraph.personal import split_personal, split_statements
from mcgraph.repository import Repository
from mcgraph.statements import Statements, statements_of
from mcgraph.store import protect_durations
from mcgraph.validation import DocumentReport, Validator, detect_profile
from mcgraph.vocab import ELM, RDF

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_BATCH_SIZE",
    "IngestSummary",
    "Ingestor",
    "Outcome",
    "delete_documents",
    "document_identifier",
    "graph_iri",
    "recover_incomplete",
]

_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_TYPE = ox.NamedNode(RDF + "type")
#: The predicates LevelChecks reads (part/whole, EQF and NQF levels): only statements with
#: them are handed to it, which spares it a pass over every quad of every document.
_CHECKED = frozenset(
    f"<{iri}>".encode()
    for iri in (IS_PART_OF.value, HAS_PART.value, ELM + "EQFLevel", ELM + "NQFLevel")
)
#: Documents read, validated and split together: bounds the memory held in parsed quads.
CHUNK_SIZE = 250


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


@dataclass
class _Candidate:
    """A document neither unreadable nor unchanged, on its way to validation."""

    doc: RdfDocument
    profile: str | None
    identifier: str
    graph: str
    statements: Statements | None
    previous: str | None  # the checksum of the stored (or staged) version


def level_check_quads(quads: Sequence[ox.Quad], statements: Statements | None) -> Sequence[ox.Quad]:
    """The quads :class:`~mcgraph.level_checks.LevelChecks` reads (statements line up with
    quads, one for one): the others cannot change what it finds."""
    if statements is None:
        return quads
    return [quads[i] for i, row in enumerate(statements.rows) if row[1] in _CHECKED]


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
        batch_size: int = DEFAULT_BATCH_SIZE,
        checks: LevelChecks | None = None,
    ) -> None:
        if not _SOURCE_NAME.match(source):
            raise UsageError(
                f"source name {source!r}: use lower-case letters, digits, '.', '-', '_'"
            )
        if keep_personal_data and repository.protected is None:
            raise UsageError("this repository was opened without a protected store")
        if batch_size < 1:
            raise UsageError("the batch size is at least 1 document")
        self.repository = repository
        self.validator = validator
        self.source = source
        self.allow_invalid = allow_invalid
        self.keep_personal_data = keep_personal_data
        self.profile = profile
        self.batch_size = batch_size
        #: checks across documents (part/whole cycles, levels) against the store and the run
        self.checks = checks
        self._checksums = StoredChecksums(repository)

    def ingest(
        self,
        inputs: Iterable[RdfDocument | DocumentError],
        on_progress: Callable[[int], None] | None = None,
    ) -> IngestSummary:
        """Read, validate and store ``inputs``; a batch is written while the next is prepared."""
        summary = IngestSummary()
        done = 0
        items = iter(inputs)
        batch = Batch()
        with _COLLECTIONS.fewer(), BatchWriter(self.repository) as writer:
            # a chunk never takes a batch past batch_size documents: a batch is the most a
            # killed load can leave without records
            while chunk := list(islice(items, min(CHUNK_SIZE, self.batch_size - batch.size))):
                rest = chunk
                while rest:
                    outcomes, rest = self._ingest_chunk(rest, batch)
                    for outcome in outcomes:
                        summary.add(outcome)
                if batch.size >= self.batch_size:
                    writer.submit(batch)
                    self._checksums.submitted()
                    batch = Batch()
                done += len(chunk)
                if on_progress is not None:
                    on_progress(done)
            writer.submit(batch)
        return summary

    def _ingest_chunk(
        self, chunk: list[RdfDocument | DocumentError], batch: Batch
    ) -> tuple[list[Outcome], list[RdfDocument | DocumentError]]:
        """Outcomes of a chunk of documents; what is to be stored goes into ``batch``. A
        document named like one before it in the chunk ends the chunk there: the rest is
        returned, to be compared with what this part stages."""
        outcomes: list[Outcome] = []
        known = self._checksums
        candidates: list[_Candidate] = []
        graphs: set[str] = set()
        for position, item in enumerate(chunk):
            if isinstance(item, DocumentError):
                outcomes.append(Outcome(item.source, "error", error=item.problem))
                continue
            statements = Statements.of(item.quads)
            if statements is not None:
                profile, identifier = statements.identify(self.profile, item.source)
            else:
                profile = self._detect(item)
                identifier = document_identifier(item, profile)
            graph = graph_iri(self.repository.base_iri, self.source, identifier)
            if graph in graphs:
                rest = chunk[position:]
                break
            graphs.add(graph)
            previous = known.stored(graph)
            if previous == item.checksum:
                outcomes.append(Outcome(item.source, "unchanged", graph))
                continue
            candidates.append(_Candidate(item, profile, identifier, graph, statements, previous))
        else:
            rest = []
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for candidate, report in zip(candidates, self._validate(candidates), strict=True):
            doc, graph = candidate.doc, candidate.graph
            replaces = candidate.previous is not None  # a version is stored, or staged
            if report.error is not None:
                outcomes.append(Outcome(doc.source, "error", report=report, error=report.error))
                continue
            if self.checks is not None:
                replaced = [graph] if replaces else []
                checked = level_check_quads(doc.quads, candidate.statements)
                report.results.extend(self.checks.check(checked, replacing=replaced))
                if closes_cycle(report):  # never stored, not even with allow_invalid
                    outcomes.append(Outcome(doc.source, "rejected", graph, report))
                    continue
            if not report.conforms and not self.allow_invalid:
                outcomes.append(Outcome(doc.source, "rejected", graph, report))
                continue
            if self.checks is not None:
                self.checks.accept(checked)
            # validated and accepted: from here on the document is written
            self._stage(candidate, report, now, replaces, batch)
            known.staged(graph, doc.checksum)
            status = "stored" if report.conforms else "stored-invalid"
            outcomes.append(Outcome(doc.source, status, graph, report))
        return outcomes, rest

    def _detect(self, doc: RdfDocument) -> str | None:
        return detect_profile(doc.quads) if self.profile == "auto" else self.profile

    def _validate(self, candidates: Sequence[_Candidate]) -> list[DocumentReport]:
        """Reports in order. Documents are validated against the profile already detected,
        in one batch per profile, so the validator does not detect it again."""
        if self.profile != "auto":
            return self.validator.validate_documents(
                [c.doc for c in candidates], profile=self.profile
            )
        groups: dict[str | None, list[int]] = {}
        for index, candidate in enumerate(candidates):
            groups.setdefault(candidate.profile, []).append(index)
        reports: dict[int, DocumentReport] = {}
        for profile, indices in groups.items():
            documents = [candidates[i].doc for i in indices]
            found = self.validator.validate_documents(documents, profile=profile or "auto")
            reports.update(zip(indices, found, strict=True))
        return [reports[i] for i in range(len(candidates))]

    def _stage(
        self, candidate: _Candidate, report: DocumentReport, now: str, replaces: bool, batch: Batch
    ) -> None:
        """Add a validated document to the batch: its public graph (learners keyed), its
        metadata record, and its personal data for the protected store if kept."""
        doc, graph = candidate.doc, candidate.graph
        salt, base = self.repository.salt, self.repository.base_iri
        text = candidate.statements
        split = (
            None
            if text is None
            else split_statements(text.lines, text.rows, salt=salt, base_iri=base)
        )
        if split is not None:
            public, personal = split.public, split.personal
        else:  # the quads' own split, serialised
            by_quads = split_personal(doc.quads, salt=salt, base_iri=base)
            public, personal = statements_of(by_quads.public), statements_of(by_quads.personal)
        keep = self.keep_personal_data and bool(personal)
        record = Record(
            graph,
            doc.source,
            self.source,
            doc.format,
            doc.checksum,
            report.profile,
            report.conforms,
            keep,
            candidate.identifier,
            doc.mapping,
            tuple(report.elements("violation")),
        )
        lines = record.lines(self.repository.base_iri, now)
        meta = self.repository.metadata_graph
        if replaces:  # a new version: replace graph and record in one transaction
            batch.replacing += [
                f"DROP SILENT GRAPH <{graph}>",
                f"INSERT DATA {{ GRAPH <{graph}> {{\n{_ntriples(public)}}} }}",
                *forget_record(meta, graph),
                f"INSERT DATA {{ GRAPH <{meta}> {{\n" + "\n".join(lines) + "\n} }",
            ]
        else:
            ending = f" <{graph}> .\n".encode()
            batch.graphs.append(protect_durations(ending.join(public) + ending) if public else b"")
            batch.records += [f"{line[:-1]} <{meta}> .\n" for line in lines]
        if self.repository.protected is not None:
            batch.protected.append(f"DROP SILENT GRAPH <{graph}>")
            if keep:
                batch.protected.append(
                    f"INSERT DATA {{ GRAPH <{graph}> {{\n{_ntriples(personal)}}} }}"
                )
        batch.size += 1


class _Collections:
    """Python's cycle collector runs every 700 allocations and walks the young objects each
    time; a load allocates millions of short-lived, cycle-free ones (statements, rows,
    quads), which made that a tenth of its time. While loads run, it runs less often."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loads = 0
        self._thresholds = gc.get_threshold()

    @contextlib.contextmanager
    def fewer(self) -> Iterator[None]:
        with self._lock:
            if self._loads == 0:
                self._thresholds = gc.get_threshold()
                first, second, third = self._thresholds
                gc.set_threshold(max(first, 100_000), second, third)
            self._loads += 1
        try:
            yield
        finally:
            with self._lock:
                self._loads -= 1
                if self._loads == 0:
                    gc.set_threshold(*self._thresholds)


_COLLECTIONS = _Collections()


def _ntriples(lines: list[bytes]) -> str:
    """Statements for an INSERT DATA, durations protected as a bulk load's are."""
    return protect_durations(b"".join(line + b" .\n" for line in lines)).decode("utf-8")
