"""The graph store: the only package that opens pyoxigraph stores.

``embedded`` is the on-disk (or in-memory) store behind the ``GraphStore`` protocol;
``workers`` runs SPARQL queries in processes that can be stopped, over read-only checkpoints;
``results`` writes SPARQL results. Interfaces speak plain Python (IRIs, literals, bytes).
"""

from mcgraph.store.embedded import (
    LEXICAL_DURATION,
    RDF_FORMATS,
    RESULT_FORMATS,
    EmbeddedStore,
    GraphStore,
    Iri,
    Lit,
    StoreError,
    Term,
    protect_durations,
    restore_durations,
)

__all__ = [
    "LEXICAL_DURATION",
    "RDF_FORMATS",
    "RESULT_FORMATS",
    "EmbeddedStore",
    "GraphStore",
    "Iri",
    "Lit",
    "StoreError",
    "Term",
    "protect_durations",
    "restore_durations",
]
