"""``mcgraph serve``: the HTTP service (SPARQL endpoint, REST API) over the store."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from mcgraph.errors import UsageError
from mcgraph.settings import Settings


def add_parsers(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = verbs.add_parser("serve", help="serve the SPARQL endpoint and the REST API")
    serve.add_argument("--host", help="address to bind (env MCGRAPH_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (env MCGRAPH_PORT, default 8000)")
    serve.add_argument(
        "--query-timeout",
        type=float,
        metavar="SECONDS",
        help="stop a query after this long (env MCGRAPH_QUERY_TIMEOUT, default 30)",
    )
    serve.add_argument(
        "--write-token-file",
        type=Path,
        metavar="FILE",
        help="file with the bearer token for writes (or env MCGRAPH_WRITE_TOKEN)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="serve generated credentials (and --demo-samples) from a temporary store",
    )
    serve.add_argument(
        "--demo-count", type=int, default=2000, help="credentials to generate for --demo"
    )
    serve.add_argument(
        "--demo-samples",
        type=Path,
        metavar="DIR",
        help="also load these documents for --demo (e.g. the EU's ELM samples)",
    )
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from mcgraph.api import create_app

    settings = settings.replace(
        host=args.host,
        port=args.port,
        query_timeout=args.query_timeout,
        write_token_file=args.write_token_file,
    )
    if args.memory:
        raise UsageError("serve needs an on-disk store (query workers read checkpoints of it)")
    if args.demo:
        settings = demo_store(settings, args.demo_count, args.demo_samples)
    app = create_app(settings)
    print(
        f"mcgraph serving {settings.store} on http://{settings.host}:{settings.port}/ "
        f"(SPARQL /sparql, API /api, docs /docs)",
        file=sys.stderr,
    )
    if args.demo:
        # uvicorn re-raises SIGTERM after its shutdown: exit through Python, so that the
        # demo's temporary store is removed below
        signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    finally:
        if args.demo:  # the demo's temporary store goes with the server
            shutil.rmtree(settings.store.parent, ignore_errors=True)
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def demo_store(settings: Settings, count: int, samples: Path | None) -> Settings:
    """A temporary store with generated credentials, the shipped qualification frameworks (so
    that the level crosswalks answer) and the given samples, for a first look."""
    from mcgraph.service import Service
    from mcgraph.synthetic import write_dataset

    workdir = Path(tempfile.mkdtemp(prefix="mcgraph-demo-"))
    settings = dataclasses.replace(settings, store=workdir / "store")
    write_dataset(workdir / "generated", count=count, seed=1, fmt="nquads")
    service = Service(settings)
    try:
        schemes = service.install_frameworks()
        print(f"demo: {len(schemes)} qualification frameworks installed", file=sys.stderr)
        summary = service.load([workdir / "generated"], source="generated")
        print(f"demo: {summary.stored} generated credentials stored", file=sys.stderr)
        if samples is not None:
            summary = service.load([samples], source="samples", allow_invalid=True)
            print(
                f"demo: {summary.stored + summary.stored_invalid} sample documents stored "
                f"({summary.errors} unreadable)",
                file=sys.stderr,
            )
    finally:
        service.close()
    return settings
