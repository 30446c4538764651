"""Use cases over one repository, shared by the command line and the HTTP API.

Everything a user can ask of mcgraph that touches the store goes through here: load documents,
query (ad hoc or named), export, delete, statistics, backup. Built once per process.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from mcgraph import frameworks, levels, queries, stacking
from mcgraph.contexts import ContextResolver
from mcgraph.documents import RdfDocument
from mcgraph.errors import DocumentError, NotFoundError, UsageError
from mcgraph.ingest import (
    DEFAULT_BATCH_SIZE,
    Ingestor,
    IngestSummary,
    delete_documents,
    recover_incomplete,
)
from mcgraph.level_checks import LevelChecks
from mcgraph.loaders.sources import read_inputs
from mcgraph.repository import Repository, open_repository
from mcgraph.settings import Settings
from mcgraph.store import Iri, Term
from mcgraph.validation import Validator
from mcgraph.vocab import DC, FOAF

STATS_QUERIES = ("documents", "triples", "credentials-per-eqf-level")


class Service:
    """mcgraph's use cases over one repository; call :meth:`close` when done."""

    def __init__(
        self, settings: Settings, *, in_memory: bool = False, read_only: bool = False
    ) -> None:
        self.settings = settings
        self.repository: Repository = open_repository(
            settings, in_memory=in_memory, read_only=read_only
        )
        #: documents a killed load left without a metadata record, dropped on opening
        self.recovered = 0 if read_only else recover_incomplete(self.repository)
        self.resolver = ContextResolver(settings)
        self._validator: Validator | None = None
        self._crosswalk: levels.Crosswalk | None = None

    @property
    def validator(self) -> Validator:
        if self._validator is None:
            self._validator = Validator(settings=self.settings)
        return self._validator

    def close(self) -> None:
        self.repository.close()

    def load(
        self,
        paths: Sequence[Path],
        *,
        source: str = "local",
        allow_invalid: bool = False,
        profile: str = "auto",
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_progress: Callable[[int], None] | None = None,
    ) -> IngestSummary:
        """Validate and store every document under ``paths``."""
        for path in paths:
            if not path.exists():
                raise UsageError(f"{path} does not exist")
        inputs = read_inputs(paths, settings=self.settings, resolver=self.resolver, source=source)
        return self.store_documents(
            inputs,
            source=source,
            allow_invalid=allow_invalid,
            profile=profile,
            batch_size=batch_size,
            on_progress=on_progress,
        )

    def store_documents(
        self,
        documents: Iterable[RdfDocument | DocumentError],
        *,
        source: str = "local",
        allow_invalid: bool = False,
        profile: str = "auto",
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_progress: Callable[[int], None] | None = None,
    ) -> IngestSummary:
        """Validate and store documents already read (the CLI's files, the API's uploads)."""
        ingestor = Ingestor(
            self.repository,
            self.validator,
            source=source,
            allow_invalid=allow_invalid,
            keep_personal_data=self.settings.keep_personal_data,
            profile=profile,
            batch_size=batch_size,
            checks=self.level_checks(),
        )
        return ingestor.ingest(documents, on_progress=on_progress)

    def query(
        self,
        text: str,
        *,
        params: Mapping[str, str] | None = None,
        result_format: str = "json",
        rdf_format: str = "turtle",
    ) -> bytes:
        """Ad hoc SPARQL (no parameters) or a named query with typed parameters."""
        sparql, bindings = self.resolve_query(text, params or {})
        return self.repository.public.query(
            sparql, bindings=bindings, result_format=result_format, rdf_format=rdf_format
        )

    def select(
        self, text: str, *, params: Mapping[str, str] | None = None
    ) -> list[dict[str, str | None]]:
        sparql, bindings = self.resolve_query(text, params or {})
        return self.repository.public.select(sparql, bindings=bindings)

    @staticmethod
    def resolve_query(text: str, params: Mapping[str, str]) -> tuple[str, dict[str, Term]]:
        """SPARQL text, ``@file.rq``, or the name of a shipped query → (query, bindings)."""
        if text.startswith("@"):
            named = queries.load_query_file(Path(text[1:]))
            return named.text, queries.bind(named, params)
        if text in queries.named_queries():
            named = queries.named_query(text)
            return named.text, queries.bind(named, params)
        if params:
            raise UsageError(
                "--param works with named queries and @file.rq queries that declare parameters"
            )
        return text, {}

    def export(
        self, out: BinaryIO, *, rdf_format: str = "nquads", graph: str | None = None
    ) -> None:
        self.repository.public.dump(out, rdf_format=rdf_format, graph=graph)

    def document_graphs(self, identifier: str) -> list[str]:
        """Graphs of a document named by its graph IRI or by its credential/specification IRI."""
        if self.repository.public.has_graph(identifier):
            return [identifier]
        rows = self.repository.public.select(
            f"SELECT DISTINCT ?g ?topic WHERE {{ ?g <{FOAF}primaryTopic> ?topic }}",
            bindings={"topic": Iri(identifier)},
        )
        return [str(r["g"]) for r in rows]

    def source_graphs(self, source: str) -> list[str]:
        rows = self.repository.public.select(
            f"SELECT DISTINCT ?g ?source WHERE {{ ?g <{DC}source> ?source }}",
            bindings={"source": Iri(f"{self.repository.base_iri}source/{source}")},
        )
        return [str(r["g"]) for r in rows]

    def delete(self, graphs: Sequence[str]) -> int:
        return delete_documents(self.repository, graphs)

    def stats(self) -> dict[str, list[dict[str, str | None]]]:
        """What ``mcgraph stats`` prints: documents, triples, credentials per level, providers."""
        figures = {name: self.select(name) for name in STATS_QUERIES}
        figures["providers"] = self.repository.public.select(
            "SELECT (COUNT(DISTINCT ?provider) AS ?providers) WHERE "
            "{ ?awarding <http://data.europa.eu/snb/model/elm/awardingBody> ?provider }"
        )
        return figures

    # -- qualification levels and stacking pathways ---------------------------------------------

    def run_named(
        self, name: str, params: Mapping[str, str | None] | None = None
    ) -> list[dict[str, str | None]]:
        """Rows of a named query, parameters given as text (None: not given)."""
        given = {k: v for k, v in (params or {}).items() if v is not None}
        named = queries.named_query(name)
        return self.repository.public.select(named.text, bindings=queries.bind(named, given))

    def crosswalk(self) -> levels.Crosswalk:
        """The NQF→EQF referencing validation checks against: the shipped frameworks, with any
        framework in the store taking the place of a shipped one of the same scheme."""
        if self._crosswalk is None:
            stored = levels.Crosswalk.from_rows(self.run_named("level-referencing")).referencing
            schemes = {item.framework for item in stored}
            shipped = [
                item for item in levels.shipped_referencing() if item.framework not in schemes
            ]
            self._crosswalk = levels.Crosswalk([*shipped, *stored])
        return self._crosswalk

    def changed(self) -> None:
        """Something was written by other means (SPARQL Update, Graph Store Protocol): what is
        cached from the store (the crosswalk) is read again when next needed."""
        self._crosswalk = None

    def level_checks(self) -> LevelChecks:
        """Fresh cross-document checks (cycles, levels) against this store, for one run."""
        return LevelChecks(self.crosswalk(), run=self.run_named)

    def install_frameworks(self, identifiers: Sequence[str] = ()) -> list[str]:
        """Store the shipped frameworks (all, or those named by id); returns the schemes
        written. A framework already stored unchanged is left alone."""
        docs = [
            frameworks.read_framework(path, base_iri=self.repository.base_iri)
            for path in frameworks.shipped_framework_files()
        ]
        if identifiers:
            known = {doc.identifier for doc in docs}
            unknown = sorted(set(identifiers) - known)
            if unknown:
                choices = ", ".join(sorted(known))
                raise UsageError(f"no shipped framework {', '.join(unknown)}: use one of {choices}")
            docs = [doc for doc in docs if doc.identifier in identifiers]
        return self.store_frameworks(docs, source="mcgraph")

    def load_frameworks(self, paths: Sequence[Path], *, source: str = "local") -> list[str]:
        """Read, validate (shapes/frameworks.ttl) and store framework files (SKOS Turtle or
        CSV); all or nothing: one invalid file stores none."""
        docs = [frameworks.read_framework(p, base_iri=self.repository.base_iri) for p in paths]
        return self.store_frameworks(docs, source=source)

    def store_frameworks(
        self, docs: Sequence[frameworks.FrameworkDocument], *, source: str
    ) -> list[str]:
        stored = {str(r["identifier"]): str(r["framework"]) for r in self.run_named("frameworks")}
        for doc in docs:
            frameworks.validate_framework(doc)
            if stored.get(doc.identifier, doc.scheme) != doc.scheme:
                raise UsageError(
                    f"{doc.source}: framework id {doc.identifier!r} is already used by "
                    f"{stored[doc.identifier]}: choose another id, or give the framework that "
                    "IRI to replace it"
                )
        current = {
            str(r["framework"]): str(r["checksum"]) for r in self.run_named("framework-checksums")
        }
        changed = [doc for doc in docs if current.get(doc.scheme) != doc.checksum]
        if changed:
            meta = self.repository.metadata_graph
            base = self.repository.base_iri
            self.repository.public.update(
                " ;\n".join(
                    levels.framework_update(doc, metadata_graph=meta, base_iri=base, source=source)
                    for doc in changed
                )
            )
            self._crosswalk = None
        return [doc.scheme for doc in changed]

    def framework(self, identifier: str) -> dict[str, str | None]:
        """A stored framework by its id (``ie-nfq``) or scheme IRI."""
        return levels.find_framework(self.run_named, identifier)

    def resolve_level(self, text: str) -> str:
        """A level as its IRI, ``eqf:6`` or ``{framework id}:{notation}`` → its IRI."""
        return levels.resolve_level(self.run_named, text)

    def assign_level(self, decision: levels.LevelDecision) -> str:
        """Record a framework body's level decision; returns the decision's IRI."""
        levels.check_decision(decision)
        specs = stacking.specification_of(self.run_named, decision.specification)
        if not specs:
            raise NotFoundError(
                f"no credential or specification {decision.specification} is stored"
            )
        if len(specs) > 1:
            raise UsageError(f"{decision.specification} has several specifications: name one")
        level_rows = self.run_named("level-framework", {"level": decision.level})
        if not level_rows:
            raise NotFoundError(
                f"{decision.level} is not a level of any stored framework "
                "(load the framework first: `mcgraph levels install` or `mcgraph load`)"
            )
        decision = dataclasses.replace(decision, specification=specs[0])
        superseded = [
            str(r["decision"])
            for r in self.run_named(
                "current-decisions",
                {
                    "specification": specs[0],
                    "framework": level_rows[0]["framework"],
                    "body": f"{self.repository.base_iri}body/{decision.body}",
                },
            )
        ]
        iri, update = levels.decision_update(
            decision, base_iri=self.repository.base_iri, superseded=superseded
        )
        self.repository.public.update(update)
        return iri

    def pathways(self, resource: str) -> stacking.Pathways:
        if not stacking.specification_of(self.run_named, resource):
            raise NotFoundError(f"no credential or specification {resource} is stored")
        return stacking.pathways(self.run_named, resource)

    def gap(self, held: Sequence[str], target: str) -> stacking.Gap:
        return stacking.gap(self.run_named, held, target)

    def backup(self, target: Path) -> None:
        """A consistent copy of the whole repository (public, protected, salt) into ``target``."""
        if self.repository.path is None:
            raise UsageError("an in-memory store has no backup; export it instead")
        if target.exists():
            raise UsageError(f"backup target {target} already exists")
        target.mkdir(parents=True)
        self.repository.public.backup(target / "public")
        if self.repository.protected is not None:
            self.repository.protected.backup(target / "protected")
        salt = self.repository.path / "learner-salt"
        if salt.exists():
            shutil.copy2(salt, target / "learner-salt")
