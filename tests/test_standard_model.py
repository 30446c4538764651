"""The single source of the Annex I elements: keys, labels, profiles, ELM IRIs, and the shapes
and vocabularies generated from it (regenerated here; any drift fails)."""

from __future__ import annotations

import re
from pathlib import Path

import rdflib

from conftest import REPO, SHARED
from mcgraph import shapegen, vocabularies
from mcgraph.elements import standard_model
from mcgraph.paths import Alternative, Inverse, Predicate, Repeat, Sequence
from mcgraph.paths import Path as PropertyPath
from mcgraph.validation.shapes import profile_shapes
from mcgraph.vocab import ELM

MANDATORY = [
    "learner-identity",
    "title",
    "issuer-country",
    "awarding-body",
    "date-of-issue",
    "learning-outcomes",
    "workload",
    "level",
    "assessment-type",
    "participation-form",
    "quality-assurance",
]
OPTIONAL = [
    "prerequisites",
    "supervision-and-identity-verification",
    "grade",
    "integration-and-stackability",
    "further-information",
]
ISSUED = "https://w3id.org/mcgraph/ns#issued"
SPECIFICATION = "https://w3id.org/mcgraph/ns#specification"


def test_the_sixteen_elements_in_annex_order() -> None:
    model = standard_model()
    assert [e.key for e in model.elements] == MANDATORY + OPTIONAL
    assert [e.key for e in model.elements if e.mandatory] == MANDATORY


def test_every_element_has_english_and_czech_labels() -> None:
    for element in standard_model().elements:
        assert element.labels.get("en") and element.labels.get("cs"), element.key


def test_profiles() -> None:
    model = standard_model()
    for element in model.elements:
        assert (ISSUED in element.mandatory_for) == (element.key in MANDATORY)
        not_for_specs = {
            "learner-identity",
            "date-of-issue",
            "grade",
            "supervision-and-identity-verification",
        }
        assert (SPECIFICATION in element.applies_to) == (element.key not in not_for_specs), (
            element.key
        )
    assert len(model.principles) == 10


def _predicates(path: PropertyPath | None) -> set[str]:
    if path is None:
        return set()
    if isinstance(path, Predicate):
        return {path.iri}
    if isinstance(path, Inverse | Repeat):
        return _predicates(path.path)
    parts = path.parts if isinstance(path, Sequence) else path.options
    assert isinstance(path, Sequence | Alternative)
    return set().union(*(_predicates(p) for p in parts))


def test_paths_reuse_elm_iris() -> None:
    ontology = (SHARED / "elm" / "ontology" / "ELM.ttl").read_text(encoding="utf-8")
    declared = {ELM + name for name in re.findall(r"^elm:(\w+)", ontology, flags=re.M)}
    model = standard_model()
    used: set[str] = set()
    for element in model.elements:
        for _, path in element.satisfied_by:
            used |= _predicates(path)
        for check in element.checks:
            used |= _predicates(check.path)
    for profile in model.profiles.values():
        for path in profile.anchors.values():
            used |= _predicates(path)
    elm_terms = {iri for iri in used if iri.startswith(ELM)}
    # the one deliberate exception: the EDC context produces elm:nationalID (ontology: nationalId)
    assert elm_terms - declared == {ELM + "nationalID"}


def test_generated_shapes_have_not_drifted() -> None:
    for name, text in shapegen.shape_files().items():
        committed = (REPO / "shapes" / name).read_text(encoding="utf-8")
        assert committed == text, f"shapes/{name} is stale: run `mcgraph build shapes`"


def test_every_shape_names_its_element() -> None:
    keys = set(standard_model().element_keys)
    for profile in ("issued", "specification"):
        shapes = profile_shapes(profile)
        property_shapes = set(shapes.graph.subjects(rdflib.RDF.type, rdflib.SH.PropertyShape))
        assert property_shapes and {str(s) for s in property_shapes} == set(shapes.element_of)
        assert set(shapes.element_of.values()) <= keys


def test_vocabularies_match_the_eu_enumerations(tmp_path: Path) -> None:
    written = vocabularies.import_xsd_directory(SHARED / "elm" / "vocabularies", tmp_path)
    for path in written:
        assert path.read_text(encoding="utf-8") == (
            REPO / "ontology" / "vocabularies" / path.name
        ).read_text(encoding="utf-8"), path.name
    assert len(vocabularies.concepts_of("http://data.europa.eu/snb/eqf/25831c2")) == 8
    assert len(vocabularies.concepts_of("http://data.europa.eu/snb/qdr/25831c2")) == 424
