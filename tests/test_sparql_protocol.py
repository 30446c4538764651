"""The SPARQL 1.1 service over a real ``mcgraph serve``: /sparql (Protocol), /update (Update,
write token), /data (Graph Store Protocol), content negotiation, standard clients, and the
hazards that must end in a 4xx for the one request while the server goes on answering."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from live_server import TOKEN, running_server

AUTH = {"Authorization": f"Bearer {TOKEN}"}
G1, G2 = "http://example.org/g1", "http://example.org/g2"
NAMES = "SELECT ?name WHERE { ?person <http://xmlns.com/foaf/0.1/name> ?name } ORDER BY ?name"
DATA = f"""PREFIX foaf: <http://xmlns.com/foaf/0.1/>
INSERT DATA {{
  GRAPH <{G1}> {{ <http://example.org/alice> a foaf:Person ; foaf:name "Alice" . }}
  GRAPH <{G2}> {{ <http://example.org/bob> a foaf:Person ; foaf:name "Bob" . }}
}}"""
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(tmp_path_factory.mktemp("sparql") / "store") as url:
        response = httpx.post(
            f"{url}/update",
            content=DATA,
            headers={**AUTH, "Content-Type": "application/sparql-update"},
        )
        assert response.status_code == 204, response.text
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=60) as http:
        yield http


def names(client: httpx.Client, query: str = NAMES, /, **params: str | list[str]) -> list[str]:
    response = client.get("/sparql", params={"query": query, **params})
    assert response.status_code == 200, response.text
    return [row["name"]["value"] for row in response.json()["results"]["bindings"]]


def alive(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "ASK {}"})
    assert response.status_code == 200 and response.json()["boolean"] is True


# -- /sparql ------------------------------------------------------------------------------------


def test_the_three_ways_to_send_a_query_agree(client: httpx.Client) -> None:
    get = client.get("/sparql", params={"query": NAMES})
    form = client.post("/sparql", data={"query": NAMES})
    direct = client.post(
        "/sparql", content=NAMES, headers={"Content-Type": "application/sparql-query"}
    )
    assert get.status_code == form.status_code == direct.status_code == 200
    assert get.json() == form.json() == direct.json()
    assert [r["name"]["value"] for r in get.json()["results"]["bindings"]] == ["Alice", "Bob"]


def test_the_default_graph_is_the_union_unless_a_dataset_is_given(client: httpx.Client) -> None:
    assert names(client) == ["Alice", "Bob"]
    assert names(client, **{"default-graph-uri": G1}) == ["Alice"]
    assert names(client, **{"default-graph-uri": [G1, G2]}) == ["Alice", "Bob"]
    in_graphs = "SELECT ?name WHERE { GRAPH ?g { ?p <http://xmlns.com/foaf/0.1/name> ?name } }"
    assert names(client, in_graphs, **{"named-graph-uri": G2}) == ["Bob"]
    # named graphs given, default graph not: the default graph is empty
    assert names(client, **{"named-graph-uri": G2}) == []


@pytest.mark.parametrize(
    ("query", "accept", "media_type"),
    [
        (NAMES, None, "application/sparql-results+json"),
        (NAMES, "*/*", "application/sparql-results+json"),
        (NAMES, "application/sparql-results+xml", "application/sparql-results+xml"),
        (NAMES, "text/csv", "text/csv"),
        (NAMES, "text/tab-separated-values", "text/tab-separated-values"),
        (NAMES, "text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        (NAMES, "text/turtle, text/*;q=0.2", "text/csv"),
        ("ASK { ?s ?p ?o }", "application/sparql-results+xml", "application/sparql-results+xml"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", None, "text/turtle"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "*/*", "text/turtle"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples", "application/n-triples"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "application/rdf+xml", "application/rdf+xml"),
        ("DESCRIBE <http://example.org/bob>", "application/ld+json", "application/ld+json"),
    ],
)
def test_content_negotiation(
    client: httpx.Client, query: str, accept: str | None, media_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", params={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    if media_type in ("text/turtle", "application/n-triples", "application/rdf+xml"):
        fmt = {"text/turtle": "turtle", "application/n-triples": "nt"}.get(media_type, "xml")
        assert len(rdflib.Graph().parse(data=response.text, format=fmt)) > 0


def test_format_parameter_and_406(client: httpx.Client) -> None:
    csv = client.get("/sparql", params={"query": NAMES, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.startswith("name\r\n")
    for query, accept in [(NAMES, "text/turtle"), ("CONSTRUCT {} WHERE {}", "text/csv")]:
        response = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
        assert response.status_code == 406, response.text
    assert client.get("/sparql", params={"query": NAMES, "format": "png"}).status_code == 400


@pytest.mark.parametrize(
    ("method", "params", "content", "content_type", "status"),
    [
        ("GET", {"query": "ASK {"}, None, None, 400),
        ("GET", [("query", "ASK {}"), ("query", "ASK {}")], None, None, 400),
        ("GET", {"query": "ASK {}", "default-graph-uri": "not an iri"}, None, None, 400),
        ("GET", {"update": "CLEAR ALL"}, None, None, 400),
        ("POST", None, "update=CLEAR%20ALL", FORM, 400),
        ("POST", None, "CLEAR ALL", "application/sparql-query", 400),
        ("POST", None, "", FORM, 400),
        ("POST", None, "ASK {}".encode("utf-16"), "application/sparql-query; charset=UTF-16", 400),
        ("POST", None, b"ASK { FILTER(\xff) }", "application/sparql-query", 400),
        ("POST", None, "ASK {}", "text/plain", 415),
        ("POST", None, "query=ASK%20%7B%7D", None, 415),
        ("POST", None, "CLEAR ALL", "application/sparql-update", 415),
        ("PUT", {"query": "ASK {}"}, "", FORM, 405),
        ("DELETE", None, None, None, 405),
    ],
)
def test_protocol_errors(
    client: httpx.Client,
    method: str,
    params: Any,
    content: str | bytes | None,
    content_type: str | None,
    status: int,
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.request(
        method,
        "/sparql",
        params=params,
        content=content,
        headers=headers,
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/plain")  # the protocol's error form


def test_service_description(client: httpx.Client, base: str) -> None:
    turtle = client.get("/sparql")
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    service = rdflib.URIRef(f"{base}/sparql")
    assert (service, rdflib.RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    dataset = graph.value(service, SD.defaultDataset)
    assert "union of all graphs" in str(graph.value(dataset, rdflib.DCTERMS.description))
    for accept, fmt in [("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")]:
        other = client.get("/sparql", headers={"Accept": accept})
        assert isomorphic(rdflib.Graph().parse(data=other.text, format=fmt), graph)
    assert client.get("/sparql", headers={"Accept": "text/csv"}).status_code == 406


# -- standard clients ---------------------------------------------------------------------------


def test_sparqlwrapper(base: str) -> None:
    def ask(fmt: str, query: str = NAMES) -> object:
        wrapper = SPARQLWrapper(f"{base}/sparql")
        wrapper.setQuery(query)
        wrapper.setReturnFormat(fmt)
        return wrapper.query().convert()

    as_json = ask(JSON)
    assert isinstance(as_json, dict)
    assert [r["name"]["value"] for r in as_json["results"]["bindings"]] == ["Alice", "Bob"]
    as_xml = ask(XML)
    assert isinstance(as_xml, Document)
    assert [n.childNodes[0].nodeValue for n in as_xml.getElementsByTagName("literal")] == [
        "Alice",
        "Bob",
    ]
    as_csv = ask(CSV)
    assert isinstance(as_csv, bytes) and as_csv.decode().split() == ["name", "Alice", "Bob"]
    turtle = ask(TURTLE, "CONSTRUCT WHERE { ?s <http://xmlns.com/foaf/0.1/name> ?o }")
    assert isinstance(turtle, bytes)
    assert len(rdflib.Graph().parse(data=turtle, format="turtle")) == 2


def test_rdflib_sparqlstore(base: str) -> None:
    graph = rdflib.Graph(store=SPARQLStore(f"{base}/sparql"))
    rows = graph.query(NAMES)
    assert [str(row[0]) for row in rows] == ["Alice", "Bob"]  # type: ignore[index]
    people = set(graph.subjects(rdflib.RDF.type, rdflib.FOAF.Person))
    assert people == {
        rdflib.URIRef("http://example.org/alice"),
        rdflib.URIRef("http://example.org/bob"),
    }


# -- /update ------------------------------------------------------------------------------------


def test_writes_need_the_token(client: httpx.Client) -> None:
    insert = 'INSERT DATA { GRAPH <http://example.org/g3> { <http://example.org/carol> <http://xmlns.com/foaf/0.1/name> "Carol" } }'
    update = {"Content-Type": "application/sparql-update"}
    turtle = {"Content-Type": "text/turtle"}
    body = '<http://example.org/dan> <http://xmlns.com/foaf/0.1/name> "Dan" .'
    for auth, status in [({}, 401), ({"Authorization": "Bearer wrong"}, 403)]:
        assert (
            client.post("/update", content=insert, headers={**update, **auth}).status_code == status
        )
        graph = {"graph": "http://example.org/g4"}
        for method in ("PUT", "POST"):
            response = client.request(
                method, "/data", params=graph, content=body, headers={**turtle, **auth}
            )
            assert response.status_code == status
        assert client.delete("/data", params={"graph": G1}, headers=auth).status_code == status
        assert names(client) == ["Alice", "Bob"]
    assert client.post("/update", content=insert, headers={**update, **AUTH}).status_code == 204
    assert names(client) == ["Alice", "Bob", "Carol"]
    drop = client.post(
        "/update", data={"update": "DROP GRAPH <http://example.org/g3>"}, headers=AUTH
    )
    assert drop.status_code == 204 and names(client) == ["Alice", "Bob"]


def test_a_server_without_a_token_refuses_every_write(tmp_path: Path) -> None:
    with running_server(tmp_path / "store", token=None) as url:
        for method, path, params, content_type in [
            ("POST", "/update", None, "application/sparql-update"),
            ("PUT", "/data", {"graph": G1}, "text/turtle"),
            ("POST", "/data", None, "text/turtle"),
            ("DELETE", "/data", {"default": ""}, None),
        ]:
            headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
            body = (
                'INSERT DATA { <http://a> <http://b> "c" }'
                if path == "/update"
                else '<http://a> <http://b> "c" .'
            )
            response = httpx.request(
                method, url + path, params=params, content=body, headers=headers
            )
            assert response.status_code == 403, response.text
        empty = httpx.get(f"{url}/sparql", params={"query": "ASK { ?s ?p ?o }"})
        assert empty.json()["boolean"] is False


@pytest.mark.parametrize(
    ("params", "content", "content_type", "status"),
    [
        (None, "CLEAR XYZ", "application/sparql-update", 400),
        (None, "CREATE GRAPH <http://example.org/g1>", "application/sparql-update", 400),
        (
            {"using-graph-uri": G1},
            "WITH <http://example.org/g1> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
            "application/sparql-update",
            400,
        ),
        (
            {"using-named-graph-uri": G1},
            "DELETE { ?s ?p ?o } USING <http://x> WHERE { ?s ?p ?o }",
            "application/sparql-update",
            400,
        ),
        (None, "CLEAR ALL", "text/plain", 415),
        (None, "update=CLEAR%20ALL", None, 415),
        (None, "CLEAR ALL".encode("utf-16"), "application/sparql-update; charset=UTF-16", 400),
        (None, "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT", FORM, 400),
        (None, "query=ASK%20%7B%7D", FORM, 400),
    ],
)
def test_update_errors_change_nothing(
    client: httpx.Client,
    params: Any,
    content: str | bytes,
    content_type: str | None,
    status: int,
) -> None:
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    response = client.post("/update", params=params, content=content, headers=headers)
    assert response.status_code == status, response.text
    assert names(client) == ["Alice", "Bob"]
    assert client.get("/update", params={"update": "CLEAR ALL"}).status_code == 405


def test_using_graph_uri_sets_the_dataset_of_each_operation(client: httpx.Client) -> None:
    copy = (
        "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
        "INSERT { GRAPH <http://example.org/copy> { ?p foaf:name ?n } } WHERE { ?p foaf:name ?n }"
    )
    response = client.post(
        "/update",
        params={"using-graph-uri": G2},
        content=copy,
        headers={**AUTH, "Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 204, response.text
    assert names(client, **{"default-graph-uri": "http://example.org/copy"}) == ["Bob"]
    # DELETE WHERE, restricted to the copy graph by using-named-graph-uri
    delete = "DELETE WHERE { GRAPH ?g { ?p <http://xmlns.com/foaf/0.1/name> ?n } }"
    response = client.post(
        "/update",
        params={"using-named-graph-uri": "http://example.org/copy"},
        content=delete,
        headers={**AUTH, "Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 204, response.text
    assert names(client) == ["Alice", "Bob"]


# -- hazards: a 4xx for the request, nothing sent anywhere, the server still answering ----------


@pytest.fixture
def listener() -> Iterator[tuple[str, list[object]]]:
    """A loopback port that records every connection made to it."""
    connections: list[object] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connections.append(server.accept())
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", connections
    stop.set()
    thread.join()
    server.close()


def test_service_and_load_are_refused_before_any_connection(
    client: httpx.Client, listener: tuple[str, list[object]]
) -> None:
    local, connections = listener
    for target in ("http://203.0.113.1", local):
        started = time.monotonic()
        query = f"SELECT * WHERE {{ SERVICE <{target}/sparql> {{ ?s ?p ?o }} }}"
        assert client.get("/sparql", params={"query": query}).status_code == 403
        update = f"LOAD <{target}/x.ttl>"
        headers = {**AUTH, "Content-Type": "application/sparql-update"}
        assert client.post("/update", content=update, headers=headers).status_code == 403
        prefixed = (
            f"PREFIX r: <{target}/> SELECT * WHERE {{ SERVICE SILENT r:sparql {{ ?s ?p ?o }} }}"
        )
        assert client.get("/sparql", params={"query": prefixed}).status_code == 403
        assert time.monotonic() - started < 5
    time.sleep(0.5)
    assert connections == []
    alive(client)


def test_deep_nesting_is_refused(client: httpx.Client) -> None:
    deep = "ASK { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }"
    assert client.post("/sparql", data={"query": deep}).status_code == 400
    alive(client)
    terms = "<< <http://a> <http://b> " * 30_000 + "<http://c>" + " >>" * 30_000
    update = f"INSERT DATA {{ <http://s> <http://p> {terms} }}"
    headers = {**AUTH, "Content-Type": "application/sparql-update"}
    assert client.post("/update", content=update, headers=headers).status_code == 400
    alive(client)
