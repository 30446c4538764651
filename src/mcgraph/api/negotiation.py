"""Reading SPARQL protocol requests (parameters, bodies, media types), and content
negotiation: ``Accept`` with q-values (RFC 9110 §12.5.1), the most specific matching range
deciding each offer's weight and the route's own order breaking ties, so ``*/*`` or no
``Accept`` gets the route's first format."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import Depends, Request

from mcgraph.api.problems import ApiError


@dataclass(frozen=True)
class Format:
    """One serialisation: its mcgraph name (``format=``, the store's format names), media type."""

    name: str
    media_type: str
    #: other media types clients send for the same thing (matched, never sent)
    aliases: tuple[str, ...] = ()
    #: the W3C ``http://www.w3.org/ns/formats/`` name, for the service description
    w3c: str = ""

    @property
    def content_type(self) -> str:
        text = self.media_type.startswith("text/")
        return f"{self.media_type}; charset=utf-8" if text else self.media_type


RESULTS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", ("application/json",), "SPARQL_Results_JSON"),
    Format("xml", "application/sparql-results+xml", (), "SPARQL_Results_XML"),
    Format("csv", "text/csv", (), "SPARQL_Results_CSV"),
    Format("tsv", "text/tab-separated-values", (), "SPARQL_Results_TSV"),
)
RDF: tuple[Format, ...] = (
    Format("turtle", "text/turtle", ("application/x-turtle", "application/turtle"), "Turtle"),
    Format("ntriples", "application/n-triples", (), "N-Triples"),
    Format("rdfxml", "application/rdf+xml", (), "RDF_XML"),
    Format("jsonld", "application/ld+json", (), "JSON-LD"),
)


def _ranges(accept: str) -> list[tuple[str, float]]:
    """``(media range, q)`` pairs of an Accept header; unreadable q-values count as 0."""
    ranges = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if not media:
            continue
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    weight = 0.0
        ranges.append((media.lower(), weight))
    return ranges


def _weight(offer: Format, ranges: list[tuple[str, float]]) -> float:
    """The q of the most specific range matching ``offer`` (0 when none does)."""
    best_specificity, weight = -1, 0.0
    for media in (offer.media_type, *offer.aliases):
        kind = media.split("/")[0]
        for pattern, q in ranges:
            specificity = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(pattern, -1)
            if specificity > best_specificity:
                best_specificity, weight = specificity, q
    return weight


def choose(accept: str | None, offers: Sequence[Format]) -> Format | None:
    """The offer the client prefers, or None when it accepts none of them."""
    if not accept or not accept.strip():
        return offers[0]
    return _choose(accept, tuple(offers))


@functools.lru_cache(maxsize=512)
def _choose(accept: str, offers: tuple[Format, ...]) -> Format | None:
    """Clients send the same few Accept headers again and again: each is weighed once."""
    ranges = _ranges(accept)
    best, best_weight = None, 0.0
    for offer in offers:
        weight = _weight(offer, ranges)
        if weight > best_weight:
            best, best_weight = offer, weight
    return best


def by_name(value: str, offers: Sequence[Format]) -> Format | None:
    """The offer called ``value`` (a name such as ``csv``, or a media type)."""
    wanted = value.strip().lower()
    for offer in offers:
        if wanted in (offer.name, offer.media_type, *offer.aliases):
            return offer
    return None


def not_acceptable(offers: Sequence[Format]) -> ApiError:
    listed = ", ".join(offer.media_type for offer in offers)
    return ApiError(406, "not-acceptable", f"no acceptable format; this answer comes as {listed}")


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """``(media type, charset)`` of a Content-Type header, lower-cased; ``("", None)`` if absent."""
    if not content_type:
        return "", None
    media, *params = (part.strip() for part in content_type.split(";"))
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def check_charset(charset: str | None) -> None:
    """SPARQL and RDF bodies are UTF-8: another declared charset is refused."""
    if charset not in (None, "utf-8", "utf8"):
        raise ApiError(400, "bad-request", f"the body must be UTF-8, not charset={charset}")


def utf8(body: bytes, charset: str | None) -> str:
    """A request body as text (UTF-8, whatever else is declared)."""
    check_charset(charset)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(
            400, "bad-request", f"the body is not UTF-8 (invalid byte at offset {error.start})"
        ) from None


def bad_request(detail: str) -> ApiError:
    return ApiError(400, "bad-request", detail)


def iri(value: str, what: str) -> str:
    """``value`` if it is an absolute IRI, else a 400 naming ``what`` (graph names, bases)."""
    try:
        return ox.NamedNode(value).value
    except ValueError as error:
        raise bad_request(f"{what} is not an absolute IRI: {error}") from None


async def read_body(request: Request) -> bytes:
    """The whole request body, read in the event loop so that sync routes can take it."""
    return await request.body()


#: the raw request body (under the service's body limit); never parsed by FastAPI
Body = Annotated[bytes, Depends(read_body)]


class Params:
    """Parameters of a query string or form body, repeatable, in order; decoded strictly."""

    def __init__(self, pairs: Sequence[tuple[str, str]] = ()) -> None:
        self.pairs = list(pairs)

    @classmethod
    def of(cls, raw: bytes) -> Params:
        try:
            return cls(
                [
                    (key.decode("utf-8"), value.decode("utf-8"))
                    for key, value in parse_qsl(raw, keep_blank_values=True)
                ]
            )
        except UnicodeDecodeError:
            raise ApiError(400, "bad-request", "a parameter is not UTF-8") from None

    def __add__(self, other: Params) -> Params:
        return Params(self.pairs + other.pairs)

    def __contains__(self, key: object) -> bool:
        return any(name == key for name, _ in self.pairs)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.pairs)

    def all(self, key: str) -> list[str]:
        return [value for name, value in self.pairs if name == key]

    def one(self, key: str) -> str | None:
        """The single value of ``key`` (None if absent); given twice, a 400."""
        values = self.all(key)
        if len(values) > 1:
            raise ApiError(400, "bad-request", f"{key} is given {len(values)} times, once at most")
        return values[0] if values else None
