"""The REST API under /api against a real server over 300 generated credentials and a CSV
catalogue: every endpoint, each filter checked against what the generated file itself says
(read here without mcgraph), keyset paging, conditional GET, problem bodies, writes."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest

from live_server import TOKEN, running_server
from mcgraph import queries
from mcgraph.api.rest_credentials import MAX_LIMIT
from mcgraph.cli import main
from mcgraph.elements import standard_model
from mcgraph.synthetic import generate, write_dataset

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = SHARED / "elm" / "samples"
CATALOGUE = Path(__file__).resolve().parent / "data" / "catalogue-good.csv"
COUNT, SEED = 300, 23
ORIGIN = "https://portal.example"
ELM = "http://data.europa.eu/snb/model/elm/"
CRED = "https://www.w3.org/2018/credentials#"
DC = "http://purl.org/dc/terms/"
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
PROBLEM = "application/problem+json"


@dataclass
class Facts:
    """What one generated credential says, read straight from the N-Quads file."""

    iri: str
    eqf: int | None = None
    nqf: str | None = None
    provider: str | None = None
    country: str | None = None
    ects: list[Decimal] = field(default_factory=list)
    assessment_types: set[str] = field(default_factory=set)
    modes: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)


def read_facts(nquads: Path) -> dict[str, Facts]:
    graphs: dict[str, list[ox.Quad]] = {}
    for quad in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS):
        graphs.setdefault(quad.graph_name.value, []).append(quad)  # type: ignore[union-attr]
    facts = {}
    for graph, quads in graphs.items():

        def objects(subject: str, predicate: str, quads: list[ox.Quad] = quads) -> list[Any]:
            return [
                q.object
                for q in quads
                if q.subject.value == subject and q.predicate.value == predicate  # type: ignore[union-attr]
            ]

        def one(subject: str, *path: str) -> list[str]:
            nodes = [subject]
            for predicate in path:
                nodes = [o.value for n in nodes for o in objects(n, predicate)]
            return nodes

        fact = Facts(graph)
        claim = one(graph, CRED + "credentialSubject", ELM + "hasClaim")[0]
        spec = one(claim, ELM + "specifiedBy")[0]
        levels = one(spec, ELM + "EQFLevel")
        fact.eqf = int(levels[0].rsplit("/", 1)[1]) if levels else None
        fact.nqf = next(iter(one(spec, ELM + "NQFLevel")), None)
        fact.provider = one(claim, ELM + "awardedBy", ELM + "awardingBody")[0]
        fact.country = next(
            iter(one(fact.provider, ELM + "location", ELM + "address", ELM + "countryCode")), None
        )
        for credit in one(spec, ELM + "creditPoint"):
            if ECTS in one(credit, ELM + "framework"):
                fact.ects += [Decimal(p) for p in one(credit, ELM + "point")]
        fact.assessment_types = set(
            one(claim, ELM + "provenBy", ELM + "specifiedBy", DC + "type")
        ) | set(one(spec, ELM + "provenBy", DC + "type"))
        fact.modes = set(one(spec, ELM + "mode"))
        for predicate in (DC + "title", DC + "description"):
            fact.texts += [o.value for o in objects(spec, predicate)]
        fact.titles = {o.language: o.value for o in objects(spec, DC + "title")}
        facts[graph] = fact
    return facts


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    write_dataset(out, count=COUNT, seed=SEED, fmt="nquads")
    return out


@pytest.fixture(scope="module")
def facts(dataset: Path) -> dict[str, Facts]:
    return read_facts(dataset / "credentials.nq")


@pytest.fixture(scope="module")
def server(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("api") / "store"
    assert main(["--store", str(store), "load", "--quiet", str(dataset)]) == 0
    assert main(["--store", str(store), "load", "--quiet", "--source", "csv", str(CATALOGUE)]) == 0
    env = {
        "MCGRAPH_CONTEXTS": str(SHARED / "contexts"),
        "MCGRAPH_CONTEXT_CACHE": str(tmp_path_factory.mktemp("context-cache")),
        "MCGRAPH_CORS_ORIGINS": ORIGIN,
    }
    with running_server(store, extra_env=env) as base:
        yield base


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as http:
        yield http


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("https://w3id.org/mcgraph/problems/")
    return body


def all_ids(client: httpx.Client, params: dict[str, Any], limit: int = 500) -> list[str]:
    """Every credential id the list gives for ``params``, following the cursors."""
    ids: list[str] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/credentials", params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        ids += [item["id"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            return ids
        assert len(body["items"]) == limit
        assert f"cursor={cursor}" in page.headers["link"]


# -- credentials --------------------------------------------------------------------------------


def test_keyset_paging_gives_every_credential_once_in_order(
    client: httpx.Client, facts: dict[str, Facts]
) -> None:
    ids = all_ids(client, {}, limit=37)
    assert ids == sorted(facts)  # each once, in IRI order: 300 = 8 full pages of 37 and 4
    first = client.get("/api/credentials").json()
    assert len(first["items"]) == 50 and first["next"] is not None


def filter_cases(facts: dict[str, Facts]) -> list[tuple[dict[str, Any], set[str]]]:
    """(query parameters, the credentials they must give), from the generated data."""
    values = list(facts.values())
    eqf = Counter(f.eqf for f in values).most_common(1)[0][0]
    nqf = Counter(f.nqf for f in values if f.nqf).most_common(1)[0][0]
    provider = Counter(f.provider for f in values).most_common(1)[0][0]
    country = Counter(f.country for f in values).most_common(2)[1][0]
    assessment = Counter(a for f in values for a in f.assessment_types).most_common(2)[1][0]
    mode = Counter(m for f in values for m in f.modes).most_common(2)[1][0]
    german = next(t for f in values for lang, t in f.titles.items() if lang == "de")
    word = max(re.findall(r"\w+", german), key=len)
    assert country and provider and nqf
    code = country.removeprefix(COUNTRY)
    return [
        ({"eqf": eqf}, {f.iri for f in values if f.eqf == eqf}),
        ({"nqf": nqf}, {f.iri for f in values if f.nqf == nqf}),
        ({"provider": provider}, {f.iri for f in values if f.provider == provider}),
        ({"country": code}, {f.iri for f in values if f.country == country}),
        ({"country": code.lower()}, {f.iri for f in values if f.country == country}),
        ({"country": country}, {f.iri for f in values if f.country == country}),
        ({"ects_min": "5"}, {f.iri for f in values if any(p >= 5 for p in f.ects)}),
        ({"ects_max": "2.5"}, {f.iri for f in values if any(p <= Decimal("2.5") for p in f.ects)}),
        (
            {"ects_min": "2", "ects_max": "3"},
            {f.iri for f in values if any(p >= 2 for p in f.ects) and any(p <= 3 for p in f.ects)},
        ),
        (
            {"assessment_type": assessment},
            {f.iri for f in values if assessment in f.assessment_types},
        ),
        ({"participation_form": mode}, {f.iri for f in values if mode in f.modes}),
        (
            {"q": word.upper()},
            {f.iri for f in values if any(word.lower() in t.lower() for t in f.texts)},
        ),
        (
            {"eqf": eqf, "country": code},
            {f.iri for f in values if f.eqf == eqf and f.country == country},
        ),
    ]


def test_each_filter_narrows_to_exactly_the_matching_credentials(
    client: httpx.Client, facts: dict[str, Facts]
) -> None:
    for params, expected in filter_cases(facts):
        assert 0 < len(expected) < len(facts), params
        assert set(all_ids(client, params)) == expected, params
    assert all_ids(client, {"q": "no such words anywhere"}) == []


def test_filtered_paging_covers_the_matches_once(
    client: httpx.Client, facts: dict[str, Facts]
) -> None:
    params, expected = filter_cases(facts)[0]
    ids = all_ids(client, params, limit=7)
    assert ids == sorted(expected)


def test_list_items_say_what_the_data_says(client: httpx.Client, facts: dict[str, Facts]) -> None:
    for item in client.get("/api/credentials", params={"limit": 100}).json()["items"]:
        fact = facts[item["id"]]
        assert item["eqfLevel"] == fact.eqf and item["nqfLevel"] == fact.nqf
        assert item["provider"]["id"] == fact.provider
        assert item["provider"]["country"] == (fact.country or "").removeprefix(COUNTRY)
        assert item["title"] == fact.titles.get("en", item["title"])
        assert item["ects"] == (float(min(fact.ects)) if fact.ects else None)


def test_list_as_rdf_describes_the_page(client: httpx.Client) -> None:
    params = {"limit": 5, "eqf": 6}
    page = client.get("/api/credentials", params=params).json()
    for accept, fmt in (
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
    ):
        answer = client.get("/api/credentials", params=params, headers={"Accept": accept})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(accept)
        triples = list(ox.parse(answer.content, format=fmt))
        typed = {
            t.subject.value
            for t in triples
            if t.object == ox.NamedNode(ELM + "EuropeanDigitalCredential")
        }
        assert typed == {item["id"] for item in page["items"]}
        assert any(t.predicate.value == ELM + "EQFLevel" for t in triples)
        assert 'rel="next"' in answer.headers["link"]


def test_bad_list_requests_are_problems(client: httpx.Client) -> None:
    for params in (
        {"eqf": 9},
        {"limit": 501},
        {"limit": 0},
        {"ects_min": "abc"},
        {"nqf": "not an iri"},
    ):
        assert_problem(client.get("/api/credentials", params=params), 400)
    body = assert_problem(client.get("/api/credentials", params={"cursor": "@@@"}), 400)
    assert body["type"].endswith("/bad-cursor")
    assert_problem(client.get("/api/credentials", headers={"Accept": "image/png"}), 406)


def test_one_credential_by_short_id_or_encoded_iri(
    client: httpx.Client, facts: dict[str, Facts]
) -> None:
    item = client.get("/api/credentials", params={"limit": 1}).json()["items"][0]
    by_key = client.get(f"/api/credentials/{item['key']}")
    by_iri = client.get(f"/api/credentials/{quote(item['id'], safe='')}")
    assert by_key.status_code == by_iri.status_code == 200
    detail = by_key.json()
    assert detail == by_iri.json()
    fact = facts[item["id"]]
    assert detail["titles"] == fact.titles and set(detail["modes"]) == fact.modes
    assert set(detail["assessmentTypes"]) == fact.assessment_types
    presence = {e["key"]: e for e in detail["elements"]}
    mandatory = [
        e.key
        for e in standard_model().elements
        if any(p.endswith("#issued") for p in e.mandatory_for)
    ]
    assert all(presence[key]["present"] and presence[key]["mandatory"] for key in mandatory)
    assert presence["grade"]["present"] is False  # grades are personal data: never stored
    record = detail["documents"][0]
    assert record["topic"] == item["id"] and record["conforms"] is True
    assert record["profile"] == "issued" and record["source"].endswith("/source/local")
    turtle = client.get(f"/api/credentials/{item['key']}", headers={"Accept": "text/turtle"})
    triples = list(ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))
    assert ox.NamedNode(item["id"]) in {t.subject for t in triples} and len(triples) > 50


def test_unknown_credentials_are_404_problems(client: httpx.Client) -> None:
    for name in (
        "nope",
        quote("https://example.org/none", safe=""),
        "aHR0cHM6Ly9leGFtcGxlLm9yZy94",
    ):
        assert_problem(client.get(f"/api/credentials/{name}"), 404)


# -- providers, elements, named queries ---------------------------------------------------------


def test_providers_with_their_counts(client: httpx.Client, facts: dict[str, Facts]) -> None:
    answer = client.get("/api/providers")
    providers = {p["id"]: p for p in answer.json()["items"]}
    awarded = Counter(f.provider for f in facts.values())
    for iri, count in awarded.items():
        assert providers[iri]["credentials"] == count
        assert providers[iri]["specifications"] >= 1 and providers[iri]["name"]
    country_of = {f.provider: f.country for f in facts.values()}
    assert all(
        providers[p]["country"] == (c or "").removeprefix(COUNTRY) for p, c in country_of.items()
    )
    catalogue = [p for iri, p in providers.items() if iri not in awarded]
    assert catalogue and all(p["credentials"] == 0 and p["specifications"] >= 1 for p in catalogue)
    one = catalogue[0]
    assert client.get(f"/api/providers/{one['key']}").json() == one
    turtle = client.get(f"/api/providers/{one['key']}", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and one["id"] in turtle.text
    assert_problem(client.get("/api/providers/nope"), 404)


def test_elements_from_the_single_source(client: httpx.Client) -> None:
    body = client.get("/api/elements").json()
    model = standard_model()
    assert [e["key"] for e in body["items"]] == list(model.element_keys) and len(
        body["items"]
    ) == 16
    assert body["profiles"] == ["issued", "specification"]
    for element in body["items"]:
        assert element["labels"]["en"] and element["labels"]["cs"]
    by_key = {e["key"]: e for e in body["items"]}
    assert by_key["learner-identity"]["mandatory"] == {"issued": True, "specification": False}
    assert by_key["title"]["mandatory"] == {"issued": True, "specification": True}
    assert by_key["grade"]["mandatory"] == {"issued": False, "specification": False}


def test_named_queries_listed_with_typed_parameters(client: httpx.Client) -> None:
    items = {q["name"]: q for q in client.get("/api/queries").json()["items"]}
    assert set(items) == set(queries.named_queries())
    level = items["credentials-at-eqf-level"]
    assert level["form"] == "SELECT" and level["title"]
    assert level["parameters"] == [
        {
            "name": "level",
            "type": "eqf-level",
            "required": True,
            "description": level["parameters"][0]["description"],
        }
    ]


def test_running_a_named_query(client: httpx.Client, facts: dict[str, Facts]) -> None:
    expected = Counter(f.eqf for f in facts.values())
    answer = client.get("/api/queries/credentials-at-eqf-level", params={"level": 6})
    assert answer.headers["content-type"].startswith("application/sparql-results+json")
    assert len(answer.json()["results"]["bindings"]) == expected[6]
    csv = client.get("/api/queries/credentials-per-eqf-level", headers={"Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    rows = dict(line.split(",") for line in csv.text.strip().splitlines()[1:])
    assert {int(k.rsplit("/", 1)[1]): int(v) for k, v in rows.items()} == dict(expected)
    graph = client.get(
        "/api/queries/api-describe",
        params={"resource": next(iter(facts))},
        headers={"Accept": "application/ld+json"},
    )
    assert graph.status_code == 200 and json.loads(graph.text)


def test_named_query_problems_name_the_parameter(client: httpx.Client) -> None:
    body = assert_problem(
        client.get("/api/queries/credentials-at-eqf-level", params={"level": 9}), 400
    )
    assert "level" in body["detail"]
    body = assert_problem(client.get("/api/queries/credentials-at-eqf-level"), 400)
    assert "level" in body["detail"]
    assert_problem(client.get("/api/queries/documents", params={"x": "1"}), 400)
    assert_problem(client.get("/api/queries/credentials-at-eqf-level?level=6&level=7"), 400)
    assert_problem(client.get("/api/queries/no-such-query"), 404)


# -- validation and writes ----------------------------------------------------------------------


def test_validate_answers_what_the_cli_prints(
    client: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    before = client.get("/api/queries/documents").json()
    etag = client.get("/api/elements").headers["etag"]
    for name, media in (
        ("Sample-MC-Annex1-unsigned.jsonld", "application/ld+json"),
        ("credential-sample.ttl", "text/turtle"),
        ("Sample-MC-Annex1-signed.jsonld", ""),
    ):
        path = SAMPLES / name
        headers = {"Content-Type": media} if media else {}
        answer = client.post("/api/validate", content=path.read_bytes(), headers=headers)
        assert answer.status_code == 200, answer.text
        main(["--contexts", str(SHARED / "contexts"), "validate", "--format", "json", str(path)])
        printed = json.loads(capsys.readouterr().out)
        printed["documents"][0]["source"] = "request"
        assert answer.json() == printed
    assert client.get("/api/queries/documents").json() == before  # nothing stored
    assert client.get("/api/elements").headers["etag"] == etag


def test_unreadable_bodies_are_problems(client: httpx.Client) -> None:
    post = client.post
    assert_problem(
        post("/api/validate", content=b"@prefix broken", headers={"Content-Type": "text/turtle"}),
        400,
    )
    doctype = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    assert_problem(
        post("/api/validate", content=doctype, headers={"Content-Type": "application/rdf+xml"}), 413
    )
    assert_problem(
        post("/api/validate", content=b"GIF89a", headers={"Content-Type": "image/gif"}), 415
    )
    missing = json.dumps({"@context": "https://example.org/unknown-context", "id": "urn:x"})
    body = assert_problem(
        post("/api/validate", content=missing, headers={"Content-Type": "application/ld+json"}), 422
    )
    assert "unknown-context" in body["detail"]
    assert_problem(post("/api/validate", params={"profile": "nope"}, content=b"{}"), 400)


def posted_credential() -> tuple[str, str]:
    """A generated credential of the dataset's own world (its shared providers and
    specifications are identical), under an IRI of its own, as JSON-LD."""
    credential = list(generate(COUNT, seed=SEED))[41]
    own = "https://synthetic.mcgraph.example/posted/42"
    text = credential.to_json().replace(credential.iri + '"', own + '"')
    return own, text.replace(credential.iri + "/", own + "/")


INVALID = """@prefix elm: <http://data.europa.eu/snb/model/elm/> .
@prefix cred: <https://www.w3.org/2018/credentials#> .
<https://api-test.example/credential/bare> a elm:EuropeanDigitalCredential ;
    cred:credentialSubject <https://api-test.example/credential/bare/subject> .
<https://api-test.example/credential/bare/subject> elm:hasClaim <https://api-test.example/credential/bare/claim> .
"""


def test_writes_need_the_token(client: httpx.Client) -> None:
    _, document = posted_credential()
    headers = {"Content-Type": "application/ld+json"}
    answer = client.post("/api/documents", content=document, headers=headers)
    assert_problem(answer, 401)
    assert answer.headers["www-authenticate"].startswith("Bearer")
    wrong = {**headers, "Authorization": "Bearer wrong"}
    assert_problem(client.post("/api/documents", content=document, headers=wrong), 403)
    assert_problem(client.delete("/api/documents/nope"), 401)
    assert_problem(client.delete("/api/documents/nope", headers={"Authorization": "Bearer x"}), 403)


def test_store_read_and_delete_a_document(client: httpx.Client) -> None:
    iri, document = posted_credential()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    etag = client.get("/api/credentials").headers["etag"]
    stored = client.post(
        "/api/documents",
        params={"source": "api-test"},
        content=document,
        headers={**auth, "Content-Type": "application/ld+json"},
    )
    try:
        assert stored.status_code == 201, stored.text
        body = stored.json()
        assert body["status"] == "stored" and body["topic"] == iri and body["report"]["conforms"]
        assert (
            "/graph/api-test/" in body["graph"] and stored.headers["location"] == body["location"]
        )
        record = client.get(stored.headers["location"])
        assert record.json()["topic"] == iri and record.json()["source"].endswith(
            "/source/api-test"
        )
        assert client.get("/api/credentials", headers={"If-None-Match": etag}).status_code == 200
        assert iri in all_ids(client, {})
        assert client.get(f"/api/credentials/{quote(iri, safe='')}").status_code == 200
        again = client.post(
            "/api/documents",
            params={"source": "api-test"},
            content=document,
            headers={**auth, "Content-Type": "application/ld+json"},
        )
        assert again.status_code == 200 and again.json()["status"] == "unchanged"
    finally:
        deleted = client.delete(stored.headers.get("location", "/api/documents/x"), headers=auth)
    assert deleted.status_code == 204
    assert_problem(client.delete(stored.headers["location"], headers=auth), 404)
    assert_problem(client.get(f"/api/credentials/{quote(iri, safe='')}"), 404)


def test_rejected_documents_store_nothing_unless_allowed(client: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}
    before = client.get("/api/queries/documents").json()
    rejected = client.post("/api/documents", content=INVALID, headers=auth)
    body = assert_problem(rejected, 422)
    assert body["report"]["conforms"] is False
    assert {"title", "awarding-body"} <= {r["element"] for r in body["report"]["results"]}
    assert client.get("/api/queries/documents").json() == before
    stored = client.post(
        "/api/documents", params={"allow_invalid": "true"}, content=INVALID, headers=auth
    )
    assert stored.status_code == 201 and stored.json()["status"] == "stored-invalid"
    record = client.get(stored.headers["location"]).json()
    assert record["conforms"] is False and "title" in record["violates"]
    bare = quote("https://api-test.example/credential/bare", safe="")
    assert client.delete(f"/api/documents/{bare}", headers=auth).status_code == 204
    assert client.get("/api/queries/documents").json() == before
    assert_problem(
        client.post("/api/documents", params={"source": "Bad Name"}, content=INVALID, headers=auth),
        400,
    )


def test_the_metadata_graph_is_not_a_document(client: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    metadata = quote("https://w3id.org/mcgraph/id/graph/metadata", safe="")
    assert_problem(client.delete(f"/api/documents/{metadata}", headers=auth), 404)


# -- HTTP behaviour -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/credentials",
        "/api/providers",
        "/api/elements",
        "/api/queries",
        "/api/queries/documents",
    ],
)
def test_conditional_get(client: httpx.Client, path: str) -> None:
    first = client.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.status_code == 200 and "accept" in first.headers["vary"].lower()
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"x", {etag}'},
        {"If-Modified-Since": modified},
    ):
        again = client.get(path, headers=headers)
        assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    assert client.get(path, headers={"If-None-Match": 'W/"other"'}).status_code == 200
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(path, headers={"If-Modified-Since": old}).status_code == 200


def test_cors_for_the_configured_origin_only(client: httpx.Client) -> None:
    allowed = client.get("/api/elements", headers={"Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "etag" in allowed.headers["access-control-expose-headers"].lower()
    other = client.get("/api/elements", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = client.options(
        "/api/documents",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert (
        preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == ORIGIN
    )


def test_openapi_documents_the_api(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/credentials",
        "/api/credentials/{credential_id}",
        "/api/providers",
        "/api/elements",
        "/api/queries/{name}",
        "/api/validate",
        "/api/documents",
        "/id/{path}",
    ):
        assert path in spec["paths"], path
    listed = spec["paths"]["/api/credentials"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"eqf", "country", "q", "limit", "cursor"}
    assert "CredentialPage" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_the_filter_blocks_of_the_credential_queries_agree() -> None:
    def block(name: str) -> list[str]:
        text = queries.named_query(name).text
        start, end = text.index("# -- filters"), text.index("# -- end of filters")
        return [line.strip() for line in text[start:end].splitlines()]

    page = block("api-credential-page")
    assert page == block("api-credential-details") == block("api-credential-graph")
    # the page query returns one more than the largest page, to tell if there is a next one
    assert f"LIMIT {MAX_LIMIT + 1}" in queries.named_query("api-credential-page").text
