"""How each kind of source lists its documents and fetches one.

* ``mcgraph``: another mcgraph instance. Listed through its ``/sparql`` (the metadata records:
  graph and checksum of every document, paged); each document fetched as Turtle from
  ``/api/documents/{key}`` (conditional on its ETag). A document whose upstream checksum is
  the one recorded last time is not requested at all.
* ``sparql``: a SPARQL endpoint, one document per named graph. Graph names are listed in pages
  (LIMIT/OFFSET); each page's graphs get a fingerprint (the sorted SHA-1s of their triples,
  computed by the endpoint), so an unchanged graph is not transferred; a changed one is fetched
  with a CONSTRUCT, as N-Triples.
* ``jsonld``: a URL of one ELM JSON-LD document, or an index of them (a JSON list of URLs, or a
  JSON object whose ``@graph`` lists URLs or ``{"@id": URL}``); each fetched conditionally.
* ``dcat``: a DCAT / DCAT-AP catalogue (Turtle, N-Triples or JSON-LD); every distribution's
  downloadURL (else accessURL) is one document, fetched conditionally.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urljoin

import pyoxigraph as ox

from mcgraph.contexts import ContextResolver
from mcgraph.documents import MEDIA_TYPES, read_document
from mcgraph.errors import DocumentError
from mcgraph.harvest.http import Fetcher, FetchError, Response
from mcgraph.harvest.sources import Source
from mcgraph.harvest.state import Entry
from mcgraph.settings import Settings
from mcgraph.vocab import DCAT, MCG, SPDX

__all__ = ["Fetched", "Item", "Kind", "make_kind"]

_RESULTS = "application/sparql-results+json"
_RDF_ACCEPT = "text/turtle, application/n-triples;q=0.9, application/ld+json;q=0.8"
_PEER_LIST = f"""PREFIX spdx: <{SPDX}>
SELECT ?graph ?sum ?conforms WHERE {{
  ?graph a <{DCAT}CatalogRecord> ; spdx:checksum/spdx:checksumValue ?sum .
  OPTIONAL {{ ?graph <{MCG}conforms> ?conforms }}
}} ORDER BY ?graph LIMIT %d OFFSET %d"""
_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g LIMIT %d OFFSET %d"
_FINGERPRINTS = """SELECT ?g (GROUP_CONCAT(?h; separator=" ") AS ?hs) WHERE {
  VALUES ?g { %s }
  GRAPH ?g { ?s ?p ?o }
  BIND(SHA1(CONCAT(COALESCE(STR(?s), "_"), " ", STR(?p), " ", COALESCE(STR(?o), "_"), " ",
       COALESCE(LANG(?o), ""), " ", COALESCE(STR(DATATYPE(?o)), ""))) AS ?h)
} GROUP BY ?g"""
_CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH %s { ?s ?p ?o } }"
_DISTRIBUTIONS = f"""SELECT ?dist ?download ?access ?media WHERE {{
  ?dist a <{DCAT}Distribution> .
  OPTIONAL {{ ?dist <{DCAT}downloadURL> ?download }}
  OPTIONAL {{ ?dist <{DCAT}accessURL> ?access }}
  OPTIONAL {{ ?dist <{DCAT}mediaType> ?media }}
}} ORDER BY ?dist"""


@dataclass(frozen=True)
class Item:
    """One upstream document as listed: where it is fetched from (its key in the state, and the
    stored record's primary source) and the upstream's version marker when the listing has one."""

    url: str
    upstream: str | None = None
    #: the upstream itself validated the whole document and found it conforming (a peer)
    upstream_conforms: bool = False
    media: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A document's bytes as transferred, with what is needed to read and remember it."""

    item: Item
    data: bytes
    format: str | None
    etag: str | None
    last_modified: str | None


class Kind(Protocol):
    def list(self) -> list[Item]: ...

    def fetch(self, item: Item, previous: Entry | None) -> Fetched | None:
        """The document, or None when the source says it is not modified."""
        ...


def make_kind(
    source: Source, fetcher: Fetcher, settings: Settings, resolver: ContextResolver
) -> Kind:
    kinds: dict[str, type[PeerKind | SparqlKind | JsonLdKind | DcatKind]] = {
        "mcgraph": PeerKind,
        "sparql": SparqlKind,
        "jsonld": JsonLdKind,
        "dcat": DcatKind,
    }
    return kinds[source.kind](source, fetcher, settings, resolver)


class _Base:
    def __init__(
        self, source: Source, fetcher: Fetcher, settings: Settings, resolver: ContextResolver
    ) -> None:
        self.source = source
        self.fetcher = fetcher
        self.settings = settings
        self.resolver = resolver

    def conditional(self, item: Item, previous: Entry | None, accept: str) -> Fetched | None:
        etag = previous.etag if previous else None
        modified = previous.last_modified if previous else None
        answer = self.fetcher.get(item.url, accept=accept, etag=etag, last_modified=modified)
        if answer.not_modified:
            return None
        return _fetched(item, answer)

    def select(self, endpoint: str, query: str) -> list[dict[str, Any]]:
        answer = self.fetcher.post_form(endpoint, {"query": query}, accept=_RESULTS)
        try:
            rows = json.loads(answer.body)["results"]["bindings"]
        except (ValueError, KeyError, TypeError):
            raise FetchError(endpoint, "the SPARQL answer is not SPARQL JSON results") from None
        return [{k: v.get("value") for k, v in row.items()} for row in rows]


class PeerKind(_Base):
    """Another mcgraph instance."""

    def list(self) -> list[Item]:
        base = self.source.url.rstrip("/")
        items: list[Item] = []
        size = self.source.page_size
        offset = 0
        while True:
            rows = self.select(f"{base}/sparql", _PEER_LIST % (size, offset))
            for row in rows:
                key = base64.urlsafe_b64encode(row["graph"].encode()).rstrip(b"=").decode()
                items.append(
                    Item(
                        f"{base}/api/documents/{key}",
                        upstream=row["sum"],
                        upstream_conforms=row.get("conforms") == "true",
                    )
                )
            if len(rows) < size:
                return items
            offset += size

    def fetch(self, item: Item, previous: Entry | None) -> Fetched | None:
        return self.conditional(item, previous, "text/turtle")


class SparqlKind(_Base):
    """A SPARQL endpoint: one document per named graph."""

    def list(self) -> list[Item]:
        items: list[Item] = []
        size = self.source.page_size
        offset = 0
        while True:
            rows = self.select(self.source.url, _GRAPHS % (size, offset))
            graphs = [ox.NamedNode(row["g"]) for row in rows if row.get("g")]
            if graphs:
                values = " ".join(str(g) for g in graphs)
                prints = self.select(self.source.url, _FINGERPRINTS % values)
                by_graph = {row["g"]: _fingerprint(row.get("hs") or "") for row in prints}
                for graph in graphs:
                    url = f"{self.source.url}#graph={quote(graph.value, safe='')}"
                    items.append(Item(url, upstream=by_graph.get(graph.value)))
            if len(rows) < size:
                return items
            offset += size

    def fetch(self, item: Item, previous: Entry | None) -> Fetched | None:
        graph = ox.NamedNode(_graph_of(item.url))
        answer = self.fetcher.post_form(
            self.source.url, {"query": _CONSTRUCT % graph}, accept="application/n-triples"
        )
        # statements in a stable order, so the checksum says whether the graph changed
        lines = sorted(set(answer.body.splitlines(keepends=True)))
        data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
        return Fetched(item, data, "ntriples", None, None)


class JsonLdKind(_Base):
    """One ELM JSON-LD document, or an index of them."""

    _first: Fetched | None = None

    def list(self) -> list[Item]:
        answer = self.fetcher.get(self.source.url, accept="application/ld+json, application/json")
        try:
            body = json.loads(answer.body)
        except (ValueError, RecursionError):
            raise FetchError(self.source.url, "the index is not JSON") from None
        urls = _index_urls(body)
        if urls is None:  # the URL is a document itself: already transferred
            item = Item(self.source.url)
            self._first = _fetched(item, answer)
            return [item]
        return [Item(urljoin(answer.url, url)) for url in urls]

    def fetch(self, item: Item, previous: Entry | None) -> Fetched | None:
        if self._first is not None and self._first.item == item:
            if previous is not None and previous.etag and previous.etag == self._first.etag:
                return None
            return self._first
        return self.conditional(item, previous, "application/ld+json, application/json")


class DcatKind(_Base):
    """A DCAT catalogue: each distribution is one document."""

    def list(self) -> list[Item]:
        answer = self.fetcher.get(self.source.url, accept=_RDF_ACCEPT)
        fmt = _format(answer.content_type) or None
        try:
            doc = read_document(
                answer.body,
                source=self.source.url,
                format=fmt,
                settings=self.settings,
                resolver=self.resolver,
            )
        except DocumentError as error:
            problem = f"the catalogue cannot be read: {error.problem}"
            raise FetchError(self.source.url, problem) from None
        store = ox.Store()
        store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in doc.quads)
        items: list[Item] = []
        for row in store.query(_DISTRIBUTIONS):  # type: ignore[union-attr]
            target = row["download"] or row["access"]
            if isinstance(target, ox.NamedNode):
                media = row["media"].value if row["media"] is not None else None
                items.append(Item(target.value, media=media))
        return list(dict.fromkeys(items))

    def fetch(self, item: Item, previous: Entry | None) -> Fetched | None:
        return self.conditional(item, previous, _RDF_ACCEPT)


def _fetched(item: Item, answer: Response) -> Fetched:
    fmt = _format(answer.content_type) or (_format(item.media) if item.media else None)
    return Fetched(item, answer.body, fmt, answer.etag, answer.last_modified)


def _format(media: str | None) -> str | None:
    if not media:
        return None
    bare = media.split(";")[0].strip().lower().rsplit("/media-types/", 1)[-1]
    return MEDIA_TYPES.get(bare)


def _fingerprint(hashes: str) -> str:
    """The same for the same set of triples, whatever order the endpoint concatenated them."""
    return hashlib.sha256(" ".join(sorted(hashes.split())).encode()).hexdigest()


def _graph_of(url: str) -> str:
    from urllib.parse import unquote

    return unquote(url.rpartition("#graph=")[2])


def _index_urls(body: Any) -> list[str] | None:
    """The URLs an index lists, or None when the JSON is a document, not an index."""
    entries: Any = None
    if isinstance(body, list) and all(isinstance(e, str) for e in body):
        entries = body
    elif isinstance(body, dict) and "@graph" in body and isinstance(body["@graph"], list):
        nodes = body["@graph"]
        if all(
            isinstance(n, str) or (isinstance(n, dict) and set(n) <= {"@id", "@type"})
            for n in nodes
        ):
            entries = [n if isinstance(n, str) else n.get("@id") for n in nodes]
    if entries is None:
        return None
    return [e for e in entries if isinstance(e, str)]
