"""Shape graphs, loaded once per process: the generated Annex I/II profiles and external files."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import rdflib

from mcgraph import resources
from mcgraph.errors import ConfigurationError
from mcgraph.vocab import MCG

_ELEMENT_KEY = rdflib.URIRef(MCG + "elementKey")


@dataclass(frozen=True, eq=False)
class ShapeSet:
    """A shapes graph and, for each shape that belongs to an Annex I element, its key.

    Compared by identity: each is loaded once and engines are cached per shape set."""

    name: str
    graph: rdflib.Graph
    element_of: dict[str, str]

    def element(self, shape: str | None) -> str | None:
        return None if shape is None else self.element_of.get(shape)


def _shape_set(name: str, files: list[Path]) -> ShapeSet:
    graph = rdflib.Graph()
    for path in files:
        try:
            graph.parse(path, format=rdflib.util.guess_format(str(path)) or "turtle")
        except (OSError, SyntaxError, ValueError) as error:
            raise ConfigurationError(f"shapes file {path} cannot be read: {error}") from None
    element_of = {
        str(shape): str(key)
        for shape, key in graph.subject_objects(_ELEMENT_KEY)
        if isinstance(shape, rdflib.URIRef)
    }
    return ShapeSet(name, graph, element_of)


@functools.cache
def profile_shapes(profile: str) -> ShapeSet:
    """Annex I + Annex II shapes of one profile (``issued`` or ``specification``)."""
    files = [resources.data_file("shapes", f"annex{n}-{profile}.ttl") for n in (1, 2)]
    return _shape_set(profile, files)


@functools.cache
def external_shapes(path: Path) -> ShapeSet:
    """A user-supplied shapes file (e.g. the official ELM EDC profile)."""
    if not path.is_file():
        raise ConfigurationError(f"shapes file {path} does not exist")
    return _shape_set(str(path), [path])
