"""CSV catalogues → ELM catalogue specifications: reads the rows into documents or row errors.

One ``elm:Qualification`` per spreadsheet row, as the mapping says (:mod:`.csv_mapping`,
``loaders/csv-catalogue.json`` by default; a row becomes RDF in :mod:`.csv_rows`). The file is
read as a stream: UTF-8 (a byte order mark is dropped), the delimiter sniffed among ``,`` ``;``
and tab, quoted multi-line cells allowed. Each row yields an
:class:`~mcgraph.documents.RdfDocument`, or one :class:`RowError` per cell that cannot be turned
into RDF (a bad number, EQF 9, an unknown country, a malformed IRI). A value that is merely absent
is not an error: the row becomes a document that the Annex I validator rejects, naming the
element.

Minted IRIs (``{base}{id}``, shared organisations ``{base}org/{slug}``) are below a base: the
``base=`` argument, else the mapping's. When loading (:func:`mcgraph.loaders.sources.read_inputs`)
the base is always ``{settings.base_iri}catalogue/{source}/``, so two providers' rows with the
same identifier stay two specifications.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from mcgraph.documents import RdfDocument
from mcgraph.elements import standard_model
from mcgraph.errors import DocumentError, MalformedDocumentError, UsageError
from mcgraph.loaders.csv_mapping import (
    ABSOLUTE_IRI,
    LANGUAGE_TAG,
    TARGETS,
    TEXT_TARGETS,
    CsvColumn,
    CsvMapping,
    load_mapping,
)
from mcgraph.loaders.csv_rows import RowConverter, Slot
from mcgraph.vocab import MCG

__all__ = ["TARGETS", "CsvColumn", "CsvMapping", "RowError", "load_mapping", "read_csv_catalogue"]


class RowError(DocumentError):
    """One cell of a catalogue row that cannot be turned into RDF.

    ``source`` is ``"{file}#row={line}"`` like the document the row would have been; ``line``
    is the physical line where the row starts (the header is line 1); ``column`` is the header
    as written in the file; ``element`` the Annex I key the column carries, if any.
    """

    def __init__(
        self, source: str, line: int, problem: str, *, column: str | None, element: str | None
    ) -> None:
        self.line = line
        self.column = column
        self.element = element
        super().__init__(source, problem)


def read_csv_catalogue(
    path: Path, *, mapping: CsvMapping | None = None, base: str | None = None
) -> Iterator[RdfDocument | RowError]:
    """One document per row of the catalogue at ``path``, streamed, in file order.

    A document's ``source`` is ``"{path}#row={line}"``, its checksum the sha256 of the row's
    raw text; the first document's ``notes`` list the columns the mapping does not know.
    A row with cells that cannot be turned into RDF yields one :class:`RowError` per such cell
    and no document; so does a row whose identifier an earlier row already used.

    :param base: base of minted IRIs, instead of the mapping's.
    :raises UsageError: no usable base IRI.
    :raises DocumentError: when called, for the whole file: unreadable, not UTF-8, no header,
        a required column missing, a column twice; while iterating, a CSV syntax error.
    """
    mapping = mapping or load_mapping()
    base = mapping.base if base is None else base
    if base is None or not ABSOLUTE_IRI.match(base):
        raise UsageError(f"catalogue IRIs need an absolute base IRI (given: {base!r})")
    source = str(path)
    _check_utf8(path, source)
    header, delimiter = _header(path, source)
    slots, notes = _plan(header, mapping, source)
    return _rows(path, source, delimiter, RowConverter(mapping, base, slots, len(header)), notes)


def _check_utf8(path: Path, source: str) -> None:
    """Decode the file once, chunk by chunk, so that no document is yielded from a bad file."""
    offset, pending = 0, b""
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                data = pending + chunk
                try:
                    _, used = codecs.utf_8_decode(data, "strict", False)
                except UnicodeDecodeError as error:
                    raise MalformedDocumentError(
                        source, f"not UTF-8 text (invalid byte at offset {offset + error.start})"
                    ) from None
                offset, pending = offset + used, data[used:]
    except OSError as error:
        raise DocumentError(source, f"cannot read the file: {error.strerror or error}") from None
    if pending:
        raise MalformedDocumentError(source, f"not UTF-8 text (truncated at offset {offset})")


def _header(path: Path, source: str) -> tuple[list[str], str]:
    """The header cells and the delimiter, sniffed on the first line (``;`` wins ties)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            unquoted = re.sub(r'"[^"]*"', "", first)
            delimiter = max(";\t,", key=unquoted.count)
            header = next(
                csv.reader([first, *_rest_of_record(first, handle)], delimiter=delimiter), []
            )
    except OSError as error:
        raise DocumentError(source, f"cannot read the file: {error.strerror or error}") from None
    except csv.Error as error:
        raise MalformedDocumentError(source, f"line 1: {error}") from None
    if not any(cell.strip() for cell in header):
        raise MalformedDocumentError(source, "no header row: the first line is empty")
    return header, delimiter


def _rest_of_record(first: str, handle: TextIO) -> list[str]:
    """Further physical lines of a header whose quoted cell spans lines (rare)."""
    lines, text = [], first
    while text.count('"') % 2:
        line = handle.readline()
        if not line:
            return []
        lines.append(line)
        text += line
    return lines


def _plan(
    header: list[str], mapping: CsvMapping, source: str
) -> tuple[list[Slot], tuple[str, ...]]:
    by_name = {column.column.casefold(): column for column in mapping.columns}
    slots: list[Slot] = []
    unknown: list[str] = []
    seen: dict[tuple[str, str | None], int] = {}
    for index, cell in enumerate(header):
        name = cell.strip()
        column, lang = by_name.get(name.casefold()), None
        if column is None and "@" in name:
            stem, _, tag = name.rpartition("@")
            column = by_name.get(stem.strip().casefold())
            if column is None or column.target not in TEXT_TARGETS:
                column = None
            elif not LANGUAGE_TAG.match(tag.strip()):
                raise MalformedDocumentError(
                    source, f"header {name!r}: {tag!r} is not a language tag"
                )
            else:
                lang = tag.strip().lower()
        if column is None:
            if name:
                unknown.append(name)
            continue
        if column.target in TEXT_TARGETS and lang is None:
            lang = column.lang or mapping.lang
        key = (column.column, lang)
        if key in seen:
            raise MalformedDocumentError(
                source,
                f"header: column {name!r} appears twice (columns {seen[key]} and {index + 1})",
            )
        seen[key] = index + 1
        slots.append(Slot(index, name, column, lang))
    present = {slot.column.column for slot in slots}
    missing = [c.column for c in mapping.columns if c.required and c.column not in present]
    if missing:
        raise MalformedDocumentError(source, f"missing required column(s): {', '.join(missing)}")
    notes = []
    if unknown:
        notes.append(f"columns not in the mapping {mapping.name}, ignored: {', '.join(unknown)}")
    carried = {slot.column.element for slot in slots}
    uncovered = [
        element.key
        for element in standard_model().elements
        if f"{MCG}specification" in element.mandatory_for and element.key not in carried
    ]
    if uncovered:
        notes.append(f"no column carries the mandatory Annex I element(s) {', '.join(uncovered)}")
    return slots, tuple(notes)


def _captured(handle: Iterable[str], buffer: list[str]) -> Iterator[str]:
    """The lines of ``handle``, each also kept in ``buffer`` (the raw text of the current row)."""
    for line in handle:
        buffer.append(line)
        yield line


def _rows(
    path: Path, source: str, delimiter: str, converter: RowConverter, notes: tuple[str, ...]
) -> Iterator[RdfDocument | RowError]:
    seen: dict[str, int] = {}
    buffer: list[str] = []
    last = 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(_captured(handle, buffer), delimiter=delimiter)
            next(reader, None)  # the header
            buffer.clear()
            last = reader.line_num
            for row in reader:
                line, last = last + 1, reader.line_num
                raw = "".join(buffer)
                buffer.clear()
                if not "".join(row).strip():
                    continue
                row_source = f"{source}#row={line}"
                parsed = converter.convert(row)
                if isinstance(parsed, list):
                    yield from (_row_error(row_source, line, *problem) for problem in parsed)
                    continue
                spec = parsed.spec
                if spec.value in seen:
                    problem = f"identifier {spec.value} is already used by line {seen[spec.value]}"
                    yield _row_error(row_source, line, converter.id_slot, problem)
                    continue
                seen[spec.value] = line
                yield RdfDocument(
                    source=row_source,
                    format="csv",
                    quads=converter.build(parsed),
                    checksum=hashlib.sha256(raw.rstrip("\r\n").encode("utf-8")).hexdigest(),
                    sealed=False,
                    mapping=converter.mapping.name,
                    notes=notes,
                )
                notes = ()
    except csv.Error as error:
        raise MalformedDocumentError(source, f"line {last + 1}: {error}") from None
    except UnicodeDecodeError:  # only if the file changed after it was checked
        raise MalformedDocumentError(source, "not UTF-8 text") from None
    except OSError as error:
        raise DocumentError(source, f"cannot read the file: {error.strerror or error}") from None


def _row_error(source: str, line: int, slot: Slot | None, problem: str) -> RowError:
    """The error of one cell (or, without a slot, of the whole row), naming line and column."""
    column = slot.header if slot else None
    element = slot.column.element if slot and slot.column.target != "spec-iri" else None
    where = f"column {column!r}" if column else "row"
    where += f" ({element})" if element else ""
    problem = f"line {line}: {where}: {problem}"
    return RowError(source, line, problem, column=column, element=element)
