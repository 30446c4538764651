"""Validated ingestion into the on-disk store: rejection names the element and writes nothing,
--allow-invalid stores and marks, re-loading changes nothing, personal data stays out."""

from __future__ import annotations

import dataclasses
import gc
import io
import json
import random
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import SAMPLES, sample_json
from mcgraph.contexts import ContextResolver
from mcgraph.documents import RdfDocument, read_document, to_nquads
from mcgraph.errors import DocumentError
from mcgraph.ingest import document_identifier, level_check_quads
from mcgraph.level_checks import LevelChecks
from mcgraph.levels import shipped_referencing
from mcgraph.loaders.sources import read_inputs
from mcgraph.personal import split_personal, split_statements
from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.statements import Statements
from mcgraph.store import LEXICAL_DURATION, protect_durations
from mcgraph.store.embedded import _is_canonical_duration
from mcgraph.synthetic import write_dataset
from mcgraph.validation import detect_profile
from mcgraph.vocab import DC, ELM

EU_SAMPLES = [
    SAMPLES / n for n in ("Sample-MC-Annex1-signed.jsonld", "Sample-MC-Annex1-unsigned.jsonld")
]
ANA = ("Ana Andromeda", "Andromeda", "LA-234218", "1999-10-01", "ana.andromeda@email.com")


@pytest.fixture
def store_settings(settings: Settings, tmp_path: Path) -> Settings:
    return dataclasses.replace(settings, store=tmp_path / "store", learner_salt="test-salt")


def _dump(service: Service) -> str:
    out = io.BytesIO()
    service.export(out, rdf_format="nquads")
    return out.getvalue().decode("utf-8")


def test_eu_samples_are_refused_naming_quality_assurance(store_settings: Settings) -> None:
    service = Service(store_settings)
    summary = service.load(EU_SAMPLES)
    assert summary.rejected == 2 and summary.stored == 0
    for outcome in summary.problems:
        assert "quality-assurance" in outcome.report.elements("violation")  # type: ignore[union-attr]
    assert len(service.repository.public) == 0  # nothing of them was written
    service.close()


def test_allow_invalid_stores_and_marks_them(store_settings: Settings) -> None:
    service = Service(store_settings)
    summary = service.load(EU_SAMPLES, allow_invalid=True)
    assert summary.stored_invalid == 2
    rows = service.select(
        "PREFIX mcg: <https://w3id.org/mcgraph/ns#> PREFIX foaf: <http://xmlns.com/foaf/0.1/> "
        "SELECT ?topic ?conforms (GROUP_CONCAT(STR(?e)) AS ?violated) WHERE { "
        "?g foaf:primaryTopic ?topic ; mcg:conforms ?conforms ; mcg:violates ?e } GROUP BY ?topic ?conforms"
    )
    assert len(rows) == 2
    for row in rows:
        assert row["conforms"] == "false"
        assert "https://w3id.org/mcgraph/ns#quality-assurance" in str(row["violated"])
    service.close()


def test_no_personal_data_of_the_learner_by_default(store_settings: Settings) -> None:
    service = Service(store_settings)
    service.load(EU_SAMPLES, allow_invalid=True)
    dump = _dump(service)
    for personal in ANA:
        assert personal not in dump
    # the achievement is kept, linked to a salted learner key
    rows = service.select(
        "PREFIX cred: <https://www.w3.org/2018/credentials#> PREFIX elm: <http://data.europa.eu/snb/model/elm/> "
        "SELECT DISTINCT ?learner ?claim WHERE { ?c cred:credentialSubject ?learner . ?learner elm:hasClaim ?claim }"
    )
    assert rows and all(
        str(r["learner"]).startswith(store_settings.base_iri + "learner/") for r in rows
    )
    # the same learner (same national ID) in both samples gets the same key
    assert len({r["learner"] for r in rows}) == 1
    assert service.repository.protected is None
    service.close()


def test_keep_personal_data_goes_to_the_protected_store_only(store_settings: Settings) -> None:
    settings = dataclasses.replace(store_settings, keep_personal_data=True)
    service = Service(settings)
    service.load(EU_SAMPLES, allow_invalid=True)
    assert "Ana Andromeda" not in _dump(service)
    assert not service.select('SELECT ?s WHERE { GRAPH ?g { ?s ?p "Ana Andromeda"@en } }')
    assert service.repository.protected is not None
    protected = "\n".join(service.repository.protected.quads())
    assert "Ana Andromeda" in protected and "LA-234218" in protected
    service.close()


def test_a_rejected_document_leaves_the_store_unchanged(
    store_settings: Settings, tmp_path: Path
) -> None:
    write_dataset(tmp_path / "good", count=20, seed=1)
    write_dataset(tmp_path / "bad", count=20, seed=2, defective=1.0)
    service = Service(store_settings)
    assert service.load([tmp_path / "good"]).stored == 20
    before = set(service.repository.public.quads())
    summary = service.load([tmp_path / "bad"])
    assert summary.rejected == 20 and summary.stored == 0
    assert set(service.repository.public.quads()) == before
    service.close()


def test_generated_defects_are_rejected_naming_exactly_their_element(
    store_settings: Settings, tmp_path: Path
) -> None:
    write_dataset(tmp_path / "data", count=110, seed=5, defective=0.5)
    manifest = json.loads((tmp_path / "data" / "_manifest.json").read_text(encoding="utf-8"))
    defects = {str(tmp_path / "data" / c["file"]): c["defect"] for c in manifest["credentials"]}
    service = Service(store_settings)
    summary = service.load([tmp_path / "data"])
    rejected = {o.source: o.report.elements("violation") for o in summary.problems if o.report}  # type: ignore[union-attr]
    assert summary.stored == sum(1 for d in defects.values() if d is None)
    assert rejected == {
        source: {defect} for source, defect in defects.items() if defect is not None
    }
    service.close()


def test_loading_the_same_files_again_changes_nothing(
    store_settings: Settings, tmp_path: Path
) -> None:
    write_dataset(tmp_path / "data", count=30, seed=3)
    service = Service(store_settings)
    first = service.load([tmp_path / "data"])
    assert first.stored == 30
    before = set(service.repository.public.quads())
    again = service.load([tmp_path / "data"])
    assert again.unchanged == 30 and again.stored == 0
    assert set(service.repository.public.quads()) == before
    service.close()


def test_a_changed_document_replaces_its_graph(store_settings: Settings, tmp_path: Path) -> None:
    write_dataset(tmp_path / "data", count=3, seed=3)
    service = Service(store_settings)
    service.load([tmp_path / "data"])
    file = tmp_path / "data" / "credential-000001.jsonld"
    document = json.loads(file.read_text(encoding="utf-8"))
    graphs_before = service.repository.public.graphs()
    document["credentialSubject"]["hasClaim"]["title"] = {"en": "A retitled micro-credential"}
    file.write_text(json.dumps(document), encoding="utf-8")
    summary = service.load([file])
    assert summary.stored == 1
    assert service.repository.public.graphs() == graphs_before
    titles = service.select(
        "PREFIX dc: <http://purl.org/dc/terms/> PREFIX elm: <http://data.europa.eu/snb/model/elm/> "
        "SELECT ?t WHERE { ?claim a elm:LearningAchievement ; dc:title ?t }"
    )
    assert "A retitled micro-credential" in {r["t"] for r in titles}
    assert len(service.source_graphs("local")) == 3
    service.close()


def test_durations_keep_their_lexical_form(store_settings: Settings) -> None:
    service = Service(store_settings)
    service.load([SAMPLES / "Sample-MC-Annex1-unsigned.jsonld"], allow_invalid=True)
    dump = _dump(service)
    assert '"PT60H"^^<http://www.w3.org/2001/XMLSchema#duration>' in dump
    assert "P2DT12H" not in dump
    service.close()


def test_delete_document_and_source(store_settings: Settings, tmp_path: Path) -> None:
    write_dataset(tmp_path / "a", count=4, seed=8)
    service = Service(store_settings)
    service.load([tmp_path / "a"], source="provider-a")
    credential = "https://synthetic.mcgraph.example/credential/1"
    graphs = service.document_graphs(credential)
    assert len(graphs) == 1
    assert service.delete(graphs) == 1
    assert not service.document_graphs(credential)
    assert len(service.source_graphs("provider-a")) == 3
    service.delete(service.source_graphs("provider-a"))
    assert service.repository.public.graphs() in ([], [service.repository.metadata_graph])
    service.close()


def test_backup_is_a_reopenable_copy(store_settings: Settings, tmp_path: Path) -> None:
    write_dataset(tmp_path / "a", count=5, seed=9)
    service = Service(store_settings)
    service.load([tmp_path / "a"])
    expected = set(service.repository.public.quads())
    service.backup(tmp_path / "copy")
    service.close()
    copy = Service(dataclasses.replace(store_settings, store=tmp_path / "copy"), read_only=True)
    assert set(copy.repository.public.quads()) == expected
    copy.close()


# -- the fast paths: each must give exactly what the plain way gives -----------------------------

DURATION = "http://www.w3.org/2001/XMLSchema#duration"


def _protect_with_a_regex(data: bytes) -> bytes:
    """How protect_durations used to work (a regular expression over the whole text): the
    reference the split-based version must match byte for byte."""
    pattern = re.compile(rb'"([^"\\]*)"\^\^<' + re.escape(DURATION.encode()) + rb">")

    def replace(match: re.Match[bytes]) -> bytes:
        if _is_canonical_duration(match.group(1)):
            return match.group(0)
        return b'"' + match.group(1) + b'"^^<' + LEXICAL_DURATION.encode() + b">"

    return pattern.sub(replace, data)


def test_protect_durations_matches_the_regex_byte_for_byte() -> None:
    rng = random.Random(17)
    suffix = f'"^^<{DURATION}>'
    pieces = [
        *(f'"{lex}{suffix}' for lex in ("PT60H", "P2DT12H", "P12M", "P1D", "PT90M", "", "P0D")),
        '"x\\"PT60H' + suffix,  # an escaped quote: the lexical form starts after it
        '"a\\\\PT60H' + suffix,  # a backslash in it: no plain duration, left alone
        '"text \\"PT60H' + suffix[:-1] + '> more"',  # a duration's text inside a literal
        suffix,  # no quote before it at all
        "<urn:s> <urn:p> ",
        " <urn:g> .\n",
        '"PT60H"@en',
        '"PT60H"',
        " ",
        '"',
    ]
    cases = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    protected = 0
    for case in cases:
        data = case.encode()
        assert protect_durations(data) == _protect_with_a_regex(data), case
        protected += LEXICAL_DURATION.encode() in protect_durations(data)
    assert 0 < protected < len(cases)  # both outcomes were exercised


def test_statements_identify_and_split_as_the_quads_do(settings: Settings, tmp_path: Path) -> None:
    write_dataset(tmp_path / "nq", count=60, seed=21, defective=0.3, fmt="nquads")
    write_dataset(tmp_path / "js", count=40, seed=22, defective=0.3, fmt="jsonld")
    inputs = [tmp_path / "nq", tmp_path / "js", *EU_SAMPLES]
    documents = [
        d
        for d in read_inputs(inputs, settings=settings, resolver=ContextResolver(settings))
        if isinstance(d, RdfDocument)
    ]
    national_ids = 0
    for doc in documents:
        statements = Statements.of(doc.quads)
        assert statements is not None
        profile = detect_profile(doc.quads)
        identity = (profile, document_identifier(doc, profile))
        assert statements.identify("auto", doc.source) == identity
        by_quads = split_personal(doc.quads, salt=b"salt", base_iri="https://example.org/")
        by_lines = split_statements(
            statements.lines, statements.rows, salt=b"salt", base_iri="https://example.org/"
        )
        assert by_lines is not None, doc.source
        graph = "https://example.org/graph/x"
        stored = b"".join(line + f" <{graph}> .\n".encode() for line in by_lines.public)
        assert stored == to_nquads(by_quads.public, graph), doc.source
        assert set(by_lines.personal) == {
            line.removesuffix(b" <urn:x> .")
            for line in to_nquads(by_quads.personal, "urn:x").splitlines()
        }
        assert by_lines.learners == by_quads.learners
        national_ids += any("LA-234218" in str(q) for q in by_quads.personal)
    assert len(documents) == 102 and national_ids == 2  # the EU samples key Ana by her ID


def test_statements_the_text_split_leaves_to_the_quads(settings: Settings) -> None:
    two_learners = (
        "@prefix cred: <https://www.w3.org/2018/credentials#> .\n"
        "<urn:c> cred:credentialSubject <urn:a>, <urn:b> .\n"
        '<urn:a> <urn:name> "A" .\n<urn:b> <urn:name> "B" .\n'
    )
    doc = read_document(
        two_learners.encode(),
        source="two.ttl",
        settings=settings,
        resolver=ContextResolver(settings),
    )
    statements = Statements.of(doc.quads)
    assert statements is not None
    split = split_statements(statements.lines, statements.rows, salt=b"s", base_iri="urn:x/")
    assert split is None
    assert len(split_personal(doc.quads, salt=b"s", base_iri="https://example.org/").learners) == 2
    # an RDF 1.2 triple term: its text holds spaces, so only the quads are read
    triple_term = list(
        ox.parse(b"<urn:s> <urn:p> <<( <urn:a> <urn:b> <urn:c> )>> .", ox.RdfFormat.TURTLE)
    )
    assert Statements.of(triple_term) is None


def test_a_small_batch_size_stores_everything_with_its_record(
    store_settings: Settings, tmp_path: Path
) -> None:
    """Batches that end inside a chunk and chunks that end inside a batch: all written."""
    write_dataset(tmp_path / "data", count=23, seed=12, fmt="nquads")
    service = Service(store_settings)
    summary = service.load([tmp_path / "data"], batch_size=7)
    assert summary.stored == 23
    records = service.select(
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?g WHERE { ?g a dcat:CatalogRecord }"
    )
    graphs = set(service.repository.public.graphs()) - {service.repository.metadata_graph}
    assert {r["g"] for r in records} == graphs and len(graphs) == 23
    service.close()


def test_an_over_long_literal_in_an_nquads_file_stops_reading_it(
    store_settings: Settings, tmp_path: Path
) -> None:
    """The graphs before it are read (and stored); the file is reported, nothing after it."""
    lines = [
        '<urn:s1> <urn:p> "short" <urn:g1> .',
        f'<urn:s2> <urn:p> "{"x" * 120}" <urn:g2> .',
        '<urn:s3> <urn:p> "short" <urn:g3> .',
    ]
    (tmp_path / "three.nq").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = dataclasses.replace(store_settings, max_literal_chars=100)
    found = list(
        read_inputs([tmp_path / "three.nq"], settings=settings, resolver=ContextResolver(settings))
    )
    assert [type(d).__name__ for d in found] == ["RdfDocument", "DocumentError"]
    assert isinstance(found[1], DocumentError) and "120 characters" in found[1].problem
    # a long document whose literals are all within the limit is read whole
    (tmp_path / "long.nq").write_text(
        "".join(f'<urn:s{i}> <urn:p> "{"y" * 90}" <urn:g> .\n' for i in range(5)), encoding="utf-8"
    )
    [long] = read_inputs(
        [tmp_path / "long.nq"], settings=settings, resolver=ContextResolver(settings)
    )
    assert isinstance(long, RdfDocument) and len(long.quads) == 5


def test_a_new_version_keeps_its_durations_lexical_form(
    store_settings: Settings, tmp_path: Path
) -> None:
    """A changed document is written by a SPARQL update, not a bulk load: its durations too
    come back as written (PT60H, not Oxigraph's P2DT12H)."""
    document = sample_json("Sample-MC-Annex1-unsigned.jsonld")
    file = tmp_path / "sample.jsonld"
    file.write_text(json.dumps(document), encoding="utf-8")
    service = Service(store_settings)
    service.load([file], allow_invalid=True)
    document["credentialSubject"]["hasClaim"]["title"] = {"en": "A retitled micro-credential"}
    file.write_text(json.dumps(document), encoding="utf-8")
    assert service.load([file], allow_invalid=True).stored_invalid == 1
    dump = _dump(service)
    assert "A retitled micro-credential" in dump
    assert '"PT60H"^^<http://www.w3.org/2001/XMLSchema#duration>' in dump
    assert "P2DT12H" not in dump
    service.close()


@pytest.mark.parametrize("batch_size", [2, 1000])
def test_a_document_given_twice_in_one_load_is_stored_once_as_its_last_version(
    store_settings: Settings, tmp_path: Path, batch_size: int
) -> None:
    """The second version replaces the first whether the first is in the same batch or in
    one already written (or being written): one graph, one record, the last content."""
    write_dataset(tmp_path / "data", count=5, seed=4, fmt="nquads")
    file = tmp_path / "data" / "credentials.nq"
    first = "<https://synthetic.mcgraph.example/credential/1> .\n"
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    again = [
        line.replace('"Cybersecurity Awareness"@en', '"Cybersecurity Awareness, revised"@en')
        for line in lines
        if line.endswith(first)
    ]
    file.write_text("".join(lines + again), encoding="utf-8")
    service = Service(store_settings)
    summary = service.load([file], batch_size=batch_size)
    assert summary.stored == 6 and not summary.problems
    graphs = set(service.repository.public.graphs()) - {service.repository.metadata_graph}
    records = service.select(
        "PREFIX spdx: <http://spdx.org/rdf/terms#> "
        "SELECT ?g ?sum WHERE { ?g spdx:checksum/spdx:checksumValue ?sum }"
    )
    assert len(graphs) == 5 and sorted(r["g"] for r in records) == sorted(graphs)
    [graph] = service.document_graphs("https://synthetic.mcgraph.example/credential/1")
    titles = {
        r["t"]
        for r in service.select(f"SELECT ?t WHERE {{ GRAPH <{graph}> {{ ?a <{DC}title> ?t }} }}")
    }
    assert "Cybersecurity Awareness, revised" in titles and "Cybersecurity Awareness" not in titles
    assert service.load([file], batch_size=batch_size).stored == 2  # the two versions alternate
    service.close()


def test_the_cycle_collector_runs_less_often_only_while_loading(
    store_settings: Settings, tmp_path: Path
) -> None:
    write_dataset(tmp_path / "data", count=3, seed=13, fmt="nquads")
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []
    service = Service(store_settings)
    service.load([tmp_path / "data"], on_progress=lambda _: during.append(gc.get_threshold()))
    service.close()
    assert during and all(first >= 100_000 for first, _, _ in during)
    assert gc.get_threshold() == before


def test_level_checks_find_the_same_in_the_quads_ingestion_hands_them(
    settings: Settings, tmp_path: Path
) -> None:
    """Ingestion passes LevelChecks only the statements with the predicates it reads; what it
    finds (cycles, contradictions, part above whole) must not change. Every third document
    also states an NQF level that a shipped framework references to another EQF level."""
    write_dataset(tmp_path / "data", count=150, seed=23, defective=0.4, fmt="nquads")
    resolver = ContextResolver(settings)
    eqf_level, nqf_level = ox.NamedNode(ELM + "EQFLevel"), ox.NamedNode(ELM + "NQFLevel")
    referencing = shipped_referencing()
    whole, filtered = LevelChecks.shipped(), LevelChecks.shipped()
    kinds: set[str] = set()
    for index, doc in enumerate(
        read_inputs([tmp_path / "data"], settings=settings, resolver=resolver)
    ):
        assert isinstance(doc, RdfDocument)
        quads = list(doc.quads)
        stated = next((q for q in quads if q.predicate == eqf_level), None)
        if index % 3 == 0 and stated is not None:
            other = next(r for r in referencing if r.eqf != stated.object.value)  # type: ignore[union-attr]
            quads.append(
                ox.Quad(stated.subject, nqf_level, ox.NamedNode(other.level), stated.graph_name)
            )
        fewer = level_check_quads(quads, Statements.of(quads))
        assert len(fewer) < len(quads) / 4
        results = whole.check(quads)
        assert filtered.check(fewer) == results
        kinds |= {r.message.split(" ")[1] for r in results}
        whole.accept(quads)
        filtered.accept(fewer)
    assert {"stated", "part"} <= kinds  # contradictions and parts above their whole were found
