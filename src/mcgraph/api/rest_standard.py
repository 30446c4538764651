"""``/api/elements``: the 16 Annex I elements as the ontology defines them, and which of them a
stored credential carries (its element presence), computed from the same single source."""

from __future__ import annotations

import functools

from fastapi import APIRouter

from mcgraph import paths
from mcgraph.api.context import ServiceContext
from mcgraph.api.rest_models import Element, ElementList, ElementPresence
from mcgraph.api.rest_support import CachedRoute, problems, run_text
from mcgraph.elements import profile_named, standard_model
from mcgraph.store import Iri

router = APIRouter(route_class=CachedRoute, tags=["Annex I"])


@router.get(
    "/elements",
    response_model=ElementList,
    summary="The Annex I elements",
    description="The 16 European standard elements of a micro-credential (Council "
    "Recommendation 2022/C 243/02, Annex I) in Annex order, with their labels (English, Czech "
    "and any further languages) and, per profile, whether each is mandatory: `issued` for "
    "issued credentials, `specification` for catalogue entries. These keys name the elements "
    "in validation reports.",
    responses=problems(304),
)
def elements() -> ElementList:
    model = standard_model()
    keys = {profile.iri: profile.key for profile in model.profiles.values()}
    profiles = sorted(keys.values())
    return ElementList(
        profiles=profiles,
        items=[
            Element(
                key=element.key,
                iri=element.iri,
                order=element.order,
                labels=dict(sorted(element.labels.items())),
                comment=element.comment,
                applies_to=sorted(keys[p] for p in element.applies_to if p in keys),
                mandatory={key: iri in element.mandatory_for for iri, key in keys.items()},
            )
            for element in model.elements
        ],
    )


@functools.cache
def presence_query(profile_key: str) -> str:
    """One SELECT naming the elements that ``?focus`` carries, compiled from each element's
    ``mcg:satisfiedBy`` paths joined to the profile's anchors (no request text in it)."""
    profile = profile_named(profile_key)
    branches = []
    for element in standard_model().elements:
        if profile.iri not in element.applies_to:
            continue
        found: list[paths.Path] = []
        for anchor, path in element.satisfied_by:
            if anchor not in profile.anchors:
                continue
            full = paths.join(profile.anchors[anchor], path)
            if full is not None:
                found.append(full)
        if found:
            path_text = paths.to_sparql(paths.alternatives(found), prefixed=False)
            branches.append(f'{{ ?focus {path_text} ?value BIND("{element.key}" AS ?element) }}')
    return "SELECT DISTINCT ?focus ?element WHERE {\n  " + "\n  UNION ".join(branches) + "\n}"


def presence(
    context: ServiceContext,
    focus: str,
    graph: str,
    profile_key: str,
    violated: set[str],
    validated: bool,
) -> list[ElementPresence]:
    """Each element of the profile, and whether the credential ``focus`` carries it: found in
    its stored document ``graph``, or mandatory and satisfied when it was validated on loading
    (learners' names and ids are dropped before storing, and were checked then)."""
    rows = run_text(context, presence_query(profile_key), {"focus": Iri(focus)}, graphs=(graph,))
    found = {row["element"].value for row in rows if "element" in row}
    profile = profile_named(profile_key)
    answer = []
    for element in standard_model().elements:
        if profile.iri not in element.applies_to:
            continue
        mandatory = profile.iri in element.mandatory_for
        checked = validated and mandatory and element.key not in violated
        answer.append(
            ElementPresence(
                key=element.key, mandatory=mandatory, present=element.key in found or checked
            )
        )
    return answer
