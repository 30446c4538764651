"""The data of the SPARQL service benchmark (``bench/sparql_service.py``): two stores with the
same quads, and the values its parameterised named queries are run with.

mcgraph's store is what ``mcgraph serve --demo`` would hold, plus what a framework body adds:
the generated credentials (``mcgraph load``), the shipped qualification frameworks (``mcgraph
levels install``) and one level decision (``mcgraph levels assign``). oxigraph's store is
``mcgraph export`` of it loaded by ``oxigraph load``. The parameter values are found in the data
once (a specification with parts and a national level, one of its credentials, ...) and kept
beside the stores in ``parameters.json``, so that every later run asks the same questions.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from mcgraph.queries import NamedQuery

ELM = "http://data.europa.eu/snb/model/elm/"
PREFIXES = f"""PREFIX elm: <{ELM}>
PREFIX cred: <https://www.w3.org/2018/credentials#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dc: <http://purl.org/dc/terms/>
"""
#: the deciding body of the one level decision the build records
BODY = "bench-body"
#: where the change feed is read from: before anything was stored, so its first page is full
SINCE = "2000-01-01T00:00:00Z"


def oxigraph_cli() -> str:
    return shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))


def build(count: int, work: Path, from_store: Path | None) -> tuple[Path, Path, dict[str, str]]:
    """The two stores for ``count`` credentials and the parameter values (made once, kept)."""
    ours, theirs, data = work / "mcgraph-store", work / "oxigraph-store", work / "generated"
    ready = work / "parameters.json"
    if ready.exists():
        return ours, theirs, json.loads(ready.read_text())
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cli = [sys.executable, "-m", "mcgraph.cli", "--store", str(ours)]
    if from_store:
        _step("copy store", [*cli[:3], "--store", str(from_store), "backup", str(ours)])
    else:
        generate = ["generate", "--count", str(count), "--seed", "1", "--format", "nquads"]
        _step("generate", [*cli[:3], *generate, "--out", str(data)])
        load = ["load", "--quiet", "--source", "generated", "--batch-size", "2000", str(data)]
        _step("mcgraph load", [*cli, *load])
        shutil.rmtree(data, ignore_errors=True)
    _step("levels install", [*cli, "levels", "install"])
    values = discover(ours)
    assign = ["levels", "assign", values["specification"], "--level", values["level"]]
    assign += ["--body", BODY, "--basis", "benchmark data: the level the specification states"]
    _step("levels assign", [*cli, *assign])
    values["framework"] = _one(ours, "framework", values)
    _step("export", [*cli, "export", "--out", str(work / "export.nq")])
    load_theirs = ["load", "--location", str(theirs), "--file", str(work / "export.nq")]
    _step("oxigraph load", [oxigraph_cli(), *load_theirs])
    (work / "export.nq").unlink()
    ready.write_text(json.dumps(values, indent=1))
    return ours, theirs, values


def _step(label: str, command: list[str]) -> None:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"{label} failed ({done.returncode}): {done.stderr[-2000:]}")
    print(f"  {label}: {time.perf_counter() - start:.0f} s", flush=True)


#: how each value is found, given those found before it (substituted)
DISCOVERY = {
    # a part of a whole that states a national level: every stacking query has an answer
    "specification": "SELECT ?specification WHERE { GRAPH ?g { ?specification elm:isPartOf ?w ;"
    " elm:NQFLevel ?l } } LIMIT 1",
    "level": "SELECT ?level WHERE { GRAPH ?g { ?specification elm:NQFLevel ?level } } LIMIT 1",
    # a credential of it, the credential's document graph, and its source
    "resource": "SELECT ?resource WHERE { GRAPH ?g { ?resource cred:credentialSubject/"
    "elm:hasClaim/elm:specifiedBy ?specification } } LIMIT 1",
    "graph": "SELECT ?graph WHERE { GRAPH ?graph { ?resource cred:credentialSubject ?s } } LIMIT 1",
    "source": "SELECT ?source WHERE { GRAPH ?m { ?graph dc:source ?source } } LIMIT 1",
    "framework": "SELECT ?framework WHERE { GRAPH ?g { ?level skos:inScheme ?framework } } LIMIT 1",
}


def _one(store_path: Path, name: str, found: dict[str, str]) -> str:
    text = substituted(PREFIXES + DISCOVERY[name], {k: f"<{v}>" for k, v in found.items()})
    store = ox.Store.read_only(str(store_path / "public"))
    try:
        solutions = store.query(text, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)
        rows = list(solutions)
    finally:
        del store
    if not rows or rows[0][0] is None:
        raise SystemExit(f"no {name} in the benchmark data: {DISCOVERY[name]}")
    return str(rows[0][0].value)


def discover(store_path: Path) -> dict[str, str]:
    """The values of every parameter but ``framework`` (found once the decision is stored)."""
    found: dict[str, str] = {}
    for name in ("specification", "level", "resource", "graph", "source"):
        found[name] = _one(store_path, name, found)
    found["part"] = found["specification"]  # the wholes it is part of: stacking-wholes
    base = found["source"].rsplit("source/", 1)[0]
    found["body"] = f"{base}body/{BODY}"
    return found


GROUP_BY = re.compile(r"\bGROUP\s+BY\b([^{}]*?)(\bHAVING\b|\bORDER\b|\bLIMIT\b|$)", re.I)


def substituted(text: str, terms: dict[str, str]) -> str:
    """``text`` with each variable of ``terms`` replaced by its term, as a substitution binds it
    (oxigraph serve binds no parameters over HTTP): in a pattern, the term itself; in the
    projection, ``(term AS ?var)`` — or, where the query groups by the variable, in the GROUP
    BY; a subquery's projection drops it."""
    end = text.rindex("}") + 1
    tail = text[end:]
    pieces, at, grouped = [], 0, set()
    group = GROUP_BY.search(tail)
    for name, term in terms.items():
        variable = re.compile(rf"[?$]{re.escape(name)}\b")
        if group and variable.search(group.group(1)):
            grouped.add(name)
            keys = variable.sub(f"({term} AS ?{name})", group.group(1), count=1)
            tail = tail[: group.start(1)] + keys + tail[group.end(1) :]
            group = GROUP_BY.search(tail)
    projections = list(re.finditer(r"\bSELECT\b(.*?)\bWHERE\b", text[:end], flags=re.S | re.I))
    for index, select in enumerate(projections):
        pieces.append(_replace(text[at : select.start(1)], terms, "{term}"))
        # the query's own projection binds the variable; a subquery's need not project it
        form = "({term} AS ?{name})" if index == 0 else ""
        pieces.append(_replace(select.group(1), terms, form, keep=grouped if index == 0 else set()))
        at = select.end(1)
    pieces.append(_replace(text[at:end], terms, "{term}"))
    return "".join(pieces) + tail


def _replace(text: str, terms: dict[str, str], form: str, keep: set[str] = frozenset()) -> str:
    for name, term in terms.items():
        if name not in keep:
            replacement = form.format(term=term, name=name)
            text = re.sub(rf"[?$]{re.escape(name)}\b", lambda _, r=replacement: r, text)
    return text


def bound_text(query: NamedQuery, values: dict[str, str]) -> str | None:
    """The query with its required parameters bound (oxigraph serve binds no parameters over
    HTTP, so both servers get them in the text); None if one has no value."""
    terms = {}
    for parameter in query.parameters:
        if not parameter.required:
            continue
        if parameter.name == "since":
            terms[parameter.name] = f'"{SINCE}"'
        elif parameter.type == "eqf-level":
            terms[parameter.name] = "<http://data.europa.eu/snb/eqf/6>"
        elif parameter.name in values:
            terms[parameter.name] = f"<{values[parameter.name]}>"
        else:
            return None
    return substituted(query.text, terms)
