"""mcgraph: a linked-data knowledge graph and Annex I validator for EU micro-credentials.

The public Python surface: :func:`validate` and :class:`Validator` (Annex I/II validation of
ELM v3 documents), the reports they return, and the error tree in :mod:`mcgraph.errors`.
Imported lazily, so that ``import mcgraph.settings`` does not load pySHACL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "DocumentReport",
    "McgraphError",
    "ValidationResult",
    "Validator",
    "__version__",
    "validate",
]

if TYPE_CHECKING:
    from mcgraph.errors import McgraphError
    from mcgraph.validation import DocumentReport, ValidationResult, Validator, validate


def __getattr__(name: str) -> Any:
    if name == "McgraphError":
        from mcgraph.errors import McgraphError

        return McgraphError
    if name in ("DocumentReport", "ValidationResult", "Validator", "validate"):
        from mcgraph import validation

        return getattr(validation, name)
    raise AttributeError(f"module 'mcgraph' has no attribute {name!r}")
