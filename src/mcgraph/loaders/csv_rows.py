"""One catalogue row → the quads of one ELM specification, or the cells that cannot become RDF.

Set up once per file by :mod:`mcgraph.loaders.csv_catalogue` (which reads the rows) from a
:class:`~mcgraph.loaders.csv_mapping.CsvMapping` and the columns the file has. Sub-resources get
IRIs below the specification's (``{spec}/learning-outcome/1``); the awarding body and the
accrediting agent are shared nodes, ``{base}org/{slug}`` of the body's legal identifier or name,
so the same provider in many rows is one node.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple
from urllib.parse import quote

import pyoxigraph as ox

from mcgraph.loaders.csv_mapping import (
    ABSOLUTE_IRI,
    COUNTRY_TABLE,
    LABELLED_TARGETS,
    MULTI_TARGETS,
    TEXT_TARGETS,
    CsvColumn,
    CsvMapping,
    ascii_fold,
    country_codes,
    label_key,
)
from mcgraph.vocab import DC, ELM, FOAF, RDF, ROV, SKOS, XSD

__all__ = ["Parsed", "Problem", "RowConverter", "Slot"]

_ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
_EQF = "http://data.europa.eu/snb/eqf/"
_ESCO_SKILL = "http://data.europa.eu/esco/skill/"
_HTTP = re.compile(r"^https?://[^/?#\s]+", re.IGNORECASE)
_OWN_IRI = re.compile(r"^(https?://|urn:)", re.IGNORECASE)
_DECIMAL = re.compile(r"^(\d+(?:[.,]\d*)?|[.,]\d+)$")
_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_EQF_VALUE = re.compile(r"^(?:eqf\s*(?:level)?|level)?\s*([0-9]+)$", re.IGNORECASE)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_SKILLS_SPLIT = re.compile(r"[\s,]+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

_Term = ox.NamedNode | ox.Literal
_Item = tuple[_Term, ...]


def _n(namespace: str, *names: str) -> dict[str, ox.NamedNode]:
    return {name: ox.NamedNode(namespace + name) for name in names}


_E = _n(
    ELM,
    *"""
    Qualification LearningOutcome CreditPoint LearningAssessmentSpecification AwardingOpportunity
    Organisation LegalIdentifier Address Accreditation Note WebResource learningOutcome
    relatedESCOSkill creditPoint framework point volumeOfLearning EQFLevel NQFLevel mode
    learningSetting provenBy awardingOpportunity awardingBody location address countryCode
    accreditation accreditingAgent entryRequirement noteLiteral contentUrl isPartOf
""".split(),  # noqa: SIM905
)
_DC = _n(DC, "title", "description", "type", "spatial", "Location")
_ROV = _n(ROV, "legalName", "registration")
_XSD = _n(XSD, "duration", "anyURI")
_TYPE = ox.NamedNode(RDF + "type")
_NOTATION = ox.NamedNode(SKOS + "notation")
_HOMEPAGE = ox.NamedNode(FOAF + "homepage")
#: Targets whose values are objects of the specification itself.
_DIRECT = (
    (_DC["title"], "title"),
    (_DC["description"], "description"),
    (_E["EQFLevel"], "eqf"),
    (_E["NQFLevel"], "nqf"),
    (_E["volumeOfLearning"], "hours"),
    (_E["mode"], "mode"),
    (_E["learningSetting"], "learning-setting"),
    (_E["isPartOf"], "is-part-of"),
)


@dataclass(frozen=True)
class Slot:
    """A mapped column of this file: its position, its header as written and its language."""

    index: int
    header: str
    column: CsvColumn
    lang: str | None


class Problem(NamedTuple):
    """A cell (or, without a slot, the whole row) that cannot be turned into RDF, and why."""

    slot: Slot | None
    problem: str


class _CellError(Exception):
    """A cell value that cannot be turned into RDF; the message names the value and why."""


@functools.lru_cache(maxsize=8192)
def _slug(text: str) -> str:
    """A readable IRI segment for a name or identifier, the same in every row and file."""
    slug = _NOT_ALNUM.sub("-", ascii_fold(text)).strip("-")[:80].rstrip("-")
    return slug or "h" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _decimal(cell: str) -> str:
    """A positive decimal in canonical form (``"2,50"`` → ``"2.5"``)."""
    if not _DECIMAL.match(cell):
        raise _CellError(f"{cell!r} is not a positive decimal")
    whole, _, fraction = cell.replace(",", ".").partition(".")
    whole, fraction = whole.lstrip("0") or "0", fraction.rstrip("0")
    if whole == "0" and not fraction:
        raise _CellError(f"{cell!r} is not a positive decimal")
    return f"{whole}.{fraction}" if fraction else whole


def _duration(cell: str) -> str:
    """An ISO 8601 duration as given, or hours as ``PT{n}H`` (a fraction as minutes, seconds)."""
    if _DURATION.match(cell.upper()):
        return cell.upper()
    try:
        hours = _decimal(cell)
    except _CellError:
        raise _CellError(f"{cell!r} is neither a positive number of hours nor a duration") from None
    if "." not in hours:
        return f"PT{hours}H"
    whole, rest = divmod(Decimal(hours) * 3600, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "".join(
        f"{format(amount.normalize(), 'f')}{unit}"
        for amount, unit in ((whole, "H"), (minutes, "M"), (seconds, "S"))
        if amount
    )
    return f"PT{text}"


class Parsed(NamedTuple):
    """A row whose cells all parsed: target → one list of values per column (in file order)."""

    spec: ox.NamedNode
    found: dict[str, list[list[_Item]]]


_Add = Callable[[ox.Quad], None]


class RowConverter:
    """Turns the cells of one row into the quads of one specification (set up once per file)."""

    def __init__(self, mapping: CsvMapping, base: str, slots: list[Slot], width: int) -> None:
        self.mapping, self.base, self.width = mapping, base, width
        self.separator = mapping.separator
        self.cls = ox.NamedNode(mapping.specification_class)
        self.id_slot = next(slot for slot in slots if slot.column.target == "spec-iri")
        self.esco_slot = next(
            (slot for slot in slots if slot.column.target == "learning-outcome-esco"), None
        )
        self.labels = {
            target: {key: ox.NamedNode(iri) for key, iri in table.items()}
            for target, table in mapping.labels.items()
        }
        parsers: dict[str, Callable[[str, Slot], list[_Item]]] = {
            "spec-iri": self.identifiers,
            "is-part-of": self.identifiers,
            "learning-outcome-esco": self.skills,
            "ects": self.credits,
            "hours": self.hours,
            "eqf": self.eqf,
            "country": self.country,
            "awarding-body-id": self.notation,
            "nqf": self.iri_cell,
            "homepage": self.iri_cell,
        }
        parsers |= dict.fromkeys(TEXT_TARGETS, self.texts) | dict.fromkeys(
            LABELLED_TARGETS, self.concepts
        )
        self.plan = [
            (slot.index, slot.column.target, slot, parsers[slot.column.target]) for slot in slots
        ]
        #: quads of shared organisation nodes, by what they are built from (providers repeat)
        self.shared: dict[tuple[object, ...], tuple[ox.Quad, ...]] = {}

    def convert(self, row: list[str]) -> list[Problem] | Parsed:
        """The row's cells parsed, or one problem per cell (or row) that cannot be."""
        found: dict[str, list[list[_Item]]] = {}
        problems: list[Problem] = []
        width = len(row)
        for index, target, slot, parser in self.plan:
            cell = row[index].strip() if index < width else ""
            if cell:
                try:
                    items = parser(cell, slot)
                except _CellError as error:
                    problems.append(Problem(slot, str(error)))
                    continue
                if target in found:
                    found[target].append(items)
                else:
                    found[target] = [items]
        if width > self.width and "".join(row[self.width :]).strip():
            problems.append(Problem(None, f"{width} cells, but the header has {self.width}"))
        if self.esco_slot is not None and "learning-outcome-esco" in found:
            outcomes = max(map(len, found.get("learning-outcome", ())), default=0)
            groups = sum(map(len, found["learning-outcome-esco"]))
            if groups > outcomes:
                problem = f"{groups} groups of ESCO skills for {outcomes} learning outcome(s)"
                problems.append(Problem(self.esco_slot, problem))
        if "spec-iri" not in found and not any(p.slot is self.id_slot for p in problems):
            problems.append(Problem(self.id_slot, "no identifier"))
        if problems:
            return problems
        spec = found["spec-iri"][0][0][0]
        assert isinstance(spec, ox.NamedNode)
        return Parsed(spec, found)

    # - cells (each returns one tuple per value; a tuple holds what one value needs)

    def split(self, cell: str) -> list[str]:
        """The distinct values of a multi-valued cell."""
        return list(dict.fromkeys(v.strip() for v in cell.split(self.separator) if v.strip()))

    def texts(self, cell: str, slot: Slot) -> list[_Item]:
        values = self.split(cell) if slot.column.target in MULTI_TARGETS else (cell,)
        return [(ox.Literal(value.replace("\r\n", "\n"), language=slot.lang),) for value in values]

    def concepts(self, cell: str, slot: Slot) -> list[_Item]:
        target = slot.column.target
        table = self.labels.get(target, {})
        values = self.split(cell) if target in MULTI_TARGETS else (cell,)
        return [
            (table.get(label_key(value)) or self.concept_iri(value, target),) for value in values
        ]

    def concept_iri(self, value: str, target: str) -> ox.NamedNode:
        if ABSOLUTE_IRI.match(value):
            return self.iri(value)
        raise _CellError(f"{value!r} is neither a known {target} label nor an IRI")

    def identifiers(self, cell: str, slot: Slot) -> list[_Item]:
        values = self.split(cell) if slot.column.target in MULTI_TARGETS else (cell,)
        return [(self.identifier(value),) for value in values]

    def identifier(self, value: str) -> ox.NamedNode:
        """An http(s) or urn IRI as it is, else a catalogue identifier below the base."""
        if _OWN_IRI.match(value):
            return self.iri(value)
        return ox.NamedNode(self.base + quote(value, safe="-._~"))

    def skills(self, cell: str, slot: Slot) -> list[_Item]:
        # every group keeps its position, even when empty: group i belongs to outcome i
        groups = (_SKILLS_SPLIT.split(group.strip()) for group in cell.split(self.separator))
        return [tuple(self.skill(token) for token in group if token) for group in groups]

    def skill(self, token: str) -> ox.NamedNode:
        return ox.NamedNode(_ESCO_SKILL + token.lower()) if _UUID.match(token) else self.iri(token)

    def credits(self, cell: str, slot: Slot) -> list[_Item]:
        framework = ox.NamedNode(slot.column.framework or _ECTS)
        return [(ox.Literal(_decimal(cell)), framework)]

    def hours(self, cell: str, slot: Slot) -> list[_Item]:
        return [(ox.Literal(_duration(cell), datatype=_XSD["duration"]),)]

    def eqf(self, cell: str, slot: Slot) -> list[_Item]:
        match = _EQF_VALUE.match(cell[len(_EQF) :] if cell.startswith(_EQF) else cell)
        if match and 1 <= int(match.group(1)) <= 8:
            return [(ox.NamedNode(_EQF + str(int(match.group(1)))),)]
        raise _CellError(f"{cell!r} is not an EQF level (1 to 8)")

    def country(self, cell: str, slot: Slot) -> list[_Item]:
        code = cell.upper()
        if code.startswith(COUNTRY_TABLE.upper() + "/"):
            code = cell[len(COUNTRY_TABLE) + 1 :]
        elif len(code) == 2:
            code = self.mapping.countries.get(code, "")
        if code not in country_codes():
            raise _CellError(f"{cell!r} is not a known country (ISO alpha-2, alpha-3 or EU IRI)")
        return [(ox.NamedNode(f"{COUNTRY_TABLE}/{code}"),)]

    def notation(self, cell: str, slot: Slot) -> list[_Item]:
        return [(ox.Literal(cell),)]

    def iri_cell(self, cell: str, slot: Slot) -> list[_Item]:
        return [(self.iri(cell, http=slot.column.target == "homepage"),)]

    def iri(self, value: str, *, http: bool = False) -> ox.NamedNode:
        web = http or value[:4].lower() == "http"
        if not ABSOLUTE_IRI.match(value) or (web and not _HTTP.match(value)):
            raise _CellError(f"{value!r} is not an absolute {'http(s) ' if http else ''}IRI")
        try:
            return ox.NamedNode(value)
        except ValueError as error:
            raise _CellError(f"{value!r} is not a valid IRI ({error})") from None

    # - the specification

    def build(self, parsed: Parsed) -> tuple[ox.Quad, ...]:
        """The quads of one specification, without duplicates."""
        spec, found = parsed
        values = {
            target: [item[0] for column in columns for item in column if item]
            for target, columns in found.items()
        }
        quads: list[ox.Quad] = []
        add, quad, iri, e = quads.append, ox.Quad, spec.value, _E
        add(quad(spec, _TYPE, self.cls))
        for predicate, target in _DIRECT:
            for value in values.get(target, ()):
                add(quad(spec, predicate, value))
        texts = found.get("learning-outcome", [])
        skills = [group for column in found.get("learning-outcome-esco", ()) for group in column]
        for i in range(max(map(len, texts), default=0)):
            outcome = ox.NamedNode(f"{iri}/learning-outcome/{i + 1}")
            add(quad(spec, e["learningOutcome"], outcome))
            add(quad(outcome, _TYPE, e["LearningOutcome"]))
            for column in texts:
                if i < len(column):
                    add(quad(outcome, _DC["title"], column[i][0]))
            for skill in skills[i] if i < len(skills) else ():
                add(quad(outcome, e["relatedESCOSkill"], skill))
        credits = [item for column in found.get("ects", ()) for item in column]
        for i, (point, framework) in enumerate(credits, 1):
            node = ox.NamedNode(f"{iri}/credit-point/{i}")
            add(quad(spec, e["creditPoint"], node))
            add(quad(node, _TYPE, e["CreditPoint"]))
            add(quad(node, e["framework"], framework))
            add(quad(node, e["point"], point))
        for i, kind in enumerate(values.get("assessment-type", ()), 1):
            node = ox.NamedNode(f"{iri}/assessment/{i}")
            add(quad(spec, e["provenBy"], node))
            add(quad(node, _TYPE, e["LearningAssessmentSpecification"]))
            add(quad(node, _DC["type"], kind))
        if "entry-requirements" in values:
            node = ox.NamedNode(f"{iri}/entry-requirement")
            add(quad(spec, e["entryRequirement"], node))
            add(quad(node, _TYPE, e["Note"]))
            for note in values["entry-requirements"]:
                add(quad(node, e["noteLiteral"], note))
        for i, page in enumerate(values.get("homepage", ()), 1):
            node = ox.NamedNode(f"{iri}/homepage/{i}")
            add(quad(spec, _HOMEPAGE, node))
            add(quad(node, _TYPE, e["WebResource"]))
            add(quad(node, e["contentUrl"], ox.Literal(page.value, datatype=_XSD["anyURI"])))
        self.awarding_body(spec, values, add)
        self.accreditation(spec, values, add)
        return tuple(dict.fromkeys(quads))

    def awarding_body(self, spec: ox.NamedNode, values: dict[str, list[_Term]], add: _Add) -> None:
        names = tuple(values.get("awarding-body-name", ()))
        ids = tuple(values.get("awarding-body-id", ()))
        countries = tuple(values.get("country", ()))
        if not (names or ids or countries):
            return
        key = ids[0].value if ids else names[0].value if names else None
        body = f"{self.base}org/{_slug(key)}" if key else f"{spec.value}/awarding-body"
        opportunity = ox.NamedNode(f"{spec.value}/awarding-opportunity")
        add(ox.Quad(spec, _E["awardingOpportunity"], opportunity))
        add(ox.Quad(opportunity, _TYPE, _E["AwardingOpportunity"]))
        add(ox.Quad(opportunity, _E["awardingBody"], ox.NamedNode(body)))
        for shared in self.organisation(body, names, ids, countries):
            add(shared)

    def organisation(
        self,
        body: str,
        names: tuple[_Term, ...],
        ids: tuple[_Term, ...],
        countries: tuple[_Term, ...],
    ) -> tuple[ox.Quad, ...]:
        """The quads of a shared organisation node; built once per distinct description."""
        key = (body, names, ids, countries)
        if key in self.shared:
            return self.shared[key]
        quads: list[ox.Quad] = []
        add, quad, e, org = quads.append, ox.Quad, _E, ox.NamedNode(body)
        add(quad(org, _TYPE, e["Organisation"]))
        for name in names:
            add(quad(org, _ROV["legalName"], name))
        for i, identifier in enumerate(ids, 1):
            node = ox.NamedNode(f"{body}/legal-identifier/{i}")
            add(quad(org, _ROV["registration"], node))
            add(quad(node, _TYPE, e["LegalIdentifier"]))
            add(quad(node, _NOTATION, identifier))
            for country in countries:
                add(quad(node, _DC["spatial"], country))
        if countries:
            location, address = ox.NamedNode(f"{body}/location"), ox.NamedNode(f"{body}/address")
            add(quad(org, e["location"], location))
            add(quad(location, _TYPE, _DC["Location"]))
            add(quad(location, e["address"], address))
            add(quad(address, _TYPE, e["Address"]))
            for country in countries:
                add(quad(address, e["countryCode"], country))
        if len(self.shared) >= 4096:
            self.shared.clear()
        self.shared[key] = result = tuple(quads)
        return result

    def accreditation(self, spec: ox.NamedNode, values: dict[str, list[_Term]], add: _Add) -> None:
        kinds = values.get("accreditation-type", ())
        agents = tuple(values.get("accrediting-agent", ()))
        if not (kinds or agents):
            return
        node = ox.NamedNode(f"{spec.value}/accreditation")
        add(ox.Quad(spec, _E["accreditation"], node))
        add(ox.Quad(node, _TYPE, _E["Accreditation"]))
        for kind in kinds:
            add(ox.Quad(node, _DC["type"], kind))
        if agents:
            agent = f"{self.base}org/{_slug(agents[0].value)}"
            add(ox.Quad(node, _E["accreditingAgent"], ox.NamedNode(agent)))
            for shared in self.organisation(agent, agents, (), ()):
                add(shared)
