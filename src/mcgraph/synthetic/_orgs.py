"""Organisations and concept nodes: awarding providers, accrediting agencies, vocabulary concepts.

A provider is a pure function of its index, the same in every dataset whatever its seed or size,
so ``https://synthetic.mcgraph.example/org/17`` always names the same organisation.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from mcgraph.synthetic._graph import Node, Value
from mcgraph.synthetic._texts import FAMILY_NAMES, PUBLIC_NAMES, PUBLIC_NAMES_EN, TOPICS
from mcgraph.synthetic._vocab import (
    COUNTRIES,
    COUNTRY_SCHEME,
    COUNTRY_SLOTS,
    ENGLISH_CITY,
    INSTITUTIONAL_ACCREDITATION,
    PROGRAMME_ACCREDITATION,
    Concept,
    Country,
)

BASE = "https://synthetic.mcgraph.example/"
INVALID_COUNTRY = f"{COUNTRY_SCHEME}/XXZ"
_ACCREDITATION_TITLES = {
    INSTITUTIONAL_ACCREDITATION[0][0].iri: "Institutional quality assurance",
    INSTITUTIONAL_ACCREDITATION[1][0].iri: "Licence to provide education and training",
    PROGRAMME_ACCREDITATION[0][0].iri: "Programme quality assurance",
    PROGRAMME_ACCREDITATION[1][0].iri: "Programme licence",
}
_concept_nodes: dict[str, Node] = {}


def concept_node(concept: Concept) -> Node:
    """The node of a vocabulary concept: skos:Concept, its scheme and its English label."""
    node = _concept_nodes.get(concept.iri)
    if node is None:
        scheme = Node(concept.scheme, ("ConceptScheme",))
        props: tuple[tuple[str, Value], ...] = (
            ("inScheme", scheme),
            ("prefLabel", {"en": concept.label}),
        )
        node = _concept_nodes.setdefault(concept.iri, Node(concept.iri, ("Concept",), props))
    return node


def invalid_concept_node(iri: str, label: str) -> Node:
    """A concept of no scheme (it claims none): the value an ``invalid`` defect puts in."""
    return Node(iri, ("Concept",), (("prefLabel", {"en": label}),))


def legal_identifier(iri: str, notation: str, country: Country | None) -> Node:
    """An elm:LegalIdentifier; its dc:spatial is left out when ``country`` is None."""
    props: tuple[tuple[str, Value], ...] = (("notation", notation),)
    if country is not None:
        props += (("spatial", concept_node(country.concept)),)
    return Node(iri, ("LegalIdentifier",), props)


def location(base: str, country: Node) -> Node:
    """A dc:Location with an elm:Address in ``country`` (IRIs under ``base``)."""
    address = Node(f"{base}/address", ("Address",), (("countryCode", country),))
    return Node(f"{base}/location", ("Location",), (("address", address),))


@functools.lru_cache(maxsize=64)
def agency_node(code: str) -> Node:
    """The accrediting agency of a country (one per country, shared)."""
    country = COUNTRIES[code]
    iri = f"{BASE}agency/{code.lower()}"
    registration = legal_identifier(f"{iri}/registration", f"QA-{code}-001", country)
    return Node(
        iri,
        ("Organisation",),
        (
            ("legalName", {"en": f"{country.name} Quality Assurance Agency"}),
            ("location", location(iri, concept_node(country.concept))),
            ("registration", registration),
        ),
    )


def accreditation_node(iri: str, kind: Concept, country: Country) -> Node:
    """An elm:Accreditation of type ``kind`` by the agency of ``country``."""
    return Node(
        iri,
        ("Accreditation",),
        (
            ("title", {"en": _ACCREDITATION_TITLES[kind.iri]}),
            ("dcType", concept_node(kind)),
            ("accreditingAgent", agency_node(country.code)),
        ),
    )


@dataclass(frozen=True, slots=True)
class Provider:
    """An awarding organisation, shared by every credential it awards."""

    index: int
    iri: str
    country: Country
    legal_name: dict[str, str]
    #: Indexes into TOPICS of what it teaches (all of them for a public institution).
    topics: tuple[int, ...]
    eidas: str
    registration: str | None
    accreditation: Concept | None


def provider_pool_size(count: int) -> int:
    """How many providers a dataset of ``count`` credentials draws from."""
    return max(20, count // 50)


def _slot_positions() -> list[tuple[str, int, int]]:
    """Per provider slot: its country, its rank among that country's slots, their number."""
    seen: dict[str, int] = {}
    ranks = []
    for code in COUNTRY_SLOTS:
        ranks.append((code, seen.get(code, 0)))
        seen[code] = seen.get(code, 0) + 1
    return [(code, rank, seen[code]) for code, rank in ranks]


_SLOTS = _slot_positions()


def build_provider(index: int) -> Provider:
    """Provider ``index``: public institutions first in each country, then private academies."""
    code, rank, per_round = _SLOTS[index % len(_SLOTS)]
    country = COUNTRIES[code]
    nth = index // len(_SLOTS) * per_round + rank  # its rank among this country's providers
    cities = country.cities
    local = PUBLIC_NAMES.get(country.language)
    patterns = local or tuple((en, en) for en in PUBLIC_NAMES_EN)
    public = len(patterns) * len(cities)
    if nth < public:
        city = cities[nth % len(cities)]
        local_pattern, en_pattern = patterns[nth // len(cities)]
        name = {"en": en_pattern.format(e=ENGLISH_CITY.get(city, city))}
        if local:
            name[country.language] = local_pattern.format(c=city)
        topics = tuple(range(len(TOPICS)))
    else:
        m = nth - public
        family = FAMILY_NAMES[m % len(FAMILY_NAMES)]
        topic = m // len(FAMILY_NAMES) % len(TOPICS)
        per_city = len(FAMILY_NAMES) * len(TOPICS)
        city = cities[m // per_city % len(cities)]
        city = ENGLISH_CITY.get(city, city)
        branch = m // (per_city * len(cities))
        suffix = f" {branch + 1}" if branch else ""
        name = {"en": f"{family} {TOPICS[topic].field} Academy {city}{suffix}"}
        topics = (topic,)
    rng = random.Random(f"mcgraph/org/{index}")
    eidas = f"{code}/{rng.randrange(10**9):09d}"
    registration = f"REG-{rng.randrange(10**7):07d}" if rng.random() < 0.5 else None
    accreditation = None
    if rng.random() >= 0.1:
        accreditation = INSTITUTIONAL_ACCREDITATION[0 if rng.random() < 0.6 else 1][0]
    iri = f"{BASE}org/{index + 1}"
    return Provider(index, iri, country, name, topics, eidas, registration, accreditation)


def provider_node(
    p: Provider,
    iri: str,
    *,
    country_defect: str | None = None,
    accredited: bool = True,
    named: bool = True,
) -> Node:
    """``p`` as a node at ``iri``. ``country_defect="missing"`` leaves out every country of the
    organisation (address and legal identifiers); ``"invalid"`` puts a code outside the country
    authority table in its address. ``accredited=False`` leaves out its accreditation;
    ``named=False`` its legal name (the awarding body is then not identified)."""
    country: Country | None = p.country
    props: list[tuple[str, Value]] = [("legalName", p.legal_name)] if named else []
    if country_defect == "invalid":
        unknown = invalid_concept_node(INVALID_COUNTRY, "Unknown country")
        props.append(("location", location(iri, unknown)))
    elif country_defect == "missing":
        country = None
    else:
        props.append(("location", location(iri, concept_node(p.country.concept))))
    props.append(("eIDASIdentifier", legal_identifier(f"{iri}/eidas", p.eidas, country)))
    if p.registration is not None:
        registration = legal_identifier(f"{iri}/registration", p.registration, country)
        props.append(("registration", registration))
    if accredited and p.accreditation is not None:
        accreditation = accreditation_node(f"{iri}/accreditation", p.accreditation, p.country)
        props.append(("accreditation", accreditation))
    return Node(iri, ("Organisation",), tuple(props))
