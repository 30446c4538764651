"""Use cases over one repository, shared by the command line and the HTTP API.

Everything a user can ask of mcgraph that touches the store goes through here: load documents,
query (ad hoc or named), export, delete, statistics, backup. Built once per process.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from mcgraph import queries
from mcgraph.contexts import ContextResolver
from mcgraph.documents import RdfDocument
from mcgraph.errors import DocumentError, UsageError
from mcgraph.ingest import Ingestor, IngestSummary, delete_documents, recover_incomplete
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
        batch_size: int = 200,
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
        batch_size: int = 200,
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
