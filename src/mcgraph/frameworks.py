"""Qualification frameworks as SKOS data: the shipped ones and a framework body's own file.

A framework is one concept scheme typed ``mcg:QualificationsFramework`` whose concepts are its
levels, each referenced to one EQF level (``skos:exactMatch`` / ``skos:broadMatch``) or marked
``mcg:eqfCorrespondence mcg:notReferenced``, with the referencing report as provenance. It is
stored as its own named graph, named by the scheme IRI, so that replacing a framework replaces
exactly its graph. Files are SKOS Turtle (``ontology/frameworks/*.ttl`` ship with mcgraph) or the
simple CSV documented in README ("Qualification frameworks"); both are checked by
``shapes/frameworks.ttl`` before they are stored.
"""

from __future__ import annotations

import csv
import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from mcgraph import resources
from mcgraph.errors import ConfigurationError, FrameworkError
from mcgraph.framework_csv import CSV_OPTIONAL, CSV_REQUIRED, EQF_LEVEL, Triple, read_csv
from mcgraph.rdfconvert import term_text
from mcgraph.vocab import DC, MCG, RDF, SKOS

if TYPE_CHECKING:
    from mcgraph.validation.pyshacl_engine import PyshaclEngine

#: The EQF concept scheme (ELM v3 IRI); its levels are ``EQF_LEVEL + "1"`` .. ``"8"``.
EQF_SCHEME = "http://data.europa.eu/snb/eqf/25831c2"
__all__ = [
    "CSV_OPTIONAL",
    "CSV_REQUIRED",
    "EQF_LEVEL",
    "EQF_SCHEME",
    "FrameworkDocument",
    "is_framework_file",
    "read_framework",
    "shipped_framework_files",
    "validate_framework",
]
_MAX_BYTES = 8 * 1024 * 1024  # frameworks are a few kB; refuse anything that is clearly not one
_PROBE_BASE = "http://mcgraph.invalid/"  # resolves relative IRIs while only sniffing a file


@dataclass(frozen=True)
class FrameworkDocument:
    """One framework file read as RDF: every quad is in the graph named by the scheme IRI."""

    scheme: str
    #: the scheme's dc:identifier ("" when absent or ambiguous: validate_framework reports it)
    identifier: str
    quads: list[ox.Quad]
    #: sha256 (hex) of the file's bytes, so that reloading an unchanged file can be skipped
    checksum: str
    source: str


def shipped_framework_files() -> list[Path]:
    """The framework files that ship with mcgraph (EQF, national frameworks, QF-EHEA)."""
    files = sorted(resources.data_dir("ontology").joinpath("frameworks").glob("*.ttl"))
    if not files:
        raise ConfigurationError(
            "the ontology/frameworks/ files are missing from this installation"
        )
    return files


def is_framework_file(path: Path) -> bool:
    """Whether ``mcgraph load`` should read ``path`` as a framework rather than a credential.

    A ``.csv`` file whose header has the framework columns, or a ``.ttl`` file that declares an
    ``mcg:QualificationsFramework`` or a ``skos:ConceptScheme``. Unreadable files are not
    frameworks (the ordinary loader then reports why)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                header = next(csv.reader(handle), [])
            return set(CSV_REQUIRED) <= {column.strip() for column in header}
        if suffix == ".ttl":
            wanted = {
                ox.NamedNode(MCG + "QualificationsFramework"),
                ox.NamedNode(SKOS + "ConceptScheme"),
            }
            a = ox.NamedNode(RDF + "type")
            with path.open("rb") as handle:
                return any(
                    quad.predicate == a and quad.object in wanted
                    for quad in ox.parse(handle, format=ox.RdfFormat.TURTLE, base_iri=_PROBE_BASE)
                )
    except (OSError, UnicodeDecodeError, csv.Error, SyntaxError, ValueError):
        return False
    return False


def read_framework(path: Path, *, base_iri: str) -> FrameworkDocument:
    """Read a framework file (``.ttl`` SKOS Turtle or ``.csv``) into one named graph.

    ``base_iri`` resolves relative IRIs in Turtle and mints the IRIs of a CSV framework
    (``{base_iri}framework/{id}``). The document is not validated yet: see validate_framework.

    :raises FrameworkError: the file cannot be read, or (CSV) a row or column is wrong; the
        message names each row and column concerned.
    """
    source = str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError as error:
        raise FrameworkError(source, [f"cannot read the file: {error.strerror or error}"]) from None
    if len(data) > _MAX_BYTES:
        raise FrameworkError(source, [f"larger than {_MAX_BYTES} bytes; not a framework file"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FrameworkError(source, [f"not UTF-8 (byte {error.start})"]) from None
    suffix = path.suffix.lower()
    if suffix == ".ttl":
        scheme, identifier, triples = _read_turtle(text, source, base_iri)
    elif suffix == ".csv":
        scheme, identifier, triples = read_csv(text, source, _base(base_iri))
    else:
        raise FrameworkError(
            source, [f"a framework file is .ttl or .csv, not {suffix or 'no suffix'}"]
        )
    graph = ox.NamedNode(scheme)
    quads = list(dict.fromkeys(ox.Quad(s, p, o, graph) for s, p, o in triples))
    return FrameworkDocument(scheme, identifier, quads, hashlib.sha256(data).hexdigest(), source)


def validate_framework(doc: FrameworkDocument) -> None:
    """Check a framework against ``shapes/frameworks.ttl`` (pySHACL; shapes parsed once).

    :raises FrameworkError: one problem per failing shape and node, naming the level (its
        notation and IRI), the referencing or the framework, and what is wrong with it.
    """
    results = _engine().validate(doc.quads)
    names = _names(doc)
    problems = sorted(
        {
            f"{names.get(r.focus, r.focus)}: {r.message}"
            for r in results
            if r.severity == "violation"
        }
    )
    in_scheme = ox.NamedNode(SKOS + "inScheme")
    scheme = ox.NamedNode(doc.scheme)
    if not any(q.predicate == in_scheme and q.object == scheme for q in doc.quads):
        problems.append(f"framework {doc.scheme}: has no levels (no concept with skos:inScheme)")
    if problems:
        raise FrameworkError(doc.source, problems)


# -- Turtle -------------------------------------------------------------------------------------


def _read_turtle(text: str, source: str, base_iri: str) -> tuple[str, str, list[Triple]]:
    try:
        quads = list(
            ox.parse(
                text, format=ox.RdfFormat.TURTLE, base_iri=base_iri or None, rename_blank_nodes=True
            )
        )
    except (SyntaxError, ValueError) as error:
        raise FrameworkError(
            source, [f"malformed Turtle: {getattr(error, 'msg', error)}"]
        ) from None
    triples: list[Triple] = []
    for q in quads:
        if isinstance(q.subject, ox.Triple) or isinstance(q.object, ox.Triple):
            raise FrameworkError(source, ["RDF-star triple terms have no place in a framework"])
        triples.append((q.subject, q.predicate, q.object))
    a = ox.NamedNode(RDF + "type")
    framework_type = ox.NamedNode(MCG + "QualificationsFramework")
    typed = {s for s, p, o in triples if p == a and o == framework_type}
    if not typed:
        typed = {s for s, p, o in triples if p == a and o == ox.NamedNode(SKOS + "ConceptScheme")}
    if len(typed) != 1:
        found = ", ".join(sorted(str(s) for s in typed)) or "none"
        raise FrameworkError(
            source, [f"a framework file declares exactly one concept scheme; found {found}"]
        )
    scheme = typed.pop()
    if not isinstance(scheme, ox.NamedNode):
        raise FrameworkError(source, ["the concept scheme must be an IRI (it names the graph)"])
    # A plain skos:ConceptScheme loaded as a framework is one: type it so the shapes apply.
    triples.append((scheme, a, framework_type))
    identifiers = [
        o.value
        for s, p, o in triples
        if s == scheme and p == ox.NamedNode(DC + "identifier") and isinstance(o, ox.Literal)
    ]
    identifier = identifiers[0] if len(set(identifiers)) == 1 else ""
    return scheme.value, identifier, triples


def _base(base_iri: str) -> str:
    return base_iri if base_iri.endswith(("/", "#")) else base_iri + "/"


# -- validation ---------------------------------------------------------------------------------


@functools.cache
def _engine() -> PyshaclEngine:
    # Imported here: the validation package may itself come to use frameworks.
    from mcgraph.validation.pyshacl_engine import PyshaclEngine
    from mcgraph.validation.shapes import external_shapes

    return PyshaclEngine(external_shapes(resources.data_file("shapes", "frameworks.ttl")))


def _names(doc: FrameworkDocument) -> dict[str, str]:
    """How a problem names its focus node: the level by notation and IRI, or the framework."""
    names = {doc.scheme: f"framework {doc.identifier or doc.scheme}"}
    for quad in doc.quads:
        subject, predicate, value = quad.subject, quad.predicate.value, quad.object
        if isinstance(subject, ox.Triple) or isinstance(value, ox.Triple):
            continue
        if predicate == SKOS + "notation" and isinstance(value, ox.Literal):
            names[term_text(subject)] = f"level {value.value!r} ({term_text(subject)})"
        elif predicate == MCG + "eqfReferencing" and not isinstance(value, ox.Literal):
            names[term_text(value)] = f"EQF referencing of {doc.identifier or doc.scheme}"
        elif predicate == SKOS + "inScheme":
            names.setdefault(term_text(subject), f"level {term_text(subject)}")
    return names
