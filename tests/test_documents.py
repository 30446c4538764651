"""read_document / read_path: formats, both JSON-LD engines on the samples, every refusal."""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic

from mcgraph.contexts import ContextResolver
from mcgraph.documents import FORMATS, RdfDocument, guess_format, read_document, read_path
from mcgraph.errors import (
    ContextUnavailableError,
    DocumentError,
    MalformedDocumentError,
    UnsafeDocumentError,
    UnsupportedFormatError,
)
from mcgraph.settings import Settings
from mcgraph.vocab import ELM

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = SHARED / "elm" / "samples"
OPEN_BADGE = SHARED / "samples-openbadges" / "open-badge-mc-example.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
ENGINES = ("pyoxigraph", "pyld")
JSONLD_SAMPLES = (
    "Sample-MC-Annex1-unsigned.jsonld",
    "Sample-MC-Annex1-signed.jsonld",
    "Sample-CertOfPart-unsigned.jsonld",
    "credential-sample.jsonld",
)


def make_settings(tmp_path: Path, *extra_contexts: Path, **changes: Any) -> Settings:
    """Settings that read the shared contexts (plus any given) and never fetch."""
    contexts = (SHARED / "contexts", *extra_contexts)
    return Settings(contexts=contexts, context_cache=tmp_path / "cache", **changes)


def read(data: bytes, settings: Settings, source: str = "doc.jsonld", **kw: Any) -> RdfDocument:
    return read_document(
        data, source=source, settings=settings, resolver=ContextResolver(settings), **kw
    )


def value(term: object) -> str:
    """The lexical value of a plain RDF term (no quoted triples in these documents)."""
    assert isinstance(term, pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal)
    return term.value


def as_graph(document: RdfDocument) -> rdflib.Graph:
    """The document's triples as an rdflib graph, for isomorphism checks."""
    assert all(isinstance(q.graph_name, pyoxigraph.DefaultGraph) for q in document.quads)
    triples = [pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in document.quads]
    text = pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=text, format="nt")


@pytest.fixture
def ob_extension_stand_in(tmp_path: Path) -> Path:
    """A context directory with a minimal stand-in for the OB extensions context.

    ../shared/contexts has no copy of extensions.json; the sample only needs id/type from it.
    """
    directory = tmp_path / "ob-contexts"
    directory.mkdir()
    (directory / "extensions.jsonld").write_text('{"@context": {"id": "@id", "type": "@type"}}')
    (directory / "index.json").write_text(json.dumps({OB_EXTENSIONS: "extensions.jsonld"}))
    return directory


# -- formats ------------------------------------------------------------------------------------

TRIPLES_IN_EACH_FORMAT = {
    "turtle": b"@prefix ex: <http://example.org/> .\nex:a ex:p ex:b, ex:b ; ex:q 'x' .\n",
    "ntriples": b"<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n"
    b"<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n"
    b'<http://example.org/a> <http://example.org/q> "x" .\n',
    "nquads": b"<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n"
    b'<http://example.org/a> <http://example.org/q> "x" .\n',
    "trig": b"@prefix ex: <http://example.org/> .\n{ ex:a ex:p ex:b ; ex:q 'x' . }\n",
    "rdfxml": b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    b' xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/a">'
    b'<ex:p rdf:resource="http://example.org/b"/><ex:q>x</ex:q></rdf:Description></rdf:RDF>\n',
    "jsonld": b'{"@context": {"ex": "http://example.org/"}, "@id": "ex:a",'
    b' "ex:p": [{"@id": "ex:b"}, {"@id": "ex:b"}], "ex:q": "x"}',
}


@pytest.mark.parametrize("format", FORMATS)
def test_every_format_gives_the_same_deduplicated_triples(tmp_path: Path, format: str) -> None:
    document = read(
        TRIPLES_IN_EACH_FORMAT[format], make_settings(tmp_path), source="in", format=format
    )
    ex = "http://example.org/"
    expected = [
        pyoxigraph.Quad(pyoxigraph.NamedNode(ex + "a"), pyoxigraph.NamedNode(ex + p), o)
        for p, o in (("p", pyoxigraph.NamedNode(ex + "b")), ("q", pyoxigraph.Literal("x")))
    ]
    assert document.format == format
    assert list(document.quads) == expected  # duplicates dropped, document order kept
    assert document.checksum == hashlib.sha256(TRIPLES_IN_EACH_FORMAT[format]).hexdigest()
    assert document.sealed is False


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.jsonld", "jsonld"),
        ("a.JSON", "jsonld"),
        ("a.ttl", "turtle"),
        ("a.nt", "ntriples"),
        ("a.nq", "nquads"),
        ("a.trig", "trig"),
        ("a.rdf", "rdfxml"),
        ("a.owl", "rdfxml"),
        ("a.xml", "rdfxml"),
        ("https://example.org/c.ttl?version=2", "turtle"),
    ],
)
def test_format_from_extension(name: str, expected: str) -> None:
    assert guess_format(name, b"") == expected


@pytest.mark.parametrize("format", FORMATS)
def test_format_sniffed_from_content(format: str) -> None:
    data = TRIPLES_IN_EACH_FORMAT[format]
    if format == "nquads":  # without a graph term N-Quads text is N-Triples
        assert guess_format("upload", data) == "ntriples"
        data = b"# a comment\n<http://x/a> <http://x/p> <http://x/b> <http://x/g> .\n"
    assert guess_format("upload", data) == format
    assert guess_format(None, b"\xef\xbb\xbf\n  " + data) == format


def test_unknown_formats_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        guess_format("notes.txt", b"just some words")
    assert caught.value.source == "notes.txt"
    with pytest.raises(UnsupportedFormatError) as caught:
        read(b"<a> <b> <c> .", make_settings(tmp_path), source="x", format="n3")
    assert caught.value.source == "x"
    assert "n3" in caught.value.problem


# -- the real samples ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", JSONLD_SAMPLES)
def test_both_engines_give_isomorphic_graphs_on_the_elm_samples(tmp_path: Path, name: str) -> None:
    graphs = []
    for engine in ENGINES:
        settings = make_settings(tmp_path, jsonld_engine=engine)
        document = read_path(SAMPLES / name, settings=settings, resolver=ContextResolver(settings))
        assert document.format == "jsonld"
        assert len(document.quads) > 50
        graphs.append(as_graph(document))
    assert isomorphic(*graphs)


def test_both_engines_agree_on_the_open_badge_sample(
    tmp_path: Path, ob_extension_stand_in: Path
) -> None:
    graphs = []
    for engine in ENGINES:
        settings = make_settings(tmp_path, ob_extension_stand_in, jsonld_engine=engine)
        document = read_path(OPEN_BADGE, settings=settings, resolver=ContextResolver(settings))
        graphs.append(as_graph(document))
    assert isomorphic(*graphs)
    subjects = {str(s) for s in graphs[0].subjects()}
    assert "urn:uuid:00a0d11e-3749-4ee3-9b44-230c1774d387" in subjects


@pytest.mark.parametrize("engine", ENGINES)
def test_open_badge_sample_needs_a_context_the_shared_folder_lacks(
    tmp_path: Path, engine: str
) -> None:
    settings = make_settings(tmp_path, jsonld_engine=engine)
    with pytest.raises(ContextUnavailableError) as caught:
        read_path(OPEN_BADGE, settings=settings, resolver=ContextResolver(settings))
    assert caught.value.url == OB_EXTENSIONS
    assert caught.value.source == str(OPEN_BADGE)


@pytest.mark.parametrize("engine", ENGINES)
def test_sealed_sample_is_unwrapped(tmp_path: Path, engine: str) -> None:
    path = SAMPLES / "Sample-MC-Annex1-signed.jsonld"
    settings = make_settings(tmp_path, jsonld_engine=engine)
    document = read_path(path, settings=settings, resolver=ContextResolver(settings))
    assert document.sealed is True
    assert document.checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    credential = pyoxigraph.NamedNode("urn:credential:1018d05f-21d5-4555-b7f0-8fabfd22ca75")
    assert any(q.subject == credential for q in document.quads)


@pytest.mark.parametrize("encoding", ["object", "base64url", "json-text"])
def test_every_payload_encoding_reads_as_the_credential(tmp_path: Path, encoding: str) -> None:
    raw = (SAMPLES / "Sample-MC-Annex1-unsigned.jsonld").read_bytes()
    payload: Any = {
        "object": json.loads(raw),
        "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "json-text": raw.decode(),
    }[encoding]
    envelope = json.dumps({"payload": payload, "signatures": [{"signature": "x"}]}).encode()
    settings = make_settings(tmp_path)
    sealed = read(envelope, settings, source="sealed.json")
    plain = read(raw, settings, source="plain.json")
    assert sealed.sealed is True
    assert isomorphic(as_graph(sealed), as_graph(plain))


def test_a_broken_sealed_payload_is_malformed(tmp_path: Path) -> None:
    envelope = b'{"payload": "%%% not base64 %%%", "signatures": []}'
    with pytest.raises(MalformedDocumentError) as caught:
        read(envelope, make_settings(tmp_path), source="sealed.json")
    assert caught.value.source == "sealed.json"
    assert "payload" in caught.value.problem


def test_national_id_term_expands_with_a_capital_d(tmp_path: Path) -> None:
    """Pitfall, documented not fixed: JSON "nationalID" is elm:nationalID, not elm:nationalId."""
    settings = make_settings(tmp_path)
    path = SAMPLES / "Sample-MC-Annex1-unsigned.jsonld"
    assert b'"nationalID"' in path.read_bytes()
    document = read_path(path, settings=settings, resolver=ContextResolver(settings))
    predicates = {q.predicate.value for q in document.quads}
    assert ELM + "nationalID" in predicates
    assert ELM + "nationalId" not in predicates


def test_turtle_sample_reads(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    path = SAMPLES / "credential-sample.ttl"
    document = read_path(path, settings=settings, resolver=ContextResolver(settings))
    assert document.format == "turtle"
    credential = pyoxigraph.NamedNode("http://example.org/credential132")
    assert any(q.subject == credential for q in document.quads)


# -- JSON-LD engines on crafted documents -------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_embedded_and_scoped_remote_contexts_are_resolved(tmp_path: Path, engine: str) -> None:
    directory = tmp_path / "ctx"
    directory.mkdir()
    (directory / "outer.jsonld").write_text(
        json.dumps({"@context": {"knows": {"@id": "http://x/knows", "@context": "scoped.jsonld"}}})
    )
    (directory / "scoped.jsonld").write_text(json.dumps({"@context": {"name": "http://x/name"}}))
    (directory / "index.json").write_text(
        json.dumps(
            {
                "https://x.test/outer.jsonld": "outer.jsonld",
                "https://x.test/scoped.jsonld": "scoped.jsonld",
            }
        )
    )
    document = {
        "@id": "http://x/a",
        "http://x/rel": {"@context": "https://x.test/outer.jsonld", "knows": {"name": "Bo"}},
    }
    settings = Settings(
        contexts=(directory,), context_cache=tmp_path / "cache", jsonld_engine=engine
    )
    quads = read(json.dumps(document).encode(), settings).quads
    names = [q.object for q in quads if q.predicate == pyoxigraph.NamedNode("http://x/name")]
    assert names == [pyoxigraph.Literal("Bo")]


CONTEXT = {"T": "http://x/T", "p": "http://x/p"}


def test_values_of_undefined_terms_leave_no_stray_types(tmp_path: Path) -> None:
    """pyoxigraph 0.5 alone would keep <http://x/b> a <http://x/T>; JSON-LD drops the value."""
    dropped = {
        "@context": CONTEXT,
        "@id": "http://x/a",
        "p": "v",
        "undefined": {"@id": "http://x/b", "@type": "T"},
    }
    quads = read(json.dumps(dropped).encode(), make_settings(tmp_path)).quads
    assert {value(q.subject) for q in quads} == {"http://x/a"}

    alone = {"@context": CONTEXT, "@graph": [{"@id": "http://x/b", "@type": "T"}]}
    quads = read(json.dumps(alone).encode(), make_settings(tmp_path)).quads
    assert [value(q.object) for q in quads] == ["http://x/T"]  # a node that is only typed stays


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # No base: relative IRIs are dropped (JSON-LD to RDF), the absolute node stays.
        (
            {
                "@context": CONTEXT,
                "@id": "rel",
                "p": "v",
                "http://x/q": {"@id": "http://x/b", "p": "w"},
            },
            {("http://x/b", "w")},
        ),
        # An absolute @base still applies.
        (
            {"@context": {**CONTEXT, "@base": "http://base/"}, "@id": "rel", "p": "v"},
            {("http://base/rel", "v")},
        ),
    ],
)
@pytest.mark.parametrize("engine", ENGINES)
def test_relative_iris_are_treated_alike_by_both_engines(
    tmp_path: Path, engine: str, document: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    quads = read(json.dumps(document).encode(), make_settings(tmp_path, jsonld_engine=engine)).quads
    assert {(value(q.subject), value(q.object)) for q in quads} == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_a_bare_json_string_is_not_a_jsonld_document(tmp_path: Path, engine: str) -> None:
    """pyld would take it for a URL and load it."""
    settings = make_settings(tmp_path, jsonld_engine=engine)
    with pytest.raises(MalformedDocumentError) as caught:
        read(b'"https://www.w3.org/2018/credentials/v1"', settings, source="s.json")
    assert caught.value.source == "s.json"


def test_pyld_default_document_loader_is_never_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(url: str, options: object = None) -> None:
        raise AssertionError(f"pyld's own loader was asked for {url}")

    monkeypatch.setattr(jsonld, "_default_document_loader", forbidden)
    settings = make_settings(tmp_path, jsonld_engine="pyld")
    document = {"@context": "https://www.w3.org/2018/credentials/v1", "id": "http://x/a"}
    read(json.dumps(document).encode(), settings)  # resolved from ../shared/contexts
    document["@context"] = "https://example.org/elsewhere"
    with pytest.raises(ContextUnavailableError):
        read(json.dumps(document).encode(), settings)


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("make_path", [lambda d: d / "missing.ttl", lambda d: d])
def test_unreadable_files_name_the_file_and_the_os_problem(tmp_path: Path, make_path: Any) -> None:
    path = make_path(tmp_path)
    settings = make_settings(tmp_path)
    with pytest.raises(DocumentError) as caught:
        read_path(path, settings=settings, resolver=ContextResolver(settings))
    assert caught.value.source == str(path)
    known = {os.strerror(code) for code in (errno.ENOENT, errno.EISDIR)}
    assert any(problem in caught.value.problem for problem in known)


@pytest.mark.parametrize(
    ("data", "format"),
    [
        ('<http://x/a> <http://x/p> "café" .'.encode("latin-1"), "ntriples"),
        ('<http://x/a> <http://x/p> "x" .'.encode("utf-16"), "ntriples"),
        ('{"@id": "http://x/a"}'.encode("utf-16"), "jsonld"),
    ],
)
def test_text_that_is_not_utf8_is_malformed(tmp_path: Path, data: bytes, format: str) -> None:
    with pytest.raises(MalformedDocumentError) as caught:
        read(data, make_settings(tmp_path), source="in.bin", format=format)
    assert caught.value.source == "in.bin"
    assert "UTF-8" in caught.value.problem


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    for format in ("ntriples", "jsonld"):
        data = b"\xef\xbb\xbf" + TRIPLES_IN_EACH_FORMAT[format]
        assert len(read(data, make_settings(tmp_path), format=format).quads) == 2


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("data", "position"),
    [
        (b'{"@context": {},\n "a": [1, 2}', "line 2"),
        (b'{"@context": {"a": "http://x/a"}, "a": {"@value": 1, "@language": 3}}', None),
    ],
)
def test_malformed_jsonld_is_reported(
    tmp_path: Path, engine: str, data: bytes, position: str | None
) -> None:
    settings = make_settings(tmp_path, jsonld_engine=engine)
    with pytest.raises(MalformedDocumentError) as caught:
        read(data, settings, source="bad.jsonld")
    assert caught.value.source == "bad.jsonld"
    if position:
        assert position in caught.value.problem


def test_malformed_turtle_is_reported_with_its_line(tmp_path: Path) -> None:
    data = b"@prefix ex: <http://x/> .\nex:a ex:b ex:c ;\n  ex:d .\n"
    with pytest.raises(MalformedDocumentError) as caught:
        read(data, make_settings(tmp_path), source="bad.ttl")
    assert caught.value.source == "bad.ttl"
    assert "turtle" in caught.value.problem
    assert "line 3" in caught.value.problem


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("reference", "url"),
    [
        ("https://example.org/unknown-context", "https://example.org/unknown-context"),
        ("contexts/local.jsonld", "contexts/local.jsonld"),
    ],
)
def test_unavailable_contexts_name_the_url(
    tmp_path: Path, engine: str, reference: str, url: str
) -> None:
    document = {"@context": [reference], "@id": "http://x/a"}
    settings = make_settings(tmp_path, jsonld_engine=engine)
    with pytest.raises(ContextUnavailableError) as caught:
        read(json.dumps(document).encode(), settings, source="c.jsonld")
    assert caught.value.source == "c.jsonld"
    assert caught.value.url == url


@pytest.fixture
def parser_must_not_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if pyoxigraph or json.loads is handed the input."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the input reached a parser")

    monkeypatch.setattr(pyoxigraph, "parse", forbidden)
    monkeypatch.setattr(json, "loads", forbidden)
    yield


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://x/">
 <rdf:Description rdf:about="http://x/a"><ex:p>&lol9;</ex:p></rdf:Description>
</rdf:RDF>
"""


@pytest.mark.usefixtures("parser_must_not_run")
@pytest.mark.parametrize("source", ["laughs.rdf", "laughs"])  # by extension and by sniffing
def test_xml_entities_are_refused_before_parsing(tmp_path: Path, source: str) -> None:
    with pytest.raises(UnsafeDocumentError) as caught:
        read(BILLION_LAUGHS, make_settings(tmp_path), source=source)
    assert caught.value.source == source
    assert "DOCTYPE" in caught.value.problem


@pytest.mark.usefixtures("parser_must_not_run")
@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b"[" * 100_000,  # unbalanced: still refused before json.loads
    ],
)
def test_deeply_nested_json_is_refused_before_json_loads(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnsafeDocumentError) as caught:
        read(data, make_settings(tmp_path), source="deep.json")
    assert caught.value.source == "deep.json"
    assert "nested" in caught.value.problem


def test_nesting_inside_a_sealed_payload_is_refused(tmp_path: Path) -> None:
    payload = '{"a":' * 100_000 + "1" + "}" * 100_000
    envelope = json.dumps({"payload": payload, "signatures": []}).encode()
    with pytest.raises(UnsafeDocumentError, match="nested"):
        read(envelope, make_settings(tmp_path), source="sealed.json")


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path: Path) -> None:
    document = {"@context": CONTEXT, "@id": "http://x/a", "p": "[{" * 1000 + '\\"]' * 5}
    quads = read(json.dumps(document).encode(), make_settings(tmp_path)).quads
    assert len(quads) == 1


@pytest.mark.usefixtures("parser_must_not_run")
def test_oversized_documents_are_refused_before_parsing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, max_document_bytes=100)
    with pytest.raises(UnsafeDocumentError) as caught:
        read(b"{" + b" " * 100 + b"}", settings, source="big.jsonld")
    assert caught.value.source == "big.jsonld"
    assert "100" in caught.value.problem
    path = tmp_path / "big.nt"
    path.write_bytes(b"#" * 101)
    with pytest.raises(UnsafeDocumentError) as caught:
        read_path(path, settings=settings, resolver=ContextResolver(settings))
    assert caught.value.source == str(path)


FIFTY_MB = 50 * 1024 * 1024


@pytest.mark.parametrize(
    ("data", "source"),
    [
        (b'<http://x/a> <http://x/p> "' + b"a" * FIFTY_MB + b'" .\n', "big.nt"),
        (b'<http://x/a> <http://x/p> "' + b"a" * (2 * 1024 * 1024) + b'" .\n', "mid.nt"),
        (b'{"@context": {"p": "http://x/p"}, "p": "' + b"a" * FIFTY_MB + b'"}', "big.jsonld"),
    ],
)
def test_huge_literals_are_refused(tmp_path: Path, data: bytes, source: str) -> None:
    settings = make_settings(tmp_path, max_document_bytes=2 * FIFTY_MB)
    with pytest.raises(UnsafeDocumentError) as caught:
        read(data, settings, source=source)
    assert caught.value.source == source
    assert "literal" in caught.value.problem


@pytest.mark.parametrize("engine", ENGINES)
def test_long_json_literals_are_refused_after_parsing(tmp_path: Path, engine: str) -> None:
    """An @json literal is built from many short strings; only the parsed literal is long."""
    context = {"data": {"@id": "http://x/data", "@type": "@json"}}
    document = {
        "@context": context,
        "@id": "http://x/a",
        "data": {f"k{i}": "v" * 50 for i in range(20)},
    }
    settings = make_settings(tmp_path, jsonld_engine=engine, max_literal_chars=500)
    with pytest.raises(UnsafeDocumentError, match="500"):
        read(json.dumps(document).encode(), settings, source="json-literal.jsonld")
