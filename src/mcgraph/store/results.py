"""One SPARQL query run on an open store (:func:`execute`, what a query worker does), its
results written by pyoxigraph's own writers (JSON, XML, CSV, TSV) and counted while they are
written, so that a result over the row limit stops as soon as it passes it: nothing more is
evaluated or held. (A Python writer cost ~5 µs a term; these, ~0.1 µs.)

The writers call ``write`` with chunks of about 8 KB. Each format marks its rows in a way that
escaped text cannot imitate, so the rows are counted on the chunks without parsing them:

- TSV: one line a row (newlines in terms are escaped);
- XML: one ``<result>`` a row (``<`` in text is escaped);
- CSV: one line a row, outside quoted values (quotes in values are doubled, so parity decides);
- JSON (compact): rows after the first begin ``},{"name`` — a ``"`` there cannot close a string,
  since a closed string is followed by ``:``, ``,``, ``}`` or ``]`` and a variable name is not.
  That misses rows with no binding (``{}``); when the text holds ``{}`` at all, the finished
  result is parsed again to count them.

Durations stored in their lexical form (``mcg:lexicalDuration``) are written as ``xsd:duration``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import IO, Any, cast

import pyoxigraph as ox

from mcgraph.errors import McgraphError, UsageError
from mcgraph.store.embedded import RDF_FORMATS, RESULT_FORMATS, Iri, Term, restore_durations


class ResultTooLargeError(McgraphError):
    """The query's result has more rows (or triples, or bytes) than the limit."""


_JSON_ROW = re.compile(rb'\},\{"[^:,}\]]')


class _RowSink:
    """A binary sink for a pyoxigraph results writer: keeps the chunks, counts the rows, and
    stops the writer (by raising) once the rows or bytes pass their limits."""

    def __init__(self, fmt: str, max_rows: int, max_bytes: int) -> None:
        self.fmt, self.max_rows, self.max_bytes = fmt, max_rows, max_bytes
        self.chunks: list[bytes] = []
        self.size = 0
        #: rows seen so far (a lower bound for JSON; see the module docstring); CSV and TSV
        #: count lines, the first of which is the header
        self.rows = -1 if fmt in ("csv", "tsv") else 0
        self._tail = b""  # end of the previous chunk, for marks split between chunks
        self._quoted = False  # CSV: inside a quoted value at the end of the previous chunk

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.size += len(chunk)
        self.rows += self._count(chunk)
        if self.rows > self.max_rows:
            raise ResultTooLargeError(f"the result has more than {self.max_rows} rows: add a LIMIT")
        if self.size > self.max_bytes:
            raise ResultTooLargeError(
                f"the result is larger than {self.max_bytes // 2**20} MB: add a LIMIT"
            )
        return len(chunk)

    def flush(self) -> None:
        """Writers may flush; everything is already kept."""

    def _count(self, chunk: bytes) -> int:
        if self.fmt == "tsv":
            return chunk.count(b"\n")
        if self.fmt == "csv":
            return self._csv_lines(chunk)
        # a mark split between chunks is found in the window; the kept tail is one byte
        # shorter than a mark, so no mark is counted twice
        window = self._tail + chunk
        if self.fmt == "xml":
            self._tail = window[-7:]
            return window.count(b"<result>")
        self._tail = window[-4:]
        return len(_JSON_ROW.findall(window))

    def _csv_lines(self, chunk: bytes) -> int:
        lines = 0
        for index, part in enumerate(chunk.split(b'"')):
            if index:
                self._quoted = not self._quoted
            if not self._quoted:
                lines += part.count(b"\n")
        return lines

    def total(self, body: bytes) -> int:
        """The exact number of rows in the finished ``body``."""
        if self.fmt != "json":
            return self.rows
        if b"{}" in body:  # maybe rows without bindings, which the marks miss: parse
            parsed = ox.parse_query_results(body, format=RESULT_FORMATS["json"])
            return sum(1 for _ in cast(ox.QuerySolutions, parsed))
        return self.rows + (0 if body.endswith(b"[]}}") else 1)


def write_solutions(
    solutions: ox.QuerySolutions, fmt: str, *, max_rows: int, max_bytes: int
) -> tuple[bytes, int]:
    """SELECT results in ``fmt`` (json, xml, csv, tsv) and their row count; past ``max_rows``
    rows or ``max_bytes`` bytes, :class:`ResultTooLargeError` (the query stops there)."""
    if fmt not in RESULT_FORMATS:
        raise ValueError(f"unknown results format {fmt}")
    sink = _RowSink(fmt, max_rows, max_bytes)
    solutions.serialize(cast(IO[bytes], sink), format=RESULT_FORMATS[fmt])
    body = b"".join(sink.chunks)
    rows = sink.total(body)
    if rows > max_rows:
        raise ResultTooLargeError(f"the result has more than {max_rows} rows: add a LIMIT")
    return restore_durations(body), rows


def write_boolean(answer: ox.QueryBoolean, fmt: str) -> bytes:
    """ASK results; CSV and TSV carry the bare word."""
    if fmt not in RESULT_FORMATS:
        raise ValueError(f"unknown results format {fmt}")
    return bytes(answer.serialize(format=RESULT_FORMATS[fmt]) or b"")


@dataclass(frozen=True)
class QueryJob:
    query: str
    result_format: str = "json"
    rdf_format: str = "turtle"
    #: None: the union of all graphs; else these graph IRIs ("" is the real default graph)
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    bindings: dict[str, Term] = field(default_factory=dict)
    base_iri: str | None = None


@dataclass(frozen=True)
class QueryAnswer:
    kind: str  # boolean | solutions | graph
    body: bytes
    count: int


def _graph(name: str) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if name == "" else ox.NamedNode(name)


def _term(term: Term) -> ox.NamedNode | ox.Literal:
    if isinstance(term, Iri):
        return ox.NamedNode(term.value)
    if term.language:
        return ox.Literal(term.value, language=term.language)
    return (
        ox.Literal(term.value, datatype=ox.NamedNode(term.datatype))
        if term.datatype
        else ox.Literal(term.value)
    )


def execute(store: ox.Store, job: QueryJob, max_rows: int, max_bytes: int = 2**62) -> QueryAnswer:
    """Run one query against an open store, stopping it past ``max_rows`` or ``max_bytes``."""
    kwargs: dict[str, Any] = {"base_iri": job.base_iri}
    if job.default_graphs is None:
        kwargs["use_default_graph_as_union"] = True
    else:
        kwargs["default_graph"] = [_graph(g) for g in job.default_graphs]
    if job.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    if job.bindings:
        kwargs["substitutions"] = {ox.Variable(k): _term(v) for k, v in job.bindings.items()}
    try:
        answer = store.query(job.query, **kwargs)
    except SyntaxError as error:
        raise UsageError(f"invalid SPARQL query: {error}") from None
    except RuntimeError as error:
        raise UsageError(f"the query cannot be run: {error}") from None
    if isinstance(answer, ox.QueryBoolean):
        return QueryAnswer("boolean", write_boolean(answer, job.result_format), 1)
    try:  # the query is evaluated while its answer is written
        if isinstance(answer, ox.QuerySolutions):
            body, rows = write_solutions(
                answer, job.result_format, max_rows=max_rows, max_bytes=max_bytes
            )
            return QueryAnswer("solutions", body, rows)
        triples = list(itertools.islice(answer, max_rows + 1))
    except RuntimeError as error:
        raise UsageError(f"the query cannot be run: {error}") from None
    if len(triples) > max_rows:
        raise ResultTooLargeError(f"the result has more than {max_rows} triples: add a LIMIT")
    data = bytes(ox.serialize(triples, format=RDF_FORMATS[job.rdf_format]) or b"")
    if len(data) > max_bytes:
        raise ResultTooLargeError(f"the result is larger than {max_bytes // 2**20} MB")
    return QueryAnswer("graph", restore_durations(data), len(triples))
