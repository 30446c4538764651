"""Bad input through the loader: a one-line error naming the file and the problem, and the
store exactly as it was (same quads) afterwards. (An unreadable file is covered where files
are read, in test_documents.py.)"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conftest import SAMPLES
from mcgraph.cli import main
from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.synthetic import write_dataset


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


BAD_INPUTS: dict[str, bytes] = {
    "latin1.ttl": '<https://x.example/s> <https://x.example/p> "caf\xe9" .'.encode("latin-1"),
    "broken.jsonld": b'{"@context": "http://data.europa.eu/snb/model/context/edc-ap", "id": ',
    "broken.ttl": b"<https://x.example/s> <https://x.example/p> .",
    "huge-literal.nt": b'<https://x.example/s> <https://x.example/p> "'
    + b"x" * (50 * 1024 * 1024)
    + b'" .\n',
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
    "unknown-context.jsonld": b'{"@context": "https://contexts.example.org/nobody-has-this", "id": "urn:x"}',
    "laughs.rdf": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
}


@pytest.fixture
def loaded(settings: Settings, tmp_path: Path) -> Settings:
    """A store with a few documents already in it."""
    store_settings = dataclasses.replace(settings, store=tmp_path / "store", learner_salt="salt")
    write_dataset(tmp_path / "good", count=5, seed=4)
    service = Service(store_settings)
    assert service.load([tmp_path / "good"]).stored == 5
    service.close()
    return store_settings


def _load(settings: Settings, target: Path) -> int:
    """``mcgraph load`` of one path into the fixture's store, as a user runs it."""
    return main(
        [
            "--store",
            str(settings.store),
            "--contexts",
            str(settings.contexts[0]),
            "load",
            "--quiet",
            str(target),
        ]
    )


def _quads(settings: Settings) -> set[str]:
    service = Service(settings, read_only=True)
    quads = set(service.repository.public.quads())
    service.close()
    return quads


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_naming_the_file_and_changes_nothing(
    loaded: Settings, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "inputs" / name
    target.parent.mkdir()
    _write(target, BAD_INPUTS[name])
    before = _quads(loaded)
    status = _load(loaded, target)
    out, err = capsys.readouterr()
    assert status != 0
    assert "Traceback" not in out + err
    error_lines = [line for line in (out + err).splitlines() if "ERROR" in line or "error" in line]
    assert error_lines, out + err
    assert all(len(line) < 2000 for line in error_lines)  # one line, not a 50 MB echo
    assert any(target.name in line for line in error_lines)
    assert _quads(loaded) == before


def test_unknown_context_names_its_url(
    loaded: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _write(tmp_path / "ctx.jsonld", BAD_INPUTS["unknown-context.jsonld"])
    _load(loaded, target)
    out, _ = capsys.readouterr()
    assert "https://contexts.example.org/nobody-has-this" in out


def test_a_missing_path_is_a_usage_error(
    loaded: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--store", str(loaded.store), "load", "/nonexistent/nothing-here.jsonld"])
    assert status == 2
    assert "nothing-here.jsonld" in capsys.readouterr().err


def test_good_and_bad_together_store_the_good(loaded: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    _write(folder / "broken.jsonld", BAD_INPUTS["broken.jsonld"])
    (folder / "sample.jsonld").write_bytes(
        (SAMPLES / "Sample-MC-Annex1-unsigned.jsonld").read_bytes()
    )
    service = Service(loaded)
    summary = service.load([folder], allow_invalid=True)
    assert summary.errors == 1 and summary.stored_invalid == 1 and summary.failed
    service.close()
