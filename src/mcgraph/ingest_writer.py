"""The writing side of ingestion: a batch and its metadata records, the worker thread that
writes batches while the next is prepared, and the repairs and removals that keep every stored
document whole with its record.

Why a thread: writing is Oxigraph's work (a bulk load, then a transaction), done with the GIL
released, while preparing a batch (validation, splitting personal data, serialising) is Python's;
the two overlap on separate cores. Why only one batch in flight: memory stays bounded, and the
order that makes a killed load recoverable holds batch after batch — a batch's graphs are
durable before its metadata records are written, and the next batch starts after both.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from mcgraph.feed import tombstone_update
from mcgraph.repository import Repository
from mcgraph.vocab import DC, DCAT, FOAF, MCG, PROV, RDF, SPDX, XSD

#: Documents per atomic batch when the caller does not say (`mcgraph load --batch-size`):
#: each batch costs a bulk load whose price grows with the store, so fewer, larger ones.
DEFAULT_BATCH_SIZE = 1000
_MEDIA_TYPES = {
    "jsonld": "application/ld+json",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "rdfxml": "application/rdf+xml",
    "csv": "text/csv",
}


@dataclass
class Batch:
    """What one atomic batch writes, gathered chunk by chunk."""

    #: documents in the batch (new graphs and new versions)
    size: int = 0
    #: new documents' graphs, as N-Quads (durations protected: see ``protect_durations``)
    graphs: list[bytes] = field(default_factory=list)
    #: their metadata records, as N-Quads lines in the metadata graph
    records: list[str] = field(default_factory=list)
    #: SPARQL updates replacing stored documents with new versions, records included
    replacing: list[str] = field(default_factory=list)
    #: SPARQL updates of the protected store (personal data)
    protected: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Record:
    """What the metadata graph says of a stored document."""

    graph: str
    source: str  # the input, as named (a path, a URL, a path#graph=...)
    source_name: str  # the source it was loaded as (`--source`)
    format: str
    checksum: str
    profile: str | None
    conforms: bool
    personal: bool  # personal data kept in the protected store
    identifier: str
    mapping: str | None
    violations: tuple[str | None, ...]

    def lines(self, base_iri: str, now: str) -> list[str]:
        """The record as N-Triples lines (DCAT, PROV-O, SPDX)."""
        graph, checksum = self.graph, f"{self.graph}#checksum"
        lines = [
            f"<{graph}> <{RDF}type> <{DCAT}CatalogRecord> .",
            f"<{graph}> <{RDF}type> <{PROV}Entity> .",
            f"<{graph}> <{DC}source> <{base_iri}source/{self.source_name}> .",
            f"<{graph}> <{PROV}hadPrimarySource> <{_location(self.source)}> .",
            f'<{graph}> <{PROV}generatedAtTime> "{now}"^^<{XSD}dateTime> .',
            f"<{graph}> <{DC}format> {_literal(_MEDIA_TYPES.get(self.format, self.format))} .",
            f"<{graph}> <{SPDX}checksum> <{checksum}> .",
            f"<{checksum}> <{SPDX}algorithm> <{SPDX}checksumAlgorithm_sha256> .",
            f"<{checksum}> <{SPDX}checksumValue> {_literal(self.checksum)} .",
            f"<{graph}> <{MCG}validatedAgainst> <{MCG}{self.profile}> .",
            f'<{graph}> <{MCG}conforms> "{str(self.conforms).lower()}"^^<{XSD}boolean> .',
            f'<{graph}> <{MCG}hasProtectedData> "{str(self.personal).lower()}"^^<{XSD}boolean> .',
        ]
        if self.identifier != self.source:
            lines.append(f"<{graph}> <{FOAF}primaryTopic> <{self.identifier}> .")
        if self.mapping:
            lines.append(f"<{graph}> <{MCG}mapping> {_literal(self.mapping)} .")
        for element in sorted(e for e in self.violations if e):
            lines.append(f"<{graph}> <{MCG}violates> <{MCG}{element}> .")
        return lines


class StoredChecksums:
    """The checksum each document graph is stored with. Asked of the store document by
    document (an index lookup), so memory stays flat however large the store; graphs staged
    in this run are remembered only until their batch is written."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository
        self._preparing: dict[str, str] = {}  # staged in the batch being prepared
        self._writing: dict[str, str] = {}  # staged in the batch being written

    def stored(self, graph: str) -> str | None:
        """The checksum of the version stored (or about to be), None for a new document."""
        for staged in (self._preparing, self._writing):
            if graph in staged:
                return staged[graph]
        # a record names its checksum node {graph}#checksum (Record.lines): one lookup
        found = self.repository.public.values(
            f"{graph}#checksum", SPDX + "checksumValue", graph=self.repository.metadata_graph
        )
        return found[0] if found else None

    def staged(self, graph: str, checksum: str) -> None:
        self._preparing[graph] = checksum

    def submitted(self) -> None:
        """The batch being prepared went to the writer, once the one before was written."""
        self._writing, self._preparing = self._preparing, {}


def forget_record(metadata_graph: str, graph: str) -> list[str]:
    """SPARQL updates removing a document's record."""
    return [
        f"DELETE WHERE {{ GRAPH <{metadata_graph}> {{ <{graph}> ?p ?o }} }}",
        f"DELETE WHERE {{ GRAPH <{metadata_graph}> {{ <{graph}#checksum> ?p ?o }} }}",
    ]


def _literal(text: str) -> str:
    return (
        '"'
        + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        + '"'
    )


def _location(source: str) -> str:
    if re.match(r"^[a-z][a-z0-9+.-]*:", source):
        return source
    path, _, fragment = source.partition("#")
    uri = _file_uri(path)
    return f"{uri}#{fragment}" if fragment else uri


@functools.lru_cache(maxsize=256)
def _file_uri(path: str) -> str:
    """Resolving a path asks the file system: the graphs of one N-Quads file share it."""
    return Path(path).resolve().as_uri()


def write_batch(repository: Repository, batch: Batch) -> None:
    """Personal data first, then the new graphs (bulk-loaded), then their records in one
    transaction, then the new versions (one transaction each batch). A graph without a record
    is an unfinished batch: ``recover_incomplete`` drops it, and its personal data."""
    if batch.protected and repository.protected is not None:
        repository.protected.update(" ;\n".join(batch.protected))
    if batch.graphs:
        graphs = b"".join(batch.graphs)
        batch.graphs.clear()  # one copy of the batch in memory, not two
        repository.public.bulk_add(graphs, durations_protected=True, lenient=True)
        repository.public.load("".join(batch.records).encode("utf-8"), rdf_format="nquads")
    if batch.replacing:
        repository.public.update(" ;\n".join(batch.replacing))


class BatchWriter:
    """Writes batches one at a time, in order, in a worker thread. ``submit`` returns once the
    batch before has been written (raising its error, if any), so one batch is written while
    the caller prepares the next. Leaving the ``with`` block waits for the last one."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mcgraph-writer")
        self._pending: Future[None] | None = None

    def submit(self, batch: Batch) -> None:
        self.wait()
        if batch.size:
            self._pending = self._pool.submit(write_batch, self.repository, batch)

    def wait(self) -> None:
        """Until the batch in flight is written; its error, if it failed, is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # the batch in flight is always finished (the store is not closed under a writer);
        # when the caller is already failing, that error is the one reported
        try:
            if error is None:
                self.wait()
            else:
                with contextlib.suppress(Exception):
                    self.wait()
        finally:
            self._pool.shutdown(wait=True)


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
    """Remove documents (their graph, personal data and metadata) in one atomic update that
    also leaves a tombstone per document for the change feed (written first: it reads the
    record that the update then removes)."""
    meta = repository.metadata_graph
    doomed = list(graphs)
    ops: list[str] = [tombstone_update(meta, doomed)] if doomed else []
    count = 0
    for graph in doomed:
        count += 1
        ops += [f"DROP SILENT GRAPH <{graph}>", *forget_record(meta, graph)]
    if repository.protected is not None and count:
        drops = [f"DROP SILENT GRAPH <{graph}>" for graph in doomed]
        repository.protected.update(" ;\n".join(drops))
    if ops:
        repository.public.update(" ;\n".join(ops))
    return count
