"""Concepts of the ELM v3 controlled vocabularies used by the generator, and the EU/EEA countries
with their national qualification framework levels.

IRIs and labels are those of the Europass vocabularies shipped with ELM v3 (country, eqf, nqf,
isced-f, europass-*, credit-points); the ESCO skills are the four that the EU's own
micro-credential sample cites. Nothing here is invented.
"""

from __future__ import annotations

from typing import NamedTuple

SNB = "http://data.europa.eu/snb/"
COUNTRY_SCHEME = "http://publications.europa.eu/resource/authority/country"


class Concept(NamedTuple):
    """A concept of a controlled vocabulary: its IRI, its scheme and its English label."""

    iri: str
    scheme: str
    label: str


def _scheme(name: str) -> str:
    return f"{SNB}{name}/25831c2"


def _weighted(name: str, rows: tuple[tuple[str, str, int], ...]) -> tuple[tuple[Concept, int], ...]:
    return tuple(
        (Concept(f"{SNB}{name}/{code}", _scheme(name), label), w) for code, label, w in rows
    )


EQF_LEVELS: dict[int, Concept] = {
    n: Concept(f"{SNB}eqf/{n}", _scheme("eqf"), f"Level {n}") for n in range(1, 9)
}
#: EQF levels of generated specifications and their weights (micro-credentials cluster at 5-7).
EQF_WEIGHTS: tuple[tuple[int, int], ...] = ((3, 4), (4, 10), (5, 26), (6, 30), (7, 22), (8, 8))

ECTS = Concept(
    f"{SNB}education-credit/6fcec5c5af",
    _scheme("education-credit"),
    "European Credit Transfer System",
)
ECVET = Concept(
    f"{SNB}education-credit/60b314e826",
    _scheme("education-credit"),
    "European credit system for vocational education and training",
)
#: (ECTS points as written, weight): micro-credentials are small, typically 1-15 ECTS.
CREDIT_POINTS: tuple[tuple[str, int], ...] = (
    ("1", 8), ("1.5", 4), ("2", 12), ("2.5", 6), ("3", 14), ("4", 10), ("5", 16), ("6", 10),
    ("7.5", 6), ("10", 8), ("12", 3), ("15", 3),
)  # fmt: skip

# fmt: off
#: europass-modes.xsd, with weights.
MODES = _weighted("learning-assessment", (
    ("920fbb3cbe", "Online", 30), ("e92d221e4d", "Blended", 30),
    ("9191af2ed9", "Presential", 25), ("729f3bed4b", "Workbased", 8),
    ("7813801c77", "Project based", 5), ("ed4c557045", "Research-Lab based", 2)))
#: europass-learning-setting-types.xsd: formal, non-formal.
FORMAL = Concept(f"{SNB}learning-setting/6fd4685715", _scheme("learning-setting"),
                 "formal learning")
NON_FORMAL = Concept(f"{SNB}learning-setting/e207a81fc7", _scheme("learning-setting"),
                     "non-formal learning")
#: europass-learning-opportunity-types.xsd, with weights.
OPPORTUNITY_TYPES = _weighted("learning-opportunity", (
    ("05053c1cbe", "Course", 30), ("74a4a268e8", "Short learning programme", 20),
    ("17744a2647", "MOOC", 15), ("0f7dac46ca", "Programme module", 15),
    ("7e1ac538db", "Class", 5), ("11252a5207", "Mentoring", 3),
    ("63f9f6180c", "Apprenticeship", 3), ("77b99de990", "Internship", 3),
    ("79343569f3", "Educational programme", 3), ("8b965da2d4", "Service learning", 1),
    ("65a4cf5de2", "Study visit", 1), ("b2434ca358", "Thesis", 1)))
#: europass-learning-assessment-types.xsd, with weights.
ASSESSMENT_TYPES = _weighted("assessment", (
    ("6e6cb2cc78", "written examination", 15), ("795dac4096", "project work", 15),
    ("6a4db9f11d", "practical assessment", 12), ("b1b68f6735", "quiz", 10),
    ("4f03b91c0e", "portfolio", 8), ("d30284d7df", "oral examination", 8),
    ("2939dae15f", "marked assignment", 10), ("3484bd7e51", "continuous evaluation", 8),
    ("de4d165a6c", "artefact assessment", 5), ("19a2e5e671", "peer assessment", 3),
    ("56539a6507", "group performance", 3), ("c4256a2726", "problem based learning", 2),
    ("812e3b0ae1", "peer review", 2), ("7331eb4762", "level of attendance", 1)))
#: europass-accreditation-types.xsd: for organisations, then for programmes, with weights.
INSTITUTIONAL_ACCREDITATION = _weighted("accreditation", (
    ("bb4618238e", "Institutional Quality Assurance", 60),
    ("003293d2ce", "Institutional License", 40)))
PROGRAMME_ACCREDITATION = _weighted("accreditation", (
    ("820101cba6", "Program Quality Assurance", 70), ("e57dddfcf3", "Program License", 30)))
# fmt: on

#: The one supervision-verification concept the EU sample uses (ELM ships no enumeration).
SUPERVISION = Concept(
    f"{SNB}supervision-verification/c598449d64",
    _scheme("supervision-verification"),
    "Unsupervised without ID Verification",
)
GENERIC_PROFILE = Concept(f"{SNB}credential/e34929035b", _scheme("credential"), "Generic")

_ESCO = "http://data.europa.eu/esco/"
# fmt: off
#: The ESCO skills cited by Sample-MC-Annex1 (the only ESCO IRIs this generator may use).
ESCO_CREATIVITY = Concept(f"{_ESCO}skill/ccdf3597-5c80-410f-896d-e1bdfa223de9",
                          f"{_ESCO}concept-scheme/skills", "stimulate creativity in the team")
ESCO_COMMUNITY = Concept(f"{_ESCO}skill/80f308e6-0e09-404a-80cd-ec5f50f6f304",
                         f"{_ESCO}concept-scheme/skills", "communicate with target community")
ESCO_COLLABORATION = Concept(f"{_ESCO}skill/326809fc-238d-40c2-881e-40042f7f2f0d",
                             f"{_ESCO}concept-scheme/skills", "establish collaborative relations")
ESCO_CONTENT = Concept(f"{_ESCO}skill/5fd5c985-eaaa-47aa-8314-62359c54505a",
                       f"{_ESCO}concept-scheme/skills", "develop digital content")
# fmt: on


def isced(code: str, label: str) -> Concept:
    """An ISCED-F 2013 field of education."""
    return Concept(f"{SNB}isced-f/{code}", _scheme("isced-f"), label)


class Country(NamedTuple):
    """An EU/EEA country: ISO 3166 alpha-3 code, English name, main language, cities."""

    code: str
    name: str
    language: str
    cities: tuple[str, ...]

    @property
    def concept(self) -> Concept:
        return Concept(f"{COUNTRY_SCHEME}/{self.code}", COUNTRY_SCHEME, self.name)


# fmt: off
COUNTRIES: dict[str, Country] = {c.code: c for c in (
    Country("AUT", "Austria", "de", ("Wien", "Graz", "Linz")),
    Country("BEL", "Belgium", "fr", ("Bruxelles", "Liège", "Namur")),
    Country("BGR", "Bulgaria", "bg", ("Sofia", "Plovdiv", "Varna")),
    Country("HRV", "Croatia", "hr", ("Zagreb", "Split", "Rijeka")),
    Country("CYP", "Cyprus", "el", ("Nicosia", "Limassol", "Larnaca")),
    Country("CZE", "Czechia", "cs", ("Praha", "Brno", "Ostrava")),
    Country("DNK", "Denmark", "da", ("København", "Aarhus", "Odense")),
    Country("EST", "Estonia", "et", ("Tallinn", "Tartu", "Pärnu")),
    Country("FIN", "Finland", "fi", ("Helsinki", "Tampere", "Turku")),
    Country("FRA", "France", "fr", ("Lyon", "Toulouse", "Nantes", "Lille")),
    Country("DEU", "Germany", "de", ("München", "Hamburg", "Köln", "Leipzig")),
    Country("GRC", "Greece", "el", ("Athens", "Thessaloniki", "Patras")),
    Country("HUN", "Hungary", "hu", ("Budapest", "Debrecen", "Szeged")),
    Country("IRL", "Ireland", "en", ("Dublin", "Cork", "Galway")),
    Country("ITA", "Italy", "it", ("Milano", "Bologna", "Torino", "Napoli")),
    Country("LVA", "Latvia", "lv", ("Rīga", "Daugavpils", "Liepāja")),
    Country("LTU", "Lithuania", "lt", ("Vilnius", "Kaunas", "Klaipėda")),
    Country("LUX", "Luxembourg", "fr", ("Luxembourg", "Esch-sur-Alzette")),
    Country("MLT", "Malta", "en", ("Valletta", "Msida")),
    Country("NLD", "Netherlands", "nl", ("Utrecht", "Eindhoven", "Groningen", "Rotterdam")),
    Country("POL", "Poland", "pl", ("Kraków", "Wrocław", "Gdańsk", "Poznań")),
    Country("PRT", "Portugal", "pt", ("Lisboa", "Porto", "Coimbra")),
    Country("ROU", "Romania", "ro", ("Cluj-Napoca", "Iași", "Timișoara")),
    Country("SVK", "Slovakia", "sk", ("Bratislava", "Košice", "Žilina")),
    Country("SVN", "Slovenia", "sl", ("Ljubljana", "Maribor")),
    Country("ESP", "Spain", "es", ("Madrid", "Valencia", "Sevilla", "Bilbao")),
    Country("SWE", "Sweden", "sv", ("Göteborg", "Malmö", "Uppsala")),
    Country("ISL", "Iceland", "is", ("Reykjavík", "Akureyri")),
    Country("LIE", "Liechtenstein", "de", ("Vaduz", "Schaan")),
    Country("NOR", "Norway", "nb", ("Oslo", "Bergen", "Trondheim")),
)}
#: English names of the cities above where they differ.
ENGLISH_CITY = {"Wien": "Vienna", "Bruxelles": "Brussels", "Praha": "Prague",
                "København": "Copenhagen", "München": "Munich", "Köln": "Cologne",
                "Milano": "Milan", "Torino": "Turin", "Napoli": "Naples", "Lisboa": "Lisbon",
                "Sevilla": "Seville", "Göteborg": "Gothenburg"}

#: Provider slots: every country once (so any 30 consecutive providers cover 30 countries),
#: then extra slots for the larger education systems.
COUNTRY_SLOTS: tuple[str, ...] = (
    *COUNTRIES, "DEU", "FRA", "ITA", "ESP", "POL", "DEU", "FRA", "ITA", "ESP", "POL", "DEU",
    "FRA", "NLD", "BEL", "SWE", "PRT", "IRL", "AUT", "CZE", "FIN", "DNK", "GRC", "ROU", "HUN")

#: National framework level concepts (nqf.xsd, http://data.europa.eu/snb/qdr/c_...) matching
#: EQF levels 3 to 8 ("-": none), per country. Only frameworks whose concept labels name a
#: level of that country's framework: France, Belgium, Iceland and Norway are left out, their
#: level labels cannot be matched to one EQF level without guessing. Ireland and Slovenia
#: follow their published EQF referencing (IE NQF 6 = EQF 5, SQF 8 = EQF 7, ...); the others
#: number their levels as the EQF does.
NQF_LEVELS: dict[str, tuple[str, str]] = {
    "AUT": ("AT: NQF", "1f1297d8 67af56a4 e8dd63b9 1dcef432 0e78414e c94a713e"),
    "BGR": ("BQF", "d57056ce 40f3d416 0b0b744e 2b79a822 bb023568 311c2747"),
    "HRV": ("CROQF", "3a9600c8 - dcc9aca1 cb53bf24 - -"),
    "CYP": ("CyQF", "e44ef2dc 5cbacb43 - 8f872111 - 99235760"),
    "CZE": ("NSK", "993b0d50 fe9eb464 b80ee6b1 82e7da58 1df7b6c9 4276c6dc"),
    "DNK": ("DK NQF", "2ff9f722 e2461c86 e130f5d2 a19d301f b08ee037 1aec7e1f"),
    "EST": ("EstQF", "3f16a034 7cb99427 11b06734 3dddfd70 9173237a 2616aeff"),
    "FIN": ("FiNQF", "63c1f703 cbf250da fd8ce5f6 8a7da315 3b2bd7b5 7fa9dfe4"),
    "DEU": ("DQR", "c37d888a 12a84182 bd9f8e42 6919ed25 184f7fed 341d539b"),
    "GRC": ("HQF", "48930d0b f6c81729 7db10cb9 5e8da33b 60582329 c4deeb87"),
    "HUN": ("HuQF", "b763e7c8 b9eadd5c 13865e16 9ec87162 c2f4856f ea1b27b9"),
    "IRL": ("IE NQF", "57c9e957 4053e803 670e54c7 38f52397 c6ada0f4 ac9adabb"),
    "ITA": ("IT NQF", "2151e983 c160a2a0 334b891b f875790f 1a6b4df9 34a78e36"),
    "LVA": ("LQF", "138c123b 14b672c3 7493dd0e a828cd20 a61cdeca a6744590"),
    "LTU": ("LTQF", "9d34b310 d1e9f55d b62fa7ef caa3091a dbbbe65b 6e015474"),
    "LUX": ("CLQ", "317af58c 26211a04 b4cc88a4 dfb0cd4d 758b2f8a 287bdf18"),
    "MLT": ("MQF", "55c66aa8 c9f6d6e5 a3c7575d 333a51d9 eacc0583 782b35df"),
    "NLD": ("NLQF", "f97cdbb5 ff656b33 18c9e9fe 1711a061 478359fc 2835a50f"),
    "POL": ("PQF", "e018d301 c145999e 045fd11d cb086da3 e860b49b ec518d13"),
    "PRT": ("QNQ", "5c91e0ca 7d534b92 d2b47671 8cf0774e 0fe2b814 370653aa"),
    "ROU": ("ROQF", "513ed8e7 47645af5 5bca675f 8b75d6fc 152a2ae2 8f107ecd"),
    "SVK": ("SKKR", "fb6cbec3 cc1ea43c 98403355 8a024f65 defba593 fb12c713"),
    "SVN": ("SQF", "66d10210 5a909eaa 4a3aea6f 3f2a609e 4e92151b a9614000"),
    "ESP": ("MECU", "d81640d2 9f9cd022 cdd36a4b 6422359b 37f3c037 62866e36"),
    "SWE": ("SeQF", "4ec9e6c0 6477e349 b44f7367 185bb246 1ab773a2 055b6cf8"),
    "LIE": ("NQFL", "73e5a71b e7f9e314 9a2c4ae2 ad62b6d5 e6601cb4 e160a72d"),
}
_SHIFTED = {"IRL": {3: 4, 4: 5, 5: 6, 6: 7, 7: 9, 8: 10},
            "SVN": {3: 4, 4: 5, 5: 6, 6: 7, 7: 8, 8: 10}}
# fmt: on


def nqf_concept(country: str, eqf: int) -> Concept | None:
    """The national framework level matching ``eqf`` in ``country``, when one is known."""
    framework = NQF_LEVELS.get(country)
    if framework is None:
        return None
    prefix, ids = framework
    concept_id = ids.split()[eqf - 3] if 3 <= eqf <= 8 else "-"
    if concept_id == "-":
        return None
    level = _SHIFTED.get(country, {}).get(eqf, eqf)
    return Concept(f"{SNB}qdr/c_{concept_id}", _scheme("qdr"), f"{prefix} Level {level}")
