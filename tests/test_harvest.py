"""Harvesting remote sources, against real servers on loopback: a second mcgraph instance, an
``oxigraph serve`` SPARQL endpoint, and a plain HTTP file server (DCAT catalogue, JSON-LD
index). Each source is harvested, re-harvested unchanged (nothing transferred), changed
upstream (picked up), pruned upstream (retracted) and — for one — taken down mid-harvest
(earlier data kept). Plus the address guard and log redaction, without a network."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from live_server import TOKEN, free_port, oxigraph_binary, running_server
from mcgraph.cli import main
from mcgraph.errors import ConfigurationError
from mcgraph.harvest.harvester import harvest_source
from mcgraph.harvest.http import RefusedTargetError, checked_target, redact, redact_headers
from mcgraph.harvest.sources import Source, load_sources
from mcgraph.harvest.state import load_state
from mcgraph.service import Service
from mcgraph.settings import Settings
from mcgraph.synthetic import write_dataset

CRED = "https://synthetic.mcgraph.example/credential/"
NEW_DATE = "2030-01-02T03:04:05Z"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("harvest-data")
    write_dataset(out / "jsonld", count=14, seed=11, fmt="jsonld")
    write_dataset(out / "nquads", count=10, seed=12, fmt="nquads")
    write_dataset(out / "defective", count=4, seed=13, defective=1.0, fmt="jsonld")
    return out


@pytest.fixture
def quick(settings: Settings, tmp_path: Path) -> Settings:
    """Settings for a local store, with retries that do not make a test wait."""
    return settings.replace(store=tmp_path / "local", harvest_backoff=0.01, harvest_retries=2)


def credential_file(dataset: Path, number: int) -> Path:
    return dataset / "jsonld" / f"credential-{number:06d}.jsonld"


def has_credential(service: Service, number: int, source: str) -> bool:
    prefix = f"{service.repository.base_iri}graph/{source}/"
    return service.repository.public.ask(
        f"ASK {{ GRAPH ?g {{ <{CRED}{number}> a ?t }} FILTER(STRSTARTS(STR(?g), {json.dumps(prefix)})) }}"
    )


def has_date(service: Service, number: int) -> bool:
    return service.repository.public.ask(
        f'ASK {{ GRAPH ?g {{ <{CRED}{number}> ?p ?o FILTER(STR(?o) = "{NEW_DATE}") }} }}'
    )


def changed(document: Path) -> bytes:
    data = json.loads(document.read_bytes())
    data["validFrom"] = NEW_DATE
    return json.dumps(data).encode()


# -- another mcgraph instance --------------------------------------------------------------------


def test_peer_instance_first_unchanged_change_deletion_rejection(
    dataset: Path, quick: Settings, tmp_path: Path
) -> None:
    upstream = Service(quick.replace(store=tmp_path / "upstream"))
    upstream.load([credential_file(dataset, n) for n in range(1, 13)])
    upstream.close()
    contexts = {"MCGRAPH_CONTEXTS": str(quick.contexts[0])}
    with running_server(tmp_path / "upstream", extra_env=contexts) as base:
        peer = Source("peer", "mcgraph", base, allow_private=True, page_size=5)
        local = Service(quick)
        try:
            first = harvest_source(local, peer)
            assert (first.listed, first.transferred, first.stored) == (12, 12, 12), first
            assert first.ok and not first.failed
            assert len(local.source_graphs("peer")) == 12
            assert has_credential(local, 7, "peer")
            state = load_state(local.repository, "peer")
            assert len(state) == 12 and all(e.etag and e.upstream for e in state.values())

            again = harvest_source(local, peer)
            assert (again.transferred, again.unchanged, again.stored) == (0, 12, 0), again

            auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/ld+json"}
            changed_doc = changed(credential_file(dataset, 3))
            answer = httpx.post(
                f"{base}/api/documents?source=local", content=changed_doc, headers=auth
            )
            assert answer.status_code == 201, answer.text
            added = credential_file(dataset, 13).read_bytes()
            assert (
                httpx.post(
                    f"{base}/api/documents?source=local", content=added, headers=auth
                ).status_code
                == 201
            )
            gone = f"{CRED}5"
            assert (
                httpx.delete(f"{base}/api/documents/{_key(gone)}", headers=auth).status_code == 204
            )

            update = harvest_source(local, peer)
            assert (update.transferred, update.stored, update.retracted) == (2, 2, 1), update
            assert has_date(local, 3) and has_credential(local, 13, "peer")
            assert not has_credential(local, 5, "peer") and has_credential(local, 4, "peer")
            assert len(local.source_graphs("peer")) == 12

            # a defective credential upstream (stored there with allow_invalid) is rejected here,
            # named by the Annex I element it misses; the rest stays as it was
            manifest = json.loads((dataset / "defective" / "_manifest.json").read_text())
            bad = manifest["credentials"][0]
            body = (dataset / "defective" / bad["file"]).read_bytes()
            stored = httpx.post(
                f"{base}/api/documents?source=local&allow_invalid=true", content=body, headers=auth
            )
            assert stored.status_code == 201, stored.text
            rejected = harvest_source(local, peer)
            assert rejected.rejected == 1 and not rejected.ok, rejected
            assert bad["defect"] in rejected.violations, rejected
            assert len(local.source_graphs("peer")) == 12
        finally:
            local.close()

        # the command line: same source by URL, a summary line, exit 1 for the rejection
        code = main(
            [
                "--store",
                str(tmp_path / "cli"),
                "--contexts",
                str(quick.contexts[0]),
                "harvest",
                "--kind",
                "mcgraph",
                "--name",
                "peer",
                "--allow-private",
                base,
            ]
        )
        assert code == 1


def _key(iri: str) -> str:
    import base64

    return base64.urlsafe_b64encode(iri.encode()).rstrip(b"=").decode()


# -- an oxigraph SPARQL endpoint -----------------------------------------------------------------


@contextlib.contextmanager
def oxigraph_server(location: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(
                    f"http://127.0.0.1:{port}/query", params={"query": "ASK {}"}
                ).is_success:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("oxigraph serve did not start")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def sparql_update(port: int, update: str) -> None:
    answer = httpx.post(
        f"http://127.0.0.1:{port}/update",
        content=update,
        headers={"Content-Type": "application/sparql-update"},
    )
    assert answer.is_success, answer.text


def redate(port: int, number: int) -> None:
    graph = f"<{CRED}{number}>"
    sparql_update(
        port,
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
        f"DELETE {{ GRAPH {graph} {{ {graph} ?p ?o }} }} INSERT {{ GRAPH {graph} {{ {graph} ?p ?n }} }} "
        f"WHERE {{ GRAPH {graph} {{ {graph} ?p ?o FILTER(isLiteral(?o) && DATATYPE(?o) = xsd:dateTime) }} "
        f'BIND(STRDT("{NEW_DATE}", xsd:dateTime) AS ?n) }}',
    )


def test_oxigraph_endpoint_and_a_source_that_goes_down(
    dataset: Path, quick: Settings, tmp_path: Path
) -> None:
    location = tmp_path / "oxigraph"
    loaded = subprocess.run(
        [
            oxigraph_binary(),
            "load",
            "--location",
            str(location),
            "--file",
            str(dataset / "nquads" / "credentials.nq"),
        ],
        capture_output=True,
    )
    assert loaded.returncode == 0, loaded.stderr
    port = free_port()
    source = Source(
        "ox", "sparql", f"http://127.0.0.1:{port}/query", allow_private=True, page_size=4
    )
    local = Service(quick)
    try:
        with oxigraph_server(location, port):
            first = harvest_source(local, source)
            assert (first.listed, first.transferred, first.stored) == (10, 10, 10), first
            again = harvest_source(local, source)
            assert (again.transferred, again.unchanged) == (0, 10), again

            redate(port, 2)
            sparql_update(port, f"DROP GRAPH <{CRED}9>")
            update = harvest_source(local, source)
            assert (update.listed, update.transferred, update.stored, update.retracted) == (
                9,
                1,
                1,
                1,
            )
            assert has_date(local, 2) and not has_credential(local, 9, "ox")

            redate(port, 4)
            sparql_update(port, f"DROP GRAPH <{CRED}6>")

        # down mid-harvest: the endpoint is stopped once the listing is done
        with oxigraph_server(location, port) as process:
            down = harvest_source(
                local, source, on_listed=lambda _: (process.terminate(), process.wait())
            )
        assert down.failed and down.errors and down.retracted == 0, down
        assert len(local.source_graphs("ox")) == 9
        assert has_credential(local, 6, "ox") and not has_date(local, 4)

        # back up: the change and the deletion are picked up
        with oxigraph_server(location, port):
            back = harvest_source(local, source)
        assert back.ok and (back.stored, back.retracted) == (1, 1), back
        assert has_date(local, 4) and not has_credential(local, 6, "ox")
    finally:
        local.close()


# -- DCAT catalogue and JSON-LD index over a plain HTTP server --------------------------------


@contextlib.contextmanager
def file_server(directory: Path) -> Iterator[str]:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_dcat_catalogue_and_jsonld_index(dataset: Path, quick: Settings, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    for n in (1, 2, 3):
        shutil.copy(credential_file(dataset, n), site / f"c{n}.jsonld")
    with file_server(site) as base:
        (site / "index.json").write_text(json.dumps([f"c{n}.jsonld" for n in (1, 2, 3)]))
        dists = "\n".join(
            f"<{base}/d{n}> a dcat:Distribution ; dcat:downloadURL <{base}/c{n}.jsonld> ;"
            " dcat:mediaType <http://www.iana.org/assignments/media-types/application/ld+json> .\n"
            f"<{base}/ds> dcat:distribution <{base}/d{n}> ."
            for n in (1, 2, 3)
        )
        (site / "catalog.ttl").write_text(
            "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
            f"<{base}/cat> a dcat:Catalog ; dcat:dataset <{base}/ds> .\n"
            f"<{base}/ds> a dcat:Dataset .\n{dists}\n"
        )
        local = Service(quick)
        try:
            for source in (
                Source("cat", "dcat", f"{base}/catalog.ttl", allow_private=True),
                Source("idx", "jsonld", f"{base}/index.json", allow_private=True),
            ):
                first = harvest_source(local, source)
                assert (first.listed, first.stored) == (3, 3), first
                again = harvest_source(local, source)  # 304 on If-Modified-Since
                assert (again.transferred, again.unchanged) == (0, 3), again
            (site / "c2.jsonld").write_bytes(changed(credential_file(dataset, 2)))
            later = time.time() + 5
            os.utime(site / "c2.jsonld", (later, later))
            (site / "index.json").write_text(json.dumps(["c1.jsonld", "c2.jsonld"]))
            update = harvest_source(
                local, Source("idx", "jsonld", f"{base}/index.json", allow_private=True)
            )
            assert (update.transferred, update.stored, update.retracted) == (1, 1, 1), update
            assert has_date(local, 2) and not has_credential(local, 3, "idx")
            assert has_credential(local, 3, "cat")  # the other source's graphs are its own
        finally:
            local.close()


# -- safety: addresses, size caps, redaction -----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/x",
        "http://localhost/x",
        "http://[::1]/x",
        "http://10.1.2.3/x",
        "http://192.168.0.10/x",
        "http://172.16.5.4/x",
        "http://169.254.10.10/x",
        "http://[fe80::1]/x",
        "http://0.0.0.0/x",
    ],
)
def test_private_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(RefusedTargetError, match="non-public"):
        checked_target(url, allow_private=False)
    pinned, _, _ = checked_target(url, allow_private=True)
    assert pinned.startswith("http://")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_metadata_addresses_are_refused_even_when_private_is_allowed(url: str) -> None:
    with pytest.raises(RefusedTargetError, match="metadata"):
        checked_target(url, allow_private=True)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/", "//x/"]
)
def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(RefusedTargetError):
        checked_target(url, allow_private=True)


def test_redaction() -> None:
    url = "https://user:pw@example.org/docs?page=2&access_token=s3cr3t&api_key=k3y"
    shown = redact(url)
    assert "s3cr3t" not in shown and "k3y" not in shown and "pw" not in shown
    assert "page=2" in shown and "example.org/docs" in shown
    headers = redact_headers(
        {"Authorization": "Bearer abc", "X-Api-Key": "k", "Accept": "text/turtle"}
    )
    assert headers == {"Authorization": "***", "X-Api-Key": "***", "Accept": "text/turtle"}


def test_credentials_never_reach_logs_and_size_caps_hold(
    dataset: Path,
    quick: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(credential_file(dataset, 1), site / "c1.jsonld")
    monkeypatch.setenv("HARVEST_TEST_TOKEN", "Bearer hunter2-secret")
    caplog.set_level(logging.DEBUG, logger="mcgraph.harvest")
    with file_server(site) as base:
        source = Source(
            "tok",
            "jsonld",
            f"{base}/c1.jsonld?token=tok-secret",
            allow_private=True,
            header_env={"Authorization": "HARVEST_TEST_TOKEN"},
        )
        local = Service(quick)
        try:
            assert harvest_source(local, source).stored == 1
            capped = Service(quick.replace(store=tmp_path / "capped", harvest_max_bytes=500))
            try:
                report = harvest_source(capped, source)
            finally:
                capped.close()
            assert report.failed and "larger than 500 bytes" in report.errors[0]
            missing = harvest_source(
                local,
                Source("gone", "jsonld", f"{base}/nope.json?sig=zzz-secret", allow_private=True),
            )
            assert missing.failed and "404" in missing.errors[0]
        finally:
            local.close()
    logged = caplog.text + repr(report) + repr(missing)
    assert "GET" in caplog.text  # requests are logged...
    assert "secret" not in logged  # ...never their credentials


def test_sources_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[source]]\nname = "peer"\nkind = "mcgraph"\nurl = "https://peer.example/"\n'
        'schedule = "daily"\nheaders = { Authorization = "PEER_TOKEN" }\n'
        '[[source]]\nname = "ep"\nkind = "sparql"\nurl = "https://ep.example/sparql"\npage_size = 100\n'
    )
    peer, ep = load_sources(path)
    assert (peer.kind, peer.schedule, peer.allow_private) == ("mcgraph", "daily", False)
    assert peer.headers({"PEER_TOKEN": "t"}) == {"Authorization": "t"} and ep.page_size == 100
    path.write_text('[[source]]\nname = "x"\nkind = "ftp"\nurl = "https://x.example/"\n')
    with pytest.raises(ConfigurationError, match="kind"):
        load_sources(path)
    path.write_text('[[source]]\nname = "x"\nkind = "jsonld"\nurl = "file:///etc/passwd"\n')
    with pytest.raises(ConfigurationError, match="http"):
        load_sources(path)
    shipped = Path(__file__).parent.parent / "loaders" / "sources.example.toml"
    assert all(not s.allow_private for s in load_sources(shipped))


def test_harvest_links_the_same_credentials_from_two_sources(
    dataset: Path, quick: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a harvest the links are rebuilt: a credential that two sources describe is found
    by the same-as query."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(credential_file(dataset, 1), site / "c1.jsonld")
    (site / "c1-changed.jsonld").write_bytes(changed(credential_file(dataset, 1)))
    store = ["--contexts", str(quick.contexts[0]), "--store", str(quick.store)]
    with file_server(site) as base:
        for name, path in (("first", "c1.jsonld"), ("second", "c1-changed.jsonld")):
            args = ["harvest", "--kind", "jsonld", "--name", name, "--allow-private"]
            assert main([*store, *args, f"{base}/{path}"]) == 0
    assert "links:" in capsys.readouterr().out
    service = Service(quick)
    try:
        shared = service.run_named("same-as", {"resource": f"{CRED}1"})
        assert shared, "the credential described by both sources is linked"
    finally:
        service.close()
