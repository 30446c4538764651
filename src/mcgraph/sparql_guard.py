"""Checks on SPARQL text made before any engine sees it.

pyoxigraph opens HTTP connections itself for ``SERVICE <url>`` (queries) and ``LOAD <url>``
(updates), which Python can neither see nor stop, and its parser overflows the stack on queries
nested about 10 000 brackets (or ``<< >>`` triple terms) deep, killing the process. So the text
is scanned first, with a tokenizer that skips comments, strings and IRIs: bracket depth (``<<``
counted as a bracket) is bounded, and SERVICE/LOAD are allowed only to endpoints on the
allow-list (a SERVICE on a variable is refused: its target cannot be checked), and only over
http(s) even when listed (pyoxigraph's client would try whatever it is given). The allow-list
is the explicit configuration of a target: a listed loopback or private address is allowed
(tests list one), anything unlisted is refused before any connection is made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from mcgraph.errors import McgraphError, UsageError


class QueryRefusedError(McgraphError):
    """The request is well-formed but not allowed here (e.g. SERVICE to an unlisted endpoint)."""


_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
             |'''(?:[^'\\]|\\.|'(?!''))*'''
             |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<open><<|[({\[])
  | (?P<close>>>|[)}\]])
  | (?P<word>[A-Za-z_][\w-]*(?::[\w.-]*)?|:[\w.-]*|\?\w+|\$\w+)
  | (?P<other>\S)
    """,
    re.VERBOSE,
)


def tokens(text: str) -> Iterator[re.Match[str]]:
    """The tokens of ``text`` without its comments, each a match whose ``lastgroup`` is its kind
    (string, iri, open, close, word, other): for callers that read a query's shape cheaply
    (its form, its USING/WITH clauses) with the same rules as the checks here."""
    return (m for m in _TOKEN.finditer(text) if m.lastgroup != "comment")


@dataclass(frozen=True)
class Scan:
    """What the scan found: the deepest nesting and each SERVICE/LOAD target."""

    depth: int
    services: tuple[str, ...]
    loads: tuple[str, ...]


def scan(text: str, *, max_depth: int) -> Scan:
    """Tokenize ``text``; raise UsageError past ``max_depth`` (before any parser recurses)."""
    depth = deepest = 0
    services: list[str] = []
    loads: list[str] = []
    prefixes: dict[str, str] = {}
    expect: str | None = None  # "service" or "load": the next IRI-like token is its target
    previous: list[str] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        value = match.group()
        if kind in ("comment", "string"):
            continue
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
            if depth > max_depth:
                raise UsageError(f"the request nests brackets more than {max_depth} deep")
        elif kind == "close":
            depth = max(0, depth - 1)
        upper = value.upper()
        if expect and kind == "word" and upper == "SILENT":
            continue
        if expect:
            target = _target(kind, value, prefixes)
            (services if expect == "service" else loads).append(target)
            expect = None
        elif kind == "word" and upper in ("SERVICE", "LOAD"):
            expect = upper.lower()
        if kind == "iri" and len(previous) >= 2 and previous[-2].upper() == "PREFIX":
            prefixes[previous[-1].rstrip(":")] = value[1:-1]
        previous = [*previous[-1:], value]
    if expect:
        (services if expect == "service" else loads).append("")
    return Scan(deepest, tuple(services), tuple(loads))


def _target(kind: str | None, value: str, prefixes: dict[str, str]) -> str:
    if kind == "iri":
        return value[1:-1]
    if kind == "word" and ":" in value and not value.startswith(("?", "$")):
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local
    return ""  # a variable or something unreadable: cannot be checked, so never allowed


_WEB = re.compile(r"^https?://[^/?#\s]+", re.IGNORECASE)


def check_query(text: str, *, max_depth: int, allowed_services: Iterable[str]) -> Scan:
    """Refuse a query whose SERVICE targets are not all on the allow-list."""
    result = scan(text, max_depth=max_depth)
    allowed = set(allowed_services)
    for target in result.services:
        if target and not _WEB.match(target):
            raise QueryRefusedError(f"SERVICE to {target} is not allowed: only http(s) endpoints")
        if target not in allowed:
            shown = target or "a variable or unreadable endpoint"
            raise QueryRefusedError(
                f"SERVICE to {shown} is not allowed: it is not on the allow-list"
            )
    return result


def check_update(text: str, *, max_depth: int, allowed_sources: Iterable[str]) -> Scan:
    """Refuse an update that LOADs from, or queries a SERVICE at, an unlisted location."""
    result = check_query(text, max_depth=max_depth, allowed_services=allowed_sources)
    allowed = set(allowed_sources)
    for target in result.loads:
        if target not in allowed or not _WEB.match(target):
            raise QueryRefusedError(
                f"LOAD from {target or 'an unreadable location'} is not allowed"
            )
    return result
