"""The SPARQL 1.1 Graph Store HTTP Protocol at /data over a real ``mcgraph serve``: every
method and status, the upload formats, multipart POST, writes that survive a restart, and
uploads that must be refused (entities, nesting, size) while the server goes on answering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from live_server import TOKEN, running_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
G1 = "http://example.org/g1"
NAMES = "SELECT ?name WHERE { ?person <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("gsp") / "store") as url:
        alice = '<http://example.org/alice> <http://xmlns.com/foaf/0.1/name> "Alice" .'
        response = httpx.put(
            f"{url}/data",
            params={"graph": G1},
            content=alice,
            headers={**AUTH, "Content-Type": "text/turtle"},
        )
        assert response.status_code == 201, response.text
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=60) as http:
        yield http


def names(client: httpx.Client, **params: str) -> list[str]:
    response = client.get("/sparql", params={"query": NAMES, **params})
    assert response.status_code == 200, response.text
    return [row["name"]["value"] for row in response.json()["results"]["bindings"]]


def alive(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "ASK {}"})
    assert response.status_code == 200 and response.json()["boolean"] is True


# -- /data --------------------------------------------------------------------------------------

PERSON = """@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<http://example.org/erin> a foaf:Person ; foaf:name "Erin" ; foaf:knows [ foaf:name "Friend" ] ."""
UPLOADS = {
    "application/n-triples": '<http://example.org/erin> <http://xmlns.com/foaf/0.1/name> "Erin" .',
    "application/rdf+xml": """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:foaf="http://xmlns.com/foaf/0.1/">
  <rdf:Description rdf:about="http://example.org/erin"><foaf:name>Erin</foaf:name></rdf:Description>
</rdf:RDF>""",
    "application/ld+json": '{"@id": "http://example.org/erin", "http://xmlns.com/foaf/0.1/name": "Erin"}',
}


def test_graph_store_lifecycle(client: httpx.Client, base: str) -> None:
    graph = {"graph": "http://example.org/people"}
    turtle = {**AUTH, "Content-Type": "text/turtle"}
    assert client.get("/data", params=graph).status_code == 404
    assert client.head("/data", params=graph).status_code == 404
    assert client.put("/data", params=graph, content=PERSON, headers=turtle).status_code == 201
    assert client.put("/data", params=graph, content=PERSON, headers=turtle).status_code == 204
    head = client.head("/data", params=graph)
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/turtle")
    got = client.get("/data", params=graph)
    want = rdflib.Graph().parse(data=PERSON, format="turtle")
    assert isomorphic(rdflib.Graph().parse(data=got.text, format="turtle"), want)
    for accept, fmt in [
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ]:
        other = client.get("/data", params=graph, headers={"Accept": accept})
        assert other.headers["content-type"].split(";")[0] == accept
        assert isomorphic(rdflib.Graph().parse(data=other.text, format=fmt), want)
    assert client.get("/data", params=graph, headers={"Accept": "text/csv"}).status_code == 406
    extra = "<http://example.org/erin> <http://xmlns.com/foaf/0.1/age> 30 ."
    assert client.post("/data", params=graph, content=extra, headers=turtle).status_code == 204
    assert len(rdflib.Graph().parse(data=client.get("/data", params=graph).text)) == 5
    assert client.put("/data", params=graph, content=extra, headers=turtle).status_code == 204
    assert len(rdflib.Graph().parse(data=client.get("/data", params=graph).text)) == 1
    assert client.delete("/data", params=graph, headers=AUTH).status_code == 204
    assert client.delete("/data", params=graph, headers=AUTH).status_code == 404
    assert client.get("/data", params=graph).status_code == 404
    assert names(client) == ["Alice"]


def test_graph_store_creates_and_names_graphs(client: httpx.Client, base: str) -> None:
    turtle = {**AUTH, "Content-Type": "text/turtle"}
    created = client.post("/data", content=PERSON, headers=turtle)
    assert created.status_code == 201
    location = created.headers["location"]
    assert location.startswith(f"{base}/data/")
    assert client.get(location).status_code == 200  # direct identification
    assert client.get("/data", params={"graph": location}).status_code == 200  # indirect
    assert client.delete(location, headers=AUTH).status_code == 204
    default = client.put("/data?default", content=PERSON, headers=turtle)
    assert default.status_code == 204
    # the store's default graph: part of the union queries see, and readable on its own
    assert names(client) == ["Alice", "Erin", "Friend"]
    got = client.get("/data?default")
    want = rdflib.Graph().parse(data=PERSON, format="turtle")
    assert isomorphic(rdflib.Graph().parse(data=got.text, format="turtle"), want)
    assert client.delete("/data?default", headers=AUTH).status_code == 204
    assert client.get("/data?default").text.strip() == ""
    assert client.get("/data", params={"graph": G1, "default": ""}).status_code == 400
    assert client.get("/data").status_code == 400
    assert client.get("/data", params={"graph": "relative"}).status_code == 400
    assert names(client) == ["Alice"]


@pytest.mark.parametrize("media_type", sorted(UPLOADS))
def test_graph_store_upload_formats(client: httpx.Client, media_type: str) -> None:
    graph = {"graph": f"http://example.org/upload/{media_type.split('/')[1]}"}
    headers = {**AUTH, "Content-Type": media_type}
    assert (
        client.put("/data", params=graph, content=UPLOADS[media_type], headers=headers).status_code
        == 201
    )
    assert "Erin" in client.get("/data", params=graph).text
    assert client.delete("/data", params=graph, headers=AUTH).status_code == 204


def test_graph_store_refusals(client: httpx.Client) -> None:
    graph = {"graph": "http://example.org/refused"}
    for content_type, body, status in [
        ("text/plain", PERSON, 415),
        ("application/n-quads", "<http://a> <http://b> <http://c> <http://g> .", 415),
        (None, PERSON, 415),
        ("text/turtle", "<http://a> <http://b> .", 400),
        ("text/turtle; charset=latin-1", PERSON, 400),
        ("text/turtle", "<s> <p> <o> .", 400),  # relative IRIs: no base for uploads
    ]:
        headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
        response = client.put("/data", params=graph, content=body, headers=headers)
        assert response.status_code == status, (content_type, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/data", params=graph).status_code == 404


def test_graph_store_multipart_post_merges_every_part(client: httpx.Client) -> None:
    graph = {"graph": "http://example.org/multipart"}
    files = {
        "a": (
            "a.ttl",
            '<http://example.org/erin> <http://xmlns.com/foaf/0.1/name> "Erin" .',
            "text/turtle",
        ),
        "b": (
            "b.nt",
            '<http://example.org/erin> <http://xmlns.com/foaf/0.1/age> "30" .',
            "application/n-triples",
        ),
    }
    response = client.post("/data", params=graph, files=files, headers=AUTH)
    assert response.status_code == 201, response.text
    assert len(rdflib.Graph().parse(data=client.get("/data", params=graph).text)) == 2
    assert client.delete("/data", params=graph, headers=AUTH).status_code == 204


def test_written_graphs_survive_a_restart(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with running_server(store) as url:
        response = httpx.put(
            f"{url}/data",
            params={"graph": G1},
            content=PERSON,
            headers={**AUTH, "Content-Type": "text/turtle"},
        )
        assert response.status_code == 201
    with running_server(store) as url:
        assert httpx.get(f"{url}/data", params={"graph": G1}).status_code == 200


# -- uploads that must be refused, the server still answering ------------------------------


def test_deeply_nested_triple_terms_are_refused(client: httpx.Client) -> None:
    triple_terms = "<<( <http://a> <http://b> " * 30_000 + "<http://c>" + " )>>" * 30_000
    upload = f"<http://s> <http://p> {triple_terms} ."
    response = client.put(
        "/data",
        params={"graph": "http://example.org/deep"},
        content=upload,
        headers={**AUTH, "Content-Type": "text/turtle"},
    )
    assert response.status_code == 413, response.text
    alive(client)


def test_entity_expansion_is_refused(client: httpx.Client) -> None:
    laughs = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY a "ha">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
  <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
  <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/s"><ex:p>&i;</ex:p></rdf:Description>
</rdf:RDF>"""
    graph = {"graph": "http://example.org/laughs"}
    response = client.put(
        "/data",
        params=graph,
        content=laughs,
        headers={**AUTH, "Content-Type": "application/rdf+xml"},
    )
    assert 400 <= response.status_code < 500, response.text
    assert client.get("/data", params=graph).status_code == 404
    alive(client)


def test_a_huge_upload_is_refused(client: httpx.Client) -> None:
    literal = b'<http://example.org/s> <http://example.org/p> "' + b"x" * 50_000_000 + b'" .\n'
    graph = {"graph": "http://example.org/huge"}
    headers = {**AUTH, "Content-Type": "application/n-triples"}
    assert client.put("/data", params=graph, content=literal, headers=headers).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies as it streams
        for start in range(0, len(literal), 1_000_000):
            yield literal[start : start + 1_000_000]

    assert client.put("/data", params=graph, content=chunks(), headers=headers).status_code == 413
    assert client.get("/data", params=graph).status_code == 404
    alive(client)
