"""Shared fixtures: the reference material in ../shared, settings that point at it, and a
session-wide validator (shapes parsed once, as in production)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mcgraph.contexts import ContextResolver
from mcgraph.documents import RdfDocument, read_document
from mcgraph.settings import Settings
from mcgraph.validation import Validator

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "elm" / "samples"
DATA = Path(__file__).resolve().parent / "data"
pytest_plugins = ["big_graph"]  # the 100k demo graph fixture, built once per session


def pytest_configure(config: pytest.Config) -> None:
    if not (SHARED / "elm").is_dir():
        raise pytest.UsageError(f"the reference material is missing: expected {SHARED}")


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        contexts=(SHARED / "contexts",),
        context_cache=tmp_path_factory.mktemp("context-cache"),
        fetch_contexts=False,
    )


@pytest.fixture(scope="session")
def resolver(settings: Settings) -> ContextResolver:
    return ContextResolver(settings)


@pytest.fixture(scope="session")
def validator(settings: Settings) -> Validator:
    return Validator(settings=settings)


@pytest.fixture(scope="session")
def pyshacl_validator(settings: Settings) -> Validator:
    return Validator(settings=settings, engine="pyshacl")


def sample_json(name: str) -> dict[str, Any]:
    """A sample credential as JSON; a sealed envelope is opened to its payload."""
    document = json.loads((SAMPLES / name).read_text(encoding="utf-8"))
    if "payload" in document:
        payload = document["payload"]
        document = json.loads(payload) if isinstance(payload, str) else payload
    return copy.deepcopy(document)


@pytest.fixture
def as_document(settings: Settings, resolver: ContextResolver):  # type: ignore[no-untyped-def]
    """Turns a JSON object (or Turtle text) into a parsed document, as a file would be read."""

    def make(content: dict[str, Any] | str, source: str = "test.jsonld") -> RdfDocument:
        if isinstance(content, str):
            return read_document(
                content.encode(),
                source=source,
                format="turtle",
                settings=settings,
                resolver=resolver,
            )
        return read_document(
            json.dumps(content).encode(),
            source=source,
            format="jsonld",
            settings=settings,
            resolver=resolver,
        )

    return make
