"""One source harvested end to end: list upstream, fetch what changed (a few requests in
flight), validate and store it as a local load would (each document in its own graph under the
source's name), remember validators and checksums, and retract the documents that vanished.

A source that fails — its listing, or any fetch — keeps every graph it had: what was fetched
before the failure is stored (each a whole, validated document), nothing is retracted, and
the next run picks up where this one stopped.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import pyoxigraph as ox

from mcgraph.documents import RdfDocument, read_document
from mcgraph.errors import DocumentError
from mcgraph.harvest.http import Fetcher, FetchError, redact
from mcgraph.harvest.kinds import Fetched, Item, make_kind
from mcgraph.harvest.sources import Source
from mcgraph.harvest.state import Entry, load_state, now_iso, save_state
from mcgraph.ingest import Ingestor, IngestSummary
from mcgraph.service import Service
from mcgraph.validation import DocumentReport, Validator
from mcgraph.validation.validator import DocumentChecks
from mcgraph.vocab import CRED, DC, PROV

__all__ = ["SourceReport", "harvest_source"]

log = logging.getLogger("mcgraph.harvest")
#: Requests in flight per source.
FETCH_WORKERS = 4
#: The element a peer never publishes: its learners are pseudonymous keys (see PeerValidator).
_PEER_WAIVED = "learner-identity"
_LEARNER_KEY = re.compile(r"/learner/[0-9a-f]{40}$")
_SUBJECT = ox.NamedNode(CRED + "credentialSubject")


@dataclass
class SourceReport:
    """What one harvest of one source did."""

    name: str
    kind: str
    listed: int = 0
    transferred: int = 0
    unchanged: int = 0
    stored: int = 0
    rejected: int = 0
    retracted: int = 0
    errors: list[str] = field(default_factory=list)
    #: Annex I element -> rejected documents violating it
    violations: dict[str, int] = field(default_factory=dict)
    rejections: list[str] = field(default_factory=list)
    seconds: float = 0.0
    bytes: int = 0
    #: the listing or a fetch failed: nothing was retracted
    failed: bool = False

    @property
    def ok(self) -> bool:
        return not (self.failed or self.rejected or self.errors)


def harvest_source(
    service: Service,
    source: Source,
    *,
    on_progress: Callable[[str, int, int], None] | None = None,
    on_listed: Callable[[int], None] | None = None,
) -> SourceReport:
    """Harvest ``source`` into ``service``'s store; never raises for a failing source."""
    started = time.perf_counter()
    report = SourceReport(source.name, source.kind)
    fetcher = Fetcher(service.settings, source)
    try:
        _run(service, source, fetcher, report, on_progress, on_listed)
    except FetchError as error:
        report.failed = True
        report.errors.append(str(error))
    finally:
        fetcher.close()
        report.bytes = fetcher.bytes_received
        report.seconds = time.perf_counter() - started
    return report


def _run(
    service: Service,
    source: Source,
    fetcher: Fetcher,
    report: SourceReport,
    on_progress: Callable[[str, int, int], None] | None,
    on_listed: Callable[[int], None] | None,
) -> None:
    repository = service.repository
    kind = make_kind(source, fetcher, service.settings, service.resolver)
    state = load_state(repository, source.name)
    items = kind.list()
    report.listed = len(items)
    log.info("%s: %d documents listed at %s", source.name, len(items), redact(source.url))
    if on_listed is not None:
        on_listed(len(items))
    graphs = set(repository.public.graphs())
    kept: dict[str, Entry] = {}
    wanted: list[tuple[Item, Entry | None]] = []
    for item in items:
        previous = state.get(item.url)
        same = previous is not None and item.upstream is not None
        if same and previous.upstream == item.upstream and previous.graph in graphs:  # type: ignore[union-attr]
            kept[item.url] = previous  # type: ignore[assignment]
        else:
            wanted.append((item, previous))
    report.unchanged = len(kept)
    fetched: dict[str, Fetched] = {}
    checksums: dict[str, str] = {}

    def documents() -> Iterator[RdfDocument | DocumentError]:
        for item, previous, outcome in _fetch_all(kind.fetch, wanted):
            if isinstance(outcome, FetchError):
                report.errors.append(str(outcome))
                if outcome.status is None or outcome.status >= 500:
                    report.failed = True  # the source is down: stop here, keep what it had
                    return
                report.failed = True  # one document answered 4xx: no retraction this time
                continue
            if outcome is None:  # 304: the validators still hold
                if previous is not None:
                    kept[item.url] = previous
                    report.unchanged += 1
                continue
            report.transferred += 1
            if on_progress is not None:
                on_progress(source.name, report.transferred + report.unchanged, len(items))
            try:
                doc = read_document(
                    outcome.data,
                    source=item.url,
                    format=outcome.format,
                    settings=service.settings,
                    resolver=service.resolver,
                )
            except DocumentError as error:
                yield error
                continue
            fetched[item.url] = outcome
            checksums[item.url] = doc.checksum
            yield doc

    validator: Validator = service.validator
    if source.kind == "mcgraph":
        trusted = {item.url for item in items if item.upstream_conforms}
        validator = PeerValidator(service.validator, trusted)
    ingestor = Ingestor(
        repository,
        validator,
        source=source.name,
        keep_personal_data=service.settings.keep_personal_data,
        checks=service.level_checks(),
    )
    summary = ingestor.ingest(documents())
    _count(report, summary)
    if summary.stored or summary.stored_invalid:
        service.changed()
    stored_graphs = _graphs_by_primary_source(service, source.name)
    failed_urls = {p.source for p in summary.problems}
    now = now_iso()
    for url, outcome in fetched.items():
        graph = stored_graphs.get(url)
        if url in failed_urls or graph is None:
            continue
        kept[url] = Entry(
            url,
            graph,
            checksums[url],
            now,
            outcome.etag,
            outcome.last_modified,
            outcome.item.upstream,
        )
    # unchanged documents recorded under an earlier URL keep their graph via the state
    listed = {item.url for item in items}
    if not report.failed:
        vanished = [e.graph for url, e in state.items() if url not in listed]
        live = {e.graph for e in kept.values()}
        orphans = [g for url, g in stored_graphs.items() if url not in listed and g not in live]
        retract = sorted(set(vanished + orphans) - live)
        if retract:
            report.retracted = service.delete(retract)
            service.changed()
        if retract or kept != state:  # an unchanged run rewrites nothing
            save_state(repository, source.name, kept.values())
    else:  # keep the state of documents not seen this time, so nothing is forgotten
        merged = {**state, **kept}
        save_state(repository, source.name, merged.values())


def _count(report: SourceReport, summary: IngestSummary) -> None:
    report.stored += summary.stored + summary.stored_invalid
    report.unchanged += summary.unchanged
    report.rejected += summary.rejected
    for outcome in summary.problems:
        if outcome.status == "error":
            report.errors.append(f"{redact(outcome.source)}: {outcome.error}")
        elif outcome.status == "rejected":
            elements = sorted(
                e or "-" for e in (outcome.report.elements() if outcome.report else set())
            )
            report.rejections.append(f"{redact(outcome.source)}: {', '.join(elements)}")
            for element in elements:
                report.violations[element] = report.violations.get(element, 0) + 1


def _graphs_by_primary_source(service: Service, name: str) -> dict[str, str]:
    """Primary source (the URL fetched) -> graph, for the documents stored from ``name``."""
    repository = service.repository
    rows = repository.public.select(
        f"SELECT ?g ?url WHERE {{ GRAPH <{repository.metadata_graph}> {{ "
        f"?g <{DC}source> <{repository.base_iri}source/{name}> ; "
        f"<{PROV}hadPrimarySource> ?url }} }}"
    )
    return {str(r["url"]): str(r["g"]) for r in rows}


def _fetch_all(
    fetch: Callable[[Item, Entry | None], Fetched | None],
    wanted: Sequence[tuple[Item, Entry | None]],
) -> Iterator[tuple[Item, Entry | None, Fetched | FetchError | None]]:
    """Outcomes in listing order, with up to FETCH_WORKERS requests in flight; stops
    submitting when the consumer stops (the source failed)."""

    def one(item: Item, previous: Entry | None) -> Fetched | FetchError | None:
        try:
            return fetch(item, previous)
        except FetchError as error:
            return error

    window = FETCH_WORKERS * 4
    with ThreadPoolExecutor(FETCH_WORKERS, thread_name_prefix="mcgraph-harvest") as pool:
        pending: list[tuple[Item, Entry | None, Future[Fetched | FetchError | None]]] = []
        queue = iter(wanted)
        try:
            while True:
                while len(pending) < window:
                    nxt = next(queue, None)
                    if nxt is None:
                        break
                    pending.append((nxt[0], nxt[1], pool.submit(one, nxt[0], nxt[1])))
                if not pending:
                    return
                item, previous, future = pending.pop(0)
                yield item, previous, future.result()
        finally:
            for _, _, future in pending:
                future.cancel()


class PeerValidator(Validator):
    """Annex I validation of documents from another mcgraph instance.

    A peer publishes only the public part of a credential: its learner is a pseudonymous key
    (``{base}learner/{hmac}``) and the learner's identity stays in the peer's protected store.
    The peer validated the whole document when it stored it; so for a document the peer
    records as conforming, whose subject is such a key, the ``learner-identity`` violation is
    waived. Every other element is checked as in a local load."""

    def __init__(self, inner: Validator, trusted: set[str]) -> None:  # no super(): a wrapper
        self._inner = inner
        self._trusted = trusted

    def validate_documents(
        self,
        documents: Sequence[RdfDocument],
        *,
        profile: str = "auto",
        checks: DocumentChecks | None = None,
    ) -> list[DocumentReport]:
        reports = self._inner.validate_documents(documents, profile=profile, checks=checks)
        for doc, report in zip(documents, reports, strict=True):
            if doc.source in self._trusted and _keyed_learner(doc):
                report.results[:] = [
                    r
                    for r in report.results
                    if not (r.element == _PEER_WAIVED and r.severity == "violation")
                ]
        return reports


def _keyed_learner(doc: RdfDocument) -> bool:
    subjects = [q.object for q in doc.quads if q.predicate == _SUBJECT]
    return bool(subjects) and all(
        isinstance(s, ox.NamedNode) and _LEARNER_KEY.search(s.value) for s in subjects
    )
