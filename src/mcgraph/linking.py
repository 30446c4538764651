"""The same provider, credential or specification from several sources, recognised and linked.

Every document keeps its own graph, so a resource described by two sources is stated twice,
and two sources may give the same resource different IRIs. ``rebuild_links`` reads where each
provider, credential and specification is described (``queries/link-occurrences.rq``) and the
identifiers it is given (``queries/link-identifiers.rq``), and writes one derived graph,
``{base}derived/links``, replaced atomically (one ``DROP`` + ``INSERT DATA`` update):

- ``<a> owl:sameAs <b>`` (both ways) for different IRIs of one kind sharing a key — an
  organisation's legal identifier (eIDAS, registration, VAT, tax: notation and jurisdiction),
  or an identifier's notation and scheme — when the group they form spans several sources;
- ``<a> mcg:statedIn <graph>``: for a resource (or group of linked resources) described by
  two or more sources, the document graph each source describes it in (the newest one of that
  source; a provider is restated in every document). ``owl:sameAs`` of an IRI to itself says
  nothing, so "the same IRI from two sources" is this: two ``mcg:statedIn`` graphs of
  different sources, which is also what ``queries/source-conflicts.rq`` compares.

The graph is materialised (queries stay fast: conflicts only look at resources it names) and
must be rebuilt after each load, harvest or delete. It lives outside ``{base}graph/`` so that
recovery after a killed load, which drops document graphs without a record, leaves it alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from mcgraph import queries
from mcgraph.repository import Repository
from mcgraph.vocab import ELM, MCG, OWL

LINKS_GRAPH_PATH = "derived/links"
#: the kind a resource type belongs to: only resources of one kind are ever the same
_KINDS = {
    ELM + "Organisation": "provider",
    ELM + "EuropeanDigitalCredential": "credential",
    ELM + "Qualification": "specification",
    ELM + "LearningAchievementSpecification": "specification",
    ELM + "LearningActivitySpecification": "specification",
    ELM + "LearningAssessmentSpecification": "specification",
    ELM + "LearningEntitlementSpecification": "specification",
}


@dataclass(frozen=True)
class LinkSummary:
    """What a rebuild wrote: resources described by several sources, and sameAs pairs."""

    shared: int  # groups (one IRI, or linked IRIs) described by two or more sources
    same_as: int  # owl:sameAs pairs (each counted once)
    statements: int  # triples in the links graph


def links_graph(base_iri: str) -> str:
    return base_iri + LINKS_GRAPH_PATH


class _Groups:
    """Union-find over IRIs: linked resources end in one group."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:
            item, self.parent[item] = self.parent[item], root
        return root

    def union(self, first: str, second: str) -> None:
        a, b = self.find(first), self.find(second)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def compute_links(
    occurrences: Iterable[dict[str, str | None]], identifiers: Iterable[dict[str, str | None]]
) -> tuple[list[tuple[str, str, str]], LinkSummary]:
    """The links graph's triples from the rows of the two linking queries (pure: testable)."""
    kind: dict[str, str] = {}
    # entity → source → (stored, graph): the newest document of each source
    stated: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for row in occurrences:
        entity, graph, source = row["entity"], row["graph"], row["source"]
        found = _KINDS.get(row["type"] or "")
        if not (entity and graph and source and found):
            continue
        kind.setdefault(entity, found)
        current = stated[entity].get(source)
        candidate = (row["stored"] or "", graph)
        if current is None or candidate > current:
            stated[entity][source] = candidate
    groups = _Groups()
    by_key: dict[tuple[str, ...], str] = {}
    for row in identifiers:
        entity, notation = row["entity"], row["notation"]
        if not entity or notation is None or entity not in kind:
            continue
        key = (kind[entity], row["scheme"] or "", notation.strip(), row["spatial"] or "")
        first = by_key.setdefault(key, entity)
        if first != entity:
            groups.union(first, entity)
    members: dict[str, list[str]] = defaultdict(list)
    for entity in stated:
        members[groups.find(entity)].append(entity)
    triples: list[tuple[str, str, str]] = []
    shared = pairs = 0
    for group in members.values():
        sources = {source for entity in group for source in stated[entity]}
        if len(sources) < 2:
            continue
        shared += 1
        group.sort()
        for entity in group:
            for _, graph in sorted(stated[entity].values()):
                triples.append((entity, MCG + "statedIn", graph))
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                pairs += 1
                triples += [(first, OWL + "sameAs", second), (second, OWL + "sameAs", first)]
    return triples, LinkSummary(shared, pairs, len(triples))


def links_update(graph: str, triples: Iterable[tuple[str, str, str]]) -> str:
    """One SPARQL update replacing the links graph (all IRIs: no user text is spliced)."""
    body = "\n".join(f"<{s}> <{p}> <{o}> ." for s, p, o in triples)
    return f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}"


def rebuild_links(repository: Repository) -> LinkSummary:
    """Recompute and replace the links graph (call after every load, harvest or delete)."""
    store = repository.public
    occurrences = store.select(queries.named_query("link-occurrences").text)
    identifiers = store.select(queries.named_query("link-identifiers").text)
    triples, summary = compute_links(occurrences, identifiers)
    store.update(links_update(links_graph(repository.base_iri), triples))
    return summary
