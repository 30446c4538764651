"""What the store remembers of each harvested document, per source, in graph
``{base}harvest/{source}``: the URL it was fetched from, its HTTP validators (ETag,
Last-Modified), when it was fetched, the upstream's own version marker (a peer's checksum, a
SPARQL graph fingerprint), the checksum of what was stored and the graph it was stored in.

The state is written in one transaction after the documents: if a run dies in between, the
next run fetches those documents again and ingestion finds them unchanged by checksum.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from mcgraph.repository import Repository
from mcgraph.store import Iri
from mcgraph.vocab import MCG, PROV, RDF, SPDX, XSD

__all__ = ["Entry", "load_state", "save_state", "state_graph"]

_FIELDS = {
    f"{MCG}fetchedFrom": "url",
    f"{MCG}etag": "etag",
    f"{MCG}lastModified": "last_modified",
    f"{PROV}generatedAtTime": "fetched_at",
    f"{MCG}upstreamVersion": "upstream",
    f"{SPDX}checksumValue": "checksum",
    f"{MCG}storedIn": "graph",
}


@dataclass(frozen=True)
class Entry:
    """One harvested document as last fetched."""

    url: str
    graph: str
    checksum: str
    fetched_at: str
    etag: str | None = None
    last_modified: str | None = None
    upstream: str | None = None


def state_graph(repository: Repository, source: str) -> str:
    return f"{repository.base_iri}harvest/{source}"


def load_state(repository: Repository, source: str) -> dict[str, Entry]:
    """The state of ``source``: document URL → entry (empty before the first harvest)."""
    rows = repository.public.select(
        "SELECT ?e ?p ?v ?state WHERE { GRAPH ?state { ?e ?p ?v } }",
        bindings={"state": Iri(state_graph(repository, source))},
    )
    fields: dict[str, dict[str, str]] = {}
    for row in rows:
        name = _FIELDS.get(str(row["p"]))
        if name is not None:
            fields.setdefault(str(row["e"]).removesuffix("#checksum"), {})[name] = str(row["v"])
    entries: dict[str, Entry] = {}
    for values in fields.values():
        if {"url", "graph", "checksum", "fetched_at"} <= values.keys():
            entry = Entry(**values)
            entries[entry.url] = entry
    return entries


def save_state(repository: Repository, source: str, entries: Iterable[Entry]) -> None:
    """Replace the state of ``source`` with ``entries`` (one transaction)."""
    graph = state_graph(repository, source)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    lines = [f'<{graph}> <{PROV}endedAtTime> "{now}"^^<{XSD}dateTime> .']
    for entry in entries:
        node = f"{graph}/{hashlib.sha256(entry.url.encode()).hexdigest()[:32]}"
        lines += [
            f"<{node}> <{RDF}type> <{PROV}Entity> .",
            f"<{node}> <{MCG}fetchedFrom> {_literal(entry.url)}^^<{XSD}anyURI> .",
            f'<{node}> <{PROV}generatedAtTime> "{entry.fetched_at}"^^<{XSD}dateTime> .',
            f"<{node}> <{MCG}storedIn> <{entry.graph}> .",
            f"<{node}> <{SPDX}checksum> <{node}#checksum> .",
            f"<{node}#checksum> <{SPDX}algorithm> <{SPDX}checksumAlgorithm_sha256> .",
            f"<{node}#checksum> <{SPDX}checksumValue> {_literal(entry.checksum)} .",
        ]
        if entry.etag:
            lines.append(f"<{node}> <{MCG}etag> {_literal(entry.etag)} .")
        if entry.last_modified:
            lines.append(f"<{node}> <{MCG}lastModified> {_literal(entry.last_modified)} .")
        if entry.upstream:
            lines.append(f"<{node}> <{MCG}upstreamVersion> {_literal(entry.upstream)} .")
    body = "\n".join(lines)
    repository.public.update(
        f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}"
    )


def clear_state(repository: Repository, source: str) -> None:
    repository.public.update(f"DROP SILENT GRAPH <{state_graph(repository, source)}>")


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _literal(text: str) -> str:
    """A SPARQL/N-Triples string literal (ETags hold quotes; URLs may hold anything)."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'
