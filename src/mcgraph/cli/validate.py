"""Verbs that need no store: ``validate`` and ``build`` (maintainers' regeneration)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mcgraph.errors import UsageError
from mcgraph.settings import Settings


def add_parsers(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = verbs.add_parser("validate", help="validate documents against the Annex I profile")
    validate.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="documents (JSON-LD, Turtle, N-Triples, N-Quads, TriG, RDF/XML, CSV) or directories",
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
        choices=("native", "sparql", "pyshacl"),
        help="SHACL engine (env MCGRAPH_SHACL_ENGINE, default native)",
    )
    validate.add_argument("--lang", default="en", help="language of messages (en, cs)")
    validate.add_argument(
        "--jsonld-engine",
        choices=("pyoxigraph", "pyld"),
        help="JSON-LD to RDF engine (env MCGRAPH_JSONLD_ENGINE, default pyoxigraph)",
    )
    validate.set_defaults(run=run_validate)

    build = verbs.add_parser("build", help="regenerate derived data files (for maintainers)")
    build_verbs = build.add_subparsers(dest="what", required=True, metavar="WHAT")
    shapes = build_verbs.add_parser("shapes", help="regenerate shapes/ from ontology/")
    shapes.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    vocabularies = build_verbs.add_parser("vocabularies", help="import EU vocabulary XSDs as SKOS")
    vocabularies.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR")
    build.set_defaults(run=run_build)


def run_validate(args: argparse.Namespace, settings: Settings) -> int:
    from mcgraph.contexts import ContextResolver
    from mcgraph.documents import RdfDocument
    from mcgraph.errors import DocumentError
    from mcgraph.level_checks import LevelChecks
    from mcgraph.loaders.sources import expand_paths, read_inputs
    from mcgraph.validation import DocumentReport, Validator, reports_json, reports_text

    files = expand_paths(args.files)
    if not files:
        raise UsageError("no documents found in the given directories")
    validator = Validator(settings=settings, extra_shapes=args.shapes, lang=args.lang)
    items = list(read_inputs(files, settings=settings, resolver=ContextResolver(settings)))
    documents = [item for item in items if isinstance(item, RdfDocument)]
    checks = LevelChecks.shipped()  # stated levels vs EQF referencing; part/whole cycles
    validated = iter(validator.validate_documents(documents, profile=args.profile, checks=checks))
    reports = [
        next(validated)
        if isinstance(item, RdfDocument)
        else DocumentReport(item.source, None, error=item.problem)
        for item in items
        if isinstance(item, RdfDocument | DocumentError)
    ]
    if args.format == "json":
        print(json.dumps(reports_json(reports), ensure_ascii=False, indent=2))
    else:
        print(reports_text(reports, lang=args.lang))
        for document in documents:
            for note in document.notes:
                print(f"  note: {note}")
    return 0 if all(report.conforms for report in reports) else 1


def run_build(args: argparse.Namespace, settings: Settings) -> int:
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
