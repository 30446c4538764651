"""Validation of documents against the Annex I profiles, plus any external shape files.

Shapes are parsed and compiled once per process (cached engines). The default ``native``
engine indexes each document once and evaluates the compiled shapes in Python; ``sparql``
runs them as queries over a whole batch; ``pyshacl`` is the reference. A shape set outside
the compiled subset runs on pySHACL whatever the choice.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from mcgraph.contexts import ContextResolver
from mcgraph.documents import RdfDocument, read_path
from mcgraph.elements import profile_named
from mcgraph.errors import DocumentError, UsageError
from mcgraph.settings import Settings, load_settings
from mcgraph.validation.compiled import UnsupportedShapeError
from mcgraph.validation.native_engine import NativeEngine
from mcgraph.validation.native_graph import Graph
from mcgraph.validation.pyshacl_engine import PyshaclEngine
from mcgraph.validation.report import DocumentReport, ValidationResult
from mcgraph.validation.shapes import ShapeSet, external_shapes, profile_shapes
from mcgraph.validation.sparql_engine import SparqlEngine
from mcgraph.vocab import RDF

PROFILES = ("issued", "specification")
ENGINES = ("native", "sparql", "pyshacl")
Engine = NativeEngine | SparqlEngine | PyshaclEngine
_RDF_TYPE = ox.NamedNode(RDF + "type")


@functools.cache
def _engine(shapes: ShapeSet, name: str, lang: str) -> Engine:
    try:
        if name == "native":
            return NativeEngine(shapes, lang=lang)
        if name == "sparql":
            return SparqlEngine(shapes, lang=lang)
    except UnsupportedShapeError:
        pass  # outside the compiled subset: the reference engine handles it
    return PyshaclEngine(shapes, lang=lang)


@functools.cache
def _focus_classes(profile: str) -> frozenset[ox.NamedNode]:
    return frozenset(ox.NamedNode(c) for c in profile_named(profile).focus_classes)


def detect_profile(quads: Iterable[ox.Quad]) -> str | None:
    """``issued`` if the document has a credential, else ``specification`` if it has one."""
    return _profile_of({q.object for q in quads if q.predicate == _RDF_TYPE})


def _profile_of(types: AbstractSet[object]) -> str | None:
    for key in PROFILES:
        if not _focus_classes(key).isdisjoint(types):
            return key
    return None


class DocumentChecks(Protocol):
    """Checks beyond what shapes can see in one document (mcgraph.level_checks.LevelChecks)."""

    def check(
        self, quads: Sequence[ox.Quad], *, replacing: Iterable[str] = ()
    ) -> list[ValidationResult]: ...

    def accept(self, quads: Sequence[ox.Quad]) -> None: ...


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
        if self.engine_name not in ENGINES:
            raise UsageError(
                f"unknown SHACL engine {self.engine_name!r}: use native, sparql or pyshacl"
            )
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

    def engines(self, profile: str) -> list[Engine]:
        """The engines a document of ``profile`` goes through: ours, then each extra set."""
        return [self.engine(profile)] + [
            _engine(s, self.engine_name, self.lang) for s in self.extra
        ]

    def validate_documents(
        self,
        documents: Sequence[RdfDocument],
        *,
        profile: str = "auto",
        checks: DocumentChecks | None = None,
    ) -> list[DocumentReport]:
        """One report per document, in order. The shapes judge each document on its own;
        ``checks`` (part/whole cycles, levels) then see the documents in order, each
        with the ones before it."""
        if profile not in (*PROFILES, "auto"):
            raise UsageError(f"unknown profile {profile!r}: use issued, specification or auto")
        reports = [DocumentReport(doc.source, None) for doc in documents]
        batches: dict[str, list[int]] = {}  # for engines that take whole batches
        native = self.engine_name == "native"
        for index, doc in enumerate(documents):
            # the native engine indexes each document once, for every step, and the index is
            # dropped before the next document: a batch's worth of live indexes would make
            # Python's garbage collector, not validation, the bottleneck
            graph = Graph(doc.quads) if native else None
            if graph is not None:
                types: AbstractSet[object] = graph.types()
            else:
                types = {q.object for q in doc.quads if q.predicate == _RDF_TYPE}
            chosen = _profile_of(types) if profile == "auto" else profile
            report = reports[index]
            if chosen is None or _focus_classes(chosen).isdisjoint(types):
                report.error = self._no_focus_message(chosen or profile)
                continue
            report.profile = chosen
            batches.setdefault(chosen, []).append(index)
            for engine in self.engines(chosen):
                if isinstance(engine, NativeEngine):
                    report.results.extend(engine.validate_graph(graph or Graph(doc.quads)))
        for chosen, indices in batches.items():
            for engine in self.engines(chosen):
                if not isinstance(engine, NativeEngine):
                    batch = [documents[i].quads for i in indices]
                    for index, results in zip(indices, engine.validate_batch(batch), strict=True):
                        reports[index].results.extend(results)
        if checks is not None:
            for doc, report in zip(documents, reports, strict=True):
                if report.error is None:
                    report.results.extend(checks.check(doc.quads))
                    checks.accept(doc.quads)
        return reports

    def validate_paths(
        self, paths: Sequence[Path], *, profile: str = "auto", checks: DocumentChecks | None = None
    ) -> list[DocumentReport]:
        """Read and validate files; an unreadable file becomes a report with its error."""
        documents: list[RdfDocument] = []
        failed: dict[int, DocumentReport] = {}
        for index, path in enumerate(paths):
            try:
                documents.append(read_path(path, settings=self.settings, resolver=self.resolver))
            except DocumentError as error:
                failed[index] = DocumentReport(str(path), None, error=error.problem)
        validated = iter(self.validate_documents(documents, profile=profile, checks=checks))
        return [failed[i] if i in failed else next(validated) for i in range(len(paths))]

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
    """Validate files or parsed documents against the Annex I profile; one report each.
    Stated levels are checked against the shipped frameworks' EQF referencing, and the
    part/whole relation for cycles, as ``mcgraph validate`` does."""
    from mcgraph.level_checks import LevelChecks  # it builds on this package's reports

    validator = Validator(settings=settings, extra_shapes=shapes, engine=engine)
    checks = LevelChecks.shipped()
    documents = [s for s in sources if isinstance(s, RdfDocument)]
    if len(documents) == len(sources):
        return validator.validate_documents(documents, profile=profile, checks=checks)
    if documents:
        raise UsageError("validate() takes either paths or parsed documents, not both")
    return validator.validate_paths(
        [Path(s) for s in sources if not isinstance(s, RdfDocument)],
        profile=profile,
        checks=checks,
    )
