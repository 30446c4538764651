"""The only code that knows where mcgraph's data files live (ontology, shapes, queries, loaders).

In a built wheel they sit under ``mcgraph/data/``; in a source checkout or an editable install
they are the top-level folders of the repository. Nothing else builds these paths.
"""

from __future__ import annotations

from pathlib import Path

from mcgraph.errors import ConfigurationError

_PACKAGE_DIR = Path(__file__).resolve().parent
_KINDS = ("ontology", "shapes", "queries", "loaders")


def data_dir(kind: str) -> Path:
    """Directory holding the shipped data files of one kind (``ontology``, ``shapes``, ...)."""
    if kind not in _KINDS:
        raise ConfigurationError(f"unknown data kind {kind!r}; expected one of {_KINDS}")
    for candidate in (_PACKAGE_DIR / "data" / kind, _PACKAGE_DIR.parents[1] / kind):
        if candidate.is_dir():
            return candidate
    raise ConfigurationError(f"the {kind}/ data files are missing from this installation")


def data_file(kind: str, name: str) -> Path:
    """One shipped data file; a missing file is a ConfigurationError naming it."""
    path = data_dir(kind) / name
    if not path.is_file():
        raise ConfigurationError(f"data file {kind}/{name} is missing from this installation")
    return path


def source_root() -> Path | None:
    """The repository root when running from a source checkout, else None (used by build tools)."""
    root = _PACKAGE_DIR.parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "ontology").is_dir() else None
