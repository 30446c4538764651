"""``mcgraph levels`` (frameworks, crosswalk, level decisions) and ``mcgraph pathway``
(stacking closure, gap to a target)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from mcgraph.cli.store import _service, _table
from mcgraph.errors import UsageError
from mcgraph.settings import Settings

_VERBS = argparse._SubParsersAction
LEVEL_HELP = "a level: its IRI, eqf:N, or FRAMEWORK:NOTATION (ie-nfq:7, uk-scqf:9)"


def add_parsers(verbs: _VERBS[argparse.ArgumentParser]) -> None:
    levels = verbs.add_parser("levels", help="qualification frameworks, crosswalk, level decisions")
    sub = levels.add_subparsers(dest="levels_verb", required=True, metavar="ACTION")

    listing = sub.add_parser("list", help="the frameworks in the store")
    listing.set_defaults(run=run_list)
    show = sub.add_parser("show", help="the levels of a framework and their EQF referencing")
    show.add_argument("framework", help="framework id (ie-nfq) or scheme IRI")
    show.set_defaults(run=run_show)
    install = sub.add_parser("install", help="store the frameworks shipped with mcgraph")
    install.add_argument("identifiers", nargs="*", metavar="ID", help="only these (default: all)")
    install.set_defaults(run=run_install)
    cross = sub.add_parser("crosswalk", help="comparable levels, and the credentials at them")
    cross.add_argument("level", help=LEVEL_HELP)
    cross.add_argument("--to", metavar="FRAMEWORK", help="only levels of this framework")
    cross.add_argument(
        "--credentials", type=int, default=20, metavar="N", help="credentials listed per level"
    )
    cross.set_defaults(run=run_crosswalk)
    assign = sub.add_parser("assign", help="record a framework body's level decision")
    assign.add_argument("specification", help="IRI of the specification (or of a credential of it)")
    assign.add_argument("--level", required=True, help=LEVEL_HELP)
    assign.add_argument("--body", required=True, metavar="ID", help="the deciding body's short id")
    assign.add_argument("--body-name", metavar="NAME", help="the body's name")
    assign.add_argument("--basis", required=True, help="on what grounds it was decided")
    assign.add_argument("--source", metavar="URL", help="where the decision is published")
    assign.add_argument("--date", metavar="ISO-DATE", help="when it was decided (default: now)")
    assign.set_defaults(run=run_assign)
    decisions = sub.add_parser("decisions", help="claimed vs assigned levels")
    decisions.add_argument("--framework", help="only decisions on this framework's levels")
    decisions.set_defaults(run=run_decisions)
    pending = sub.add_parser("pending", help="specifications awaiting a level decision")
    pending.add_argument("framework", help="framework id or scheme IRI")
    pending.set_defaults(run=run_pending)
    contradictions = sub.add_parser(
        "contradictions", help="stated EQF levels that contradict the NQF referencing"
    )
    contradictions.set_defaults(run=run_contradictions)
    for parser in (listing, show, cross, decisions, pending, contradictions):
        parser.add_argument("--format", choices=("table", "json"), default="table")

    pathway = verbs.add_parser("pathway", help="stacking pathways and the gap to a target")
    psub = pathway.add_subparsers(dest="pathway_verb", required=True, metavar="ACTION")
    closure = psub.add_parser("show", help="what a credential stacks into and is built from")
    closure.add_argument("resource", help="IRI of a credential or specification")
    closure.set_defaults(run=run_pathway)
    gap = psub.add_parser("gap", help="components and ECTS/hours still needed for a target")
    gap.add_argument("--held", action="append", default=[], metavar="IRI", help="held (repeat)")
    gap.add_argument("--target", required=True, metavar="IRI", help="the target specification")
    gap.set_defaults(run=run_gap)
    for parser in (closure, gap):
        parser.add_argument("--format", choices=("text", "json"), default="text")


def _print(rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print(_table(rows))


def _run_rows(args: argparse.Namespace, settings: Settings, name: str, **params: str) -> int:
    service = _service(args, settings, read_only=True)
    try:
        _print(service.run_named(name, params), args.format)
    finally:
        service.close()
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    return _run_rows(args, settings, "frameworks")


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(args, settings, read_only=True)
    try:
        framework = str(service.framework(args.framework)["framework"])
        _print(service.run_named("framework-levels", {"framework": framework}), args.format)
    finally:
        service.close()
    return 0


def run_install(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(args, settings)
    try:
        written = service.install_frameworks(args.identifiers)
    finally:
        service.close()
    for scheme in written:
        print(f"stored {scheme}")
    print(f"{len(written)} framework(s) stored, the others were already up to date")
    return 0


def run_crosswalk(args: argparse.Namespace, settings: Settings) -> int:
    from mcgraph.levels import crosswalk

    service = _service(args, settings, read_only=True)
    try:
        answer = crosswalk(
            service.run_named, args.level, target=args.to, per_level=args.credentials
        )
    finally:
        service.close()
    if args.format == "json":
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        return 0
    print(answer["level"])
    _print_credentials(answer["credentials"])
    for row in answer["comparable"]:
        print(f"≈ {row['comparable']}  ({row['notation']}, via {row['eqf']}, {row['match']} match)")
        _print_credentials(row["credentials"])
    return 0


def _print_credentials(rows: list[dict[str, str | None]]) -> None:
    for row in rows:
        print(f"    {row['credential']}  ({row['how']})")
    if not rows:
        print("    (no credentials)")


def run_assign(args: argparse.Namespace, settings: Settings) -> int:
    from mcgraph.levels import LevelDecision

    date = None
    if args.date:
        try:
            date = dt.datetime.fromisoformat(args.date)
        except ValueError:
            raise UsageError(f"--date {args.date!r} is not an ISO 8601 date or date-time") from None
    service = _service(args, settings)
    try:
        decision = LevelDecision(
            body=args.body,
            body_name=args.body_name,
            specification=args.specification,
            level=service.resolve_level(args.level),
            basis=args.basis,
            source=args.source,
            date=date,
        )
        iri = service.assign_level(decision)
    finally:
        service.close()
    print(f"recorded {iri}")
    return 0


def run_decisions(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(args, settings, read_only=True)
    try:
        framework = str(service.framework(args.framework)["framework"]) if args.framework else None
        _print(service.run_named("level-decisions", {"framework": framework}), args.format)
    finally:
        service.close()
    return 0


def run_pending(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(args, settings, read_only=True)
    try:
        framework = str(service.framework(args.framework)["framework"])
        _print(service.run_named("awaiting-level-decision", {"framework": framework}), args.format)
    finally:
        service.close()
    return 0


def run_contradictions(args: argparse.Namespace, settings: Settings) -> int:
    return _run_rows(args, settings, "level-contradictions")


def run_pathway(args: argparse.Namespace, settings: Settings) -> int:
    from mcgraph.stacking import pathways_json

    service = _service(args, settings, read_only=True)
    try:
        answer = service.pathways(args.resource)
    finally:
        service.close()
    if args.format == "json":
        print(json.dumps(pathways_json(answer), indent=2, ensure_ascii=False))
        return 0
    print(f"{args.resource}  (specification: {', '.join(answer.starts)})")
    for title, direction in (("stacks into", "into"), ("built from", "from")):
        reached = sorted(answer.reachable(direction))
        print(f"  {title}: {len(reached)}")
        for item in reached:
            print(f"    {item}")
    return 0


def run_gap(args: argparse.Namespace, settings: Settings) -> int:
    from mcgraph.stacking import gap_json

    service = _service(args, settings, read_only=True)
    try:
        answer = service.gap(args.held, args.target)
    finally:
        service.close()
    if args.format == "json":
        print(json.dumps(gap_json(answer), indent=2, ensure_ascii=False))
        return 0
    print(f"{answer.target}: {'complete' if answer.complete else 'missing components'}")
    for item in answer.missing:
        credits = ", ".join(f"{v} {k}" for k, v in item.credits.items()) or "credits unknown"
        hours = f"{item.hours} h" if item.hours is not None else "hours unknown"
        print(f"  - {item.iri}  {item.title or ''}  ({credits}; {hours})")
    needed = ", ".join(f"{v} {k}" for k, v in answer.credits_needed.items()) or "0"
    print(f"  still needed: {needed} credits; {answer.hours_needed} hours")
    return 0
