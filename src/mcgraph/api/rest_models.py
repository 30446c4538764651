"""The JSON shapes of the REST API under ``/api``, as typed Pydantic models (they are also what
the OpenAPI document at ``/docs`` shows). Keys are camelCase in JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Problem(ApiModel):
    """An RFC 9457 problem (``application/problem+json``): every error of the API."""

    type: str = Field(
        description="IRI of the problem type, under https://w3id.org/mcgraph/problems/"
    )
    title: str
    status: int
    detail: str
    instance: str | None = Field(default=None, description="The request path")


class ProviderRef(ApiModel):
    id: str = Field(description="IRI of the awarding body")
    key: str = Field(description="Short id for /api/providers/{key} (base64url of the IRI)")
    name: str | None = Field(
        default=None, description="Legal name (English if given, else any language)"
    )
    country: str | None = Field(
        default=None,
        description="ISO 3166 alpha-3 code of the awarding body's country, or the country IRI "
        "when it is not from the EU country authority table",
    )


class CredentialSummary(ApiModel):
    id: str = Field(description="IRI of the issued credential")
    key: str = Field(description="Short id for /api/credentials/{key} (base64url of the IRI)")
    title: str | None = Field(
        default=None, description="Title of its specification (English if given)"
    )
    eqf_level: int | None = Field(default=None, description="EQF level, 1 to 8")
    nqf_level: str | None = Field(default=None, description="IRI of the NQF level concept")
    provider: ProviderRef | None = Field(default=None, description="The awarding body")
    ects: float | None = Field(default=None, description="ECTS credit points")
    issued: str | None = Field(
        default=None, description="Date of issue (xsd:dateTime lexical form)"
    )
    specification: str | None = Field(default=None, description="IRI of the claim's specification")


class CredentialPage(ApiModel):
    items: list[CredentialSummary]
    next: str | None = Field(
        description="Cursor of the next page (pass it as ?cursor=), or null on the last page"
    )


class ElementPresence(ApiModel):
    key: str = Field(description="Annex I element key (see /api/elements)")
    mandatory: bool = Field(description="Mandatory in the profile the document was validated in")
    present: bool = Field(
        description="Carried by the credential: found in the stored document, or (for a "
        "mandatory element) satisfied when the full document was validated on loading; "
        "learners' personal data and grades are never stored"
    )


class DocumentRecord(ApiModel):
    """The metadata record of one stored document (its named graph)."""

    graph: str = Field(description="IRI of the document's named graph")
    key: str = Field(description="Short id for /api/documents/{key}")
    topic: str | None = Field(default=None, description="The credential or specification it holds")
    source: str | None = Field(default=None, description="IRI of the source it was loaded from")
    primary_source: str | None = Field(default=None, description="Where it was read (file or URL)")
    stored: str | None = Field(default=None, description="When it was stored (xsd:dateTime)")
    format: str | None = Field(default=None, description="Media type it was read as")
    checksum: str | None = Field(default=None, description="sha256 of the bytes read")
    mapping: str | None = Field(default=None, description="Mapping that turned it into ELM, if any")
    profile: str | None = Field(default=None, description="Annex I profile validated against")
    conforms: bool | None = Field(
        default=None, description="false only when stored with allow_invalid"
    )
    violates: list[str] = Field(default_factory=list, description="Violated Annex I elements")


class CredentialDetail(CredentialSummary):
    titles: dict[str, str] = Field(default_factory=dict, description="Title by language")
    descriptions: dict[str, str] = Field(default_factory=dict, description="By language")
    volume_of_learning: str | None = Field(default=None, description="xsd:duration, e.g. PT60H")
    modes: list[str] = Field(default_factory=list, description="Modes of participation (IRIs)")
    assessment_types: list[str] = Field(default_factory=list, description="IRIs")
    elements: list[ElementPresence] = Field(
        default_factory=list, description="The Annex I elements of its profile, present or not"
    )
    documents: list[DocumentRecord] = Field(
        default_factory=list, description="The stored documents holding it, newest first"
    )


class Provider(ApiModel):
    id: str = Field(description="IRI of the awarding body")
    key: str = Field(description="Short id for /api/providers/{key} (base64url of the IRI)")
    name: str | None = Field(
        default=None, description="Legal name (English if given, else any language)"
    )
    names: dict[str, str] = Field(default_factory=dict, description="Legal name by language")
    country: str | None = Field(
        default=None, description="ISO 3166 alpha-3 code, or the country IRI"
    )
    credentials: int = Field(default=0, description="Issued credentials it awards")
    specifications: int = Field(
        0, description="Specifications it awards (offered, or specifying a credential it awards)"
    )


class ProviderList(ApiModel):
    items: list[Provider]


class Element(ApiModel):
    key: str
    iri: str
    order: int = Field(description="Position in Annex I")
    labels: dict[str, str] = Field(description="Label by language (at least en and cs)")
    comment: str | None = None
    applies_to: list[str] = Field(description="Profiles in which the element is meaningful")
    mandatory: dict[str, bool] = Field(description="Whether it is mandatory, per profile")


class ElementList(ApiModel):
    profiles: list[str] = Field(description="issued (credentials), specification (catalogues)")
    items: list[Element]


class QueryParameterInfo(ApiModel):
    name: str
    type: str = Field(description="iri, string, integer, decimal, date or eqf-level")
    required: bool
    description: str


class NamedQueryInfo(ApiModel):
    name: str
    title: str
    description: str
    form: str | None = Field(default=None, description="SELECT, ASK or CONSTRUCT")
    parameters: list[QueryParameterInfo]
    href: str = Field(description="Where to run it (GET, parameters in the query string)")
    sparql: str


class NamedQueryList(ApiModel):
    items: list[NamedQueryInfo]


class ValidationReport(BaseModel):
    """Exactly what ``mcgraph validate --format json`` prints."""

    documents: list[dict[str, Any]] = Field(
        description='Per document: {"source","profile","conforms","error","results":'
        '[{"element","severity","focus","path","message"}]}'
    )


class StoredDocument(ApiModel):
    status: str = Field(description="stored, stored-invalid or unchanged")
    graph: str = Field(description="IRI of the document's named graph")
    key: str = Field(description="Short id for /api/documents/{key}")
    topic: str | None = Field(default=None, description="The credential or specification it holds")
    location: str = Field(description="Where to read it: /api/documents/{key}")
    report: dict[str, Any] | None = Field(
        None, description="Its validation report (one document of the validate JSON)"
    )
