"""Reading one input document (JSON-LD, Turtle, N-Triples, N-Quads, TriG, RDF/XML) into RDF quads.

Every refusal is a :class:`~mcgraph.errors.DocumentError` naming the document: too large, not
UTF-8, JSON nested too deeply, an over-long literal, a DOCTYPE in RDF/XML, a missing JSON-LD
context, or a parser error with its line and column. Limits are checked before the parser that
they protect ever sees the input.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import pyoxigraph
from pyld import jsonld

from mcgraph.contexts import ContextResolver
from mcgraph.errors import (
    DocumentError,
    MalformedDocumentError,
    UnsafeDocumentError,
    UnsupportedFormatError,
)
from mcgraph.settings import Settings
from mcgraph.vocab import RDF

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "RdfDocument",
    "guess_format",
    "read_document",
    "read_path",
    "to_nquads",
]

_RDF_FORMATS: dict[str, pyoxigraph.RdfFormat] = {
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
    "nquads": pyoxigraph.RdfFormat.N_QUADS,
    "trig": pyoxigraph.RdfFormat.TRIG,
    "rdfxml": pyoxigraph.RdfFormat.RDF_XML,
}
#: The format names accepted everywhere (CLI, API, settings).
FORMATS: tuple[str, ...] = tuple(_RDF_FORMATS)
#: the RDF media types (a Content-Type, parameters aside) and the format read_document reads
MEDIA_TYPES: dict[str, str] = {
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "application/rdf+xml": "rdfxml",
}

_EXTENSIONS = {
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".ttl": "turtle",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".trig": "trig",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
}

# JSON depth is measured on a skeleton of quotes and brackets (see _check_json_depth).
_NOT_SKELETON = bytes(range(256)).translate(None, b'"[]{}')
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
# pyoxigraph expands internal XML entities without limit and aborts the process ("billion laughs").
_XML_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_START = re.compile(r"<(\?xml|!DOCTYPE|!--|rdf:RDF\b|[\w.-]+:[\w.-]+\s+xmlns)", re.IGNORECASE)
_TURTLE_DIRECTIVE = re.compile(r"(@prefix|@base|PREFIX|BASE)\s", re.IGNORECASE)
_TRIG_GRAPH = re.compile(r"^\s*(GRAPH\s|\{|\S+\s*\{)", re.MULTILINE | re.IGNORECASE)
_NT_TERM = re.compile(r'<[^>\s]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[\w-]+|\^\^<[^>\s]*>)?')
_RDF_TYPE = pyoxigraph.NamedNode(RDF + "type")
# pyoxigraph's Turtle-family parsers recurse into triple terms and overflow the stack (killing
# the process) some 30 000 levels deep; real data nests a few.
_TRIPLE_TERM_MARK = re.compile(r"<<|>>")
_MAX_TRIPLE_TERM_DEPTH = 64
#: pyld's stand-in document base (.invalid is reserved, RFC 2606); see _jsonld_with_pyld.
_NO_BASE = "http://mcgraph.invalid/no-base/"


@dataclass(frozen=True)
class RdfDocument:
    """One input document as RDF: de-duplicated quads in document order, plus provenance."""

    source: str
    format: str
    #: In one graph: the default graph, or for a graph of an N-Quads/TriG file, that graph.
    quads: tuple[pyoxigraph.Quad, ...]
    #: sha256 (hex) of the raw bytes as received, envelope included.
    checksum: str
    #: True when an ELM ``{payload, signatures}`` envelope was unwrapped.
    sealed: bool
    #: The declarative mapping that turned the input into ELM (a file under ``loaders/``).
    mapping: str | None = None
    #: What the reader wants a person to know (e.g. Annex I elements the input format cannot carry).
    notes: tuple[str, ...] = ()


def to_nquads(quads: Sequence[pyoxigraph.Quad], graph: str) -> bytes:
    """A document's quads as N-Quads in ``graph``, serialised by pyoxigraph (no Python-level
    term handling). The quads are all in one graph, default or named (as documents are), so
    every line ends with the same graph term (or none): one pass renames it. Literals never
    hold a raw line break in N-Quads, so the line ending matched cannot occur inside one."""
    if not quads:
        return b""
    data = pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.N_QUADS) or b""
    first = quads[0].graph_name
    ending = f" <{first.value}> .\n" if isinstance(first, pyoxigraph.NamedNode) else " .\n"
    # split + join is bytes.replace, at about half its cost for this long a pattern
    return f" <{graph}> .\n".encode().join(data.split(ending.encode()))


def read_path(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    settings: Settings,
    resolver: ContextResolver,
) -> RdfDocument:
    """Read one file; an unreadable or oversized file is a DocumentError naming it."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            _check_size(size, source, settings)  # before reading a huge file into memory
            data = handle.read(settings.max_document_bytes + 1)
    except OSError as error:
        raise DocumentError(source, f"cannot read the file: {error.strerror or error}") from None
    return read_document(data, source=source, format=format, settings=settings, resolver=resolver)


def read_document(
    data: bytes,
    *,
    source: str,
    format: str | None = None,
    settings: Settings,
    resolver: ContextResolver,
) -> RdfDocument:
    """Parse ``data`` (named ``source`` in every error) into an :class:`RdfDocument`.

    The format is ``format`` when given, else guessed from ``source``'s extension or sniffed.

    :raises UnsupportedFormatError: unknown format.
    :raises UnsafeDocumentError: over a size, depth or literal limit, or RDF/XML with a DTD.
    :raises MalformedDocumentError: not UTF-8, or the parser rejects it.
    :raises ContextUnavailableError: a JSON-LD context that cannot be resolved.
    """
    _check_size(len(data), source, settings)
    if format is None:
        format = guess_format(source, data)
    elif format not in _RDF_FORMATS:
        raise UnsupportedFormatError(source, f"unknown format {format!r}; use one of {FORMATS}")
    text = _decode(data, source)
    sealed = False
    if format == "jsonld":
        quads, sealed = _read_jsonld(data, source, settings, resolver)
    else:
        if format == "rdfxml" and _XML_DTD.search(text):
            raise UnsafeDocumentError(source, "RDF/XML with a DOCTYPE or ENTITY is refused")
        _check_triple_term_depth(text, source)
        quads = _parse(text, format, source)
    _check_literals(quads, source, settings)
    return RdfDocument(
        source=source,
        format=format,
        quads=tuple(dict.fromkeys(quads)),
        checksum=hashlib.sha256(data).hexdigest(),
        sealed=sealed,
    )


def guess_format(name: str | None, data: bytes) -> str:
    """The format of a document from its file extension, else from its first bytes."""
    source = name or "<input>"
    if name:
        by_extension = _EXTENSIONS.get(Path(name.split("?")[0]).suffix.lower())
        if by_extension:
            return by_extension
    head = data[:4096].decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if head.startswith(("{", "[")):
        return "jsonld"
    if _XML_START.match(head):
        return "rdfxml"
    lines = [line.strip() for line in head.splitlines()]
    statement = next((line for line in lines if line and not line.startswith("#")), "")
    if _TURTLE_DIRECTIVE.match(statement):
        return "trig" if _TRIG_GRAPH.search(head) else "turtle"
    if statement.startswith(("<", "_:")) and statement.endswith("."):
        terms = len(_NT_TERM.findall(statement))
        if terms in (3, 4):
            return "ntriples" if terms == 3 else "nquads"
        return "turtle"
    raise UnsupportedFormatError(
        source, f"cannot tell the format from the name or content; use one of {FORMATS}"
    )


# -- checks -------------------------------------------------------------------------------------


def _check_size(size: int, source: str, settings: Settings) -> None:
    if size > settings.max_document_bytes:
        raise UnsafeDocumentError(
            source, f"{size} bytes is over the {settings.max_document_bytes}-byte document limit"
        )


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")  # a UTF-8 byte order mark is tolerated and dropped
    except UnicodeDecodeError as error:
        raise MalformedDocumentError(
            source, f"not UTF-8 text (invalid byte at offset {error.start})"
        ) from None


def _check_triple_term_depth(text: str, source: str) -> None:
    """Refuse ``<<`` nested deeper than allowed (a ``<<`` in a literal counts too: the limit
    is far above what data needs)."""
    if "<<" not in text:
        return
    depth = 0
    for mark in _TRIPLE_TERM_MARK.finditer(text):
        depth = depth + 1 if mark.group() == "<<" else max(0, depth - 1)
        if depth > _MAX_TRIPLE_TERM_DEPTH:
            raise UnsafeDocumentError(
                source, f"triple terms nested deeper than {_MAX_TRIPLE_TERM_DEPTH} levels"
            )


def _check_json_depth(raw: bytes, source: str, settings: Settings) -> None:
    """Refuse JSON nested deeper than allowed, without recursing as json.loads would.

    Byte-level and C-speed: drop escaped backslashes and quotes, keep only quotes and
    brackets, drop quoted runs (every other piece between quotes), then track the bracket
    depth. Up to the first syntax error this sees the same nesting as json.loads (UTF-8
    multi-byte sequences hold no ASCII).
    """
    limit = settings.max_json_depth
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(raw.translate(None, _NOT_SKELETON).split(b'"')[::2])
    if len(brackets) > limit and max(accumulate(map(_BRACKET_STEP.__getitem__, brackets))) > limit:
        raise UnsafeDocumentError(source, f"JSON nested deeper than {limit} levels")


def _check_literals(quads: list[pyoxigraph.Quad], source: str, settings: Settings) -> None:
    limit = settings.max_literal_chars
    for quad in quads:
        term = quad.object
        if isinstance(term, pyoxigraph.Literal) and len(term.value) > limit:
            raise UnsafeDocumentError(source, f"a literal is over the {limit}-character limit")


def _prepare_json(
    document: Any,
    raw: bytes,
    source: str,
    settings: Settings,
    resolver: ContextResolver,
    *,
    inline: bool,
) -> None:
    """Refuse over-long strings and resolve every context reference; walk only if needed.

    Every ``@context`` value goes through ``resolver.inline_context`` for both engines, so a
    relative, non-http(s) or missing context is the same ContextUnavailableError either way;
    with ``inline`` the value is also replaced in place (the document is ours, fresh from
    json.loads; the replacements are the resolver's shared, memoised objects).

    No string is longer than the text it came from, and a ``"@context"`` count equal to the
    top-level one, with no ``\\u`` escape that could spell another, rules out embedded contexts.
    """
    top = isinstance(document, dict) and "@context" in document
    if (
        len(raw) <= settings.max_literal_chars
        and b"\\u" not in raw
        and raw.count(b'"@context"') == int(top)
    ):
        if top:
            inlined = resolver.inline_context(document["@context"], source=source)
            if inline:
                document["@context"] = inlined
        return
    limit = settings.max_literal_chars
    stack = [document] if isinstance(document, dict | list) else []
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            if key == "@context":
                inlined = resolver.inline_context(value, source=source)
                if inline:
                    node[key] = inlined
            elif isinstance(value, str):
                if len(value) > limit:
                    raise UnsafeDocumentError(
                        source, f"a JSON string is over the {limit}-character literal limit"
                    )
            elif isinstance(value, dict | list):
                stack.append(value)


# -- JSON-LD ------------------------------------------------------------------------------------


def _load_json(raw: bytes, source: str, settings: Settings, what: str = "JSON") -> Any:
    """Parse UTF-8 JSON after the depth check."""
    _check_json_depth(raw, source, settings)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise MalformedDocumentError(
            source, f"malformed {what}: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise UnsafeDocumentError(source, f"{what} nested too deeply to parse") from None


def _unwrap(document: Any, raw: bytes, source: str, settings: Settings) -> tuple[Any, bytes, bool]:
    """The credential inside an ELM ``{payload, signatures}`` envelope, the JSON bytes it was
    read from, and whether there was an envelope.

    The payload may be JSON text (as in the ELM samples), base64url-encoded JSON (JWS
    style), or already an object.
    """
    if not (
        isinstance(document, dict)
        and "payload" in document
        and "signatures" in document
        and "@context" not in document
    ):
        return document, raw, False
    payload = document["payload"]
    if isinstance(payload, str):
        if not payload.lstrip().startswith("{"):
            try:
                raw = base64.b64decode(payload + "=" * (-len(payload) % 4), b"-_", validate=True)
            except binascii.Error:
                raise MalformedDocumentError(
                    source, "the sealed payload is neither JSON nor base64url"
                ) from None
            _decode(raw, source)  # the same UTF-8 rule as the document itself
        else:
            raw = payload.encode()
        payload = _load_json(raw, source, settings, "JSON in the sealed payload")
    if not isinstance(payload, dict):
        raise MalformedDocumentError(source, "the sealed payload is not a JSON object")
    return payload, raw, True


def _read_jsonld(
    data: bytes, source: str, settings: Settings, resolver: ContextResolver
) -> tuple[list[pyoxigraph.Quad], bool]:
    document, raw, sealed = _unwrap(_load_json(data, source, settings), data, source, settings)
    if not isinstance(document, dict | list):  # pyld would take a bare string for a URL to load
        raise MalformedDocumentError(source, "a JSON-LD document is a JSON object or array")
    if settings.jsonld_engine == "pyld":
        _prepare_json(document, raw, source, settings, resolver, inline=False)
        return _jsonld_with_pyld(document, source, resolver), sealed
    _prepare_json(document, raw, source, settings, resolver, inline=True)
    text = json.dumps(document, ensure_ascii=False, check_circular=False, separators=(",", ":"))
    quads = _parse(text, "jsonld", source)
    if _has_orphan_types(quads):
        # pyoxigraph 0.5 keeps the rdf:type of a node nested under a key the context does not
        # define, where JSON-LD drops the whole value; the reference engine decides such cases.
        # The document already carries its contexts inline, so pyld needs no loader calls.
        return _jsonld_with_pyld(document, source, resolver), sealed
    return quads, sealed


def _jsonld_with_pyld(
    document: Any, source: str, resolver: ContextResolver
) -> list[pyoxigraph.Quad]:
    """JSON-LD to quads with pyld, the reference engine, loading contexts only via ``resolver``.

    pyld needs a base: without one it ignores ``@base``, with ``""`` it resolves relative
    IRIs against http://example.org/base/. So it gets a reserved placeholder base and every
    quad that mentions it is dropped: relative IRIs vanish, as in pyoxigraph and JSON-LD's
    own RDF conversion, while an absolute ``@base`` still applies.
    """
    options = {
        "documentLoader": resolver.pyld_loader(source),
        "format": "application/n-quads",
        "base": _NO_BASE,
    }
    try:
        nquads = jsonld.to_rdf(document, options)
    except jsonld.JsonLdError as error:
        innermost, cause = error, error.__cause__
        while cause is not None:  # pyld wraps our loader's errors; surface the original
            if isinstance(cause, DocumentError):
                raise cause from None
            if isinstance(cause, jsonld.JsonLdError):
                innermost = cause
            cause = cause.__cause__
        problem = innermost.args[0] if innermost.args else innermost.type
        code = f" ({innermost.code})" if innermost.code else ""
        raise MalformedDocumentError(source, f"invalid JSON-LD: {problem}{code}") from None
    except ValueError as error:  # pyld's IRI resolver
        raise MalformedDocumentError(source, f"invalid JSON-LD: {error}") from None
    except RecursionError:
        raise UnsafeDocumentError(source, "JSON-LD nested too deeply for pyld") from None
    quads = _parse(nquads, "nquads", source)
    if _NO_BASE not in nquads:
        return quads
    return [
        quad
        for quad in quads
        if not any(
            isinstance(term, pyoxigraph.NamedNode) and term.value.startswith(_NO_BASE)
            for term in (quad.subject, quad.predicate, quad.object, quad.graph_name)
        )
    ]


def _has_orphan_types(quads: list[pyoxigraph.Quad]) -> bool:
    """Whether some node has nothing but rdf:type and nothing points at it."""
    rdf_type = _RDF_TYPE
    typed: set[object] = set()
    described: set[object] = set()
    for quad in quads:
        subject, predicate = quad.subject, quad.predicate
        if predicate == rdf_type:
            typed.add(subject)
        else:
            described.add(subject)
    if typed <= described:
        return False
    referenced = {quad.object for quad in quads} | {quad.graph_name for quad in quads}
    return not typed <= described | referenced


# -- RDF syntaxes -------------------------------------------------------------------------------


def _parse(text: str, format: str, source: str) -> list[pyoxigraph.Quad]:
    """All quads of ``text``; blank nodes renamed so documents never share them in a store."""
    try:
        return list(pyoxigraph.parse(text, _RDF_FORMATS[format], rename_blank_nodes=True))
    except SyntaxError as error:
        raise MalformedDocumentError(source, f"malformed {format}: {error.msg}") from None
    except MemoryError:
        # pyoxigraph's parsers cap one token at 16 MiB and report it as MemoryError.
        raise UnsafeDocumentError(source, "a literal or other token too large to parse") from None
