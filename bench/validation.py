"""Benchmark: parsing and Annex I validation, each beside its baseline measured in the same run.

    python bench/validation.py [--contexts DIR] [--runs 30] [--batch 2000] [--pyshacl-batch 200]

Prints medians (machines here are shared and noisy: compare the ratios, not the absolute
numbers). Targets from the issue: one document parsed and validated in <= 10 ms (median);
generated credentials validated at >= 2 000 credentials/s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcgraph.contexts import ContextResolver
from mcgraph.documents import RdfDocument, read_document
from mcgraph.settings import Settings
from mcgraph.validation import Validator

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEALED = SHARED / "elm" / "samples" / "Sample-MC-Annex1-signed.jsonld"
EDC_SHAPES = SHARED / "elm" / "shapes" / "EDC-generic-no-cv.ttl"


def timed(call: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """(first call seconds, median of the following runs, last result)."""
    start = time.perf_counter()
    result = call()
    first = time.perf_counter() - start
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        samples.append(time.perf_counter() - start)
    return first, statistics.median(samples), result


def row(name: str, first: float, median: float, baseline: float | None = None) -> None:
    ratio = f"{median / baseline:6.2f}x" if baseline else "   base"
    print(f"  {name:<46} first {first * 1000:8.2f} ms   median {median * 1000:8.2f} ms   {ratio}")


def single_document(settings: Settings, runs: int) -> None:
    data = SEALED.read_bytes()
    pyld_settings = settings.replace(jsonld_engine="pyld")
    resolver = ContextResolver(settings)

    def parse(s: Settings) -> RdfDocument:
        return read_document(
            data, source=SEALED.name, format="jsonld", settings=s, resolver=resolver
        )

    print(f"One document: {SEALED.name}")
    first_pyld, pyld, doc = timed(lambda: parse(pyld_settings), runs)
    row("parse, pyld to_rdf (baseline)", first_pyld, pyld)
    first_ox, ox_parse, doc = timed(lambda: parse(settings), runs)
    row("parse, pyoxigraph with cached contexts", first_ox, ox_parse, pyld)
    print(f"  ({len(doc.quads)} distinct triples)")

    edc = Validator(settings=settings, engine="pyshacl")
    edc_shapes = Validator(settings=settings, extra_shapes=[EDC_SHAPES], engine="pyshacl")
    first_ref, ref, _ = timed(lambda: edc.validate_documents([doc]), runs)
    row("validate, pySHACL, Annex I shapes (baseline)", first_ref, ref)
    first_fast, fast, _ = timed(
        lambda: Validator(settings=settings).validate_documents([doc]), runs
    )
    row("validate, native (default), Annex I shapes", first_fast, fast, ref)
    sparql = Validator(settings=settings, engine="sparql")
    first_sparql, with_sparql, _ = timed(lambda: sparql.validate_documents([doc]), runs)
    row("validate, compiled SPARQL, Annex I shapes", first_sparql, with_sparql, ref)
    first_edc, with_edc, _ = timed(lambda: edc_shapes.validate_documents([doc]), max(5, runs // 3))
    row("validate, pySHACL, Annex I + official EDC", first_edc, with_edc, ref)
    validator = Validator(settings=settings)
    first_all, total, report = timed(lambda: validator.validate_documents([parse(settings)]), runs)
    row("parse + validate (product path, native)", first_all, total, pyld + ref)
    verdict = "meets" if total <= 0.010 else "MISSES"
    print(
        f"  -> {verdict} the 10 ms target (median {total * 1000:.2f} ms); "
        f"violations: {sorted(e or '-' for e in report[0].elements())}"
    )


def batch(settings: Settings, count: int, pyshacl_count: int, repeats: int) -> None:
    from mcgraph.synthetic import generate

    resolver = ContextResolver(settings)
    start = time.perf_counter()
    docs = [
        read_document(
            json.dumps(c.to_jsonld()).encode(),
            source=f"gen-{c.index}",
            format="jsonld",
            settings=settings,
            resolver=resolver,
        )
        for c in generate(count, seed=7, defective=0.1)
    ]
    parse_rate = count / (time.perf_counter() - start)
    triples = statistics.median(len(d.quads) for d in docs)
    print(
        f"\nBatch: {count} generated credentials (10% defective, median {triples:.0f} triples each)"
    )
    print(f"  {'generate + parse (pyoxigraph JSON-LD)':<46} {parse_rate:10.0f} credentials/s")

    reference = Validator(settings=settings, engine="pyshacl")
    subset = docs[:pyshacl_count]
    ref_times = []
    for _ in range(max(1, repeats // 2)):
        start = time.perf_counter()
        reference.validate_documents(subset)
        ref_times.append(time.perf_counter() - start)
    ref_rate = pyshacl_count / statistics.median(ref_times)
    label = "validate, pySHACL, one at a time (baseline)"
    print(f"  {label:<46} {ref_rate:10.0f} credentials/s  (on {pyshacl_count})")

    rates = {}
    for engine, size in (("native", 500), ("native", count), ("sparql", count)):
        first, rate = batch_rate(Validator(settings=settings, engine=engine), docs, size, repeats)
        rates[engine] = rate
        label = f"validate, {engine}, batches of {size}"
        print(
            f"  {label:<46} {rate:10.0f} credentials/s  {rate / ref_rate:6.1f}x pySHACL"
            f"  (first pass {first:.0f}/s)"
        )
    rejected = sum(not r.conforms for r in Validator(settings=settings).validate_documents(docs))
    verdict = "meets" if rates["native"] >= 2000 else "MISSES"
    print(
        f"  -> native (default) {verdict} the 2 000 credentials/s target "
        f"({rates['native']:.0f}/s); {rejected} of {count} rejected"
    )


def batch_rate(
    validator: Validator, docs: list[RdfDocument], size: int, repeats: int
) -> tuple[float, float]:
    """Credentials/s validating ``docs`` in batches of ``size``: (first pass, median of the
    ``repeats`` passes after it)."""
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        for offset in range(0, len(docs), size):
            validator.validate_documents(docs[offset : offset + size])
        times.append(time.perf_counter() - start)
    return len(docs) / times[0], len(docs) / statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contexts", type=Path, default=SHARED / "contexts")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--pyshacl-batch", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(contexts=(args.contexts,))
    single_document(settings, args.runs)
    batch(settings, args.batch, args.pyshacl_batch, args.repeats)


if __name__ == "__main__":
    main()
