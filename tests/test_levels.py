"""Qualification levels: the NQF→EQF crosswalk over the shipped frameworks, warnings on stated
levels that contradict the referencing, and level decisions kept apart from the claims."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import SHARED, sample_json
from live_server import TOKEN, running_server
from mcgraph.cli import main
from mcgraph.levels import EQF, LevelDecision, crosswalk
from mcgraph.service import Service
from mcgraph.settings import Settings
from mutations import make_conforming, occurrences, spec_id

EQF6, EQF5 = EQF + "6", EQF + "5"


def europass_level(label: str) -> str:
    """The Europass NQF concept IRI with this label, read from the EU's own vocabulary."""
    text = (SHARED / "elm" / "vocabularies" / "nqf.xsd").read_text(encoding="utf-8")
    for iri, doc in re.findall(
        r'<xs:enumeration value="([^"]+)">\s*<xs:annotation>\s*<xs:documentation>([^<]+)<', text
    ):
        if " ".join(doc.split()) == label:
            return str(iri)
    raise AssertionError(f"no Europass concept labelled {label!r}")


IE7 = europass_level("IE NQF Level 7")
SCQF9 = europass_level("SCQF Level 9")


def credential(name: str, nqf: str, eqf: str) -> dict[str, object]:
    """The EU's sealed sample, made conforming, as a credential of its own specification
    stating these levels."""
    doc = make_conforming(sample_json("Sample-MC-Annex1-signed.jsonld"))
    for node in occurrences(doc, spec_id(doc)):
        if "eqfLevel" in node:
            node["eqfLevel"] = {"id": eqf, "type": "Concept"}
            node["nqfLevel"] = {"id": nqf, "type": "Concept"}
    text = json.dumps(doc).replace(spec_id(doc), f"urn:test:spec:{name}")
    text = text.replace(str(doc["id"]), f"urn:test:credential:{name}")
    return dict(json.loads(text))


DOCS = {"ie7": (IE7, EQF6), "scqf9": (SCQF9, EQF6), "ie7-at-eqf5": (IE7, EQF5)}


@pytest.fixture(scope="module")
def store_path(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("levels-store")
    files = tmp_path_factory.mktemp("levels-docs")
    for name, (nqf, eqf) in DOCS.items():
        (files / f"{name}.jsonld").write_text(json.dumps(credential(name, nqf, eqf)), "utf-8")
    service = Service(settings.replace(store=store))
    try:
        assert service.install_frameworks()
        summary = service.load([files])
        assert summary.stored == 3, [
            o.report.as_json() if o.report else o.error for o in summary.problems
        ]
    finally:
        service.close()
    return store


@pytest.fixture
def service(settings: Settings, store_path: Path) -> Iterator[Service]:
    opened = Service(settings.replace(store=store_path))
    yield opened
    opened.close()


def test_irish_nfq7_and_scqf9_both_resolve_to_eqf6(service: Service) -> None:
    referencing = service.crosswalk()
    assert referencing.implied_eqf(IE7) == {EQF6}
    assert referencing.implied_eqf(SCQF9) == {EQF6}
    rows = service.run_named("level-referencing")
    assert {r["eqf"] for r in rows if r["level"] in (IE7, SCQF9)} == {EQF6}


def test_crosswalk_from_nfq7_to_scqf_lists_the_credentials_at_either(service: Service) -> None:
    answer = crosswalk(service.run_named, "ie-nfq:7", target="uk-scqf")
    assert answer["level"] == IE7
    at_ie7 = {c["credential"]: c["how"] for c in answer["credentials"]}
    assert at_ie7 == {
        "urn:test:credential:ie7": "stated",
        "urn:test:credential:ie7-at-eqf5": "stated",
    }
    comparable = {row["comparable"]: row for row in answer["comparable"]}
    assert SCQF9 in comparable and {r["framework"] for r in comparable.values()} == {
        "https://w3id.org/mcgraph/framework/uk-scqf"
    }
    assert {c["credential"] for c in comparable[SCQF9]["credentials"]} == {
        "urn:test:credential:scqf9"
    }
    # and back, through the EQF level itself: every credential at EQF 6, stated or implied
    at_eqf6 = {
        (r["credential"], r["how"])
        for r in service.run_named("credentials-at-level", {"level": EQF6})
    }
    assert ("urn:test:credential:scqf9", "stated") in at_eqf6
    assert ("urn:test:credential:ie7-at-eqf5", "implied") in at_eqf6


def test_a_stated_eqf_level_contradicting_the_nqf_referencing_is_flagged(
    service: Service, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = service.run_named("level-contradictions")
    assert [(r["specification"], r["nqf"], r["stated"], r["referenced"]) for r in rows] == [
        ("urn:test:spec:ie7-at-eqf5", IE7, EQF5, EQF6)
    ]
    # and the validation report of the document says so, on the level element
    path = tmp_path / "contradiction.jsonld"
    path.write_text(json.dumps(credential("x", IE7, EQF5)), encoding="utf-8")
    contexts = str(SHARED / "contexts")
    assert main(["--contexts", contexts, "validate", "--format", "json", str(path)]) == 0
    results = json.loads(capsys.readouterr().out)["documents"][0]["results"]
    assert [
        r["element"]
        for r in results
        if r["severity"] == "warning" and "contradicts" in r["message"]
    ] == ["level"]
    path.write_text(json.dumps(credential("y", IE7, EQF6)), encoding="utf-8")
    assert main(["--contexts", contexts, "validate", "--format", "json", str(path)]) == 0
    results = json.loads(capsys.readouterr().out)["documents"][0]["results"]
    assert not [r for r in results if "contradicts" in r["message"]]


def test_a_level_decision_is_kept_apart_from_the_claim(service: Service) -> None:
    scheme = "https://w3id.org/mcgraph/framework/ie-nfq"
    pending = {
        r["specification"]
        for r in service.run_named("awaiting-level-decision", {"framework": scheme})
    }
    assert pending == {"urn:test:spec:ie7", "urn:test:spec:ie7-at-eqf5"}
    ie6 = service.resolve_level("ie-nfq:6")
    iri = service.assign_level(
        LevelDecision(
            body="qqi",
            body_name="Quality and Qualifications Ireland",
            specification="urn:test:credential:ie7-at-eqf5",  # a credential stands for its spec
            level=ie6,
            basis="Learning outcomes reviewed against the NFQ level 6 descriptors",
        )
    )
    rows = service.run_named("level-decisions", {"framework": scheme})
    assert len(rows) == 1
    row = rows[0]
    assert (row["decision"], row["specification"], row["assigned"], row["assignedEqf"]) == (
        iri,
        "urn:test:spec:ie7-at-eqf5",
        ie6,
        EQF5,
    )
    assert set(str(row["claimed"]).split()) == {IE7, EQF5}  # the provider's claim is untouched
    pending = {
        r["specification"]
        for r in service.run_named("awaiting-level-decision", {"framework": scheme})
    }
    assert pending == {"urn:test:spec:ie7"}
    assigned = service.run_named("credentials-at-level", {"level": ie6})
    assert [(r["credential"], r["how"]) for r in assigned] == [
        ("urn:test:credential:ie7-at-eqf5", "assigned")
    ]
    # the body's graph holds it, not the document's
    graphs = service.repository.public.graphs()
    assert service.repository.base_iri + "decisions/qqi" in graphs


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"body": "Not An Id"}, "body id"),
        ({"basis": "  "}, "basis"),
        ({"level": "urn:test:no-such-level"}, "not a level"),
        ({"specification": "urn:test:no-such-spec"}, "no credential or specification"),
    ],
)
def test_a_bad_level_decision_names_its_problem_and_stores_nothing(
    service: Service, change: dict[str, str], problem: str
) -> None:
    fields = {
        "body": "qqi",
        "body_name": None,
        "specification": "urn:test:spec:ie7",
        "level": IE7,
        "basis": "reviewed",
    } | change
    before = service.run_named("level-decisions")
    with pytest.raises(Exception, match=problem):
        service.assign_level(LevelDecision(**fields))  # type: ignore[arg-type]
    assert service.run_named("level-decisions") == before


def test_the_api_serves_frameworks_and_guards_decisions(
    settings: Settings, store_path: Path
) -> None:
    with running_server(store_path) as base:
        frameworks = {f["identifier"]: f for f in httpx.get(f"{base}/api/frameworks").json()}
        assert {
            "eqf",
            "ie-nfq",
            "uk-scqf",
            "qf-ehea",
            "de-dqr",
            "fr-cnc",
            "pl-pqf",
            "nl-nlqf",
            "at-nqr",
            "cz-nsk",
        } <= set(frameworks)
        levels = httpx.get(f"{base}/api/frameworks/ie-nfq/levels").json()
        assert len(levels) == 10 and {lv["eqf"] for lv in levels if lv["level"] == IE7} == {EQF6}
        assert httpx.get(f"{base}/api/frameworks/no-such").status_code == 404
        walk = httpx.get(
            f"{base}/api/levels/crosswalk", params={"level": "ie-nfq:7", "to": "uk-scqf"}
        ).json()
        assert SCQF9 in {row["comparable"] for row in walk["comparable"]}
        decision = {
            "specification": "urn:test:spec:scqf9",
            "level": "uk-scqf:9",
            "body": "scqfp",
            "basis": "credit rated",
        }
        before = httpx.get(f"{base}/api/levels/decisions").json()
        assert httpx.post(f"{base}/api/levels/decisions", json=decision).status_code == 401
        wrong = {"Authorization": "Bearer wrong"}
        assert (
            httpx.post(f"{base}/api/levels/decisions", json=decision, headers=wrong).status_code
            == 403
        )
        assert httpx.get(f"{base}/api/levels/decisions").json() == before
        ok = httpx.post(
            f"{base}/api/levels/decisions",
            json=decision,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert ok.status_code == 201
        after = httpx.get(f"{base}/api/levels/decisions", params={"framework": "uk-scqf"}).json()
        assert [(d["specification"], d["assigned"]) for d in after] == [
            ("urn:test:spec:scqf9", SCQF9)
        ]
        bad = httpx.post(
            f"{base}/api/levels/decisions",
            json={**decision, "level": "uk-scqf:13"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert bad.status_code == 404 and bad.headers["content-type"].startswith(
            "application/problem+json"
        )


def test_crosswalk_from_an_eqf_level_lists_the_national_levels_referenced_to_it(
    service: Service,
) -> None:
    answer = crosswalk(service.run_named, "eqf:6")
    comparable = {row["comparable"] for row in answer["comparable"]}
    assert {IE7, SCQF9} <= comparable
    frameworks = {row["framework"] for row in answer["comparable"]}
    assert "https://w3id.org/mcgraph/framework/qf-ehea" in frameworks  # the first cycle
    assert {c["credential"] for c in answer["credentials"]} >= {"urn:test:credential:scqf9"}


def test_the_demo_store_answers_level_crosswalks(settings: Settings, tmp_path: Path) -> None:
    """``serve --demo`` installs the shipped frameworks, so that a first look at the crosswalk
    finds a generated credential from its national level, with the EQF level referenced."""
    from mcgraph.cli.serve import demo_store
    from mcgraph.frameworks import shipped_framework_files

    demo = demo_store(settings.replace(store=tmp_path / "unused"), 40, None)
    service = Service(demo)
    try:
        assert len(service.run_named("frameworks")) == len(shipped_framework_files())
        stated = {}  # credential -> (its EQF level, the national level it states)
        for eqf in range(1, 9):
            for row in service.run_named("credentials-at-eqf-level", {"level": str(eqf)}):
                for spec in service.run_named("specification-of", {"resource": row["credential"]}):
                    for levels in service.run_named(
                        "specification-levels", {"specification": spec["specification"]}
                    ):
                        nqf = levels.get("nqf")
                        # the generator draws from every Europass NQF level; some are shipped
                        if nqf and service.run_named("level-framework", {"level": nqf}):
                            stated[row["credential"]] = (row["level"], nqf)
        assert stated, "no generated credential states a level of a shipped framework"
        credential, (eqf_level, nqf) = sorted(stated.items())[0]
        answer = crosswalk(service.run_named, nqf)
        assert credential in {c["credential"] for c in answer["credentials"]}
        assert eqf_level in {row["comparable"] for row in answer["comparable"]}
    finally:
        service.close()
        shutil.rmtree(demo.store.parent, ignore_errors=True)


def test_serve_demo_serves_the_frameworks_and_removes_its_store_on_exit(tmp_path: Path) -> None:
    """The one-command first look: frameworks and crosswalks answer over HTTP, and stopping the
    server (SIGTERM) takes the demo's temporary store with it."""
    args = ("--demo", "--demo-count", "30")
    with running_server(
        tmp_path / "unused", extra_env={"TMPDIR": str(tmp_path)}, args=args
    ) as base:
        assert list(tmp_path.glob("mcgraph-demo-*"))
        frameworks = httpx.get(f"{base}/api/frameworks", timeout=30).json()
        assert "ie-nfq" in {f["identifier"] for f in frameworks}
        answer = httpx.get(f"{base}/api/levels/crosswalk", params={"level": "ie-nfq:7"}, timeout=30)
        assert answer.status_code == 200 and answer.json()["level"] == IE7
    assert not list(tmp_path.glob("mcgraph-demo-*"))
