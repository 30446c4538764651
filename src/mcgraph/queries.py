"""Named SPARQL queries: the ``queries/*.rq`` files, each with a header that documents it and
types its parameters. Parameters are bound as substitutions, never spliced into query text.

Header lines (comments at the top of the file)::

    # title: Credentials at an EQF level
    # description: ...
    # param: level iri required  The EQF level concept, e.g. http://data.europa.eu/snb/eqf/6
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from mcgraph import resources
from mcgraph.errors import ConfigurationError, UsageError
from mcgraph.store import Iri, Lit, Term
from mcgraph.vocab import XSD

PARAM_TYPES = ("iri", "string", "integer", "decimal", "date", "eqf-level")
_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*)$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class QueryParameter:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    parameters: tuple[QueryParameter, ...]
    text: str


def _parse(name: str, text: str) -> NamedQuery:
    fields: dict[str, str] = {}
    parameters = []
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if not match:
            if line.strip() and not line.lstrip().startswith("#"):
                break
            continue
        key, value = match.groups()
        if key == "param":
            parts = value.split(None, 3)
            if (
                len(parts) < 3
                or parts[1] not in PARAM_TYPES
                or parts[2] not in ("required", "optional")
            ):
                raise ConfigurationError(f"queries/{name}.rq: bad parameter line {value!r}")
            parameters.append(
                QueryParameter(
                    parts[0], parts[1], parts[2] == "required", parts[3] if len(parts) > 3 else ""
                )
            )
        else:
            fields[key] = (fields.get(key, "") + " " + value).strip()
    if "title" not in fields:
        raise ConfigurationError(f"queries/{name}.rq has no '# title:' header")
    projection = re.search(r"\bSELECT\b(.*?)\bWHERE\b", text, flags=re.S | re.I)
    for parameter in parameters:
        # pyoxigraph substitutes only variables the SELECT projects
        if not projection or not re.search(
            rf"[?$]{re.escape(parameter.name)}\b", projection.group(1)
        ):
            raise ConfigurationError(
                f"queries/{name}.rq: parameter ?{parameter.name} must be in the SELECT clause"
            )
    return NamedQuery(name, fields["title"], fields.get("description", ""), tuple(parameters), text)


@functools.cache
def named_queries() -> dict[str, NamedQuery]:
    """Every shipped named query, by name (read once per process)."""
    queries = {}
    for path in sorted(resources.data_dir("queries").glob("*.rq")):
        if not _NAME.match(path.stem):
            raise ConfigurationError(f"query file name {path.name}: use lower-case words and '-'")
        queries[path.stem] = _parse(path.stem, path.read_text(encoding="utf-8"))
    return queries


def load_query_file(path: Path) -> NamedQuery:
    """A query file given by the user (``@file.rq``), header optional."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the query file {path}: {error}") from None
    header = text if "# title:" in text else f"# title: {path.stem}\n{text}"
    return _parse(path.stem, header)


def named_query(name: str) -> NamedQuery:
    try:
        return named_queries()[name]
    except KeyError:
        known = ", ".join(sorted(named_queries()))
        raise UsageError(f"no named query {name!r}; known: {known}") from None


def bind(query: NamedQuery, values: Mapping[str, str]) -> dict[str, Term]:
    """Typed bindings for a named query; an unknown, missing or ill-typed value is a UsageError."""
    declared = {p.name: p for p in query.parameters}
    unknown = set(values) - set(declared)
    if unknown:
        raise UsageError(f"query {query.name} has no parameter {', '.join(sorted(unknown))}")
    bindings: dict[str, Term] = {}
    for parameter in query.parameters:
        if parameter.name not in values:
            if parameter.required:
                raise UsageError(
                    f"query {query.name} needs --param {parameter.name}=... "
                    f"({parameter.description})"
                )
            continue
        bindings[parameter.name] = convert(parameter, values[parameter.name])
    return bindings


def convert(parameter: QueryParameter, raw: str) -> Term:
    """One parameter value as an RDF term of the declared type."""

    def bad(expected: str) -> UsageError:
        return UsageError(f"parameter {parameter.name}: {raw!r} is not {expected}")

    kind = parameter.type
    if kind == "iri":
        if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|\\^`]*$", raw):
            raise bad("an absolute IRI")
        return Iri(raw)
    if kind == "eqf-level":
        if raw.isdigit() and 1 <= int(raw) <= 8:
            return Iri(f"http://data.europa.eu/snb/eqf/{int(raw)}")
        raise bad("an EQF level from 1 to 8")
    if kind == "integer":
        if not re.match(r"^[+-]?\d+$", raw):
            raise bad("a whole number")
        return Lit(str(int(raw)), XSD + "integer")
    if kind == "decimal":
        try:
            Decimal(raw.replace(",", "."))
        except InvalidOperation:
            raise bad("a decimal number") from None
        return Lit(raw.replace(",", "."), XSD + "decimal")
    if kind == "date":
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", raw):
            raise bad("a date (YYYY-MM-DD)")
        return Lit(raw, XSD + "date")
    return Lit(raw)
