"""The HTTP service: SPARQL 1.1 Protocol, Update and Graph Store Protocol, the REST API and
dereferenceable IRIs, all over one store (``create_app``)."""

from mcgraph.api.app import create_app

__all__ = ["create_app"]
