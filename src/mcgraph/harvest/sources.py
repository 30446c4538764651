"""Harvest sources: what to fetch, from where, how often — declared in a TOML file (by default
``loaders/sources.toml``) or named on the command line by URL.

A source file is a list of ``[[source]]`` tables::

    [[source]]
    name = "peer"                  # also the store's source name: its graphs, its state
    kind = "mcgraph"               # sparql | dcat | jsonld | mcgraph
    url = "https://peer.example/"  # the endpoint, catalogue, document/index or instance
    schedule = "daily"             # a hint for whoever runs `mcgraph harvest` (cron, timer)
    page_size = 500                # SPARQL and listing pages
    allow_private = false          # loopback/private addresses (tests, an intranet peer)
    headers = { Authorization = "PEER_TOKEN" }   # header -> NAME of an environment variable

Header values are never in the file: only the names of environment variables holding them,
read when the source is used and never logged.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mcgraph.errors import ConfigurationError, UsageError

__all__ = ["KINDS", "Source", "load_sources", "select_sources", "source_from_url"]

KINDS = ("sparql", "dcat", "jsonld", "mcgraph")
DEFAULT_PAGE_SIZE = 500
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_KEYS = {"name", "kind", "url", "schedule", "page_size", "allow_private", "headers"}


@dataclass(frozen=True)
class Source:
    """One remote source; ``name`` is the source its documents are stored under."""

    name: str
    kind: str
    url: str
    schedule: str | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    #: Allow loopback/private addresses (never cloud metadata ones): tests, intranet peers.
    allow_private: bool = False
    #: HTTP header -> name of the environment variable holding its value.
    header_env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ConfigurationError(
                f"source name {self.name!r}: use lower-case letters, digits, '.', '-', '_'"
            )
        if self.kind not in KINDS:
            raise ConfigurationError(
                f"source {self.name}: kind {self.kind!r} is not one of {', '.join(KINDS)}"
            )
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise ConfigurationError(f"source {self.name}: {self.url!r} is not an http(s) URL")
        if self.page_size < 1:
            raise ConfigurationError(f"source {self.name}: page_size is at least 1")
        for header, env in self.header_env.items():
            if not _ENV_NAME.match(env):
                raise ConfigurationError(
                    f"source {self.name}: header {header} must name an environment variable"
                )

    def headers(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The configured headers with their values from the environment (unset: omitted)."""
        env = os.environ if environ is None else environ
        return {h: env[name] for h, name in self.header_env.items() if name in env}


def load_sources(path: Path) -> list[Source]:
    """The sources declared in a TOML file (names unique)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read {path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"{path} is not valid TOML: {error}") from None
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise ConfigurationError(f"{path}: declare sources as [[source]] tables")
    sources = [_source(table, path) for table in tables]
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigurationError(f"{path}: source names used twice: {', '.join(duplicates)}")
    return sources


def _source(table: Any, path: Path) -> Source:
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: a [[source]] entry is not a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigurationError(f"{path}: unknown source keys {', '.join(unknown)}")
    try:
        headers = table.get("headers", {})
        if not isinstance(headers, dict):
            raise TypeError("headers")
        return Source(
            name=str(table["name"]),
            kind=str(table["kind"]),
            url=str(table["url"]),
            schedule=None if table.get("schedule") is None else str(table["schedule"]),
            page_size=int(table.get("page_size", DEFAULT_PAGE_SIZE)),
            allow_private=bool(table.get("allow_private", False)),
            header_env={str(k): str(v) for k, v in headers.items()},
        )
    except KeyError as error:
        raise ConfigurationError(f"{path}: a source has no {error.args[0]}") from None
    except (TypeError, ValueError) as error:
        raise ConfigurationError(f"{path}: a source has an invalid value: {error}") from None


def source_from_url(
    url: str, kind: str | None, name: str | None = None, *, allow_private: bool = False
) -> Source:
    """A source named on the command line by its URL (its name derived from the host)."""
    if kind is None:
        raise UsageError(f"{url}: give --kind for a source named by URL")
    parts = urlsplit(url)
    derived = re.sub(r"[^a-z0-9._-]+", "-", (parts.hostname or "source").lower()).strip("-._")
    if parts.port:
        derived = f"{derived}-{parts.port}"
    try:
        return Source(
            name=name or derived[:64] or "source", kind=kind, url=url, allow_private=allow_private
        )
    except ConfigurationError as error:
        raise UsageError(str(error)) from None


def select_sources(
    configured: Sequence[Source],
    names_or_urls: Sequence[str],
    *,
    kind: str | None = None,
    name: str | None = None,
    allow_private: bool = False,
) -> list[Source]:
    """The sources a command asks for: the given names/URLs (all configured ones when none),
    filtered by ``--kind`` and ``--name``."""
    by_name = {s.name: s for s in configured}
    chosen: list[Source] = []
    for item in names_or_urls:
        if item in by_name:
            chosen.append(by_name[item])
        elif urlsplit(item).scheme:
            given = name if len(names_or_urls) == 1 else None
            chosen.append(source_from_url(item, kind, given, allow_private=allow_private))
        else:
            raise UsageError(f"no configured source {item!r}")
    if not names_or_urls:
        chosen = list(configured)
        if name is not None and name not in by_name:
            raise UsageError(f"no configured source {name!r}")
    if kind is not None:
        chosen = [s for s in chosen if s.kind == kind]
    if name is not None and not (len(names_or_urls) == 1 and chosen and chosen[0].name == name):
        chosen = [s for s in chosen if s.name == name]
    if not chosen:
        raise UsageError("no source to harvest: configure one or name it by URL with --kind")
    return chosen
