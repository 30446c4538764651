"""``mcgraph harvest``: fetch documents from remote sources into the store, validated."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mcgraph.harvest.sources import KINDS, load_sources, select_sources
from mcgraph.linking import links_graph, rebuild_links
from mcgraph.settings import Settings

_VERBS = argparse._SubParsersAction
DEFAULT_CONFIG = Path("loaders/sources.toml")


def add_parsers(verbs: _VERBS[argparse.ArgumentParser]) -> None:
    harvest = verbs.add_parser(
        "harvest", help="fetch documents from remote sources (SPARQL, DCAT, JSON-LD, mcgraph)"
    )
    harvest.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="a configured source name, or a URL (with --kind); none: every configured source",
    )
    harvest.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=f"sources file (TOML; default {DEFAULT_CONFIG} when it exists)",
    )
    harvest.add_argument("--kind", choices=KINDS, help="only sources of this kind; a URL's kind")
    harvest.add_argument("--name", help="only this source; the source name of a single URL")
    harvest.add_argument(
        "--allow-private",
        action="store_true",
        help="let sources named by URL use loopback/private addresses (never metadata ones)",
    )
    harvest.add_argument("--quiet", action="store_true", help="no progress")
    harvest.set_defaults(run=run_harvest)

    links = verbs.add_parser(
        "links",
        help="recompute owl:sameAs links and compared values across sources (done after harvest)",
    )
    links.set_defaults(run=run_links)


def run_harvest(args: argparse.Namespace, settings: Settings) -> int:
    from mcgraph.harvest.harvester import harvest_source
    from mcgraph.service import Service

    config = args.config
    if config is None and DEFAULT_CONFIG.exists():
        config = DEFAULT_CONFIG
    configured = load_sources(config) if config is not None else []
    sources = select_sources(
        configured,
        args.sources,
        kind=args.kind,
        name=args.name,
        allow_private=args.allow_private,
    )
    tty = sys.stderr.isatty() and not args.quiet

    def progress(name: str, done: int, total: int) -> None:
        if tty and (done % 50 == 0 or done == total):
            print(f"\r{name}: {done}/{total}", end="", file=sys.stderr, flush=True)

    service = Service(settings, in_memory=args.memory)
    failed = changed = False
    try:
        for source in sources:
            report = harvest_source(service, source, on_progress=progress)
            if tty:
                print(file=sys.stderr)
            print(
                f"{report.name} ({report.kind}): listed {report.listed}, "
                f"transferred {report.transferred}, unchanged {report.unchanged}, "
                f"stored {report.stored}, rejected {report.rejected}, "
                f"retracted {report.retracted}, errors {len(report.errors)}, "
                f"{report.seconds:.1f} s"
                + (" — FAILED, previous graphs kept" if report.failed else "")
            )
            for line in report.rejections:
                print(f"  rejected {line}")
            for line in report.errors:
                print(f"  error {line}")
            failed = failed or not report.ok
            changed = changed or bool(report.stored or report.retracted)
        if changed:  # the same provider/credential from two sources: owl:sameAs, conflicts
            links = rebuild_links(service.repository)
            print(
                f"links: {links.shared} resources from several sources, "
                f"{links.same_as} sameAs pairs ({links_graph(settings.base_iri)})"
            )
    finally:
        service.close()
    return 1 if failed else 0


def run_links(args: argparse.Namespace, settings: Settings) -> int:
    from mcgraph.service import Service

    service = Service(settings, in_memory=args.memory)
    try:
        links = rebuild_links(service.repository)
    finally:
        service.close()
    print(
        f"links: {links.shared} resources from several sources, "
        f"{links.same_as} sameAs pairs ({links_graph(settings.base_iri)})"
    )
    return 0
