"""Writing a generated dataset to disk: credential files or one N-Quads file, and a manifest."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mcgraph.errors import UsageError
from mcgraph.synthetic._credentials import GeneratedCredential, generate
from mcgraph.synthetic._orgs import BASE, provider_pool_size
from mcgraph.synthetic._world import spec_pool_size

FORMATS = ("jsonld", "nquads")
MANIFEST = "_manifest.json"
NQUADS_FILE = "credentials.nq"
_GENERATED = re.compile(r"credential-\d{6,}\.jsonld|credentials\.nq")
_ORG = f"{BASE}org/"
_SPEC = f"{BASE}spec/"


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """What :func:`write_dataset` wrote."""

    out: Path
    format: str
    credentials: int
    #: Credentials with one Annex I element removed or broken.
    defective: int
    #: Shared providers that award at least one credential.
    providers: int
    #: Shared specifications that at least one credential is specified by.
    specifications: int
    #: Credentials whose specification is part of another credential's specification.
    stacked: int
    #: Files written, the manifest included.
    files_written: int
    #: Defective credentials per Annex I element key.
    defects: Mapping[str, int]


def credential_file(index: int) -> str:
    """The file name of credential ``index`` (0-based) in a JSON-LD dataset."""
    return f"credential-{index + 1:06d}.jsonld"


def write_dataset(
    out: Path, *, count: int, seed: int = 0, defective: float = 0.0, fmt: str = "jsonld"
) -> DatasetSummary:
    """Generate ``count`` credentials into the directory ``out`` (created if needed).

    ``jsonld`` writes one compact one-line file per credential (``credential-000001.jsonld``,
    ...); ``nquads`` writes ``credentials.nq`` with each credential in its own named graph (the
    credential IRI). Both write ``_manifest.json``: seed, count, defective, format and, per
    credential, its IRI, file or graph, defect and defect kind. Files of an earlier dataset in
    ``out`` that this one does not overwrite are removed, so the directory matches the manifest.
    Everything is streamed: memory does not grow with ``count``.

    :raises UsageError: for an unknown ``fmt``, a negative ``count`` or ``defective`` outside 0..1.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown dataset format {fmt!r}; expected one of {', '.join(FORMATS)}")
    credentials = generate(count, seed=seed, defective=defective)  # validates the arguments
    out.mkdir(parents=True, exist_ok=True)
    for path in out.iterdir():
        if _GENERATED.fullmatch(path.name) and not _overwritten(path.name, fmt, count):
            path.unlink()

    tally = _Tally(out, fmt, count)
    header = {"seed": seed, "count": count, "defective": defective, "format": fmt}
    with (out / MANIFEST).open("w", encoding="utf-8", newline="\n") as manifest:
        manifest.write(json.dumps(header, ensure_ascii=False)[:-1] + ',"credentials":[')
        separator = "\n"
        if fmt == "nquads":
            with (out / NQUADS_FILE).open(
                "w", encoding="utf-8", newline="\n", buffering=1 << 20
            ) as nquads:
                for c in credentials:
                    nquads.write(c.to_nquads(c.iri))
                    entry = tally.add(c, "graph", c.iri)
                    manifest.write(separator + json.dumps(entry, ensure_ascii=False))
                    separator = ",\n"
            tally.files += 1
        else:
            for c in credentials:
                name = credential_file(c.index)
                with (out / name).open("w", encoding="utf-8", newline="\n") as f:
                    f.write(c.to_json() + "\n")
                tally.files += 1
                entry = tally.add(c, "file", name)
                manifest.write(separator + json.dumps(entry, ensure_ascii=False))
                separator = ",\n"
        summary = tally.summary()
        totals = {
            "credentials": summary.credentials,
            "defective": summary.defective,
            "providers": summary.providers,
            "specifications": summary.specifications,
            "stacked": summary.stacked,
            "defects": summary.defects,
        }
        manifest.write('\n],"summary":' + json.dumps(totals) + "}\n")
    return summary


class _Tally:
    """Counts what a dataset holds as its credentials stream past (memory bounded by the pools)."""

    def __init__(self, out: Path, fmt: str, count: int) -> None:
        self.out, self.fmt, self.count = out, fmt, count
        self.providers = bytearray(provider_pool_size(count))
        self.specs = bytearray(spec_pool_size(count))
        self.defects: Counter[str] = Counter()
        self.stacked = 0
        self.files = 1  # the manifest

    def add(self, c: GeneratedCredential, where: str, name: str) -> dict[str, str | None]:
        """Count ``c``; return its manifest entry (``where`` is ``file`` or ``graph``)."""
        if c.defect is not None:
            self.defects[c.defect] += 1
        self.stacked += c.part_of is not None
        if c.awarding_body.startswith(_ORG):
            self.providers[int(c.awarding_body[len(_ORG) :]) - 1] = 1
        if c.specification.startswith(_SPEC):
            self.specs[int(c.specification[len(_SPEC) :]) - 1] = 1
        return {"iri": c.iri, where: name, "defect": c.defect, "defect_kind": c.defect_kind}

    def summary(self) -> DatasetSummary:
        return DatasetSummary(
            out=self.out,
            format=self.fmt,
            credentials=self.count,
            defective=sum(self.defects.values()),
            providers=sum(self.providers),
            specifications=sum(self.specs),
            stacked=self.stacked,
            files_written=self.files,
            defects=dict(sorted(self.defects.items())),
        )


def _overwritten(name: str, fmt: str, count: int) -> bool:
    """Whether this dataset writes a file called ``name`` (the name of a generated file)."""
    if name == NQUADS_FILE:
        return fmt == "nquads"
    number = int(name[len("credential-") : -len(".jsonld")])
    return fmt == "jsonld" and 1 <= number <= count and name == credential_file(number - 1)
