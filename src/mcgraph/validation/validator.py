"""Validation of documents against the Annex I profiles, plus any external shape files.

Shapes are parsed and compiled once per process (cached engines); a batch of documents is
validated with one query run per shape, not one per document.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from mcgraph.contexts import ContextResolver
from mcgraph.documents import RdfDocument, read_path
from mcgraph.elements import profile_named
from mcgraph.errors import DocumentError, UsageError
from mcgraph.settings import Settings, load_settings
from mcgraph.validation.pyshacl_engine import PyshaclEngine
from mcgraph.validation.report import DocumentReport
from mcgraph.validation.shapes import ShapeSet, external_shapes, profile_shapes
from mcgraph.validation.sparql_engine import SparqlEngine, UnsupportedShapeError
from mcgraph.vocab import RDF

PROFILES = ("issued", "specification")
Engine = PyshaclEngine | SparqlEngine
_RDF_TYPE = ox.NamedNode(RDF + "type")


@functools.cache
def _engine(shapes: ShapeSet, name: str, lang: str) -> Engine:
    if name == "sparql":
        try:
            return SparqlEngine(shapes, lang=lang)
        except UnsupportedShapeError:
            pass  # outside the compiled subset: the reference engine handles it
    return PyshaclEngine(shapes, lang=lang)


def detect_profile(quads: Iterable[ox.Quad]) -> str | None:
    """``issued`` if the document has a credential, else ``specification`` if it has one."""
    types = {q.object for q in quads if q.predicate == _RDF_TYPE}
    for key in PROFILES:
        if any(ox.NamedNode(c) in types for c in profile_named(key).focus_classes):
            return key
    return None


class Validator:
    """Validates documents against an Annex I profile; build one and reuse it."""

    def __init__(
        self,
        *,
        settings: Settings | None = None,
        extra_shapes: Sequence[Path] = (),
        engine: str | None = None,
        lang: str = "en",
    ) -> None:
        self.settings = settings or load_settings()
        self.engine_name = engine or self.settings.shacl_engine
        if self.engine_name not in ("sparql", "pyshacl"):
            raise UsageError(f"unknown SHACL engine {self.engine_name!r}: use sparql or pyshacl")
        self.lang = lang
        self.extra = [external_shapes(Path(p).resolve()) for p in extra_shapes]
        self._resolver: ContextResolver | None = None

    @property
    def resolver(self) -> ContextResolver:
        if self._resolver is None:
            self._resolver = ContextResolver(self.settings)
        return self._resolver

    def engine(self, profile: str) -> Engine:
        return _engine(profile_shapes(profile), self.engine_name, self.lang)

    def validate_documents(
        self, documents: Sequence[RdfDocument], *, profile: str = "auto"
    ) -> list[DocumentReport]:
        """One report per document, in order; batches share one query run per shape."""
        if profile not in (*PROFILES, "auto"):
            raise UsageError(f"unknown profile {profile!r}: use issued, specification or auto")
        reports = [DocumentReport(doc.source, None) for doc in documents]
        groups: dict[str, list[int]] = {}
        for index, doc in enumerate(documents):
            chosen = detect_profile(doc.quads) if profile == "auto" else profile
            if chosen is None or not self._has_focus(doc, chosen):
                reports[index].error = self._no_focus_message(chosen or profile)
                continue
            reports[index].profile = chosen
            groups.setdefault(chosen, []).append(index)
        for chosen, indices in groups.items():
            batch = [documents[i].quads for i in indices]
            engines = [self.engine(chosen)] + [
                _engine(s, self.engine_name, self.lang) for s in self.extra
            ]
            for engine in engines:
                for index, results in zip(indices, engine.validate_batch(batch), strict=True):
                    reports[index].results.extend(results)
        return reports

    def validate_paths(
        self, paths: Sequence[Path], *, profile: str = "auto"
    ) -> list[DocumentReport]:
        """Read and validate files; an unreadable file becomes a report with its error."""
        documents: list[RdfDocument] = []
        failed: dict[int, DocumentReport] = {}
        for index, path in enumerate(paths):
            try:
                documents.append(read_path(path, settings=self.settings, resolver=self.resolver))
            except DocumentError as error:
                failed[index] = DocumentReport(str(path), None, error=error.problem)
        validated = iter(self.validate_documents(documents, profile=profile))
        return [failed[i] if i in failed else next(validated) for i in range(len(paths))]

    @staticmethod
    def _has_focus(doc: RdfDocument, profile: str) -> bool:
        focus = {ox.NamedNode(c) for c in profile_named(profile).focus_classes}
        return any(q.predicate == _RDF_TYPE and q.object in focus for q in doc.quads)

    @staticmethod
    def _no_focus_message(profile: str) -> str:
        if profile == "auto":
            return (
                "no micro-credential found: the document describes no credential "
                "(elm:EuropeanDigitalCredential, cred:VerifiableCredential) and no "
                "specification (elm:LearningAchievementSpecification, elm:Qualification)"
            )
        classes = ", ".join(profile_named(profile).focus_classes)
        return f"nothing to validate as '{profile}': the document has no resource of type {classes}"


def validate(
    *sources: Path | str | RdfDocument,
    profile: str = "auto",
    shapes: Sequence[Path] = (),
    settings: Settings | None = None,
    engine: str | None = None,
) -> list[DocumentReport]:
    """Validate files or parsed documents against the Annex I profile; one report each."""
    validator = Validator(settings=settings, extra_shapes=shapes, engine=engine)
    documents = [s for s in sources if isinstance(s, RdfDocument)]
    if len(documents) == len(sources):
        return validator.validate_documents(documents, profile=profile)
    if documents:
        raise UsageError("validate() takes either paths or parsed documents, not both")
    return validator.validate_paths(
        [Path(s) for s in sources if not isinstance(s, RdfDocument)], profile=profile
    )
