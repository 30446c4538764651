"""The synthetic micro-credential generator: determinism, JSON-LD/N-Quads agreement, the Annex I
contract of generated credentials (and of each defect), shared providers, stacking, datasets."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from mcgraph.errors import UsageError
from mcgraph.synthetic import (
    BASE,
    CONTEXT,
    DEFECT_KEYS,
    INVALID_KEYS,
    GeneratedCredential,
    generate,
    write_dataset,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
CONTEXTS = SHARED / "contexts"
VOCABULARIES = SHARED / "elm" / "vocabularies"
SAMPLES = SHARED / "elm" / "samples"

ELM = "http://data.europa.eu/snb/model/elm/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SKOS_CONCEPT = ox.NamedNode("http://www.w3.org/2004/02/skos/core#Concept")
IS_PART_OF = ox.NamedNode(f"{ELM}isPartOf")
HAS_PART = ox.NamedNode(f"{ELM}hasPart")
SPECIFIED_BY = ox.NamedNode(f"{ELM}specifiedBy")
HAS_CLAIM = ox.NamedNode(f"{ELM}hasClaim")
DC_TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
INVALID_VALUES = {
    "http://publications.europa.eu/resource/authority/country/XXZ",
    "http://data.europa.eu/snb/eqf/9",
}

# ---------------------------------------------------------------- reference material


def _inline_contexts() -> dict[str, Any]:
    index = json.loads((CONTEXTS / "index.json").read_text(encoding="utf-8"))
    return {
        url: json.loads((CONTEXTS / name).read_text(encoding="utf-8"))["@context"]
        for url, name in index.items()
    }


def _vocabulary_labels() -> dict[str, tuple[str, str]]:
    """Concept IRI -> (scheme, English label) of every ELM v3 vocabulary, from the XSDs."""
    concepts: dict[str, tuple[str, str]] = {}
    pattern = re.compile(
        r'<xs:enumeration value="([^"]+)">\s*<xs:annotation>\s*'
        r"<xs:documentation[^>]*>([^<]*)</xs:documentation>"
    )
    for xsd in VOCABULARIES.glob("*.xsd"):
        text = xsd.read_text(encoding="utf-8")
        match = re.search(r'targetNamespace="([^"]+)"', text)
        assert match is not None
        for iri, label in pattern.findall(text):
            concepts[iri] = (match.group(1), " ".join(label.split()))
    return concepts


def _sample_concepts() -> dict[str, tuple[str, str]]:
    """Concepts the EU samples describe (ESCO skills, supervision-verification), same shape."""
    found: dict[str, tuple[str, str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Concept" and "prefLabel" in node and "inScheme" in node:
                found[node["id"]] = (node["inScheme"]["id"], node["prefLabel"]["en"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((SAMPLES / "Sample-MC-Annex1-unsigned.jsonld").read_text(encoding="utf-8")))
    return found


# ---------------------------------------------------------------- parsing helpers


def jsonld_triples(credential: GeneratedCredential, contexts: dict[str, Any]) -> set[ox.Triple]:
    document = credential.to_jsonld()
    assert document["@context"] == list(CONTEXT)
    document["@context"] = [contexts[url] for url in document["@context"]]
    quads = ox.parse(json.dumps(document), format=ox.RdfFormat.JSON_LD)
    return {ox.Triple(q.subject, q.predicate, q.object) for q in quads}


def nquads(credential: GeneratedCredential) -> list[ox.Quad]:
    return list(ox.parse(credential.to_nquads(credential.iri), format=ox.RdfFormat.N_QUADS))


def rdflib_graph(triples: set[ox.Triple]) -> Graph:
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert text is not None
    return Graph().parse(data=text.decode(), format="nt")


@pytest.fixture(scope="module")
def contexts() -> dict[str, Any]:
    return _inline_contexts()


@pytest.fixture(scope="module")
def batch() -> list[GeneratedCredential]:
    """Half of them defective: 15 of each Annex I element key."""
    return list(generate(330, seed=11, defective=0.5))


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_the_same_bytes() -> None:
    first = [(c.to_json(), c.to_nquads(c.iri)) for c in generate(40, seed=5, defective=0.3)]
    again = [(c.to_json(), c.to_nquads(c.iri)) for c in generate(40, seed=5, defective=0.3)]
    assert first == again


def test_same_seed_gives_the_same_dataset_files(tmp_path: Path) -> None:
    for fmt in ("jsonld", "nquads"):
        a, b = tmp_path / f"{fmt}-a", tmp_path / f"{fmt}-b"
        write_dataset(a, count=25, seed=3, defective=0.2, fmt=fmt)
        write_dataset(b, count=25, seed=3, defective=0.2, fmt=fmt)
        files = sorted(p.name for p in a.iterdir())
        assert files == sorted(p.name for p in b.iterdir())
        assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def test_another_seed_gives_other_credentials() -> None:
    one = [c.to_nquads(c.iri) for c in generate(40, seed=1)]
    two = [c.to_nquads(c.iri) for c in generate(40, seed=2)]
    assert sum(a != b for a, b in zip(one, two, strict=True)) >= 38


def test_to_jsonld_returns_a_fresh_document() -> None:
    credential = next(generate(1))
    document = credential.to_jsonld()
    document["credentialSubject"]["givenName"]["en"] = "changed"
    assert credential.to_jsonld()["credentialSubject"]["givenName"]["en"] != "changed"
    assert "\n" not in credential.to_json()


# ---------------------------------------------------------------- one graph, two formats


def test_jsonld_and_nquads_are_the_same_graph(
    batch: list[GeneratedCredential], contexts: dict[str, Any]
) -> None:
    relations: Counter[str] = Counter()
    stacked = [c for c in batch if c.part_of is not None]
    for credential in batch[:40] + stacked:
        quads = nquads(credential)
        assert {q.graph_name for q in quads} == {ox.NamedNode(credential.iri)}
        from_nquads = {q.triple for q in quads}
        assert len(from_nquads) == len(quads), "a triple is written twice"
        assert isomorphic(
            rdflib_graph(jsonld_triples(credential, contexts)), rdflib_graph(from_nquads)
        ), credential.iri
        relations.update(q.predicate.value for q in quads if q.predicate in (IS_PART_OF, HAS_PART))
    assert relations[IS_PART_OF.value] and relations[HAS_PART.value], "both stacking forms"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own Dataset internals
def test_rdflib_reads_the_nquads_into_one_named_graph_per_credential() -> None:
    credentials = list(generate(5, seed=2))
    dataset = Dataset()
    dataset.parse(data="".join(c.to_nquads(c.iri) for c in credentials), format="nquads")
    for c in credentials:
        assert len(dataset.graph(URIRef(c.iri))) == len(nquads(c))


def test_literals_are_typed_as_the_edc_context_types_them(batch: list[GeneratedCredential]) -> None:
    literals: dict[str, set[tuple[str | None, str | None]]] = defaultdict(set)
    for credential in batch[:40]:
        for q in nquads(credential):
            if isinstance(q.object, ox.Literal):
                datatype = None if q.object.language else q.object.datatype.value
                literals[q.predicate.value].add((datatype, q.object.language))
    date_time = {(f"{XSD}dateTime", None)}
    assert literals["https://www.w3.org/2018/credentials#issued"] == date_time
    assert literals["https://www.w3.org/2018/credentials#issuanceDate"] == date_time
    assert literals["https://www.w3.org/2018/credentials#validFrom"] == date_time
    assert literals[f"{ELM}awardingDate"] == date_time
    assert literals[f"{ELM}dateOfBirth"] == date_time
    assert literals[f"{ELM}volumeOfLearning"] == {(f"{XSD}duration", None)}
    assert literals[f"{ELM}point"] == {(f"{XSD}string", None)}
    for name in ("givenName", "familyName", "fullName"):
        assert {lang for _, lang in literals[f"http://xmlns.com/foaf/0.1/{name}"]} == {"en"}
    title_languages = {lang for _, lang in literals[DC_TITLE.value]}
    assert "en" in title_languages and len(title_languages) > 1
    assert None not in title_languages


def test_nquads_escape_quotes_and_line_breaks() -> None:
    texts: set[str] = set()
    for credential in generate(400, seed=4):
        text = credential.to_nquads(credential.iri)
        assert text.count("\n") == len(nquads(credential))  # one quad per line
        texts.update(q.object.value for q in nquads(credential) if isinstance(q.object, ox.Literal))
    assert any("\n" in t for t in texts) and any('"' in t for t in texts)


# ---------------------------------------------------------------- the Annex I contract

_CLAIM = "cred:credentialSubject/elm:hasClaim"
_SPEC = f"{_CLAIM}/elm:specifiedBy"
_BODY = f"{_CLAIM}/elm:awardedBy/elm:awardingBody"
_PREFIXES = """PREFIX elm: <http://data.europa.eu/snb/model/elm/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX cred: <https://www.w3.org/2018/credentials#>
PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rov: <http://www.w3.org/ns/regorg#>
"""
_POSITIVE_DECIMAL = re.compile(r"^([0-9]*[1-9][0-9]*(\.[0-9]+)?|[0-9]+\.[0-9]*[1-9][0-9]*)$")
_EQF = {f"http://data.europa.eu/snb/eqf/{n}" for n in range(1, 9)}
#: Elements that a defect of another element also breaks (none: each defect breaks one).
_COUPLED: dict[str, set[str]] = {}


def _values(store: ox.Store, credential: str, path: str) -> list[Any]:
    query = f"{_PREFIXES}SELECT ?v WHERE {{ <{credential}> {path} ?v }}"
    rows = store.query(query, use_default_graph_as_union=True)
    return [row["v"] for row in rows]  # type: ignore[union-attr]


def annex1_status(credential: GeneratedCredential, countries: set[str]) -> dict[str, str]:
    """Each mandatory element of the credential: ``ok``, ``missing`` or ``invalid``."""
    store = ox.Store()
    store.extend(nquads(credential))

    def store_values(path: str) -> list[Any]:
        return _values(store, credential.iri, path)

    def status(present: list[Any], valid: bool = True) -> str:
        return "missing" if not present else "ok" if valid else "invalid"

    country = store_values(
        f"{_BODY}/(elm:location/elm:address/elm:countryCode"
        "|(elm:eidasLegalIdentifier|rov:registration)/dc:spatial)"
    )
    dates = store_values(f"cred:issued|cred:issuanceDate|{_CLAIM}/elm:awardedBy/elm:awardingDate")
    points = store_values(f"{_SPEC}/elm:creditPoint/elm:point")
    levels = store_values(f"{_SPEC}/elm:EQFLevel")
    titles = (store_values(f"{_CLAIM}/dc:title"), store_values(f"{_SPEC}/dc:title"))
    assert bool(titles[0]) == bool(titles[1]), "claim and specification titles go together"
    return {
        "learner-identity": status(
            store_values("cred:credentialSubject/(foaf:fullName|foaf:givenName|foaf:familyName)")
        ),
        "title": status(titles[0]),
        "issuer-country": status(country, all(c.value in countries for c in country)),
        "awarding-body": status(store_values(f"{_BODY}/(rov:legalName|skos:prefLabel)")),
        "date-of-issue": status(dates, all(d.datatype.value == f"{XSD}dateTime" for d in dates)),
        "learning-outcomes": status(store_values(f"{_SPEC}/elm:learningOutcome")),
        "workload": status(
            store_values(f"{_SPEC}/(elm:creditPoint|elm:volumeOfLearning)"),
            all(_POSITIVE_DECIMAL.match(p.value) for p in points),
        ),
        "level": status(
            store_values(f"{_SPEC}/(elm:EQFLevel|elm:NQFLevel)"),
            all(level.value in _EQF for level in levels),
        ),
        "assessment-type": status(store_values(f"{_CLAIM}/elm:provenBy/elm:specifiedBy/dc:type")),
        "participation-form": status(store_values(f"{_SPEC}/elm:mode")),
        "quality-assurance": status(
            store_values(f"{_SPEC}/elm:accreditation|{_BODY}/elm:accreditation")
        ),
    }


def test_each_credential_breaks_exactly_its_recorded_element(
    batch: list[GeneratedCredential],
) -> None:
    countries = {iri for iri, (scheme, _) in _vocabulary_labels().items() if "/country/" in iri}
    seen: Counter[tuple[str, str | None]] = Counter()
    for credential in batch:
        status = annex1_status(credential, countries)
        expected = dict.fromkeys(DEFECT_KEYS, "ok")
        if credential.defect is not None:
            assert credential.defect_kind in ("missing", "invalid")
            expected[credential.defect] = credential.defect_kind
            for coupled in _COUPLED.get(credential.defect, ()):
                expected[coupled] = "missing"
            seen[(credential.defect, credential.defect_kind)] += 1
        else:
            assert credential.defect_kind is None
        assert status == expected, credential.iri
    assert {key for key, _ in seen} == set(DEFECT_KEYS)
    assert {key for key, kind in seen if kind == "invalid"} == INVALID_KEYS


def test_defects_leave_shared_providers_and_specifications_intact(
    batch: list[GeneratedCredential],
) -> None:
    for credential in batch:
        if credential.defect in ("issuer-country", "quality-assurance"):
            shared_org = not credential.awarding_body.startswith(credential.iri)
            assert not shared_org or credential.defect == "quality-assurance"
        if credential.defect in (
            "title",
            "learning-outcomes",
            "workload",
            "level",
            "participation-form",
        ):
            assert credential.specification == f"{credential.iri}/specification"
        if credential.defect is None:
            assert credential.specification.startswith(f"{BASE}spec/")
            assert credential.awarding_body.startswith(f"{BASE}org/")


def test_concepts_are_real_vocabulary_concepts(batch: list[GeneratedCredential]) -> None:
    known = {**_vocabulary_labels(), **_sample_concepts()}
    esco = {iri for iri in known if iri.startswith("http://data.europa.eu/esco/skill/")}
    assert len(esco) == 4
    used_esco: set[str] = set()
    for credential in batch[:150]:
        store = ox.Store()
        store.extend(nquads(credential))
        rows = store.query(
            "SELECT ?c ?scheme ?label WHERE { ?c a <http://www.w3.org/2004/02/skos/core#Concept> "
            "OPTIONAL { ?c <http://www.w3.org/2004/02/skos/core#inScheme> ?scheme } "
            "OPTIONAL { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?label } }",
            use_default_graph_as_union=True,
        )
        for row in rows:  # type: ignore[union-attr]
            iri = row["c"].value
            if iri in INVALID_VALUES:
                assert row["scheme"] is None, "an invalid value claims no scheme"
                continue
            assert iri in known, f"{iri} is not in an ELM vocabulary nor in the EU sample"
            assert (row["scheme"].value, row["label"].value) == known[iri]
            if iri in esco:
                used_esco.add(iri)
    assert used_esco == esco


def test_nqf_levels_belong_to_the_awarding_country_and_match_the_eqf_level(
    batch: list[GeneratedCredential],
) -> None:
    labels = _vocabulary_labels()
    frameworks = {"AUT": "AT: NQF", "DEU": "DQR", "IRL": "IE NQF", "ITA": "IT NQF", "POL": "PQF"}
    checked = 0
    for credential in batch:
        document = credential.to_jsonld()
        spec = document["credentialSubject"]["hasClaim"]["specifiedBy"]
        if "nqfLevel" not in spec or credential.country not in frameworks:
            continue
        label = labels[spec["nqfLevel"]["id"]][1]
        assert label.startswith(frameworks[credential.country] + " Level ")
        if credential.country != "IRL" and spec["eqfLevel"]["id"] in _EQF:
            assert label.endswith(spec["eqfLevel"]["id"].rsplit("/", 1)[1])
        checked += 1
    assert checked


# ---------------------------------------------------------------- shared nodes and stacking


def _triples_by_subject(
    credentials: list[GeneratedCredential],
) -> dict[str, list[frozenset[ox.Triple]]]:
    """Subject IRI -> its triples in each credential graph that mentions it as a subject."""
    found: dict[str, list[frozenset[ox.Triple]]] = defaultdict(list)
    for credential in credentials:
        per_subject: dict[str, set[ox.Triple]] = defaultdict(set)
        for q in nquads(credential):
            if q.predicate != HAS_PART and isinstance(q.subject, ox.NamedNode):
                per_subject[q.subject.value].add(q.triple)  # (hasPart: said by the part)
        for subject, triples in per_subject.items():
            found[subject].append(frozenset(triples))
    return found


def test_providers_are_shared_nodes_over_twenty_countries() -> None:
    credentials = list(generate(2000, seed=8))
    awarding = Counter(c.awarding_body for c in credentials)
    assert len(awarding) >= 20 and awarding.most_common(1)[0][1] >= 10
    assert len({c.country for c in credentials}) >= 20
    by_subject = _triples_by_subject(credentials[:300])
    shared = [s for s in by_subject if s.startswith((f"{BASE}org/", f"{BASE}agency/"))]
    assert len(shared) > 20
    for subject in shared:
        assert len(set(by_subject[subject])) == 1, f"{subject} is described differently"


def test_specifications_are_shared_and_described_consistently() -> None:
    credentials = list(generate(600, seed=9, defective=0.2))
    used = Counter(c.specification for c in credentials)
    assert used.most_common(1)[0][1] > 1
    for subject, versions in _triples_by_subject(credentials).items():
        if subject.startswith(f"{BASE}spec/") and "/" not in subject[len(f"{BASE}spec/") :]:
            full = max(versions, key=len)
            assert all(v <= full for v in versions), f"{subject} is described differently"


def test_about_a_tenth_stack_into_other_credentials_without_cycles() -> None:
    credentials = list(generate(2000, seed=6, defective=0.1))
    stacked = [c for c in credentials if c.part_of is not None]
    assert 0.06 <= len(stacked) / len(credentials) <= 0.15
    specifications = {c.specification for c in credentials}
    parent: dict[str, str] = {}
    for credential in stacked:
        assert credential.part_of in specifications, "the whole is another credential's spec"
        assert credential.part_of != credential.specification
        quads = nquads(credential)
        whole = ox.NamedNode(credential.part_of)
        part = ox.NamedNode(credential.specification)
        links = {(q.subject, q.predicate, q.object) for q in quads}
        assert (part, IS_PART_OF, whole) in links or (whole, HAS_PART, part) in links
        assert any(q.subject == whole and q.predicate == RDF_TYPE for q in quads)
        assert any(q.subject == whole and q.predicate == DC_TITLE for q in quads)
        if credential.specification.startswith(f"{BASE}spec/"):
            parent[credential.specification] = credential.part_of
    depths = []
    for start in parent:
        chain = [start]
        while chain[-1] in parent:
            assert parent[chain[-1]] not in chain, "a stacking cycle"
            chain.append(parent[chain[-1]])
        depths.append(len(chain))
    assert max(depths) == 3, "chains of three specifications occur, longer ones do not"


# ---------------------------------------------------------------- datasets


@pytest.mark.parametrize("fmt", ["jsonld", "nquads"])
def test_dataset_manifest_matches_what_was_written(tmp_path: Path, fmt: str) -> None:
    summary = write_dataset(tmp_path, count=120, seed=2, defective=0.25, fmt=fmt)
    manifest = json.loads((tmp_path / "_manifest.json").read_text(encoding="utf-8"))
    assert {k: manifest[k] for k in ("seed", "count", "defective", "format")} == {
        "seed": 2,
        "count": 120,
        "defective": 0.25,
        "format": fmt,
    }
    entries = manifest["credentials"]
    generated = list(generate(120, seed=2, defective=0.25))
    assert [e["iri"] for e in entries] == [c.iri for c in generated]
    assert [(e["defect"], e["defect_kind"]) for e in entries] == [
        (c.defect, c.defect_kind) for c in generated
    ]
    assert sum(e["defect"] is not None for e in entries) == 30 == summary.defective
    assert summary.credentials == 120 and summary.providers >= 15
    if fmt == "jsonld":
        files = sorted(p.name for p in tmp_path.glob("*.jsonld"))
        assert files == sorted(e["file"] for e in entries) and summary.files_written == 121
        for entry in entries[:5]:
            text = (tmp_path / entry["file"]).read_text(encoding="utf-8")
            assert text.count("\n") == 1 and json.loads(text)["id"] == entry["iri"]
    else:
        quads = ox.parse(path=tmp_path / "credentials.nq", format=ox.RdfFormat.N_QUADS)
        graphs = {q.graph_name.value for q in quads}
        assert graphs == {e["graph"] for e in entries} == {e["iri"] for e in entries}
        assert summary.files_written == 2


def test_a_smaller_dataset_replaces_a_larger_one(tmp_path: Path) -> None:
    write_dataset(tmp_path, count=12, fmt="jsonld")
    write_dataset(tmp_path, count=5, fmt="nquads")
    assert not list(tmp_path.glob("*.jsonld"))
    write_dataset(tmp_path, count=4, fmt="jsonld")
    (tmp_path / "notes.txt").write_text("kept")
    write_dataset(tmp_path, count=3, fmt="jsonld")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "_manifest.json",
        "credential-000001.jsonld",
        "credential-000002.jsonld",
        "credential-000003.jsonld",
        "notes.txt",
    ]


def test_empty_and_fully_defective_datasets(tmp_path: Path) -> None:
    empty = write_dataset(tmp_path / "empty", count=0)
    assert json.loads((tmp_path / "empty" / "_manifest.json").read_text())["credentials"] == []
    assert empty.files_written == 1
    assert all(c.defect is not None for c in generate(30, defective=1.0))
    assert all(c.defect is None for c in generate(30))


@pytest.mark.parametrize(
    "arguments",
    [{"count": -1}, {"count": 3, "defective": 1.5}, {"count": 3, "fmt": "xml"}],
)
def test_impossible_arguments_are_usage_errors(tmp_path: Path, arguments: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        write_dataset(tmp_path / "out", **arguments)
    assert not (tmp_path / "out").exists(), "nothing is written before the arguments are checked"
