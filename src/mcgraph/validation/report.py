"""Validation results: one record per failed constraint, one report per document, and their
JSON and text renderings (the JSON shape is a public contract of ``mcgraph validate``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcgraph.elements import standard_model

SEVERITY_ORDER = {"violation": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class ValidationResult:
    """One failed constraint. ``element`` is an Annex I key, or None (e.g. external shapes)."""

    element: str | None
    severity: str
    focus: str
    path: str | None
    message: str
    #: the offending value (N-Triples form) where the constraint is about a value
    value: str | None = None
    #: the shape that produced it (for tracing; not part of the JSON contract)
    source_shape: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "element": self.element,
            "severity": self.severity,
            "focus": self.focus,
            "path": self.path,
            "message": self.message,
        }

    def sort_key(self) -> tuple[int, int, str, str, str, str]:
        order = _element_order().get(self.element or "", 99)
        return (
            SEVERITY_ORDER.get(self.severity, 9),
            order,
            self.focus,
            self.path or "",
            self.value or "",
            self.message,
        )


def _element_order() -> dict[str, int]:
    return {e.key: e.order for e in standard_model().elements}


@dataclass
class DocumentReport:
    """What validation says about one document; ``error`` is set when it could not be read."""

    source: str
    profile: str | None
    results: list[ValidationResult] = field(default_factory=list)
    error: str | None = None

    @property
    def conforms(self) -> bool:
        return self.error is None and not any(r.severity == "violation" for r in self.results)

    def elements(self, severity: str = "violation") -> set[str | None]:
        """The element keys named by results of one severity."""
        return {r.element for r in self.results if r.severity == severity}

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "profile": self.profile,
            "conforms": self.conforms,
            "error": self.error,
            "results": [r.as_json() for r in sorted(self.results, key=ValidationResult.sort_key)],
        }


def reports_json(reports: Iterable[DocumentReport]) -> dict[str, Any]:
    return {"documents": [report.as_json() for report in reports]}


def reports_text(reports: Sequence[DocumentReport], lang: str = "en") -> str:
    """For people: per document a verdict, then one line per missing or bad element."""
    model = standard_model()
    labels = {e.key: e.label(lang) for e in model.elements}
    lines = []
    for report in reports:
        if report.error:
            lines.append(f"{report.source}: ERROR {report.error}")
            continue
        verdict = "conforms" if report.conforms else "does NOT conform"
        lines.append(f"{report.source}: {verdict} to the Annex I '{report.profile}' profile")
        for result in sorted(report.results, key=ValidationResult.sort_key):
            label = labels.get(result.element or "", "(no Annex I element)")
            mark = {"violation": "✗", "warning": "!", "info": "i"}.get(result.severity, "?")
            where = f" at {result.path}" if result.path else ""
            value = f" (value {result.value})" if result.value else ""
            lines.append(
                f"  {mark} {result.severity:<9} {result.element or '-'} — {label}: "
                f"{result.message}{value} [{result.focus}{where}]"
            )
    return "\n".join(lines)
