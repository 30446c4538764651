"""The ``mcgraph`` command line: one thin verb per library use case.

Errors are printed as one line naming the problem; exit status 0 success, 1 a failed
document or run, 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mcgraph.cli import harvest as harvest_verbs
from mcgraph.cli import levels as levels_verbs
from mcgraph.cli import serve as serve_verbs
from mcgraph.cli import store as store_verbs
from mcgraph.cli import validate as validate_verbs
from mcgraph.errors import McgraphError, UsageError
from mcgraph.settings import Settings, load_settings


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
        help="store location (env MCGRAPH_STORE, default ./mcgraph-data)",
    )
    parser.add_argument(
        "--memory", action="store_true", help="use a store in memory, gone when the command ends"
    )
    parser.add_argument(
        "--keep-personal-data",
        action="store_true",
        default=None,
        help="keep learners' personal data in the protected store (env MCGRAPH_KEEP_PERSONAL_DATA)",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    validate_verbs.add_parsers(verbs)
    store_verbs.add_parsers(verbs)
    serve_verbs.add_parsers(verbs)
    levels_verbs.add_parsers(verbs)
    harvest_verbs.add_parsers(verbs)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    contexts = tuple(args.contexts) + settings.contexts if args.contexts else None
    return settings.replace(
        contexts=contexts,
        fetch_contexts=args.fetch_contexts,
        store=args.store,
        keep_personal_data=args.keep_personal_data,
        shacl_engine=getattr(args, "engine", None),
        jsonld_engine=getattr(args, "jsonld_engine", None),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args, _settings(args)))
    except UsageError as error:
        print(f"mcgraph: error: {error}", file=sys.stderr)
        return 2
    except McgraphError as error:
        print(f"mcgraph: error: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(
            "mcgraph: interrupted; every document committed before now is stored whole",
            file=sys.stderr,
        )
        return 130
