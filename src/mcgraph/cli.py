"""The ``mcgraph`` command line: one thin verb per library use case.

Errors are printed as one line naming the problem; exit status 0 success, 1 a failed
document or run, 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from mcgraph.errors import McgraphError, UsageError
from mcgraph.settings import Settings, load_settings

#: File endings read when a directory is given.
DOCUMENT_SUFFIXES = (".jsonld", ".json", ".ttl", ".nt", ".nq", ".trig", ".rdf", ".owl", ".xml")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcgraph",
        description="Knowledge graph and Annex I validator for EU micro-credentials (ELM v3).",
    )
    parser.add_argument(
        "--contexts",
        action="append",
        type=Path,
        metavar="DIR",
        help="JSON-LD context directory with an index.json (repeatable; env MCGRAPH_CONTEXTS)",
    )
    parser.add_argument(
        "--fetch-contexts",
        action="store_true",
        default=None,
        help="fetch missing contexts over HTTPS from allow-listed hosts into the cache",
    )
    parser.add_argument(
        "--store",
        type=Path,
        metavar="PATH",
        help="on-disk store location (env MCGRAPH_STORE, default ./mcgraph-data)",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    validate = verbs.add_parser("validate", help="validate documents against the Annex I profile")
    validate.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="documents (JSON-LD, Turtle, N-Triples, N-Quads, TriG, RDF/XML) or directories",
    )
    validate.add_argument(
        "--profile",
        choices=("issued", "specification", "auto"),
        default="auto",
        help="issued credential, catalogue specification, or detect (default)",
    )
    validate.add_argument(
        "--shapes",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="extra SHACL shapes to run with ours (repeatable), e.g. the ELM EDC profile",
    )
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument(
        "--engine",
        choices=("sparql", "pyshacl"),
        help="SHACL engine (env MCGRAPH_SHACL_ENGINE, default sparql)",
    )
    validate.add_argument("--lang", default="en", help="language of messages (en, cs)")
    validate.add_argument(
        "--jsonld-engine",
        choices=("pyoxigraph", "pyld"),
        help="JSON-LD to RDF engine (env MCGRAPH_JSONLD_ENGINE, default pyoxigraph)",
    )

    build = verbs.add_parser("build", help="regenerate derived data files (for maintainers)")
    build_verbs = build.add_subparsers(dest="what", required=True, metavar="WHAT")
    shapes = build_verbs.add_parser("shapes", help="regenerate shapes/ from ontology/")
    shapes.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    vocabularies = build_verbs.add_parser("vocabularies", help="import EU vocabulary XSDs as SKOS")
    vocabularies.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    contexts = tuple(args.contexts) + settings.contexts if args.contexts else None
    return settings.replace(
        contexts=contexts,
        fetch_contexts=args.fetch_contexts,
        store=args.store,
        shacl_engine=getattr(args, "engine", None),
        jsonld_engine=getattr(args, "jsonld_engine", None),
    )


def expand_files(paths: Sequence[Path]) -> list[Path]:
    """Files as given; directories walked (sorted) for document files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix in DOCUMENT_SUFFIXES
            )
        else:
            files.append(path)
    return files


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    from mcgraph.validation import Validator, reports_json, reports_text

    files = expand_files(args.files)
    if not files:
        raise UsageError("no documents found in the given directories")
    validator = Validator(settings=settings, extra_shapes=args.shapes, lang=args.lang)
    reports = validator.validate_paths(files, profile=args.profile)
    if args.format == "json":
        print(json.dumps(reports_json(reports), ensure_ascii=False, indent=2))
    else:
        print(reports_text(reports, lang=args.lang))
    return 0 if all(report.conforms for report in reports) else 1


def _build(args: argparse.Namespace) -> int:
    from mcgraph import resources, shapegen, vocabularies

    if args.what == "vocabularies":
        root = resources.source_root()
        if root is None:
            raise UsageError("build vocabularies runs in a source checkout only")
        for path in vocabularies.import_xsd_directory(
            args.source, root / "ontology" / "vocabularies"
        ):
            print(f"wrote {path}")
        return 0
    if args.check:
        drift = [
            name
            for name, text in shapegen.shape_files().items()
            if resources.data_dir("shapes").joinpath(name).read_text(encoding="utf-8") != text
        ]
        for name in drift:
            print(f"shapes/{name} differs from what ontology/ generates")
        return 1 if drift else 0
    for path in shapegen.write_shapes():
        print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
        if args.verb == "validate":
            return _validate(args, settings)
        if args.verb == "build":
            return _build(args)
        raise UsageError(f"unknown verb {args.verb}")
    except UsageError as error:
        print(f"mcgraph: error: {error}", file=sys.stderr)
        return 2
    except McgraphError as error:
        print(f"mcgraph: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
