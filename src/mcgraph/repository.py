"""A store location as mcgraph lays it out: the public store, the protected store for learners'
personal data (only with --keep-personal-data), and the secret salt for learner keys.

    <store>/public/       every document graph and the metadata graph (what queries see)
    <store>/protected/    personal statements, one graph per document; never queried publicly
    <store>/learner-salt  random secret, created once (mode 0600)

Keeping personal data in a separate store, not just a separate graph, means no public query —
whatever its GRAPH patterns — can reach it.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from mcgraph.errors import UsageError
from mcgraph.settings import Settings
from mcgraph.store import EmbeddedStore

METADATA_GRAPH_PATH = "graph/metadata"


@dataclass
class Repository:
    public: EmbeddedStore
    protected: EmbeddedStore | None
    salt: bytes
    base_iri: str
    path: Path | None

    @property
    def metadata_graph(self) -> str:
        return self.base_iri + METADATA_GRAPH_PATH

    def close(self) -> None:
        self.public.close()
        if self.protected is not None:
            self.protected.close()


def _salt(path: Path | None, settings: Settings) -> bytes:
    if settings.learner_salt:
        return settings.learner_salt.encode("utf-8")
    if path is None:
        return secrets.token_bytes(32)
    salt_file = path / "learner-salt"
    if not salt_file.exists():
        descriptor = os.open(salt_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_hex(32).encode())
    return salt_file.read_bytes().strip()


def open_repository(
    settings: Settings, *, in_memory: bool = False, read_only: bool = False
) -> Repository:
    """Open (creating if needed) the store location named by the settings."""
    if in_memory:
        protected = EmbeddedStore(None) if settings.keep_personal_data else None
        return Repository(
            EmbeddedStore(None), protected, _salt(None, settings), settings.base_iri, None
        )
    root = settings.store
    if root.exists() and not root.is_dir():
        raise UsageError(f"store location {root} is not a directory")
    if read_only and not (root / "public").is_dir():
        raise UsageError(f"no store at {root}")
    root.mkdir(parents=True, exist_ok=True)
    public = EmbeddedStore(root / "public", read_only=read_only)
    protected_path = root / "protected"
    protected = None
    if settings.keep_personal_data or protected_path.is_dir():
        protected = EmbeddedStore(protected_path, read_only=read_only)
    return Repository(public, protected, _salt(root, settings), settings.base_iri, root)
