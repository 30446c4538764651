"""Dereferenceable IRIs: a real server whose MCGRAPH_BASE_IRI is its own URL + /id/, so the
IRIs mcgraph mints (document graphs, learner keys, sources) answer a plain GET, negotiated as
HTML (escaped), JSON-LD or Turtle."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest

import live_server
from mcgraph.cli import main
from mcgraph.ingest import graph_iri
from mcgraph.synthetic import write_dataset

CRED = "https://www.w3.org/2018/credentials#"
ELM = "http://data.europa.eu/snb/model/elm/"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

HOSTILE = """@prefix elm: <http://data.europa.eu/snb/model/elm/> .
@prefix cred: <https://www.w3.org/2018/credentials#> .
@prefix dc: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{base}test/credential> a elm:EuropeanDigitalCredential ;
    cred:credentialSubject <{base}test/credential/subject> .
<{base}test/credential/subject> elm:hasClaim <{base}test/claim> .
<{base}test/claim> a elm:LearningAchievement ;
    dc:title "<script>alert('title')</script> & \\"quoted\\""@en ;
    rdfs:seeAlso <javascript:alert(1)> ;
    elm:specifiedBy <{base}test/spec> .
<{base}test/spec> a elm:LearningAchievementSpecification ;
    dc:title "Specifikace <b>tučně</b>"@cs , "Specification"@en ;
    elm:additionalNote [ a elm:Note ; elm:noteLiteral "a nested <note>"@en ] .
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(the server's URL, its base IRI): the store is loaded with that base."""
    port = live_server.free_port()
    url = f"http://127.0.0.1:{port}"
    base = f"{url}/id/"
    work = tmp_path_factory.mktemp("resolve")
    write_dataset(work / "generated", count=20, seed=3, fmt="nquads")
    (work / "hostile.ttl").write_text(HOSTILE.format(base=base), encoding="utf-8")
    store = work / "store"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MCGRAPH_BASE_IRI", base)
        assert main(["--store", str(store), "load", "--quiet", str(work / "generated")]) == 0
        loaded = [
            "--store",
            str(store),
            "load",
            "--quiet",
            "--allow-invalid",
            "--source",
            "hostile",
        ]
        assert main([*loaded, str(work / "hostile.ttl")]) == 0  # stored, marked not conforming
        patch.setattr(live_server, "free_port", lambda: port)
        with live_server.running_server(store, extra_env={"MCGRAPH_BASE_IRI": base}) as started:
            assert started == url
            yield url, base


@pytest.fixture(scope="module")
def client(served: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as http:  # no base URL: the IRIs themselves are fetched
        yield http


def turtle(response: httpx.Response) -> list[ox.Triple]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/turtle")
    return [q.triple for q in ox.parse(response.content, format=ox.RdfFormat.TURTLE)]


def test_a_minted_graph_iri_answers_a_plain_get(
    client: httpx.Client, served: tuple[str, str]
) -> None:
    _, base = served
    credential = "https://synthetic.mcgraph.example/credential/1"
    graph = graph_iri(base, "local", credential)
    assert graph.startswith(base)
    triples = turtle(client.get(graph))  # no Accept: Turtle, the default
    about = {(t.predicate.value, t.object.value) for t in triples if t.subject.value == graph}
    assert (f"{FOAF}primaryTopic", credential) in about
    assert ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"{DCAT}CatalogRecord") in about
    assert turtle(client.get(graph, headers={"Accept": "*/*"})) == triples


def test_learner_keys_and_sources_resolve(client: httpx.Client, served: tuple[str, str]) -> None:
    url, base = served
    key = quote("https://synthetic.mcgraph.example/credential/2", safe="")
    document = turtle(client.get(f"{url}/api/credentials/{key}", headers={"Accept": "text/turtle"}))
    learner = next(
        t.object.value for t in document if t.predicate.value == CRED + "credentialSubject"
    )
    assert learner.startswith(f"{base}learner/")
    described = turtle(client.get(learner))
    assert any(t.predicate.value == ELM + "hasClaim" for t in described)
    assert any(
        t.object.value == learner and t.predicate.value == CRED + "credentialSubject"
        for t in described
    )
    source = turtle(client.get(f"{base}source/local"))
    assert len({t.subject.value for t in source}) == 20  # every record points to its source


def test_browsers_get_an_escaped_html_page(client: httpx.Client, served: tuple[str, str]) -> None:
    _, base = served
    page = client.get(f"{base}test/claim", headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = page.text
    assert "<script" not in text and "javascript:" not in " ".join(
        re.findall(r'href="[^"]*"', text)
    )
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in text
    assert "<title>&lt;script&gt;" in text  # the English title is the page's title
    assert '<a href="/id/test/spec">' in text  # minted IRIs link within the service
    assert "<code>javascript:alert(1)</code>" in text  # shown, never a link
    assert "Referred to by" in text and 'href="/id/learner/' in text  # the learner key
    spec = client.get(f"{base}test/spec", headers={"Accept": BROWSER}).text
    assert "Specifikace &lt;b&gt;tučně&lt;/b&gt;" in spec and "<b>" not in spec
    assert "Nested descriptions" in spec and "a nested &lt;note&gt;" in spec


def test_json_ld_and_other_rdf(client: httpx.Client, served: tuple[str, str]) -> None:
    _, base = served
    answer = client.get(f"{base}test/spec", headers={"Accept": "application/ld+json"})
    assert answer.headers["content-type"].startswith("application/ld+json")
    nodes = {node["@id"]: node for node in json.loads(answer.text)}
    assert "Specification" in {
        v["@value"] for v in nodes[f"{base}test/spec"]["http://purl.org/dc/terms/title"]
    }
    triples = client.get(f"{base}test/spec", headers={"Accept": "application/n-triples"})
    assert triples.headers["content-type"].startswith("application/n-triples")
    assert len(list(ox.parse(triples.content, format=ox.RdfFormat.N_TRIPLES))) >= 5


def test_nothing_known_is_a_404_problem(client: httpx.Client, served: tuple[str, str]) -> None:
    _, base = served
    for iri in (f"{base}nothing/here", f"{base}", f"{base}has%20space"):
        answer = client.get(iri, headers={"Accept": BROWSER})
        assert (
            answer.status_code == 404
            and answer.headers["content-type"] == "application/problem+json"
        )
        body = answer.json()
        assert body["type"].endswith("/not-found") and body["status"] == 404 and body["detail"]
    refused = client.get(f"{base}test/spec", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and refused.json()["type"].endswith("/not-acceptable")


def test_conditional_get_on_iris(client: httpx.Client, served: tuple[str, str]) -> None:
    _, base = served
    first = client.get(f"{base}test/spec")
    again = client.get(f"{base}test/spec", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    since = client.get(
        f"{base}test/spec", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert since.status_code == 304
