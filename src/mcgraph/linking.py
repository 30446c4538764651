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
  different sources, which is also what ``queries/source-conflicts.rq`` compares;
- ``[] mcg:of <a> ; mcg:inGraph <graph> ; mcg:elementKey "eqf-level" ; mcg:value <v>``: each
  value a ``mcg:statedIn`` graph gives its resource for a compared element
  (``queries/link-elements.rq``, run over those graphs only, bound in a ``VALUES`` block,
  a few hundred per query). A query reading these values inside ``GRAPH ?g`` with ``?g``
  open walks every document, so ``source-conflicts.rq`` compares these records instead.

The graph is materialised (queries stay fast: they read only the links graph) and
must be rebuilt after each load, harvest or delete. It lives outside ``{base}graph/`` so that
recovery after a killed load, which drops document graphs without a record, leaves it alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from mcgraph import queries
from mcgraph.repository import Repository
from mcgraph.store import GraphStore, StoreError
from mcgraph.vocab import ELM, MCG, OWL

LINKS_GRAPH_PATH = "derived/links"
_GRAPHS_PER_QUERY = 200
#: an IRI as a store holds it: nothing that could end the IRI (it is spliced, never user text)
_PLAIN_IRI = re.compile(r"[^\s<>\"{}|^`\\]+")
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
    values: int = 0  # element values recorded (mcg:of, mcg:inGraph, mcg:elementKey, mcg:value)


@dataclass(frozen=True)
class ElementValue:
    """One value a document graph gives a shared resource for a compared element."""

    entity: str
    graph: str
    element: str  # eqf-level, nqf-level, credit-points, awarding-body, quality-assurance
    value: str  # an IRI, or a literal's lexical form
    iri: bool


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


def stated_in(triples: Iterable[tuple[str, str, str]]) -> dict[str, set[str]]:
    """Document graph → the shared resources it is a ``mcg:statedIn`` graph of."""
    stated: dict[str, set[str]] = defaultdict(set)
    for entity, predicate, graph in triples:
        if predicate == MCG + "statedIn":
            stated[graph].add(entity)
    return stated


def read_elements(store: GraphStore, stated: Mapping[str, set[str]]) -> list[ElementValue]:
    """The compared elements' values, read in the graphs named by ``mcg:statedIn`` only.

    ``queries/link-elements.rq`` is run over a few hundred graphs at a time, given as a
    trailing ``VALUES ?graph`` block (the graphs are bound before any document is read; a
    query with the graph open would walk every document, and one query per graph costs three
    times as long at 10k credentials). Only resources stated in each graph are kept."""
    text = queries.named_query("link-elements").text
    graphs = sorted(stated)
    for graph in graphs:
        if not _PLAIN_IRI.fullmatch(graph):  # names from the store: cannot happen, never spliced
            raise StoreError(f"unexpected graph name {graph!r} in the store")
    found: set[tuple[str, str, str, str, bool]] = set()
    for start in range(0, len(graphs), _GRAPHS_PER_QUERY):
        chunk = " ".join(f"<{graph}>" for graph in graphs[start : start + _GRAPHS_PER_QUERY])
        for row in store.select(f"{text}\nVALUES ?graph {{ {chunk} }}\n"):
            entity, named, element, value = (
                row[k] for k in ("entity", "graph", "element", "value")
            )
            if (
                entity
                and named
                and element
                and value is not None
                and entity in stated.get(named, ())
            ):
                found.add((entity, named, element, value, row["iri"] == "true"))
    return [ElementValue(*item) for item in sorted(found)]


def _literal(text: str) -> str:
    """A SPARQL string literal (a value from a document: quotes and line breaks escaped)."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    return f'"{escaped}"'


def _records(values: Iterable[ElementValue]) -> Iterable[str]:
    for number, item in enumerate(values):
        if item.iri and not _PLAIN_IRI.fullmatch(item.value):
            raise StoreError(f"unexpected IRI {item.value!r} in the store")
        value = f"<{item.value}>" if item.iri else _literal(item.value)
        yield (
            f"_:v{number} mcg:of <{item.entity}> ; mcg:inGraph <{item.graph}> ; "
            f"mcg:elementKey {_literal(item.element)} ; mcg:value {value} ."
        )


def links_update(
    graph: str, triples: Iterable[tuple[str, str, str]], values: Iterable[ElementValue] = ()
) -> str:
    """One SPARQL update replacing the links graph (IRIs, and values escaped as literals)."""
    lines = [f"<{s}> <{p}> <{o}> ." for s, p, o in triples]
    lines += _records(values)
    body = "\n".join(lines)
    return (
        f"PREFIX mcg: <{MCG}>\nDROP SILENT GRAPH <{graph}> ;\n"
        f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}} }}"
    )


def rebuild_links(repository: Repository) -> LinkSummary:
    """Recompute and replace the links graph (call after every load, harvest or delete)."""
    store = repository.public
    occurrences = store.select(queries.named_query("link-occurrences").text)
    identifiers = store.select(queries.named_query("link-identifiers").text)
    triples, summary = compute_links(occurrences, identifiers)
    values = read_elements(store, stated_in(triples))
    store.update(links_update(links_graph(repository.base_iri), triples, values))
    return replace(summary, statements=summary.statements + 4 * len(values), values=len(values))
