"""The simple CSV form of a qualification framework (one file, one framework, one row per level).

Columns ``framework,level,label,eqf_level`` and optionally
``framework_label,country,match,order,source,date,publisher`` (README, "Qualification frameworks").
Every problem names its row and column, and all of them are reported in one FrameworkError, so a
framework body can fix its file in one go. The RDF produced is what ontology/frameworks/*.ttl say
by hand; shapes/frameworks.ttl then checks both alike.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

import pyoxigraph as ox

from mcgraph.errors import FrameworkError
from mcgraph.vocab import DC, MCG, PROV, RDF, SKOS, XSD

EQF_LEVEL = "http://data.europa.eu/snb/eqf/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
#: The framework CSV: these columns are required, the optional ones may follow in any order.
CSV_REQUIRED = ("framework", "level", "label", "eqf_level")
CSV_OPTIONAL = ("framework_label", "country", "match", "order", "source", "date", "publisher")
IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

_MAX_PROBLEMS = 25
_DATES = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "date"),
    (re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"), "gYearMonth"),
    (re.compile(r"^\d{4}$"), "gYear"),
)
_PER_FILE = ("framework_label", "country", "source", "date", "publisher")
Triple = tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]


@dataclass(frozen=True)
class _Row:
    number: int
    level: str
    label: str
    eqf: int | None
    match: str
    order: Decimal


class _Problems:
    """Collects what is wrong with a CSV so that one error names every row and column."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.items.append(f"{where}: {problem}")
        if len(self.items) >= _MAX_PROBLEMS:
            self.raise_if_any()

    def raise_if_any(self) -> None:
        if self.items:
            raise FrameworkError(self.source, sorted(self.items, key=_row_number))


def _row_number(problem: str) -> int:
    found = re.match(r"row (\d+)", problem)
    return int(found.group(1)) if found else 0


def read_csv(text: str, source: str, base: str) -> tuple[str, str, list[Triple]]:
    """The scheme IRI, identifier and triples of a framework CSV; ``base`` ends in / or #.

    :raises FrameworkError: naming each row and column that is wrong.
    """
    problems = _Problems(source)
    try:
        header, records = _records(text, problems)
        rows, values = _rows(header, records, problems)
    except csv.Error as error:
        raise FrameworkError(source, [f"malformed CSV: {error}"]) from None
    named = _scheme(values["framework"], base, problems) if "framework" in values else None
    terms = _framework_terms(values, problems)
    _check_exact(rows, problems)
    problems.raise_if_any()
    assert named is not None  # a problem was recorded otherwise
    return named[0], named[1], _triples(named[0], named[1], rows, values, terms, problems)


def _records(text: str, problems: _Problems) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [column.strip() for column in next(reader, [])]
    if not header:
        raise FrameworkError(
            problems.source, ["empty file: expected the header " + ",".join(CSV_REQUIRED)]
        )
    for column in header:
        if column not in CSV_REQUIRED + CSV_OPTIONAL:
            problems.add(
                f"column {column!r}",
                "not a framework CSV column; expected " + ", ".join(CSV_REQUIRED + CSV_OPTIONAL),
            )
        elif header.count(column) > 1:
            problems.add(f"column {column}", "appears more than once in the header")
    for column in CSV_REQUIRED:
        if column not in header:
            problems.add(f"column {column}", "missing from the header")
    problems.raise_if_any()

    def numbered() -> Iterator[tuple[int, list[str]]]:
        for record in reader:
            if any(cell.strip() for cell in record):
                yield reader.line_num, record

    return header, numbered()


def _rows(
    header: list[str], records: Iterator[tuple[int, list[str]]], problems: _Problems
) -> tuple[list[_Row], dict[str, tuple[int, str]]]:
    cells: list[tuple[int, dict[str, str]]] = []
    for number, record in records:
        if len(record) != len(header):
            problems.add(f"row {number}", f"has {len(record)} fields, the header has {len(header)}")
            continue
        cells.append((number, {c: v.strip() for c, v in zip(header, record, strict=True)}))
    if not cells:
        problems.add("file", "has no level rows")
    values: dict[str, tuple[int, str]] = {}  # per-file columns: first row giving it, value
    for number, row in cells:
        for column in ("framework", *_PER_FILE):
            value = row.get(column, "")
            if not value:
                if column == "framework":
                    problems.add(f"row {number}, column framework", "empty")
                continue
            first = values.setdefault(column, (number, value))
            if first[1] != value:
                problems.add(
                    f"row {number}, column {column}",
                    f"{value!r} differs from {first[1]!r} on row {first[0]}; "
                    "a file holds one framework",
                )
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for number, row in cells:
        level = _level_cells(number, row, seen, problems)
        if level is not None:
            rows.append(level)
    return rows, values


def _level_cells(
    number: int, row: dict[str, str], seen: dict[str, int], problems: _Problems
) -> _Row | None:
    where = f"row {number}, column"
    level, label = row["level"], row["label"]
    ok = True
    for column, value in (("level", level), ("label", label)):
        if not value:
            problems.add(f"{where} {column}", "empty")
            ok = False
    if level in seen:
        problems.add(f"{where} level", f"level {level!r} is already on row {seen[level]}")
        ok = False
    seen.setdefault(level, number)
    raw = row["eqf_level"].lower()
    eqf = int(raw) if raw in {"1", "2", "3", "4", "5", "6", "7", "8"} else None
    if eqf is None and raw != "none":
        problems.add(
            f"{where} eqf_level", f"{row['eqf_level']!r} is not an EQF level (1 to 8) or 'none'"
        )
        ok = False
    match = row.get("match", "").lower()
    if match not in {"", "exact", "broad"}:
        problems.add(f"{where} match", f"{row['match']!r} is not 'exact' or 'broad'")
        ok = False
    elif match and raw == "none":
        problems.add(f"{where} match", "a level with eqf_level 'none' has no match")
        ok = False
    order = _decimal(row.get("order", "") or level)
    if order is None:
        hint = (
            "is not a number"
            if row.get("order")
            else f"level {level!r} is not a number, so give it"
        )
        problems.add(f"{where} order", hint)
        ok = False
    return _Row(number, level, label, eqf, match, order) if ok and order is not None else None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _scheme(framework: tuple[int, str], base: str, problems: _Problems) -> tuple[str, str] | None:
    number, value = framework
    where = f"row {number}, column framework"
    if IDENTIFIER.match(value):
        return f"{base}framework/{value}", value
    if value.startswith(("http://", "https://")) and _iri(value):
        identifier = value.rstrip("/#").rsplit("/", 1)[-1]
        if IDENTIFIER.match(identifier):
            return value, identifier
        problems.add(
            where,
            f"the IRI's last segment {identifier!r} cannot serve as its identifier "
            "(lower-case letters, digits, hyphens); give an identifier instead",
        )
    else:
        problems.add(
            where,
            f"{value!r} is neither an identifier (lower-case letters, digits, "
            "hyphens, e.g. 'ie-nfq') nor an absolute http(s) IRI",
        )
    return None


def _check_exact(rows: list[_Row], problems: _Problems) -> None:
    sharing: dict[int, list[_Row]] = {}
    for row in rows:
        if row.eqf is not None:
            sharing.setdefault(row.eqf, []).append(row)
    for eqf, group in sharing.items():
        if len(group) > 1:
            for row in group:
                if row.match == "exact":
                    others = ", ".join(str(r.number) for r in group if r is not row)
                    problems.add(
                        f"row {row.number}, column match",
                        f"'exact', but row(s) {others} are also referenced to EQF level "
                        f"{eqf}: levels sharing an EQF level are 'broad' (SKOS "
                        "exactMatch is transitive and would equate them)",
                    )


def _framework_terms(
    values: dict[str, tuple[int, str]], problems: _Problems
) -> dict[str, ox.NamedNode | ox.Literal]:
    """The framework-wide columns as RDF terms (dc:spatial, dc:source, dc:date, dc:publisher)."""
    terms: dict[str, ox.NamedNode | ox.Literal] = {}
    for column in ("source", "date"):
        if column not in values:
            problems.add(f"column {column}", "no row gives the EQF referencing's " + column)
    if "country" in values:
        number, country = values["country"]
        if re.fullmatch(r"[A-Z]{3}", country):
            terms["spatial"] = ox.NamedNode(COUNTRY + country)
        elif country.startswith(("http://", "https://")) and _iri(country):
            terms["spatial"] = ox.NamedNode(country)
        else:
            problems.add(
                f"row {number}, column country",
                f"{country!r} is neither an ISO 3166-1 alpha-3 code (e.g. IRL) nor an IRI",
            )
    if "source" in values:
        number, url = values["source"]
        if url.startswith(("http://", "https://")) and _iri(url):
            terms["source"] = ox.NamedNode(url)
        else:
            problems.add(f"row {number}, column source", f"{url!r} is not an absolute http(s) IRI")
    if "date" in values:
        number, date = values["date"]
        datatype = _date_type(date)
        if datatype is None:
            problems.add(
                f"row {number}, column date", f"{date!r} is not YYYY-MM-DD, YYYY-MM or YYYY"
            )
        else:
            terms["date"] = ox.Literal(date, datatype=ox.NamedNode(XSD + datatype))
    if "publisher" in values:
        terms["publisher"] = ox.Literal(values["publisher"][1], language="en")
    return terms


def _triples(
    scheme_iri: str,
    identifier: str,
    rows: list[_Row],
    values: dict[str, tuple[int, str]],
    terms: dict[str, ox.NamedNode | ox.Literal],
    problems: _Problems,
) -> list[Triple]:
    scheme = ox.NamedNode(scheme_iri)
    referencing = ox.NamedNode(f"{scheme_iri}/referencing")
    a = ox.NamedNode(RDF + "type")
    label = values.get("framework_label", (0, identifier))[1]
    out: list[Triple] = [
        (scheme, a, ox.NamedNode(SKOS + "ConceptScheme")),
        (scheme, a, ox.NamedNode(MCG + "QualificationsFramework")),
        (scheme, ox.NamedNode(DC + "identifier"), ox.Literal(identifier)),
        (scheme, ox.NamedNode(SKOS + "prefLabel"), ox.Literal(label, language="en")),
        (scheme, ox.NamedNode(MCG + "eqfReferencing"), referencing),
        (referencing, a, ox.NamedNode(MCG + "EQFReferencing")),
        (referencing, a, ox.NamedNode(PROV + "Entity")),
    ]
    for key, term in terms.items():
        out.append((scheme if key == "spatial" else referencing, ox.NamedNode(DC + key), term))
    shared = {r.eqf for r in rows if r.eqf is not None and sum(o.eqf == r.eqf for o in rows) > 1}
    for row in rows:
        out.extend(_level_triples(scheme, row, row.eqf in shared, problems))
    problems.raise_if_any()
    return out


def _level_triples(
    scheme: ox.NamedNode, row: _Row, shared: bool, problems: _Problems
) -> list[Triple]:
    iri = f"{scheme.value}/level/{quote(row.level, safe='')}"
    if not _iri(iri):
        problems.add(f"row {row.number}, column level", f"{row.level!r} cannot form a level IRI")
        return []
    level = ox.NamedNode(iri)
    out: list[Triple] = [
        (level, ox.NamedNode(RDF + "type"), ox.NamedNode(SKOS + "Concept")),
        (level, ox.NamedNode(SKOS + "inScheme"), scheme),
        (level, ox.NamedNode(SKOS + "topConceptOf"), scheme),
        (level, ox.NamedNode(SKOS + "notation"), ox.Literal(row.level)),
        (level, ox.NamedNode(SKOS + "prefLabel"), ox.Literal(row.label, language="en")),
        (
            level,
            ox.NamedNode(MCG + "levelOrder"),
            ox.Literal(str(row.order), datatype=ox.NamedNode(XSD + "decimal")),
        ),
    ]
    if row.eqf is None:
        out.append(
            (level, ox.NamedNode(MCG + "eqfCorrespondence"), ox.NamedNode(MCG + "notReferenced"))
        )
        out.append(
            (
                level,
                ox.NamedNode(SKOS + "scopeNote"),
                ox.Literal(
                    "The framework's EQF referencing gives this level no EQF level.", language="en"
                ),
            )
        )
    else:
        broad = row.match == "broad" or (not row.match and shared)
        how = "broadMatch" if broad else "exactMatch"
        out.append((level, ox.NamedNode(SKOS + how), ox.NamedNode(f"{EQF_LEVEL}{row.eqf}")))
    return out


def _date_type(text: str) -> str | None:
    for pattern, datatype in _DATES:
        if pattern.match(text):
            if datatype == "date":
                try:
                    datetime.date.fromisoformat(text)
                except ValueError:
                    return None
            return datatype
    return None


def _iri(text: str) -> bool:
    try:
        ox.NamedNode(text)
    except ValueError:
        return False
    return True
