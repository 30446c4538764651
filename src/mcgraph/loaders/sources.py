"""Turns the paths a user names into a stream of ELM documents (or errors naming the input).

A directory is walked; a CSV file is a catalogue (one document per row); an N-Quads or TriG file
with named graphs holds one document per graph; an Open Badges credential is mapped to ELM;
anything else is one document read by :mod:`mcgraph.documents`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from itertools import groupby
from operator import attrgetter
from pathlib import Path

import pyoxigraph as ox

from mcgraph.contexts import ContextResolver
from mcgraph.documents import RdfDocument, read_path, to_nquads
from mcgraph.errors import DocumentError
from mcgraph.settings import Settings

#: File endings read when a directory is given (names starting with "." or "_" are skipped:
#: hidden files and side files such as a generated dataset's _manifest.json).
DOCUMENT_SUFFIXES = (
    ".jsonld",
    ".json",
    ".ttl",
    ".nt",
    ".nq",
    ".trig",
    ".rdf",
    ".owl",
    ".xml",
    ".csv",
)


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files as given; directories walked (sorted) for document files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in DOCUMENT_SUFFIXES
                and not p.name.startswith((".", "_"))
            )
        else:
            files.append(path)
    return files


def read_inputs(
    paths: Sequence[Path],
    *,
    settings: Settings,
    resolver: ContextResolver,
    source: str = "local",
) -> Iterator[RdfDocument | DocumentError]:
    """Every document in the given files and directories, in order.

    A CSV catalogue's IRIs are minted below ``{settings.base_iri}catalogue/{source}/`` (this
    base replaces the one in the shipped mapping), so the same row identifier in two sources'
    files names two specifications.
    """
    for path in expand_paths(paths):
        if path.suffix.lower() == ".csv":
            from mcgraph.loaders.csv_catalogue import read_csv_catalogue

            try:
                yield from read_csv_catalogue(path, base=f"{settings.base_iri}catalogue/{source}/")
            except DocumentError as error:
                yield error
            continue
        if path.suffix.lower() in (".nq", ".trig"):
            yield from _read_graphs(path, settings)
            continue
        try:
            document = read_path(path, settings=settings, resolver=resolver)
        except DocumentError as error:
            yield error
            continue
        yield _mapped(document)


def _mapped(document: RdfDocument) -> RdfDocument:
    """Open Badges 3.0 (in any RDF syntax) becomes ELM through its declarative mapping."""
    from mcgraph.loaders import openbadges

    return openbadges.map_open_badge(document) if openbadges.is_open_badge(document) else document


def _read_graphs(path: Path, settings: Settings) -> Iterator[RdfDocument | DocumentError]:
    """One document per named graph, streamed (a file's graphs are expected to be contiguous;
    a graph that reappears later is read as a further version of that document).

    Each quad is touched once in Python (its graph, to group by): pyoxigraph builds a new
    object on every access to a term. Literal lengths are checked on the document's
    serialisation, which is needed for its checksum anyway and is never shorter than a
    literal; quad by quad only when it is long enough to hold one over the limit."""
    fmt = ox.RdfFormat.N_QUADS if path.suffix.lower() == ".nq" else ox.RdfFormat.TRIG
    name = "nquads" if fmt == ox.RdfFormat.N_QUADS else "trig"
    limit = settings.max_literal_chars
    try:
        graphs = groupby(ox.parse(path=str(path), format=fmt), key=attrgetter("graph_name"))
        for graph, group in graphs:
            unique = tuple(dict.fromkeys(group))
            data = to_nquads(unique, "urn:mcgraph:checksum")
            if len(data) > limit:
                for quad in unique:
                    if isinstance(quad.object, ox.Literal) and len(quad.object.value) > limit:
                        size = len(quad.object.value)
                        yield DocumentError(
                            str(path), f"a literal of {size} characters is over the limit"
                        )
                        return
            label = graph.value if isinstance(graph, ox.NamedNode) else "default"
            checksum = hashlib.sha256(data).hexdigest()
            yield RdfDocument(f"{path}#graph={label}", name, unique, checksum, False)
    except SyntaxError as error:
        yield DocumentError(str(path), f"malformed {name}: {error}")
    except (OSError, MemoryError) as error:
        yield DocumentError(str(path), f"cannot read the file: {error}")
