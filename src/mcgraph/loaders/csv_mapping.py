"""The CSV catalogue mapping: reads and checks the file that says what each column becomes.

A mapping (``loaders/csv-catalogue.json`` by default) says, per column, which Annex I element it
carries and what it becomes (its *target*, one of :data:`TARGETS`), and holds the label tables
(spreadsheet wording → Europass concept) and the ISO alpha-2 → alpha-3 country table. It is
checked as a whole when read: a mapping that cannot describe a usable catalogue is a
:class:`~mcgraph.errors.ConfigurationError` naming the file. :mod:`mcgraph.loaders.csv_catalogue`
reads catalogues with it.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mcgraph import resources
from mcgraph.elements import standard_model
from mcgraph.errors import ConfigurationError
from mcgraph.vocab import ELM
from mcgraph.vocabularies import concepts_of

__all__ = [
    "ABSOLUTE_IRI",
    "COUNTRY_TABLE",
    "LABELLED_TARGETS",
    "LANGUAGE_TAG",
    "MULTI_TARGETS",
    "TARGETS",
    "TEXT_TARGETS",
    "CsvColumn",
    "CsvMapping",
    "ascii_fold",
    "country_codes",
    "label_key",
    "load_mapping",
]

#: What a column can become; each is described in ``loaders/csv-catalogue.json``.
TARGETS: tuple[str, ...] = (
    "spec-iri", "title", "description", "learning-outcome", "learning-outcome-esco", "ects",
    "hours", "eqf", "nqf", "mode", "learning-setting", "assessment-type", "awarding-body-name",
    "awarding-body-id", "country", "accreditation-type", "accrediting-agent",
    "entry-requirements", "homepage", "is-part-of",
)  # fmt: skip
#: Targets whose values are language-tagged text (``title@cs`` headers).
TEXT_TARGETS = frozenset(
    {"title", "description", "learning-outcome", "entry-requirements", "awarding-body-name"}
    | {"accrediting-agent"}
)
#: Targets whose cells hold several values, split on the mapping's separator.
MULTI_TARGETS = frozenset(
    {"learning-outcome", "learning-outcome-esco", "mode", "assessment-type", "is-part-of"}
)
#: Targets whose values are concepts, found by label in the mapping's ``labels`` tables.
LABELLED_TARGETS = ("mode", "learning-setting", "assessment-type", "accreditation-type")
#: The EU country authority table (concept IRIs are ``{COUNTRY_TABLE}/{alpha-3}``).
COUNTRY_TABLE = "http://publications.europa.eu/resource/authority/country"
#: An absolute IRI (scheme, then no spaces or characters IRIs forbid).
ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
#: A language tag (``en``, ``cs``, ``pt-BR``).
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")

_DEFAULT_NAME = "loaders/csv-catalogue.json"
_COLUMN_KEYS = frozenset({"column", "element", "target", "required", "lang", "framework"})
_TOP_KEYS = frozenset(
    {"base", "lang", "separator", "specification-class", "columns", "labels", "countries"}
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class CsvColumn:
    """One column of the mapping: its header, the Annex I element it carries and its target."""

    column: str
    target: str
    element: str | None = None
    #: The header must be present in the file (any language variant counts).
    required: bool = False
    #: Language of a text column without an ``@lang`` header suffix (default: the mapping's).
    lang: str | None = None
    #: Credit framework IRI of an ``ects`` column.
    framework: str | None = None


@dataclass(frozen=True)
class CsvMapping:
    """A column-to-element mapping, read from a JSON file by :func:`load_mapping`."""

    #: How documents name it (``RdfDocument.mapping``).
    name: str
    columns: tuple[CsvColumn, ...]
    #: Base for minted IRIs (``{base}{id}``, ``{base}org/{slug}``); ``base=`` overrides it.
    base: str | None
    lang: str
    separator: str
    specification_class: str
    #: target → normalised label → concept IRI (see :func:`label_key`).
    labels: Mapping[str, Mapping[str, str]]
    #: ISO 3166 alpha-2 → alpha-3.
    countries: Mapping[str, str]


class _MappingError(Exception):
    """What is wrong with a mapping file (wrapped in a ConfigurationError naming the file)."""


def load_mapping(path: Path | None = None) -> CsvMapping:
    """The mapping in ``path``, or the shipped default (read once per process).

    :raises ConfigurationError: the file cannot be read or does not describe a usable mapping.
    """
    if path is None:
        return _default_mapping()
    return _read_mapping(Path(path), Path(path).name)


@functools.cache
def _default_mapping() -> CsvMapping:
    return _read_mapping(resources.data_file("loaders", "csv-catalogue.json"), _DEFAULT_NAME)


def _read_mapping(path: Path, name: str) -> CsvMapping:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ConfigurationError(f"CSV mapping {name} cannot be read: {error}") from None
    try:
        return _mapping(data, name)
    except _MappingError as problem:
        raise ConfigurationError(f"CSV mapping {name}: {problem}") from None


def _mapping(data: Any, name: str) -> CsvMapping:
    top = _object(data, "the file", _TOP_KEYS)
    base = top.get("base")
    if base is not None:
        base = _absolute_iri(base, "'base'")
    lang = _string(top.get("lang", "en"), "'lang'")
    if not LANGUAGE_TAG.match(lang):
        raise _MappingError(f"'lang' {lang!r} is not a language tag")
    separator = _string(top.get("separator", ";"), "'separator'")
    cls = _absolute_iri(top.get("specification-class", ELM + "Qualification"), "'class'")
    entries = top.get("columns")
    if not isinstance(entries, list) or not entries:
        raise _MappingError("'columns' must be a non-empty list")
    columns = tuple(_column(entry, index) for index, entry in enumerate(entries, 1))
    names = [column.column.casefold() for column in columns]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise _MappingError(f"column(s) mapped twice: {', '.join(twice)}")
    if [column.target for column in columns].count("spec-iri") != 1:
        raise _MappingError("exactly one column must have the target 'spec-iri'")
    labels = {
        target: MappingProxyType(
            {
                label_key(label): _absolute_iri(iri, f"label {label!r} of {target!r}")
                for label, iri in _object(table, f"labels of {target!r}", None).items()
            }
        )
        for target, table in _object(top.get("labels", {}), "'labels'", LABELLED_TARGETS).items()
    }
    authority = country_codes()
    countries = _object(top.get("countries", {}), "'countries'", None)
    for alpha2, alpha3 in countries.items():
        if not (len(alpha2) == 2 and alpha2.isalpha() and alpha3 in authority):
            raise _MappingError(f"country {alpha2!r}: {alpha3!r} is not an EU authority code")
    return CsvMapping(
        name=name,
        columns=columns,
        base=base,
        lang=lang,
        separator=separator,
        specification_class=cls,
        labels=MappingProxyType(labels),
        countries=MappingProxyType({key.upper(): value for key, value in countries.items()}),
    )


def _object(value: Any, what: str, keys: Iterable[str] | None) -> dict[str, Any]:
    """A JSON object without its ``$comment`` keys; keys outside ``keys`` are refused."""
    if not isinstance(value, dict):
        raise _MappingError(f"{what} must be a JSON object")
    entries = {key: item for key, item in value.items() if not key.startswith("$")}
    unknown = sorted(set(entries) - set(keys)) if keys is not None else []
    if unknown:
        expected = ", ".join(sorted(keys or ()))
        raise _MappingError(f"{what}: unknown key(s) {', '.join(unknown)} (known: {expected})")
    return entries


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise _MappingError(f"{what} must be a non-empty string")
    return value


def _absolute_iri(value: Any, what: str) -> str:
    if not (isinstance(value, str) and ABSOLUTE_IRI.match(value)):
        raise _MappingError(f"{what}: {value!r} is not an absolute IRI")
    return value


def _column(entry: Any, index: int) -> CsvColumn:
    raw = _object(entry, f"column {index}", _COLUMN_KEYS)
    column = _string(raw.get("column"), f"column {index}: 'column'")
    where = f"column {index} ({column!r})"
    target = raw.get("target")
    if target not in TARGETS:
        raise _MappingError(f"{where}: unknown target {target!r} (known: {', '.join(TARGETS)})")
    if "element" not in raw:
        raise _MappingError(f"{where}: 'element' is missing (an Annex I element key, or null)")
    element = raw["element"]
    if element is not None and element not in standard_model().element_keys:
        raise _MappingError(f"{where}: {element!r} is not an Annex I element key")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise _MappingError(f"{where}: 'required' must be true or false")
    lang = raw.get("lang")
    if lang is not None and not (
        target in TEXT_TARGETS and isinstance(lang, str) and LANGUAGE_TAG.match(lang)
    ):
        raise _MappingError(f"{where}: 'lang' must be a language tag, on a text column")
    framework = raw.get("framework")
    if framework is not None and target != "ects":
        raise _MappingError(f"{where}: 'framework' applies to an 'ects' column only")
    if framework is not None:
        framework = _absolute_iri(framework, f"{where}: 'framework'")
    return CsvColumn(column, target, element, required, lang, framework)


@functools.cache
def country_codes() -> frozenset[str]:
    """The alpha-3 codes of the EU country authority table (the shipped vocabulary)."""
    return frozenset(iri.rsplit("/", 1)[-1] for iri in concepts_of(COUNTRY_TABLE))


def ascii_fold(text: str) -> str:
    """Lower-case ASCII: accents dropped (``Č`` → ``c``)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


@functools.lru_cache(maxsize=4096)
def label_key(label: str) -> str:
    """Labels compare without case, accents, spaces or punctuation."""
    return _NOT_ALNUM.sub("", ascii_fold(label))
