"""The one settings object: environment variables prefixed ``MCGRAPH_``, overridden by CLI flags.

No other module reads the environment. Build a ``Settings`` with :func:`load_settings` and pass
it down; CLI flags are applied with :meth:`Settings.replace`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from mcgraph.errors import ConfigurationError

ENV_PREFIX = "MCGRAPH_"

#: Hosts whose JSON-LD contexts may be fetched over HTTPS when fetching is enabled.
DEFAULT_CONTEXT_HOSTS: tuple[str, ...] = (
    "www.w3.org",
    "w3id.org",
    "data.europa.eu",
    "purl.imsglobal.org",
)


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "mcgraph" / "contexts"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything configurable in mcgraph, with the defaults a new user gets."""

    #: Where the embedded store lives on disk.
    store: Path = Path("mcgraph-data")
    #: Base of the IRIs mcgraph mints (document graphs, learner keys, sources).
    base_iri: str = "https://w3id.org/mcgraph/id/"
    #: Store learners' personal data in the protected store instead of dropping it.
    keep_personal_data: bool = False
    #: Salt for learner keys; by default a random salt kept with the store.
    learner_salt: str | None = None
    #: Context directories (each with an ``index.json``) searched before the cache.
    contexts: tuple[Path, ...] = ()
    #: The product's own context cache (same layout); fetched contexts are written here.
    context_cache: Path = dataclasses.field(default_factory=_default_cache_dir)
    #: Whether missing contexts may be fetched over HTTPS from ``context_hosts``.
    fetch_contexts: bool = False
    context_hosts: tuple[str, ...] = DEFAULT_CONTEXT_HOSTS
    #: JSON-LD to RDF: ``pyoxigraph`` (fast, contexts inlined) or ``pyld`` (reference).
    jsonld_engine: str = "pyoxigraph"
    #: SHACL engine: ``native`` (compiled shapes run in Python), ``sparql`` (compiled to SPARQL)
    #: or ``pyshacl`` (reference).
    shacl_engine: str = "native"
    #: Largest input document accepted, in bytes.
    max_document_bytes: int = 20 * 1024 * 1024
    #: Largest single literal accepted, in characters.
    max_literal_chars: int = 1024 * 1024
    #: Deepest JSON nesting accepted.
    max_json_depth: int = 200
    #: Timeout for one context fetch, in seconds.
    fetch_timeout: float = 10.0
    # --- the HTTP service (mcgraph serve)
    host: str = "127.0.0.1"
    port: int = 8000
    #: Seconds a SPARQL query may run before its worker is stopped.
    query_timeout: float = 30.0
    #: Query worker processes (each a read-only view of the latest checkpoint).
    query_workers: int = 2
    #: Most result rows (SELECT) or triples (CONSTRUCT/DESCRIBE) one query may return.
    max_result_rows: int = 100_000
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 10 * 1024 * 1024
    #: Deepest nesting of brackets and braces accepted in a SPARQL request.
    max_query_depth: int = 64
    #: Bearer token for writes (/update, /data, POST/DELETE /api/documents); none: writes refused.
    write_token: str | None = None
    #: File holding the write token (read at start); used when write_token is not set.
    write_token_file: Path | None = None
    #: Origins allowed by CORS (empty: no CORS headers).
    cors_origins: tuple[str, ...] = ()
    #: SERVICE endpoints a query may call (exact IRIs); anything else is refused before it runs.
    service_allow_list: tuple[str, ...] = ()
    # --- harvesting remote sources (mcgraph harvest)
    #: Largest HTTP response accepted from a harvested source, in bytes (listings included).
    harvest_max_bytes: int = 64 * 1024 * 1024
    #: Timeout for one harvest request, in seconds.
    harvest_timeout: float = 30.0
    #: Retries of a request that timed out, failed to connect or answered 5xx.
    harvest_retries: int = 3
    #: Seconds before the first retry; doubled for each further one.
    harvest_backoff: float = 0.5

    def replace(self, **changes: object) -> Settings:
        """A copy with the given fields changed; ``None`` values are ignored (unset CLI flags)."""
        given = {key: value for key, value in changes.items() if value is not None}
        return dataclasses.replace(self, **given)  # type: ignore[arg-type]


def _as_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigurationError(f"{ENV_PREFIX}{name} must be true or false, not {value!r}")


def _as_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(
            f"{ENV_PREFIX}{name} must be a whole number, not {value!r}"
        ) from None


def _as_float(name: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ConfigurationError(f"{ENV_PREFIX}{name} must be a number, not {value!r}") from None


_FLOAT_FIELDS = {"fetch_timeout", "query_timeout", "harvest_timeout", "harvest_backoff"}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``MCGRAPH_*`` environment variables over the defaults."""
    env = os.environ if environ is None else environ
    changes: dict[str, object] = {}
    for field in dataclasses.fields(Settings):
        name = field.name.upper()
        raw = env.get(ENV_PREFIX + name)
        if raw is None:
            continue
        if field.name in {"store", "context_cache", "write_token_file"}:
            changes[field.name] = Path(raw)
        elif field.name == "contexts":
            changes[field.name] = tuple(Path(p) for p in raw.split(os.pathsep) if p)
        elif field.name in {"cors_origins", "service_allow_list"} or field.name == "context_hosts":
            changes[field.name] = tuple(h.strip() for h in raw.split(",") if h.strip())
        elif field.name in {"fetch_contexts", "keep_personal_data"}:
            changes[field.name] = _as_bool(name, raw)
        elif field.name in _FLOAT_FIELDS:
            changes[field.name] = _as_float(name, raw)
        elif field.type in ("int", int):
            changes[field.name] = _as_int(name, raw)
        else:
            changes[field.name] = raw
    settings = Settings().replace(**changes)
    _check(settings)
    return settings


def write_token(settings: Settings) -> str | None:
    """The configured write token (from the setting, else the token file), or None."""
    if settings.write_token:
        return settings.write_token
    if settings.write_token_file is not None:
        try:
            token = settings.write_token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigurationError(f"cannot read the write token file: {error}") from None
        return token or None
    return None


def _check(settings: Settings) -> None:
    if settings.jsonld_engine not in {"pyoxigraph", "pyld"}:
        raise ConfigurationError(
            f"{ENV_PREFIX}JSONLD_ENGINE must be pyoxigraph or pyld, not {settings.jsonld_engine!r}"
        )
    if settings.shacl_engine not in {"native", "sparql", "pyshacl"}:
        raise ConfigurationError(
            f"{ENV_PREFIX}SHACL_ENGINE must be native, sparql or pyshacl, "
            f"not {settings.shacl_engine!r}"
        )
