"""Property paths round-trip between SPARQL text, SHACL and back, and flatten without change
of meaning (pySHACL refuses deeply nested paths)."""

from __future__ import annotations

import pytest
import rdflib

from mcgraph.errors import ConfigurationError
from mcgraph.paths import flatten, from_shacl, parse_path, to_sparql, to_turtle
from mcgraph.vocab import PREFIXES

CASES = [
    "dc:title",
    "cred:credentialSubject/(foaf:fullName|elm:nationalID)",
    "elm:location/(elm:address/elm:countryCode|elm:spatialCode)|rov:registration/dc:spatial",
    "^elm:hasPart+/dc:title",
    "(^elm:isPartOf)*/a",
    "elm:x?/elm:y",
]


@pytest.mark.parametrize("text", CASES)
def test_sparql_text_round_trips(text: str) -> None:
    path = parse_path(text)
    assert path is not None
    assert parse_path(to_sparql(path)) == path


@pytest.mark.parametrize("text", CASES)
def test_shacl_round_trips(text: str) -> None:
    path = parse_path(text)
    assert path is not None
    prefixes = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
    graph = rdflib.Graph().parse(
        data=prefixes + f"<urn:s> sh:path {to_turtle(path)} .", format="turtle"
    )
    assert from_shacl(graph, graph.value(rdflib.URIRef("urn:s"), rdflib.SH.path)) == path


def test_flatten_distributes_sequences_over_alternatives() -> None:
    path = parse_path("cred:credentialSubject/(foaf:fullName|foaf:givenName)")
    assert path is not None
    assert (
        to_sparql(flatten(path))
        == "cred:credentialSubject/foaf:fullName|cred:credentialSubject/foaf:givenName"
    )


def test_empty_path_is_the_anchor_itself() -> None:
    assert parse_path("") is None


@pytest.mark.parametrize("bad", ["nope:x", "dc:title/", "(dc:title", "dc:title )"])
def test_bad_paths_are_configuration_errors(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_path(bad)
