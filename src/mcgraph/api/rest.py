"""The REST API under ``/api``: one router made of the areas' routers.

- ``rest_credentials``: ``/api/credentials`` (filters, keyset paging) and one credential
- ``rest_providers``: ``/api/providers`` and one awarding body
- ``rest_standard``: ``/api/elements``, the Annex I elements (and a credential's presence)
- ``rest_queries``: ``/api/queries``, the named queries, and running one
- ``rest_documents``: ``POST /api/validate``; ``POST/GET/DELETE /api/documents``
- ``rest_levels``: ``/api/frameworks``, ``/api/levels`` (crosswalk, level decisions),
  ``/api/credentials/{id}/pathways``, ``POST /api/pathways/gap``
- ``rest_support``: running named queries, short ids and cursors, negotiation, conditional GET
- ``rest_models``: the JSON shapes (the OpenAPI document at ``/docs`` shows them)

Ids in paths are an IRI, URL-encoded, or its short id: the IRI's UTF-8 bytes in unpadded
base64url (the ``key`` of every item). Every GET answers with ETag and Last-Modified (they
change with every write) and 304 to a matching If-None-Match or If-Modified-Since. Errors are
RFC 9457 problems (``application/problem+json``), from :mod:`mcgraph.api.problems`.
"""

from __future__ import annotations

from fastapi import APIRouter

from mcgraph.api import (
    rest_credentials,
    rest_documents,
    rest_feed,
    rest_levels,
    rest_providers,
    rest_queries,
    rest_standard,
)

router = APIRouter(prefix="/api")
# rest_levels first: its /credentials/{id}/pathways must win over /credentials/{id:path}
for _area in (
    rest_levels,
    rest_credentials,
    rest_providers,
    rest_standard,
    rest_queries,
    rest_documents,
    rest_feed,
):
    router.include_router(_area.router)
