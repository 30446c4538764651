"""Namespaces used across mcgraph, and the one PREFIXES table that queries and output share."""

from __future__ import annotations

ELM = "http://data.europa.eu/snb/model/elm/"
CRED = "https://www.w3.org/2018/credentials#"
DC = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"
FOAF = "http://xmlns.com/foaf/0.1/"
ADMS = "http://www.w3.org/ns/adms#"
ROV = "http://www.w3.org/ns/regorg#"
PROV = "http://www.w3.org/ns/prov#"
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
OWL = "http://www.w3.org/2002/07/owl#"
#: mcgraph's own terms, minted only where ELM has none (documented in ontology/mcgraph.ttl).
MCG = "https://w3id.org/mcgraph/ns#"

PREFIXES: dict[str, str] = {
    "elm": ELM,
    "cred": CRED,
    "dc": DC,
    "skos": SKOS,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "sh": SH,
    "foaf": FOAF,
    "adms": ADMS,
    "rov": ROV,
    "prov": PROV,
    "dcat": DCAT,
    "owl": OWL,
    "mcg": MCG,
}


def compact(iri: str) -> str:
    """Return ``prefix:local`` for an IRI in a known namespace, else ``<iri>``."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            local = iri[len(namespace) :]
            if local and all(ch.isalnum() or ch in "_-." for ch in local):
                return f"{prefix}:{local}"
    return f"<{iri}>"
