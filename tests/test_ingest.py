"""Validated ingestion into the on-disk store: rejection names the element and writes nothing,
--allow-invalid stores and marks, re-loading changes nothing, personal data stays out."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from conftest import SAMPLES
from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.synthetic import write_dataset

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
