"""A small node tree that writes one graph two ways: EDC JSON-LD text and N-Quads lines.

Nodes are named with the JSON-LD terms of the EDC context (``title``, ``eqfLevel``, ...); the term
table below maps each term to its predicate and to the literal type the context gives it, so the
N-Quads are written directly, without a JSON-LD processor, and say exactly what a processor would
read from the JSON-LD. Each node caches its own serialisations: shared nodes (organisations,
specifications, concepts) are written once and reused by every credential that cites them.
"""

from __future__ import annotations

from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import Union

_CRED = "https://www.w3.org/2018/credentials#"
_ELM = "http://data.europa.eu/snb/model/elm/"
_DC = "http://purl.org/dc/terms/"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_FOAF = "http://xmlns.com/foaf/0.1/"
_ROV = "http://www.w3.org/ns/regorg#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

#: Term kinds: a node reference, a language map, a typed or plain literal, a reversed reference.
_REF, _LANG, _LIT, _REVERSE = range(4)

#: term -> (predicate IRI, kind, datatype IRI or "" for a plain string), as the W3C credentials
#: v1 context (for the credential node) and the EDC context define them.
_TERMS: dict[str, tuple[str, int, str]] = {
    "issued": (f"{_CRED}issued", _LIT, f"{_XSD}dateTime"),
    "issuanceDate": (f"{_CRED}issuanceDate", _LIT, f"{_XSD}dateTime"),
    "validFrom": (f"{_CRED}validFrom", _LIT, f"{_XSD}dateTime"),
    "issuer": (f"{_CRED}issuer", _REF, ""),
    "credentialSubject": (f"{_CRED}credentialSubject", _REF, ""),
    "credentialProfiles": (f"{_ELM}credentialProfiles", _REF, ""),
    "inScheme": (f"{_SKOS}inScheme", _REF, ""),
    "prefLabel": (f"{_SKOS}prefLabel", _LANG, ""),
    "notation": (f"{_SKOS}notation", _LIT, ""),
    "givenName": (f"{_FOAF}givenName", _LANG, ""),
    "familyName": (f"{_FOAF}familyName", _LANG, ""),
    "fullName": (f"{_FOAF}fullName", _LANG, ""),
    "dateOfBirth": (f"{_ELM}dateOfBirth", _LIT, f"{_XSD}dateTime"),
    "hasClaim": (f"{_ELM}hasClaim", _REF, ""),
    "title": (f"{_DC}title", _LANG, ""),
    "awardedBy": (f"{_ELM}awardedBy", _REF, ""),
    "awardingBody": (f"{_ELM}awardingBody", _REF, ""),
    "awardingDate": (f"{_ELM}awardingDate", _LIT, f"{_XSD}dateTime"),
    "provenBy": (f"{_ELM}provenBy", _REF, ""),
    "specifiedBy": (f"{_ELM}specifiedBy", _REF, ""),
    "grade": (f"{_ELM}grade", _REF, ""),
    "noteLiteral": (f"{_ELM}noteLiteral", _LANG, ""),
    "idVerification": (f"{_ELM}idVerification", _REF, ""),
    "dcType": (f"{_DC}type", _REF, ""),
    "legalName": (f"{_ROV}legalName", _LANG, ""),
    "location": (f"{_ELM}location", _REF, ""),
    "address": (f"{_ELM}address", _REF, ""),
    "countryCode": (f"{_ELM}countryCode", _REF, ""),
    "eIDASIdentifier": (f"{_ELM}eidasLegalIdentifier", _REF, ""),
    "registration": (f"{_ROV}registration", _REF, ""),
    "spatial": (f"{_DC}spatial", _REF, ""),
    "accreditation": (f"{_ELM}accreditation", _REF, ""),
    "accreditingAgent": (f"{_ELM}accreditingAgent", _REF, ""),
    "learningOutcome": (f"{_ELM}learningOutcome", _REF, ""),
    "relatedESCOSkill": (f"{_ELM}relatedESCOSkill", _REF, ""),
    "eqfLevel": (f"{_ELM}EQFLevel", _REF, ""),
    "nqfLevel": (f"{_ELM}NQFLevel", _REF, ""),
    "creditPoint": (f"{_ELM}creditPoint", _REF, ""),
    "framework": (f"{_ELM}framework", _REF, ""),
    "point": (f"{_ELM}point", _LIT, ""),  # xsd:string in the context: a plain literal
    "volumeOfLearning": (f"{_ELM}volumeOfLearning", _LIT, f"{_XSD}duration"),
    "mode": (f"{_ELM}mode", _REF, ""),
    "learningSetting": (f"{_ELM}learningSetting", _REF, ""),
    "thematicArea": (f"{_ELM}ISCEDFCode", _REF, ""),
    "entryRequirement": (f"{_ELM}entryRequirement", _REF, ""),
    "isPartOf": (f"{_ELM}isPartOf", _REF, ""),
    "hasPart": (f"{_ELM}hasPart", _REVERSE, ""),  # only ever written reversed (W hasPart Q)
}
_TYPES: dict[str, str] = {
    "VerifiableCredential": f"{_CRED}VerifiableCredential",
    "Concept": f"{_SKOS}Concept",
    "ConceptScheme": f"{_SKOS}ConceptScheme",
    "Location": f"{_DC}Location",
    **{
        name: f"{_ELM}{name}"
        for name in (
            "EuropeanDigitalCredential",
            "Person",
            "LearningAchievement",
            "AwardingProcess",
            "Organisation",
            "Address",
            "LegalIdentifier",
            "Accreditation",
            "Qualification",
            "LearningAchievementSpecification",
            "LearningOutcome",
            "CreditPoint",
            "Note",
            "LearningAssessment",
            "LearningAssessmentSpecification",
        )
    },
}
_PREDICATES = {term: f"<{iri}>" for term, (iri, _, _) in _TERMS.items()}
_TYPE_OBJECTS = {name: f"{_RDF_TYPE} <{iri}>" for name, iri in _TYPES.items()}

#: A property value: a node, several nodes, a language map, or a literal's lexical form.
Value = Union["Node", tuple["Node", ...], Mapping[str, str], str]


def nquads_string(text: str) -> str:
    """``text`` as the body of an N-Quads string literal (quotes, backslashes, line breaks)."""
    if "\\" in text or '"' in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        )
    return text


class Node:
    """One resource: its IRI, JSON-LD type terms and ``(term, value)`` properties, in order."""

    __slots__ = ("_json", "_kids", "_lines", "iri", "props", "types")

    def __init__(
        self, iri: str, types: tuple[str, ...], props: tuple[tuple[str, Value], ...] = ()
    ) -> None:
        self.iri = iri
        self.types = types
        self.props = props
        self._lines: tuple[str, ...] | None = None
        self._kids: tuple[Node, ...] = ()
        self._json: str | None = None

    def _own_triples(self) -> tuple[tuple[str, ...], tuple[Node, ...]]:
        """This node's own triples (without graph or terminator) and the nodes it links to."""
        if self._lines is not None:
            return self._lines, self._kids
        subject = f"<{self.iri}> "
        lines = [subject + _TYPE_OBJECTS[t] for t in self.types]
        kids: list[Node] = []
        for term, value in self.props:
            predicate = _PREDICATES[term]
            _, kind, datatype = _TERMS[term]
            if kind == _REF:
                targets = value if isinstance(value, tuple) else (value,)
                for target in targets:
                    assert isinstance(target, Node)
                    lines.append(f"{subject}{predicate} <{target.iri}>")
                    kids.append(target)
            elif kind == _LANG:
                assert isinstance(value, Mapping)
                lines.extend(
                    f'{subject}{predicate} "{nquads_string(text)}"@{lang}'
                    for lang, text in value.items()
                )
            elif kind == _LIT:
                assert isinstance(value, str)
                suffix = f"^^<{datatype}>" if datatype else ""
                lines.append(f'{subject}{predicate} "{nquads_string(value)}"{suffix}')
            else:
                assert isinstance(value, Node)
                lines.append(f"<{value.iri}> {predicate} <{self.iri}>")
                kids.append(value)
        self._lines, self._kids = tuple(lines), tuple(kids)
        return self._lines, self._kids

    def nquads(self, graph: str) -> str:
        """Every triple reachable from this node, once each, as N-Quads lines in ``graph``."""
        lines: list[str] = []
        seen: set[str] = set()
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            if node.iri in seen:
                continue
            seen.add(node.iri)
            own, kids = node._own_triples()
            lines.extend(own)
            stack.extend(reversed(kids))
        end = f" <{graph}> .\n"
        return end.join(lines) + end

    def json(self) -> str:
        """This node as compact JSON-LD text (EDC terms), every linked node embedded in full."""
        if self._json is not None:
            return self._json
        parts = ['{"id":', encode_basestring(self.iri)]
        if len(self.types) == 1:
            parts.append(f',"type":"{self.types[0]}"')
        elif self.types:
            parts.append(',"type":[' + ",".join(f'"{t}"' for t in self.types) + "]")
        reverse: list[str] = []
        for term, value in self.props:
            kind = _TERMS[term][1]
            if kind == _REF:
                if isinstance(value, tuple):
                    text = "[" + ",".join(n.json() for n in value) + "]"
                else:
                    assert isinstance(value, Node)
                    text = value.json()
            elif kind == _LANG:
                assert isinstance(value, Mapping)
                text = (
                    "{"
                    + ",".join(f'"{lang}":{encode_basestring(v)}' for lang, v in value.items())
                    + "}"
                )
            elif kind == _LIT:
                assert isinstance(value, str)
                text = encode_basestring(value)
            else:
                assert isinstance(value, Node)
                reverse.append(f'"{term}":{value.json()}')
                continue
            parts.append(f',"{term}":{text}')
        if reverse:
            parts.append(',"@reverse":{' + ",".join(reverse) + "}")
        parts.append("}")
        self._json = "".join(parts)
        return self._json
