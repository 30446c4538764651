"""`mcgraph validate` as a user runs it: JSON contract, text for people, exit statuses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLES, SHARED
from mcgraph.cli import main

CONTEXTS = ["--contexts", str(SHARED / "contexts")]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main([*CONTEXTS, *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_output_has_exactly_the_contract_shape(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(
        capsys, "validate", "--format", "json", str(SAMPLES / "Sample-MC-Annex1-signed.jsonld")
    )
    assert status == 1
    payload = json.loads(out)
    assert set(payload) == {"documents"}
    [document] = payload["documents"]
    assert set(document) == {"source", "profile", "conforms", "error", "results"}
    assert (
        document["profile"] == "issued"
        and document["conforms"] is False
        and document["error"] is None
    )
    for result in document["results"]:
        assert set(result) == {"element", "severity", "focus", "path", "message"}
    violations = {r["element"] for r in document["results"] if r["severity"] == "violation"}
    assert violations == {"quality-assurance"}


def test_conforming_document_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(
        capsys, "validate", str(Path(__file__).parent / "data" / "specification-conforming.ttl")
    )
    assert status == 0
    assert "conforms" in out


def test_text_names_each_element_in_its_own_words(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "validate", str(SAMPLES / "Sample-MC-Annex1-unsigned.jsonld"))
    assert status == 1
    lines = [line for line in out.splitlines() if "violation" in line]
    assert len(lines) == 2
    assert any("Date of issuing" in line for line in lines)
    assert any("quality assurance" in line for line in lines)
    status, out, _ = _run(
        capsys, "validate", "--lang", "cs", str(SAMPLES / "Sample-MC-Annex1-unsigned.jsonld")
    )
    assert "Datum vydání" in out


def test_unreadable_file_is_reported_and_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jsonld"
    broken.write_text("{ not json", encoding="utf-8")
    status, out, _ = _run(capsys, "validate", "--format", "json", str(broken))
    assert status == 1
    [document] = json.loads(out)["documents"]
    assert document["source"] == str(broken) and document["error"] and document["conforms"] is False


def test_usage_error_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "--profile", "nonsense", "x.ttl"])
    assert exit_info.value.code == 2


def test_directory_is_walked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("Sample-MC-Annex1-signed.jsonld", "Sample-MC-Annex1-unsigned.jsonld"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    status, out, _ = _run(capsys, "validate", "--format", "json", str(tmp_path))
    assert status == 1 and len(json.loads(out)["documents"]) == 2


def test_extra_shapes_run_with_ours(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(
        capsys,
        "validate",
        "--format",
        "json",
        "--shapes",
        str(SHARED / "elm" / "shapes" / "EDC-generic-no-cv.ttl"),
        str(SAMPLES / "Sample-MC-Annex1-unsigned.jsonld"),
    )
    results = json.loads(out)["documents"][0]["results"]
    assert {r["element"] for r in results} >= {None, "date-of-issue", "quality-assurance"}


def test_console_script_runs_without_the_source_tree(tmp_path: Path) -> None:
    env = {**os.environ, "MCGRAPH_CONTEXTS": str(SHARED / "contexts")}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mcgraph.cli",
            "validate",
            "--format",
            "json",
            str(SAMPLES / "Sample-MC-Annex1-unsigned.jsonld"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    [document] = json.loads(completed.stdout)["documents"]
    assert {r["element"] for r in document["results"] if r["severity"] == "violation"} == {
        "date-of-issue",
        "quality-assurance",
    }
