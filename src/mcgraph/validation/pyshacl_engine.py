"""The reference SHACL engine: pySHACL, one document at a time, serialised.

pySHACL patches rdflib globals while it runs, so concurrent calls are not safe: a process-wide
lock makes every run exclusive.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import pyoxigraph as ox
import pyshacl
import rdflib

from mcgraph import paths
from mcgraph.errors import ConfigurationError
from mcgraph.rdfconvert import term_text, to_rdflib_graph
from mcgraph.validation.report import ValidationResult
from mcgraph.validation.shapes import ShapeSet
from mcgraph.vocab import SH

_LOCK = threading.Lock()
_SH = rdflib.Namespace(SH)
_SEVERITY: dict[rdflib.term.Node | None, str] = {
    _SH.Violation: "violation",
    _SH.Warning: "warning",
    _SH.Info: "info",
}

# rdflib logs every ill-typed literal it meets (with a traceback); the report says it better.
logging.getLogger("rdflib.term").setLevel(logging.CRITICAL)


class PyshaclEngine:
    """Validates documents against one shape set with pySHACL (no inference)."""

    name = "pyshacl"

    def __init__(self, shapes: ShapeSet, *, lang: str = "en") -> None:
        self.shapes = shapes
        self.lang = lang

    def validate(self, quads: Sequence[ox.Quad]) -> list[ValidationResult]:
        data = to_rdflib_graph(quads)
        with _LOCK:
            _conforms, report, _text = pyshacl.validate(
                data,
                shacl_graph=self.shapes.graph,
                inference="none",
                abort_on_first=False,
                allow_warnings=True,
                allow_infos=True,
                advanced=False,
            )
        if not isinstance(report, rdflib.Graph):
            raise ConfigurationError("pySHACL returned no report graph")
        return [self._result(report, node) for node in report.objects(None, _SH.result)]

    def validate_batch(
        self, documents: Sequence[Sequence[ox.Quad]]
    ) -> list[list[ValidationResult]]:
        return [self.validate(quads) for quads in documents]

    def _result(self, report: rdflib.Graph, node: rdflib.term.Node) -> ValidationResult:
        shape = report.value(node, _SH.sourceShape)
        shape_iri = str(shape) if isinstance(shape, rdflib.URIRef) else None
        path_node = report.value(node, _SH.resultPath)
        path = None
        if path_node is not None:
            source = report if (path_node, None, None) in report else self.shapes.graph
            path = paths.to_sparql(paths.from_shacl(source, path_node))
        value = report.value(node, _SH.value)
        focus = report.value(node, _SH.focusNode)
        return ValidationResult(
            element=self.shapes.element(shape_iri),
            severity=_SEVERITY.get(report.value(node, _SH.resultSeverity), "violation"),
            focus=term_text(focus) if focus is not None else "",
            path=path,
            message=self._message(report, node),
            value=None if value is None else term_text(value),
            source_shape=shape_iri,
        )

    def _message(self, report: rdflib.Graph, node: rdflib.term.Node) -> str:
        messages = {
            (m.language or ""): str(m)
            for m in report.objects(node, _SH.resultMessage)
            if isinstance(m, rdflib.Literal)
        }
        for lang in (self.lang, "en", ""):
            if lang in messages:
                return messages[lang]
        return next(iter(messages.values()), "")
