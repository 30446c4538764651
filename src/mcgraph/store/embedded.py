"""The graph store: the only module that opens a pyoxigraph ``Store``.

Its interface speaks plain Python — IRIs and literals as small records, RDF as N-Triples or
N-Quads bytes, results as serialised bytes or rows of strings — so that a backend for an
external SPARQL 1.1 store (Oxigraph server, Virtuoso, Fuseki, ...) can implement the same
``GraphStore`` protocol. Writes are SPARQL updates, which Oxigraph applies atomically: readers
see the graph before or after a write, never half of it, and a killed process leaves neither.

Oxigraph keeps typed literals by value: ``"PT60H"^^xsd:duration`` would come back as
``"P2DT12H"``. ELM durations are meant to keep their lexical form (PT60H is 60 hours of
workload), so on the way in a duration whose lexical form is not Oxigraph's canonical one is
stored with the datatype ``mcg:lexicalDuration`` and turned back into ``xsd:duration`` with its
original lexical form on the way out (exports and CONSTRUCT results).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import pyoxigraph as ox

from mcgraph.errors import McgraphError, UsageError
from mcgraph.vocab import MCG, XSD

#: Formats for RDF output, by the names the CLI and API use.
RDF_FORMATS = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_DURATION = XSD + "duration"
LEXICAL_DURATION = MCG + "lexicalDuration"
#: How a duration literal ends in N-Triples/N-Quads, and how a protected one ends instead.
_DURATION_END = b'"^^<' + _DURATION.encode() + b">"
_LEXICAL_END = b'"^^<' + LEXICAL_DURATION.encode() + b">"


class StoreError(McgraphError):
    """The store cannot do what was asked (bad query, unreadable data, I/O)."""


@dataclass(frozen=True)
class Iri:
    value: str


@dataclass(frozen=True)
class Lit:
    value: str
    datatype: str | None = None
    language: str | None = None


Term = Iri | Lit


class GraphStore(Protocol):
    """What the rest of mcgraph needs from a store (embedded or a remote SPARQL endpoint)."""

    def update(self, sparql: str) -> None: ...
    def select(
        self, sparql: str, *, bindings: Mapping[str, Term] | None = None
    ) -> list[dict[str, str | None]]: ...
    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        result_format: str = "json",
        rdf_format: str = "turtle",
    ) -> bytes: ...
    def dump(
        self, out: BinaryIO, *, rdf_format: str = "nquads", graph: str | None = None
    ) -> None: ...
    def graphs(self) -> list[str]: ...
    def backup(self, target: Path) -> None: ...
    def close(self) -> None: ...


def _to_ox(term: Term) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
    if isinstance(term, Iri):
        return ox.NamedNode(term.value)
    if term.language:
        return ox.Literal(term.value, language=term.language)
    if term.datatype:
        return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype))
    return ox.Literal(term.value)


def _text(term: object) -> str | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term)


@functools.lru_cache(maxsize=4096)
def _is_canonical_duration(lexical: bytes) -> bool:
    literal = ox.Literal(lexical.decode(), datatype=ox.NamedNode(_DURATION))
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:x"), literal))
    stored = next(iter(store.quads_for_pattern(None, None, None))).object
    return isinstance(stored, ox.Literal) and stored.value == lexical.decode()


def protect_durations(ntriples: bytes) -> bytes:
    """Re-type non-canonical xsd:duration literals so Oxigraph keeps their lexical form.

    Split at each ``"^^<xsd:duration>`` ending: the lexical form is what follows the last
    quote before it (with no backslash in it, else it is no plain duration and stays as is).
    No regular expression scans the whole text: this runs on every batch that is written."""
    if _DURATION_END not in ntriples:
        return ntriples
    pieces = ntriples.split(_DURATION_END)
    out: list[bytes] = []
    for piece in pieces[:-1]:
        _, quote, lexical = piece.rpartition(b'"')
        protect = quote and b"\\" not in lexical and not _is_canonical_duration(lexical)
        out.append(piece)
        out.append(_LEXICAL_END if protect else _DURATION_END)
    out.append(pieces[-1])
    return b"".join(out)


def restore_durations(data: bytes) -> bytes:
    """The inverse of :func:`protect_durations`, for any serialised output (RDF or results)."""
    return data.replace(LEXICAL_DURATION.encode(), _DURATION.encode())


class EmbeddedStore:
    """pyoxigraph on disk (or in memory when ``path`` is None). Queries see the union of all
    named graphs as their default graph."""

    def __init__(self, path: Path | None, *, read_only: bool = False) -> None:
        self.path = path
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(path))
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
                # a bulk load killed mid-way leaves its unfinished SST files (Oxigraph names them
                # bulk-*.sst) forever; now that we hold the store's lock, none is in use
                for stale in path.glob("bulk-*.sst"):
                    stale.unlink(missing_ok=True)
        except (OSError, RuntimeError) as error:
            # a process killed while RocksDB was creating the store leaves one that only a
            # writing open completes (read-only: "Column family not found", "CURRENT" missing)
            hint = " (if a load was killed as it created the store, `mcgraph load` completes it)"
            raise StoreError(
                f"cannot open the store at {path}: {error}{hint if read_only else ''}"
            ) from None

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Apply one SPARQL update atomically; relative IRIs in it resolve against ``base_iri``.

        An update that does not parse, or that SPARQL says fails (CREATE of a graph that
        exists, DROP of one that does not, without SILENT), is the caller's error."""
        try:
            self._store.update(sparql, base_iri=base_iri)
        except SyntaxError as error:
            raise UsageError(f"invalid SPARQL update: {error}") from None
        except RuntimeError as error:
            raise UsageError(f"the update cannot be applied: {error}") from None
        except OSError as error:
            raise StoreError(f"the store could not be written: {error}") from None

    def _run(self, sparql: str, bindings: Mapping[str, Term] | None) -> object:
        substitutions = {ox.Variable(k): _to_ox(v) for k, v in (bindings or {}).items()}
        try:
            return self._store.query(
                sparql, use_default_graph_as_union=True, substitutions=substitutions or None
            )
        except SyntaxError as error:
            raise UsageError(f"invalid SPARQL query: {error}") from None
        except (
            RuntimeError
        ) as error:  # e.g. a substitution for a variable the query does not project
            raise UsageError(f"the query cannot be run: {error}") from None
        except OSError as error:
            raise StoreError(f"the store could not be read: {error}") from None

    def select(
        self, sparql: str, *, bindings: Mapping[str, Term] | None = None
    ) -> list[dict[str, str | None]]:
        """Rows of a SELECT as {variable: value} (IRIs and literal values as text)."""
        solutions = self._run(sparql, bindings)
        if not isinstance(solutions, ox.QuerySolutions):
            raise UsageError("expected a SELECT query")
        names = [v.value for v in solutions.variables]
        return [{name: _text(row[name]) for name in names} for row in solutions]

    def ask(self, sparql: str, *, bindings: Mapping[str, Term] | None = None) -> bool:
        answer = self._run(sparql, bindings)
        if not isinstance(answer, ox.QueryBoolean):
            raise UsageError("expected an ASK query")
        return bool(answer)

    def query(
        self,
        sparql: str,
        *,
        bindings: Mapping[str, Term] | None = None,
        result_format: str = "json",
        rdf_format: str = "turtle",
    ) -> bytes:
        """Any query, serialised: SELECT/ASK as ``result_format``, CONSTRUCT as ``rdf_format``."""
        answer = self._run(sparql, bindings)
        if isinstance(answer, ox.QueryTriples):
            if rdf_format not in RDF_FORMATS:
                raise UsageError(f"unknown RDF format {rdf_format!r}")
            data = answer.serialize(format=RDF_FORMATS[rdf_format]) or b""
            return restore_durations(data)
        if result_format not in RESULT_FORMATS:
            raise UsageError(f"unknown result format {result_format!r}")
        data = answer.serialize(format=RESULT_FORMATS[result_format]) or b""  # type: ignore[attr-defined]
        return restore_durations(bytes(data))

    def dump(self, out: BinaryIO, *, rdf_format: str = "nquads", graph: str | None = None) -> None:
        """Write the whole store (or one graph) to ``out``, durations in their lexical form."""
        if rdf_format not in RDF_FORMATS:
            raise UsageError(f"unknown RDF format {rdf_format!r}")
        fmt = RDF_FORMATS[rdf_format]
        if graph is None and not fmt.supports_datasets:
            raise UsageError(
                f"{rdf_format} holds one graph: name one with --graph, or use nquads/trig"
            )
        if graph is not None and not self._store.contains_named_graph(ox.NamedNode(graph)):
            raise UsageError(f"no graph {graph} in the store")
        kwargs: dict[str, object] = {"format": fmt}
        if graph is not None:
            kwargs["from_graph"] = ox.NamedNode(graph)
        data = self._store.dump(**kwargs)  # type: ignore[arg-type]
        out.write(restore_durations(data or b""))

    def load(self, data: bytes, *, rdf_format: str, graph: str | None = None) -> None:
        """Add serialised RDF (N-Triples into ``graph``, or N-Quads) in one transaction."""
        kwargs: dict[str, object] = {"format": RDF_FORMATS[rdf_format]}
        if graph is not None:
            kwargs["to_graph"] = ox.NamedNode(graph)
        try:
            self._store.load(protect_durations(data), **kwargs)  # type: ignore[arg-type]
        except (SyntaxError, MemoryError) as error:
            raise StoreError(f"cannot load the data: {error}") from None

    def bulk_add(
        self, nquads: bytes, *, durations_protected: bool = False, lenient: bool = False
    ) -> None:
        """Add N-Quads fast, without a transaction. Callers make this safe: ingestion writes a
        document's metadata record only after this returns (the data is then in the store,
        in files RocksDB has ingested, whatever happens to the process), and drops graphs that
        have no record when it next opens the store.

        ``durations_protected``: :func:`protect_durations` already ran on the data (spares a
        copy of it). ``lenient``: the data is pyoxigraph's own serialisation of terms it has
        parsed, so IRIs and language tags are not checked again."""
        data = nquads if durations_protected else protect_durations(nquads)
        try:
            self._store.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=lenient)
        except (SyntaxError, MemoryError) as error:
            raise StoreError(f"cannot load the data: {error}") from None

    def bulk_load(self, path: Path, *, rdf_format: str) -> None:
        """Raw, non-transactional loading of a file (the baseline of the benchmarks)."""
        self._store.bulk_load(path=str(path), format=RDF_FORMATS[rdf_format])

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def has_graph(self, graph: str) -> bool:
        return bool(self._store.contains_named_graph(ox.NamedNode(graph)))

    def values(self, subject: str, predicate: str, *, graph: str) -> list[str]:
        """The objects of ``subject predicate ?o`` in ``graph``, as text (IRIs and literal
        values): an index lookup, for callers that ask it once per document."""
        found = self._store.quads_for_pattern(
            ox.NamedNode(subject), ox.NamedNode(predicate), None, ox.NamedNode(graph)
        )
        return [str(_text(quad.object)) for quad in found]

    def quads(self, graph: str | None = None) -> Iterator[str]:
        """Every quad as an N-Quads line (for comparing stores in tests and tools)."""
        target = None if graph is None else ox.NamedNode(graph)
        for quad in self._store.quads_for_pattern(None, None, None, target):
            yield f"{quad} ."

    def __len__(self) -> int:
        return len(self._store)

    def backup(self, target: Path) -> None:
        """A consistent on-disk copy (a new store directory) while the store stays open."""
        if self.path is None:
            raise UsageError("an in-memory store has no backup; dump it instead")
        if target.exists():
            raise UsageError(f"backup target {target} already exists")
        try:
            self._store.backup(str(target))
        except OSError as error:
            raise StoreError(f"backup to {target} failed: {error}") from None

    def flush(self) -> None:
        self._store.flush()

    def optimize(self) -> None:
        """Compact the store (RocksDB full compaction): after loads in many batches, scans read
        fewer files (queries ~20 % faster) and garbage goes (100k: 3.7 → 2.6 GB). Quick when
        nothing changed since the last time."""
        try:
            self._store.optimize()
        except OSError as error:
            raise StoreError(f"compacting the store failed: {error}") from None

    def close(self) -> None:
        """Release the store (the directory lock); the object is unusable afterwards."""
        del self._store
