"""Deterministic synthetic EU micro-credentials (ELM v3) for the demo, the tests and benchmarks.

``generate(count, seed=, defective=)`` yields :class:`GeneratedCredential` objects, each
serialisable as an EDC JSON-LD document (``to_jsonld``/``to_json``) or as N-Quads written
straight from the model (``to_nquads``); ``write_dataset`` streams a dataset to a directory with
a manifest. The same arguments give byte-identical output: everything is drawn from
``random.Random`` instances seeded from the arguments, never from the clock.

What a credential holds, and which Annex I element a defective one breaks, is described in
:func:`generate`; the concept IRIs come from the ELM v3 controlled vocabularies.
"""

from __future__ import annotations

from mcgraph.synthetic._credentials import CONTEXT, GeneratedCredential, generate
from mcgraph.synthetic._dataset import DatasetSummary, credential_file, write_dataset
from mcgraph.synthetic._orgs import BASE
from mcgraph.synthetic._world import DEFECT_KEYS, INVALID_KEYS

__all__ = [
    "BASE",
    "CONTEXT",
    "DEFECT_KEYS",
    "INVALID_KEYS",
    "DatasetSummary",
    "GeneratedCredential",
    "credential_file",
    "generate",
    "write_dataset",
]
