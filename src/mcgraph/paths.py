"""SPARQL 1.1 property paths: parsed from the element source, written as SHACL and as SPARQL.

The Annex I source writes each ELM path once as SPARQL text; the shapes generator writes it
as a SHACL path, the SPARQL validator reads SHACL paths back, and reports show them as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import rdflib
from rdflib.collection import Collection

from mcgraph.errors import ConfigurationError
from mcgraph.vocab import PREFIXES, SH, compact


@dataclass(frozen=True)
class Predicate:
    iri: str


@dataclass(frozen=True)
class Inverse:
    path: Path


@dataclass(frozen=True)
class Sequence:
    parts: tuple[Path, ...]


@dataclass(frozen=True)
class Alternative:
    options: tuple[Path, ...]


@dataclass(frozen=True)
class Repeat:
    path: Path
    modifier: str  # "*", "+" or "?"


Path = Predicate | Inverse | Sequence | Alternative | Repeat

_TOKEN = re.compile(r"\s*(<[^<>\s]*>|[A-Za-z][\w-]*:[\w.-]*|a\b|[()/|^*+?])")


def parse_path(text: str) -> Path | None:
    """Parse a property path; the empty string is the anchor itself (``None``)."""
    tokens = _tokenise(text)
    if not tokens:
        return None
    parser = _Parser(tokens, text)
    path = parser.alternative()
    if parser.position != len(tokens):
        raise ConfigurationError(f"property path {text!r}: unexpected {tokens[parser.position]!r}")
    return path


def _tokenise(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match:
            raise ConfigurationError(
                f"property path {text!r}: cannot read from {text[position:]!r}"
            )
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str], text: str) -> None:
        self.tokens, self.text, self.position = tokens, text, 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ConfigurationError(f"property path {self.text!r} ends too early")
        self.position += 1
        return token

    def alternative(self) -> Path:
        options = [self.sequence()]
        while self.peek() == "|":
            self.take()
            options.append(self.sequence())
        return options[0] if len(options) == 1 else Alternative(tuple(options))

    def sequence(self) -> Path:
        parts = [self.unary()]
        while self.peek() == "/":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Sequence(tuple(parts))

    def unary(self) -> Path:
        if self.peek() == "^":
            self.take()
            return Inverse(self.unary())
        path = self.primary()
        while self.peek() in ("*", "+", "?"):
            path = Repeat(path, self.take())
        return path

    def primary(self) -> Path:
        token = self.take()
        if token == "(":
            path = self.alternative()
            if self.take() != ")":
                raise ConfigurationError(f"property path {self.text!r}: missing ')'")
            return path
        return Predicate(_expand(token, self.text))


def _expand(token: str, text: str) -> str:
    if token == "a":
        return PREFIXES["rdf"] + "type"
    if token.startswith("<"):
        return token[1:-1]
    prefix, _, local = token.partition(":")
    if prefix not in PREFIXES:
        raise ConfigurationError(f"property path {text!r}: unknown prefix {prefix!r}")
    return PREFIXES[prefix] + local


def join(first: Path | None, second: Path | None) -> Path | None:
    """The path ``first/second``, flattening sequences; ``None`` is the empty path."""
    if first is None:
        return second
    if second is None:
        return first
    parts: list[Path] = []
    for part in (first, second):
        parts.extend(part.parts if isinstance(part, Sequence) else (part,))
    return Sequence(tuple(parts))


def alternatives(paths: list[Path]) -> Path:
    """One path that any of ``paths`` satisfies (duplicates removed, order kept)."""
    unique = list(dict.fromkeys(paths))
    return unique[0] if len(unique) == 1 else Alternative(tuple(unique))


def to_sparql(path: Path, *, prefixed: bool = True) -> str:
    """SPARQL text with only the parentheses precedence needs; ``prefixed`` uses PREFIXES."""
    if isinstance(path, Predicate):
        return compact(path.iri) if prefixed else f"<{path.iri}>"
    if isinstance(path, Inverse):
        return "^" + _operand(path.path, prefixed)
    if isinstance(path, Repeat):
        return _operand(path.path, prefixed) + path.modifier
    if isinstance(path, Sequence):
        return "/".join(
            f"({to_sparql(p, prefixed=prefixed)})"
            if isinstance(p, Alternative)
            else to_sparql(p, prefixed=prefixed)
            for p in path.parts
        )
    return "|".join(to_sparql(p, prefixed=prefixed) for p in path.options)


def _operand(path: Path, prefixed: bool) -> str:
    text = to_sparql(path, prefixed=prefixed)
    return text if isinstance(path, Predicate) else f"({text})"


def to_turtle(path: Path) -> str:
    """The SHACL path in Turtle syntax (RDF lists, blank nodes), prefixed names where possible."""
    if isinstance(path, Predicate):
        return compact(path.iri)
    if isinstance(path, Inverse):
        return f"[ sh:inversePath {to_turtle(path.path)} ]"
    if isinstance(path, Repeat):
        keyword = {"*": "zeroOrMorePath", "+": "oneOrMorePath", "?": "zeroOrOnePath"}[path.modifier]
        return f"[ sh:{keyword} {to_turtle(path.path)} ]"
    if isinstance(path, Sequence):
        return "( " + " ".join(to_turtle(p) for p in path.parts) + " )"
    return "[ sh:alternativePath ( " + " ".join(to_turtle(p) for p in path.options) + " ) ]"


_SH = rdflib.Namespace(SH)
_REPEATS = {_SH.zeroOrMorePath: "*", _SH.oneOrMorePath: "+", _SH.zeroOrOnePath: "?"}


def from_shacl(graph: rdflib.Graph, node: rdflib.term.Node) -> Path:
    """Read a SHACL path (as in sh:path or sh:resultPath) from an rdflib graph."""
    if isinstance(node, rdflib.URIRef):
        return Predicate(str(node))
    if (node, rdflib.RDF.first, None) in graph:
        return Sequence(tuple(from_shacl(graph, item) for item in Collection(graph, node)))
    inverse = graph.value(node, _SH.inversePath)
    if inverse is not None:
        return Inverse(from_shacl(graph, inverse))
    options = graph.value(node, _SH.alternativePath)
    if options is not None:
        return Alternative(tuple(from_shacl(graph, item) for item in Collection(graph, options)))
    for predicate, modifier in _REPEATS.items():
        inner = graph.value(node, predicate)
        if inner is not None:
            return Repeat(from_shacl(graph, inner), modifier)
    raise ConfigurationError(f"not a SHACL path: {node!r}")


def flatten(path: Path) -> Path:
    """The same path as an alternative of plain sequences (sequences distributed over
    alternatives). pySHACL refuses paths nested more than ten levels deep, and anchored ELM
    paths nest quickly; flattened, they stay shallow."""
    options = [Sequence(tuple(seq)) if len(seq) > 1 else seq[0] for seq in _dnf(path)]
    return alternatives(options)


def _dnf(path: Path) -> list[list[Path]]:
    if isinstance(path, Sequence):
        combined: list[list[Path]] = [[]]
        for part in path.parts:
            combined = [head + tail for head in combined for tail in _dnf(part)]
        return combined
    if isinstance(path, Alternative):
        return [seq for option in path.options for seq in _dnf(option)]
    return [[path]]
