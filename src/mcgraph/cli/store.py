"""Verbs over the store: load, query, export, delete, stats, backup; and generate (test data)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from mcgraph.errors import UsageError
from mcgraph.ingest_writer import DEFAULT_BATCH_SIZE
from mcgraph.settings import Settings
from mcgraph.store import RDF_FORMATS, RESULT_FORMATS

_VERBS = argparse._SubParsersAction


def add_parsers(verbs: _VERBS[argparse.ArgumentParser]) -> None:
    load = verbs.add_parser(
        "load", help="validate documents (or qualification frameworks) and store those that conform"
    )
    load.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or directories")
    load.add_argument("--source", default="local", help="source name the documents are filed under")
    load.add_argument(
        "--allow-invalid",
        action="store_true",
        help="store documents with violations too, marked so",
    )
    load.add_argument("--profile", choices=("issued", "specification", "auto"), default="auto")
    load.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"documents per atomic commit (default {DEFAULT_BATCH_SIZE})",
    )
    load.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="write the validation reports of problems as JSON",
    )
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    load.set_defaults(run=run_load)

    query = verbs.add_parser("query", help="run SPARQL: text, @file.rq, or a named query")
    query.add_argument("query", help="SPARQL text, @file.rq, or the name of a query in queries/")
    query.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="bind a parameter"
    )
    query.add_argument(
        "--format",
        default="table",
        help=f"table, {', '.join(RESULT_FORMATS)} for SELECT/ASK; "
        f"{', '.join(RDF_FORMATS)} for CONSTRUCT",
    )
    query.add_argument(
        "--list", action="store_true", help="list the named queries and their parameters"
    )
    query.set_defaults(run=run_query)

    export = verbs.add_parser("export", help="write the store or one graph as RDF")
    export.add_argument("--format", choices=sorted(RDF_FORMATS), default="nquads")
    export.add_argument("--graph", metavar="IRI", help="only this graph (a document's graph IRI)")
    export.add_argument(
        "--out", type=Path, metavar="FILE", help="file to write (default: standard output)"
    )
    export.set_defaults(run=run_export)

    delete = verbs.add_parser("delete", help="delete a document or everything from a source")
    target = delete.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--document", metavar="IRI", help="graph IRI, or the credential/specification IRI"
    )
    target.add_argument("--source", metavar="NAME", help="every document filed under this source")
    delete.set_defaults(run=run_delete)

    stats = verbs.add_parser(
        "stats", help="documents, triples, providers, credentials per EQF level"
    )
    stats.add_argument("--format", choices=("table", "json"), default="table")
    stats.set_defaults(run=run_stats)

    backup = verbs.add_parser("backup", help="a consistent copy of the store into a new directory")
    backup.add_argument("target", type=Path)
    backup.set_defaults(run=run_backup)

    generate = verbs.add_parser("generate", help="write realistic synthetic ELM micro-credentials")
    generate.add_argument("--count", type=int, required=True)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--defective", type=float, default=0.0, metavar="FRACTION")
    generate.add_argument("--format", choices=("jsonld", "nquads"), default="jsonld")
    generate.add_argument("--out", type=Path, required=True, metavar="DIR")
    generate.set_defaults(run=run_generate)


def _service(args: argparse.Namespace, settings: Settings, *, read_only: bool = False):  # type: ignore[no-untyped-def]
    from mcgraph.service import Service

    return Service(settings, in_memory=args.memory, read_only=read_only and not args.memory)


class _Progress:
    """A one-line progress bar on standard error, only when it is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()

    def __call__(self, done: int) -> None:
        if self.enabled:
            rate = done / max(time.monotonic() - self.start, 1e-9)
            sys.stderr.write(f"\r  {done:>9,} documents  {rate:8.0f}/s")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def run_load(args: argparse.Namespace, settings: Settings) -> int:
    if args.batch_size < 1:
        raise UsageError("--batch-size must be at least 1")
    from mcgraph.frameworks import is_framework_file

    # a qualification framework (SKOS Turtle or framework CSV) given as a file is stored as a
    # framework; everything else is read as credentials and specifications
    framework_files = [p for p in args.paths if p.is_file() and is_framework_file(p)]
    documents = [p for p in args.paths if p not in framework_files]
    service = _service(args, settings)
    progress = _Progress(not args.quiet and bool(documents))
    try:
        if framework_files:
            written = service.load_frameworks(framework_files, source=args.source)
            unchanged = len(framework_files) - len(written)
            print(f"frameworks: stored {len(written)}, unchanged {unchanged}")
            if not documents:
                return 0
        summary = service.load(
            documents,
            source=args.source,
            allow_invalid=args.allow_invalid,
            profile=args.profile,
            batch_size=args.batch_size,
            on_progress=progress,
        )
    finally:
        progress.close()
        service.close()
    for outcome in summary.problems:
        if outcome.status == "error":
            print(f"{outcome.source}: ERROR {outcome.error}")
            continue
        elements = (
            sorted(e or "-" for e in outcome.report.elements("violation")) if outcome.report else []
        )
        verb = "rejected" if outcome.status == "rejected" else "stored although invalid"
        print(f"{outcome.source}: {verb}: violates {', '.join(elements)}")
    print(
        f"stored {summary.stored}, stored invalid {summary.stored_invalid}, "
        f"unchanged {summary.unchanged}, "
        f"rejected {summary.rejected}, unreadable {summary.errors}"
    )
    for element, count in summary.violations.most_common():
        print(f"  {element}: {count} document(s)")
    if args.report:
        problems = [
            {
                "source": o.source,
                "status": o.status,
                "error": o.error,
                "report": o.report.as_json() if o.report else None,
            }
            for o in summary.problems
        ]
        args.report.write_text(
            json.dumps({"problems": problems}, indent=2, ensure_ascii=False), encoding="utf-8"
        )
    return 1 if summary.failed else 0


def _params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {pair!r}: expected NAME=VALUE")
        params[name] = value
    return params


def _table(rows: list[dict[str, str | None]]) -> str:
    if not rows:
        return "(no results)"
    columns = list(rows[0])
    cells = [[str(row.get(c) or "") for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def run_query(args: argparse.Namespace, settings: Settings) -> int:
    from mcgraph import queries

    if args.list:
        for query in queries.named_queries().values():
            print(f"{query.name}: {query.title}")
            for p in query.parameters:
                print(
                    f"    --param {p.name}=<{p.type}>"
                    f"{'' if p.required else ' (optional)'}  {p.description}"
                )
        return 0
    service = _service(args, settings, read_only=True)
    try:
        params = _params(args.param)
        if args.format == "table":
            print(_table(service.select(args.query, params=params)))
        elif args.format in RESULT_FORMATS or args.format in RDF_FORMATS:
            result_format = args.format if args.format in RESULT_FORMATS else "json"
            rdf_format = args.format if args.format in RDF_FORMATS else "turtle"
            sys.stdout.buffer.write(
                service.query(
                    args.query, params=params, result_format=result_format, rdf_format=rdf_format
                )
            )
            sys.stdout.buffer.write(b"\n")
        else:
            raise UsageError(f"unknown output format {args.format!r}")
    finally:
        service.close()
    return 0


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(args, settings, read_only=True)
    try:
        if args.out:
            with args.out.open("wb") as out:
                service.export(out, rdf_format=args.format, graph=args.graph)
        else:
            service.export(sys.stdout.buffer, rdf_format=args.format, graph=args.graph)
    finally:
        service.close()
    return 0


def run_delete(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(args, settings)
    try:
        graphs = (
            service.document_graphs(args.document)
            if args.document
            else service.source_graphs(args.source)
        )
        if not graphs:
            raise UsageError(f"nothing stored under {args.document or 'source ' + args.source}")
        print(f"deleted {service.delete(graphs)} document(s)")
    finally:
        service.close()
    return 0


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(args, settings, read_only=True)
    try:
        figures = service.stats()
    finally:
        service.close()
    if args.format == "json":
        print(json.dumps(figures, indent=2))
        return 0
    for name, rows in figures.items():
        print(f"{name}:\n{_table(rows)}\n")
    return 0


def run_backup(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(args, settings)
    try:
        service.backup(args.target)
    finally:
        service.close()
    print(f"backed up to {args.target}")
    return 0


def run_generate(args: argparse.Namespace, settings: Settings) -> int:
    from mcgraph.synthetic import write_dataset

    if args.count < 1 or not 0.0 <= args.defective <= 1.0:
        raise UsageError("--count must be positive and --defective a fraction from 0 to 1")
    summary = write_dataset(
        args.out, count=args.count, seed=args.seed, defective=args.defective, fmt=args.format
    )
    print(f"wrote {summary}")
    return 0
