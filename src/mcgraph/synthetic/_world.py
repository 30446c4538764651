"""One dataset's shared specifications and its defect plan.

Specification ``k`` is a pure function of the seed, the dataset size and ``k``, so it can be
rebuilt whenever it is needed; a bounded cache keeps the recent ones, and memory stays flat
however many credentials are generated. Which credentials are defective, and how, is also a
pure function of the credential's index.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from mcgraph.synthetic._graph import Node, Value
from mcgraph.synthetic._orgs import (
    BASE,
    Provider,
    accreditation_node,
    build_provider,
    concept_node,
    invalid_concept_node,
    provider_node,
    provider_pool_size,
)
from mcgraph.synthetic._texts import ENTRY_REQUIREMENTS, TOPICS, Outcome
from mcgraph.synthetic._vocab import (
    ASSESSMENT_TYPES,
    CREDIT_POINTS,
    ECTS,
    ECVET,
    EQF_LEVELS,
    EQF_WEIGHTS,
    FORMAL,
    MODES,
    NON_FORMAL,
    OPPORTUNITY_TYPES,
    PROGRAMME_ACCREDITATION,
    Concept,
    nqf_concept,
)

#: One new specification per this many credentials; the others reuse recent or popular ones.
SPEC_STRIDE = 4
#: The Annex I element keys a defect can hit, in the order defects are dealt out.
DEFECT_KEYS: tuple[str, ...] = (
    "learner-identity",
    "title",
    "issuer-country",
    "awarding-body",
    "date-of-issue",
    "learning-outcomes",
    "workload",
    "level",
    "assessment-type",
    "participation-form",
    "quality-assurance",
)
#: Keys whose element is sometimes present but wrong (``invalid``) rather than ``missing``.
INVALID_KEYS = frozenset({"issuer-country", "workload", "level"})
#: Defects that need a specification of the credential's own (the shared one stays intact).
SPEC_DEFECTS = frozenset({"title", "learning-outcomes", "workload", "level", "participation-form"})
_GOLDEN = 0.6180339887498949
_PLASTIC = 0.7548776662466927

T = TypeVar("T")


class Weighted(Generic[T]):
    """Draws from ``(item, weight)`` pairs with one random number."""

    def __init__(self, pairs: Sequence[tuple[T, int]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))

    def __call__(self, rng: random.Random) -> T:
        target = rng.random() * self.cumulative[-1]
        return self.items[bisect.bisect_right(self.cumulative, target)]


_EQF = Weighted(EQF_WEIGHTS)
_MODE = Weighted(MODES)
_OPPORTUNITY = Weighted(OPPORTUNITY_TYPES)
_ASSESSMENT = Weighted(ASSESSMENT_TYPES)
_PROGRAMME_ACCREDITATION = Weighted(PROGRAMME_ACCREDITATION)
_POINTS = Weighted(CREDIT_POINTS)


@dataclass(frozen=True, slots=True)
class Spec:
    """A qualification or learning achievement specification, shared by its credentials."""

    index: int
    iri: str
    kind: str
    provider: Provider
    title: dict[str, str]
    eqf: int
    nqf: Concept | None
    framework: Concept
    points: str
    hours: int
    mode: Concept
    setting: Concept
    opportunity: Concept
    isced: Concept
    outcomes: tuple[Outcome, ...]
    entry: str | None
    accreditation: Concept | None
    assessment_type: Concept
    #: The index of the specification this one is part of, and how that is said.
    parent: int | None
    relation: str


def spec_pool_size(count: int) -> int:
    """How many shared specifications a dataset of ``count`` credentials has."""
    return -(-count // SPEC_STRIDE)


def assessment_title(s: Spec) -> dict[str, str]:
    """The title of the assessment that proves ``s`` (and of its specification)."""
    return {"en": f"{s.assessment_type.label.capitalize()}: {s.title['en']}"}


def assessment_node(s: Spec, iri: str, *, typed: bool = True) -> Node:
    """The elm:LearningAssessmentSpecification of ``s``; ``typed=False`` leaves out dc:type."""
    props: tuple[tuple[str, Value], ...] = (("title", assessment_title(s)),)
    if typed:
        props += (("dcType", concept_node(s.assessment_type)),)
    return Node(iri, ("LearningAssessmentSpecification",), props)


class World:
    """Providers, specifications and the defect plan of one dataset (seed, count, fraction)."""

    def __init__(self, count: int, seed: int, defective: float) -> None:
        self.count = count
        self.seed = seed
        self.providers = provider_pool_size(count)
        self.specs = spec_pool_size(count)
        self.defective = min(count, math.floor(count * defective + 0.5))
        # Defects go to the credentials whose place in a seeded permutation of 0..count-1 is
        # below the number wanted: an exact count, spread evenly, computable per credential.
        self._shift = random.Random(f"mcgraph/defects/{seed}").randrange(count) if count else 0
        step = max(1, int(count * _GOLDEN))
        while count > 1 and math.gcd(step, count) != 1:
            step += 1
        self._step = step
        self.provider = functools.lru_cache(maxsize=4096)(self._provider)
        self.spec = functools.lru_cache(maxsize=4096)(self._spec)

    def defect_of(self, i: int) -> tuple[str, str] | None:
        """The (element key, kind) broken in credential ``i``, or None."""
        rank = (self._step * i + self._shift) % self.count
        if rank >= self.defective:
            return None
        key = DEFECT_KEYS[rank % len(DEFECT_KEYS)]
        invalid = key in INVALID_KEYS and rank // len(DEFECT_KEYS) % 2 == 1
        return key, "invalid" if invalid else "missing"

    @staticmethod
    def needs_own_spec(defect: tuple[str, str] | None, spec: Spec) -> bool:
        """Whether a credential with ``defect`` must carry its own copy of ``spec``."""
        if defect is None:
            return False
        key = defect[0]
        if key == "quality-assurance":
            return spec.accreditation is not None
        return key in SPEC_DEFECTS

    def _provider(self, index: int) -> tuple[Provider, Node]:
        p = build_provider(index)
        return p, provider_node(p, p.iri)

    def _spec(self, k: int) -> tuple[Spec, Node, Node]:
        """Specification ``k``: its data, its node and its assessment specification's node."""
        rng = random.Random(f"mcgraph/spec/{self.seed}/{k}")
        n = self.providers  # mostly uniform, partly Zipf-like: a few large providers
        p_index = int(rng.random() * n) if rng.random() < 0.7 else int(n ** rng.random()) - 1
        provider = self.provider(min(max(p_index, 0), n - 1))[0]
        topic = TOPICS[provider.topics[int(rng.random() * len(provider.topics))]]
        titles = topic.titles[int(rng.random() * len(topic.titles))]
        language = provider.country.language
        title = {"en": titles["en"]}
        if language in titles and language != "en" and rng.random() < 0.75:
            title[language] = titles[language]
        kind = "Qualification" if rng.random() < 0.35 else "LearningAchievementSpecification"
        eqf = _EQF(rng)
        nqf = nqf_concept(provider.country.code, eqf) if rng.random() < 0.6 else None
        points = _POINTS(rng)
        vet = (eqf <= 4 and rng.random() < 0.5) or rng.random() < 0.03
        hours = round(float(points) * (25 + int(rng.random() * 6)))  # 25-30 h per credit
        mode = _MODE(rng)
        setting = FORMAL if rng.random() < 0.3 else NON_FORMAL
        opportunity = _OPPORTUNITY(rng)
        size = min(len(topic.outcomes), 1 + int(rng.random() * 4))
        outcomes = tuple(rng.sample(topic.outcomes, size))
        entry = None
        if rng.random() < 0.4:
            entry = ENTRY_REQUIREMENTS[int(rng.random() * len(ENTRY_REQUIREMENTS))]
        accreditation = None  # always when the provider has none, so quality is assured
        if provider.accreditation is None or rng.random() < 0.25:
            accreditation = _PROGRAMME_ACCREDITATION(rng)
        assessment = _ASSESSMENT(rng)
        parent = None
        # A low-discrepancy sequence picks the stacking specifications: close to 11% of any
        # run of specifications, not only on average.
        if k > 0 and (k * _GOLDEN + self.seed * _PLASTIC) % 1.0 < 0.11:
            parent = self._parent_for(max(0, k - 1 - int(rng.expovariate(1 / 30))))
        relation = "isPartOf" if rng.random() < 0.7 else "hasPart"
        spec = Spec(
            k, f"{BASE}spec/{k + 1}", kind, provider, title, eqf, nqf, ECVET if vet else ECTS,
            points, hours, mode, setting, opportunity, topic.isced, outcomes, entry,
            accreditation, assessment, parent, relation,
        )  # fmt: skip
        node = self.spec_node(spec, spec.iri)
        return spec, node, assessment_node(spec, f"{spec.iri}/assessment")

    def _parent_for(self, j: int) -> int | None:
        """The first of ``j``, ``j - 1``, ... (a few tries) that a later specification may be
        part of: chains stay within three specifications, and the target is the specification
        of the credential that introduced it (not a defective credential's own copy)."""
        for candidate in range(j, max(-1, j - 8), -1):
            target = self.spec(candidate)[0]
            if target.parent is not None and self.spec(target.parent)[0].parent is not None:
                continue
            if self.needs_own_spec(self.defect_of(candidate * SPEC_STRIDE), target):
                continue
            return candidate
        return None

    def spec_node(
        self,
        s: Spec,
        iri: str,
        *,
        drop: str | None = None,
        point: str | None = None,
        invalid_level: bool = False,
        accredited: bool | None = None,
    ) -> Node:
        """``s`` as a node at ``iri``. ``drop`` names an Annex I element to leave out;
        ``point`` and ``invalid_level`` break one; ``accredited`` forces an accreditation."""
        props: list[tuple[str, Value]] = []
        if drop != "title":
            props.append(("title", s.title))
        if drop != "learning-outcomes":
            props.append(
                ("learningOutcome", tuple(_outcome(iri, n, o) for n, o in enumerate(s.outcomes, 1)))
            )
        if invalid_level:
            eqf = invalid_concept_node("http://data.europa.eu/snb/eqf/9", "Level 9")
            props.append(("eqfLevel", eqf))
        elif drop != "level":
            props.append(("eqfLevel", concept_node(EQF_LEVELS[s.eqf])))
        if s.nqf is not None and drop != "level":
            props.append(("nqfLevel", concept_node(s.nqf)))
        if drop != "workload":
            credit = Node(
                f"{iri}/credit",
                ("CreditPoint",),
                (("framework", concept_node(s.framework)), ("point", point or s.points)),
            )
            props += [("creditPoint", credit), ("volumeOfLearning", f"PT{s.hours}H")]
        if drop != "participation-form":
            props.append(("mode", concept_node(s.mode)))
        props += [
            ("learningSetting", concept_node(s.setting)),
            ("dcType", concept_node(s.opportunity)),
            ("thematicArea", concept_node(s.isced)),
        ]
        if s.entry is not None:
            note = Node(f"{iri}/entry-requirement", ("Note",), (("noteLiteral", {"en": s.entry}),))
            props.append(("entryRequirement", note))
        accreditation = s.accreditation
        if accredited is not None:
            accreditation = (accreditation or PROGRAMME_ACCREDITATION[0][0]) if accredited else None
        if accreditation is not None:
            props.append(
                (
                    "accreditation",
                    accreditation_node(f"{iri}/accreditation", accreditation, s.provider.country),
                )
            )
        if s.parent is not None:
            whole = self.spec(s.parent)[0]  # described by its type and title
            stub = Node(whole.iri, (whole.kind,), (("title", whole.title),))
            props.append(("isPartOf" if s.relation == "isPartOf" else "hasPart", stub))
        return Node(iri, (s.kind,), tuple(props))


def _outcome(spec_iri: str, n: int, o: Outcome) -> Node:
    props: tuple[tuple[str, Value], ...] = (("title", {"en": o.title}),)
    if o.skills:
        props += (("relatedESCOSkill", tuple(concept_node(c) for c in o.skills)),)
    return Node(f"{spec_iri}/outcome/{n}", ("LearningOutcome",), props)
