"""Learners' personal data: what of an issued credential names a person, and the salted key
that replaces the person in the public graph.

Personal: every statement about the credential subject except its type and its claims (names,
national ID, date of birth, contact points, identifiers), what hangs only off those statements
(the identifier and contact nodes), and the grade. The achievement stays, linked to a key that
is an HMAC of the learner's national ID (or subject IRI) under a secret salt: the same learner
gets the same key within one store, and the key cannot be turned back into the person.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from mcgraph.vocab import CRED, ELM, RDF, SKOS

Node = ox.NamedNode | ox.BlankNode


@dataclass
class PersonalSplit:
    public: list[ox.Quad]
    personal: list[ox.Quad]
    #: learner node in the document → its key IRI
    learners: dict[str, str] = field(default_factory=dict)


@dataclass
class StatementSplit:
    """A :class:`PersonalSplit` of statements in N-Triples form (``S P O``, no final dot)."""

    public: list[bytes]
    personal: list[bytes]
    learners: dict[str, str] = field(default_factory=dict)


def learner_key(basis: str, *, salt: bytes, base_iri: str) -> str:
    digest = hmac.new(salt, basis.encode("utf-8"), hashlib.sha256).hexdigest()[:40]
    return f"{base_iri}learner/{digest}"


@dataclass(frozen=True)
class _Vocabulary:
    """The terms the split looks for, in one form (pyoxigraph terms or N-Triples bytes)."""

    subject: Any
    keep_on_learner: frozenset[Any]
    national_id: frozenset[Any]
    notation: Any
    grade: Any
    concept: Any
    type: Any
    is_literal: Callable[[Any], bool]
    #: predicates whose IRI ends with /spatial (a national ID's country)
    is_spatial: Callable[[Any], bool]
    #: what a national ID's part contributes to the learner key: its value, as text
    value: Callable[[Any], str]
    #: a learner node as text: its IRI, or _:id
    name: Callable[[Any], str]


def _name(node: object) -> str:
    if isinstance(node, ox.NamedNode):
        return node.value
    if isinstance(node, ox.BlankNode):
        return f"_:{node.value}"
    return str(node)


def _nt(iri: str) -> bytes:
    return f"<{iri}>".encode()


def _nt_value(term: bytes) -> str:
    if term.startswith(b"<"):
        return term[1:-1].decode("utf-8")
    if term.startswith(b"_:"):
        return term[2:].decode("utf-8")
    quad = next(iter(ox.parse(b"<urn:x> <urn:x> " + term + b" .\n", ox.RdfFormat.N_TRIPLES)))
    return str(getattr(quad.object, "value", quad.object))  # a literal's lexical form


def _vocabulary(form: Callable[[str], Any], **forms: Any) -> _Vocabulary:
    return _Vocabulary(
        subject=form(CRED + "credentialSubject"),
        keep_on_learner=frozenset({form(RDF + "type"), form(ELM + "hasClaim")}),
        national_id=frozenset({form(ELM + "nationalID"), form(ELM + "nationalId")}),
        notation=form(SKOS + "notation"),
        grade=form(ELM + "grade"),
        concept=form(SKOS + "Concept"),
        type=form(RDF + "type"),
        **forms,
    )


_TERMS = _vocabulary(
    ox.NamedNode,
    is_literal=lambda term: isinstance(term, ox.Literal),
    is_spatial=lambda predicate: predicate.value.endswith("/spatial"),
    value=lambda term: str(getattr(term, "value", term)),
    name=_name,
)
_NTRIPLES = _vocabulary(
    _nt,
    is_literal=lambda term: term.startswith(b'"'),
    is_spatial=lambda predicate: predicate.endswith(b"/spatial>"),
    value=_nt_value,
    name=lambda term: term[1:-1].decode("utf-8") if term.startswith(b"<") else term.decode(),
)


def split_personal(quads: Sequence[ox.Quad], *, salt: bytes, base_iri: str) -> PersonalSplit:
    """Separate the personal statements of a document and key its learners."""
    # pyoxigraph builds a new object on every attribute access: read each quad's terms once
    rows = [(q.subject, q.predicate, q.object) for q in quads]
    learners = {o for _, p, o in rows if p == _TERMS.subject and not isinstance(o, ox.Literal)}
    if not learners:
        return PersonalSplit(list(quads), [])
    personal, keys, rewrite = _split(rows, learners, _TERMS, salt=salt, base_iri=base_iri)
    public = list(quads)
    named = {learner: ox.NamedNode(key) for learner, key in keys.items()}
    for index in rewrite:  # the learner's remaining statements name its key instead
        s, p, o = rows[index]
        public[index] = ox.Quad(named.get(s, s), p, named.get(o, o), quads[index].graph_name)
    return PersonalSplit(
        [quad for index, quad in enumerate(public) if index not in personal],
        sorted({quads[index] for index in personal}, key=str),
        {_name(k): v for k, v in keys.items()},
    )


def split_statements(
    statements: Sequence[bytes], rows: Sequence[Sequence[bytes]], *, salt: bytes, base_iri: str
) -> StatementSplit | None:
    """:func:`split_personal` on a document as pyoxigraph serialises it, without building a
    Python object per term: ``statements`` are its N-Triples statements without their final
    dot, in order, and ``rows`` each split once at its first two spaces (subject, predicate,
    object). Equal terms serialise alike, so this splits exactly as the quads would be split.
    None when only the quads can say: RDF 1.2 triple terms (not split here), or several
    learners (the order they are visited in is the quads' own)."""
    learners = {o for _, p, o in rows if p == _NTRIPLES.subject and not o.startswith(b'"')}
    if not learners:
        return StatementSplit(list(statements), [])
    if len(learners) > 1 or any(s.startswith(b"<<") or o.startswith(b"<<") for s, _, o in rows):
        return None
    personal, keys, rewrite = _split(rows, learners, _NTRIPLES, salt=salt, base_iri=base_iri)
    public = list(statements)
    named = {learner: _nt(key) for learner, key in keys.items()}
    for index in rewrite:
        s, p, o = rows[index]
        public[index] = b" ".join((named.get(s, s), p, named.get(o, o)))
    return StatementSplit(
        [statement for index, statement in enumerate(public) if index not in personal],
        sorted({statements[index] for index in personal}),
        {_NTRIPLES.name(k): v for k, v in keys.items()},
    )


def _split(
    rows: Sequence[Sequence[Any]],
    learners: set[Any],
    v: _Vocabulary,
    *,
    salt: bytes,
    base_iri: str,
) -> tuple[set[int], dict[Any, str], list[int]]:
    """The split on (subject, predicate, object) rows in document order, whatever form their
    terms take: the personal rows, each learner's key, and the public rows naming a learner.
    Statements are tracked by position."""
    by_subject: dict[Any, list[int]] = {}
    by_object: dict[Any, list[int]] = {}  # the statements pointing at each node
    concepts = set()
    grades = []  # a grade is personal wherever it is
    is_literal = v.is_literal
    for index, (s, p, o) in enumerate(rows):
        by_subject.setdefault(s, []).append(index)
        if p == v.grade:
            grades.append(index)
        if not is_literal(o):
            by_object.setdefault(o, []).append(index)
            if p == v.type and o == v.concept:
                concepts.add(s)
    personal: set[int] = set()
    frontier: list[Any] = []
    for learner in learners:
        for index in by_subject.get(learner, []):
            if rows[index][1] not in v.keep_on_learner:
                personal.add(index)
                frontier.append(rows[index][2])
    for index in grades:
        personal.add(index)
        frontier.append(rows[index][2])
    seen = set()
    while frontier:  # nodes that only personal statements point at are personal too
        node = frontier.pop()
        if node in seen or is_literal(node) or node in concepts or node in learners:
            continue
        seen.add(node)
        if any(index not in personal for index in by_object.get(node, [])):
            continue
        for index in by_subject.get(node, []):
            personal.add(index)
            frontier.append(rows[index][2])
    keys = {
        learner: learner_key(_basis(learner, rows, by_subject, v), salt=salt, base_iri=base_iri)
        for learner in learners
    }
    rewrite = {i for k in keys for i in by_subject.get(k, []) + by_object.get(k, [])}
    return personal, keys, sorted(rewrite - personal)


def _basis(
    learner: Any, rows: Sequence[Sequence[Any]], by_subject: dict[Any, list[int]], v: _Vocabulary
) -> str:
    """National ID (with its country) when there is one, else the subject's IRI."""
    for index in by_subject.get(learner, []):
        _, predicate, node = rows[index]
        if predicate in v.national_id:
            parts = sorted(
                v.value(rows[i][2])
                for i in by_subject.get(node, [])
                if rows[i][1] == v.notation or v.is_spatial(rows[i][1])
            )
            if parts:
                return "national-id:" + "|".join(parts)
    return "subject:" + v.name(learner)
