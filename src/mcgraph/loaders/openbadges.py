"""Open Badges 3.0 credentials (and standalone Achievements) mapped to ELM v3 by a declarative
CONSTRUCT, ``loaders/openbadges-to-elm.rq``.

The mapping itself, term by term, is the comment header of that file; ``loaders/openbadges.ttl``
lists the Annex I elements Open Badges 3.0 has no property for, and each mapped document's
``notes`` names them, so that a report about a badge can tell "the badge lacks it" from "Open
Badges cannot say it". Both files are read once per process.
"""

from __future__ import annotations

import functools

import pyoxigraph as ox

from mcgraph import resources
from mcgraph.documents import RdfDocument
from mcgraph.elements import standard_model
from mcgraph.errors import ConfigurationError, UnsupportedFormatError
from mcgraph.vocab import MCG, RDF

__all__ = [
    "MAPPING",
    "OB",
    "elements_open_badges_cannot_carry",
    "is_open_badge",
    "map_open_badge",
]

#: The Open Badges 3.0 vocabulary, as its JSON-LD context (3.0.3) expands every term.
OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
#: The mapping recorded in :attr:`RdfDocument.mapping` (a data file, see :mod:`mcgraph.resources`).
MAPPING = "loaders/openbadges-to-elm.rq"

_QUERY_FILE = "openbadges-to-elm.rq"
_METADATA_FILE = "openbadges.ttl"
_RDF_TYPE = ox.NamedNode(RDF + "type")
# ``AchievementCredential`` is an alias the context expands to ob:OpenBadgeCredential.
_OB_TYPES = frozenset({ox.NamedNode(OB + "OpenBadgeCredential"), ox.NamedNode(OB + "Achievement")})
_CANNOT_CARRY = ox.NamedNode(MCG + "cannotCarry")
_ELEMENT = ox.NamedNode(MCG + "element")


def is_open_badge(document: RdfDocument) -> bool:
    """Whether ``document`` holds an Open Badges 3.0 credential (``OpenBadgeCredential``, also
    written ``AchievementCredential``) or an ``Achievement``."""
    return any(q.predicate == _RDF_TYPE and q.object in _OB_TYPES for q in document.quads)


def map_open_badge(document: RdfDocument) -> RdfDocument:
    """A new document holding the ELM v3 form of the Open Badges in ``document``, and only that.

    Source, checksum, sealing and format are those of ``document``; ``mapping`` names the
    CONSTRUCT and ``notes`` gains one line naming the Annex I elements Open Badges 3.0 cannot
    carry. Blank nodes of the input are kept where they become ELM nodes, so the result can
    share a store with other documents as the input could.

    :raises UnsupportedFormatError: ``document`` holds no Open Badges credential or achievement.
    :raises ConfigurationError: the mapping files are missing or broken.
    """
    if not is_open_badge(document):
        raise UnsupportedFormatError(
            document.source,
            "not an Open Badges 3.0 document: no OpenBadgeCredential, AchievementCredential "
            "or Achievement",
        )
    store = ox.Store()
    store.extend(document.quads)
    result = store.query(_construct_query(), use_default_graph_as_union=True)
    if not isinstance(result, ox.QueryTriples):  # pragma: no cover - the file is a CONSTRUCT
        raise ConfigurationError(f"data file loaders/{_QUERY_FILE} is not a CONSTRUCT query")
    quads = dict.fromkeys(ox.Quad(t.subject, t.predicate, t.object) for t in result)
    return RdfDocument(
        source=document.source,
        format=document.format,
        quads=tuple(quads),
        checksum=document.checksum,
        sealed=document.sealed,
        mapping=MAPPING,
        notes=(*document.notes, _uncarried_note()),
    )


@functools.cache
def elements_open_badges_cannot_carry() -> tuple[str, ...]:
    """Keys of the Annex I elements Open Badges 3.0 has no property for, in Annex order (read
    once from ``loaders/openbadges.ttl``, where each carries the reason)."""
    path = resources.data_file("loaders", _METADATA_FILE)
    try:
        triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    except (OSError, SyntaxError) as error:
        raise ConfigurationError(f"data file loaders/{_METADATA_FILE}: {error}") from None
    uncarried = {t.object for t in triples if t.predicate == _CANNOT_CARRY}
    iris = {t.object.value for t in triples if t.subject in uncarried and t.predicate == _ELEMENT}
    known = {element.iri: element for element in standard_model().elements}
    unknown = sorted(iris - known.keys())
    if unknown or len(iris) != len(uncarried):
        raise ConfigurationError(
            f"data file loaders/{_METADATA_FILE}: every mcg:cannotCarry needs one known Annex I "
            f"mcg:element (unknown: {', '.join(unknown) or 'none'})"
        )
    return tuple(e.key for e in sorted((known[iri] for iri in iris), key=lambda e: e.order))


@functools.cache
def _construct_query() -> str:
    path = resources.data_file("loaders", _QUERY_FILE)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(f"cannot read data file loaders/{_QUERY_FILE}: {error}") from None


@functools.cache
def _uncarried_note() -> str:
    model = standard_model()
    named = "; ".join(
        f"{key} ({model.element(key).label('en')})" for key in elements_open_badges_cannot_carry()
    )
    return f"Open Badges 3.0 has no property for these Annex I elements: {named}."
