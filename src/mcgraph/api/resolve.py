"""Dereferenceable IRIs: the IRIs mcgraph mints, served under ``/id/``.

mcgraph mints IRIs under ``settings.base_iri`` (default ``https://w3id.org/mcgraph/id/``):
``{base}graph/{source}/{hash}`` (a stored document: its record), ``{base}learner/{key}`` (a
learner key), ``{base}source/{name}`` (a source; what was loaded from it points to it), and
catalogue entries read from CSV. ``GET /id/{path}`` describes the IRI ``{base}{path}`` with
``queries/api-describe.rq`` (every statement about it, and what points to it), negotiated:
``text/html`` a readable page (browsers), ``application/ld+json``, ``text/turtle`` (the
default), ``application/n-triples`` or ``application/rdf+xml``. Nothing known: a 404 problem.

**Deployments.** For the IRIs themselves to resolve, serve mcgraph at the base: set
``MCGRAPH_BASE_IRI`` to the service's public URL followed by ``/id/`` (e.g.
``MCGRAPH_BASE_IRI=https://credentials.example.org/id/`` with the service at
``https://credentials.example.org/``), *before the first load*: IRIs are minted when documents
are stored, and the metadata graph is named under the base too. Or keep the default and
redirect ``https://w3id.org/mcgraph/id/*`` to ``https://<host>/id/*`` (a w3id.org rule).
Behind a proxy that maps another path to the service, only the part after ``/id/`` matters.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request, Response

from mcgraph import queries
from mcgraph.api import negotiation
from mcgraph.api.context import ServiceContext
from mcgraph.api.deps import Context
from mcgraph.api.negotiation import Format
from mcgraph.api.rest_support import (
    HTML,
    CachedRoute,
    bindings,
    negotiate,
    not_found,
    problems,
)
from mcgraph.errors import UsageError
from mcgraph.store.workers import QueryJob
from mcgraph.vocab import DC, FOAF, RDF, RDFS, ROV, SKOS, compact

router = APIRouter(route_class=CachedRoute, tags=["Linked data"])
#: Turtle first: what a client that states no preference gets
OFFERS: tuple[Format, ...] = (*negotiation.RDF, HTML)
LABELS = (f"{SKOS}prefLabel", f"{DC}title", f"{ROV}legalName", f"{RDFS}label", f"{FOAF}name")
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
    "padding:.3rem .5rem;text-align:left;vertical-align:top}code{word-break:break-all}"
    ".lang,.type{color:#666;font-size:.85em}"
)


@router.get(
    "/id/{path:path}",
    summary="Dereference an IRI minted by mcgraph",
    description="Describes the IRI `{base_iri}{path}` (MCGRAPH_BASE_IRI): everything the "
    "store says about it and what points to it. `text/html` gives a readable page; "
    "`text/turtle` (the default), `application/ld+json`, `application/n-triples` or "
    "`application/rdf+xml` the RDF. For the IRIs themselves to resolve, set MCGRAPH_BASE_IRI "
    "to this service's public URL + `/id/` before the first load.",
    responses={
        200: {"content": {f.media_type: {} for f in OFFERS}, "description": "Its description"},
        **problems(304, 404, 406, 503),
    },
)
def resolve(request: Request, context: Context, path: str) -> Response:
    fmt = negotiate(request, OFFERS)
    for iri in _candidates(request, context.settings.base_iri, path):
        answer = _describe(context, iri, "jsonld" if fmt is HTML else fmt.name)
        if answer is None:
            continue
        if fmt is HTML:
            page = render(iri, json.loads(answer), context.settings.base_iri)
            return Response(page, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)
        return Response(answer, media_type=fmt.content_type)
    raise not_found(f"nothing is known about {context.settings.base_iri}{path}")


def _candidates(request: Request, base: str, path: str) -> list[str]:
    """The IRI as sent (percent-encoding kept, as minted IRIs have it), then decoded."""
    raw = request.scope.get("raw_path") or b""
    sent = raw.decode("ascii", "replace")
    marker = sent.find("/id/")
    written = sent[marker + len("/id/") :] if marker >= 0 else path
    return list(dict.fromkeys(base + text for text in (written, unquote(written), path)))


def _describe(context: ServiceContext, iri: str, rdf_format: str) -> bytes | None:
    name = "api-describe"
    try:
        values = bindings(name, {"resource": iri})
    except UsageError:  # not an IRI at all (spaces, brackets): nothing can be said about it
        return None
    job = QueryJob(queries.named_query(name).text, rdf_format=rdf_format, bindings=values)
    answer = context.executor.run(job)
    return answer.body if answer.count else None


# -- the HTML page ------------------------------------------------------------------------------


def render(iri: str, flat: list[dict[str, Any]], base: str) -> str:
    """A small page: the resource's label, its statements, then what points to it."""
    nodes = _merged(flat)
    own = next((node for node in nodes if node["@id"] == iri), {})
    title = _title(own) or iri
    rows = "".join(
        f"<tr><th scope='row'>{_link(prop, base)}</th><td>{_value(value, base)}</td></tr>"
        for prop, values in _properties(own).items()
        for value in values
    )
    incoming = "".join(
        f"<tr><td>{_link(node['@id'], base)}</td><td>{_link(prop, base)}</td></tr>"
        for node in nodes
        if node["@id"] != iri and not node["@id"].startswith("_:")
        for prop, values in _properties(node).items()
        if any(value.get("@id") == iri for value in values)
    )
    blanks = "".join(
        f"<h3>{html.escape(node['@id'])}</h3><table>"
        + "".join(
            f"<tr><th scope='row'>{_link(prop, base)}</th><td>{_value(value, base)}</td></tr>"
            for prop, values in _properties(node).items()
            for value in values
        )
        + "</table>"
        for node in nodes
        if node["@id"].startswith("_:")
    )
    parts = [
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p><code>{html.escape(iri)}</code></p>",
        "<table><thead><tr><th>Property</th><th>Value</th></tr></thead>",
        f"<tbody>{rows}</tbody></table>",
    ]
    if blanks:
        parts.append(f"<h2>Nested descriptions</h2>{blanks}")
    if incoming:
        parts += [
            "<h2>Referred to by</h2><table><thead><tr><th>Resource</th><th>Property</th>",
            f"</tr></thead><tbody>{incoming}</tbody></table>",
        ]
    parts.append(
        "<p class='type'>Also as RDF: ask for <code>text/turtle</code> or "
        "<code>application/ld+json</code> in <code>Accept</code>.</p></body></html>\n"
    )
    return "".join(parts)


def _merged(flat: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Node objects by ``@id``, each value once (a streamed serialisation may split a node)."""
    nodes: dict[str, dict[str, Any]] = {}
    for part in flat:
        node = nodes.setdefault(str(part.get("@id", "")), {"@id": str(part.get("@id", ""))})
        for prop, values in _properties(part).items():
            known = node.setdefault(prop, [])
            known += [value for value in values if value not in known]
    return list(nodes.values())


def _properties(node: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The node's properties, rdf:type first, then by IRI."""
    found = {key: values for key, values in node.items() if not key.startswith("@")}
    return dict(sorted(found.items(), key=lambda item: (item[0] != f"{RDF}type", item[0])))


def _title(node: dict[str, Any]) -> str | None:
    for prop in LABELS:
        values = [v for v in node.get(prop, []) if "@value" in v]
        if values:
            values.sort(key=lambda v: (v.get("@language") != "en", str(v["@value"])))
            return str(values[0]["@value"])
    return None


def _link(iri: str, base: str, text: str | None = None) -> str:
    """A link for http(s) IRIs (to this service's /id/ for the minted ones); others as text.
    Terms of well-known vocabularies read as ``prefix:name``."""
    short = compact(iri)
    label = html.escape(text or (iri if short.startswith("<") else short))
    if iri.startswith(base):
        href = "/id/" + iri[len(base) :]
    elif iri.startswith(("http://", "https://")):
        href = iri
    else:
        return f"<code>{label}</code>"
    return f'<a href="{html.escape(href, quote=True)}">{label}</a>'


def _value(value: dict[str, Any], base: str) -> str:
    if "@id" in value:
        node = str(value["@id"])
        return html.escape(node) if node.startswith("_:") else _link(node, base)
    text = html.escape(str(value.get("@value", "")))
    if "@language" in value:
        return f"{text} <span class='lang'>@{html.escape(str(value['@language']))}</span>"
    datatype = value.get("@type")
    if datatype and datatype != f"{RDF}langString":
        return f"{text} <span class='type'>{html.escape(compact(str(datatype)))}</span>"
    return text
