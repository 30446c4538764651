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
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox

from mcgraph.vocab import CRED, ELM, RDF, SKOS

_SUBJECT = ox.NamedNode(CRED + "credentialSubject")
_KEEP_ON_LEARNER = {ox.NamedNode(RDF + "type"), ox.NamedNode(ELM + "hasClaim")}
_NATIONAL_ID = {ox.NamedNode(ELM + "nationalID"), ox.NamedNode(ELM + "nationalId")}
_NOTATION = ox.NamedNode(SKOS + "notation")
_GRADE = ox.NamedNode(ELM + "grade")
_CONCEPT = ox.NamedNode(SKOS + "Concept")
_TYPE = ox.NamedNode(RDF + "type")

Node = ox.NamedNode | ox.BlankNode


@dataclass
class PersonalSplit:
    public: list[ox.Quad]
    personal: list[ox.Quad]
    #: learner node in the document → its key IRI
    learners: dict[str, str] = field(default_factory=dict)


def learner_key(basis: str, *, salt: bytes, base_iri: str) -> str:
    digest = hmac.new(salt, basis.encode("utf-8"), hashlib.sha256).hexdigest()[:40]
    return f"{base_iri}learner/{digest}"


def split_personal(quads: Sequence[ox.Quad], *, salt: bytes, base_iri: str) -> PersonalSplit:
    """Separate the personal statements of a document and key its learners."""
    learners = {
        q.object for q in quads if q.predicate == _SUBJECT and not isinstance(q.object, ox.Literal)
    }
    if not learners:
        return PersonalSplit(list(quads), [])
    by_subject: dict[object, list[ox.Quad]] = {}
    referenced: dict[object, int] = {}
    concepts = set()
    for quad in quads:
        by_subject.setdefault(quad.subject, []).append(quad)
        if not isinstance(quad.object, ox.Literal):
            referenced[quad.object] = referenced.get(quad.object, 0) + 1
        if quad.predicate == _TYPE and quad.object == _CONCEPT:
            concepts.add(quad.subject)
    personal: set[ox.Quad] = set()
    frontier: list[object] = []
    for learner in learners:
        for quad in by_subject.get(learner, []):
            if quad.predicate not in _KEEP_ON_LEARNER:
                personal.add(quad)
                frontier.append(quad.object)
    for quad in quads:
        if quad.predicate == _GRADE:
            personal.add(quad)
            frontier.append(quad.object)
    seen = set()
    while frontier:  # nodes that only personal statements point at are personal too
        node = frontier.pop()
        if node in seen or isinstance(node, ox.Literal) or node in concepts or node in learners:
            continue
        seen.add(node)
        pointing = sum(1 for q in personal if q.object == node)
        if pointing < referenced.get(node, 0):
            continue
        for quad in by_subject.get(node, []):
            personal.add(quad)
            frontier.append(quad.object)
    keys: dict[object, ox.NamedNode] = {
        learner: ox.NamedNode(
            learner_key(_basis(learner, by_subject), salt=salt, base_iri=base_iri)
        )
        for learner in learners
    }
    public = []
    for quad in quads:
        if quad in personal:
            continue
        if quad.subject in keys or quad.object in keys:
            quad = ox.Quad(
                keys.get(quad.subject, quad.subject),
                quad.predicate,
                keys.get(quad.object, quad.object),
                quad.graph_name,
            )
        public.append(quad)
    return PersonalSplit(
        public, sorted(personal, key=str), {_name(k): v.value for k, v in keys.items()}
    )


def _basis(learner: object, by_subject: dict[object, list[ox.Quad]]) -> str:
    """National ID (with its country) when there is one, else the subject's IRI."""
    for quad in by_subject.get(learner, []):
        if quad.predicate in _NATIONAL_ID:
            parts = sorted(
                str(getattr(q.object, "value", q.object))
                for q in by_subject.get(quad.object, [])
                if q.predicate == _NOTATION or q.predicate.value.endswith("/spatial")
            )
            if parts:
                return "national-id:" + "|".join(parts)
    return "subject:" + _name(learner)


def _name(node: object) -> str:
    if isinstance(node, ox.NamedNode):
        return node.value
    if isinstance(node, ox.BlankNode):
        return f"_:{node.value}"
    return str(node)
