"""The invented part of the data: people's names, organisation name patterns, course titles (in
English and seven translations), learning outcomes and entry requirements."""

from __future__ import annotations

from typing import NamedTuple

from mcgraph.synthetic._vocab import (
    ESCO_COLLABORATION,
    ESCO_COMMUNITY,
    ESCO_CONTENT,
    ESCO_CREATIVITY,
    Concept,
    isced,
)

# fmt: off
GIVEN_NAMES: tuple[str, ...] = (
    "Anna", "Lukas", "Sofia", "Mateo", "Emma", "Jakub", "Chiara", "Lars", "Inês", "Mikkel",
    "Zofia", "Luca", "Elena", "Jonas", "Maria", "Tomás", "Aino", "Nikos", "Ewa", "Pieter",
    "Camille", "Matteo", "Ioana", "Bogdan", "Sára", "Jānis", "Eglė", "Marko", "Katarína", "Ólafur",
    "Siobhán", "Léa", "Andrés", "Helmi", "Dimitra", "Gunnar", "Petra", "Rui", "Nora", "Kristjan",
)
FAMILY_NAMES: tuple[str, ...] = (
    "Müller", "García", "Rossi", "Nowak", "Dubois", "Jansen", "Novák", "Horváth", "Popescu",
    "Ivanova", "Nielsen", "Virtanen", "Papadopoulos", "Silva", "Murphy", "O'Brien", "Kowalska",
    "Fernández", "Bianchi", "Schmidt", "Lefebvre", "De Vries", "Svensson", "Hansen", "Kask",
    "Bērziņš", "Kazlauskas", "Horvat", "Kovač", "Borg", "Georgiou", "Schneider", "Moreau",
    "Romano", "Pereira", "Andersson", "Johansen", "Jónsdóttir", "Weber", "Meyer",
)

#: Public institutions: (local-language pattern, English pattern); {c} is the city, {e} its
#: English name.
PUBLIC_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "de": (("Hochschule {c}", "{e} University of Applied Sciences"),
           ("Volkshochschule {c}", "{e} Adult Education Centre"),
           ("Technische Akademie {c}", "{e} Technical Academy")),
    "fr": (("Université de {c}", "University of {e}"),
           ("Institut de formation continue de {c}", "{e} Institute for Continuing Education"),
           ("École supérieure de commerce de {c}", "{e} Business School")),
    "es": (("Universidad de {c}", "University of {e}"),
           ("Instituto de Formación Profesional de {c}", "{e} Vocational Training Institute"),
           ("Escuela de Negocios de {c}", "{e} Business School")),
    "it": (("Università di {c}", "University of {e}"),
           ("Istituto Tecnico Superiore di {c}", "{e} Higher Technical Institute"),
           ("Scuola di Management di {c}", "{e} School of Management")),
    "nl": (("Hogeschool {c}", "{e} University of Applied Sciences"),
           ("Universiteit {c}", "{e} University"),
           ("Opleidingscentrum {c}", "{e} Training Centre")),
    "pt": (("Universidade de {c}", "University of {e}"),
           ("Instituto Politécnico de {c}", "Polytechnic Institute of {e}"),
           ("Escola de Negócios de {c}", "{e} Business School")),
    "sv": (("{c} universitet", "{e} University"),
           ("Yrkeshögskolan {c}", "{e} Higher Vocational School"),
           ("Folkuniversitetet {c}", "{e} Adult Education Association")),
}
#: Public institutions in countries without a local-language pattern (English name only).
PUBLIC_NAMES_EN: tuple[str, ...] = (
    "University of {e}", "{e} University of Technology", "{e} Institute for Lifelong Learning")
# fmt: on

#: The languages of course titles, in the order of the title rows below.
TITLE_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")


class Outcome(NamedTuple):
    """A learning outcome text and the ESCO skills it relates to."""

    title: str
    skills: tuple[Concept, ...] = ()


class Topic(NamedTuple):
    """A field of study: a name, its ISCED-F field, course titles by language, outcomes."""

    field: str
    isced: Concept
    titles: tuple[dict[str, str], ...]
    outcomes: tuple[Outcome, ...]


def _topic(
    field: str, code: Concept, titles: tuple[tuple[str, ...], ...], *outcomes: Outcome
) -> Topic:
    rows = tuple(dict(zip(TITLE_LANGUAGES, row, strict=True)) for row in titles)
    return Topic(field, code, rows, outcomes)


_O = Outcome
# fmt: off
TOPICS: tuple[Topic, ...] = (
    _topic("Software", isced("0613", "Software and applications development and analysis"), (
        ("Introduction to Python Programming", "Einführung in die Python-Programmierung",
         "Introduction à la programmation Python", "Introducción a la programación en Python",
         "Introduzione alla programmazione in Python", "Inleiding tot programmeren in Python",
         "Introdução à programação em Python", "Wprowadzenie do programowania w Pythonie"),
        ("Web Application Development", "Entwicklung von Webanwendungen",
         "Développement d'applications web", "Desarrollo de aplicaciones web",
         "Sviluppo di applicazioni web", "Ontwikkeling van webapplicaties",
         "Desenvolvimento de aplicações web", "Tworzenie aplikacji internetowych"),
        ("Secure Software Engineering", "Sichere Softwareentwicklung",
         "Ingénierie logicielle sécurisée", "Ingeniería de software segura",
         "Ingegneria del software sicura", "Veilige softwareontwikkeling",
         "Engenharia de software segura", "Bezpieczna inżynieria oprogramowania")),
        _O("Write, test and debug Python programs"),
        _O("Use version control in a team project", (ESCO_COLLABORATION,)),
        _O("Design a relational data model for a web application"),
        _O('Apply the "security by design" principle to application code'),
        _O("Automate routine data-processing tasks with scripts"),
        _O("Document code so that others can maintain it")),
    _topic("Data", isced("0542", "Statistics"), (
        ("Data Analysis for Decision-Making", "Datenanalyse für die Entscheidungsfindung",
         "Analyse de données pour la prise de décision",
         "Análisis de datos para la toma de decisiones",
         "Analisi dei dati per il processo decisionale", "Data-analyse voor besluitvorming",
         "Análise de dados para a tomada de decisão", "Analiza danych w podejmowaniu decyzji"),
        ("Applied Machine Learning", "Angewandtes maschinelles Lernen",
         "Apprentissage automatique appliqué", "Aprendizaje automático aplicado",
         "Apprendimento automatico applicato", "Toegepaste machine learning",
         "Aprendizagem automática aplicada", "Stosowane uczenie maszynowe"),
        ("Data Visualisation", "Datenvisualisierung", "Visualisation de données",
         "Visualización de datos", "Visualizzazione dei dati", "Datavisualisatie",
         "Visualização de dados", "Wizualizacja danych")),
        _O("Clean and prepare datasets for analysis"),
        _O("Select and apply appropriate statistical methods"),
        _O("Build and evaluate a predictive model"),
        _O("Communicate findings with clear visualisations", (ESCO_CONTENT,)),
        _O("Assess the ethical implications of data use")),
    _topic("Energy", isced("0713", "Electricity and energy"), (
        ("Energy Efficiency in Buildings", "Energieeffizienz in Gebäuden",
         "Efficacité énergétique des bâtiments", "Eficiencia energética en edificios",
         "Efficienza energetica negli edifici", "Energie-efficiëntie in gebouwen",
         "Eficiência energética em edifícios", "Efektywność energetyczna budynków"),
        ("Solar Photovoltaic Installation", "Installation von Photovoltaikanlagen",
         "Installation de systèmes photovoltaïques", "Instalación de sistemas fotovoltaicos",
         "Installazione di impianti fotovoltaici", "Installatie van fotovoltaïsche systemen",
         "Instalação de sistemas fotovoltaicos", "Montaż instalacji fotowoltaicznych"),
        ("Heat Pump Installation and Maintenance", "Installation und Wartung von Wärmepumpen",
         "Installation et maintenance de pompes à chaleur",
         "Instalación y mantenimiento de bombas de calor",
         "Installazione e manutenzione di pompe di calore",
         "Installatie en onderhoud van warmtepompen",
         "Instalação e manutenção de bombas de calor", "Instalacja i konserwacja pomp ciepła")),
        _O("Calculate the energy balance of a building"),
        _O("Size a photovoltaic system for a given load"),
        _O("Install components in line with safety regulations"),
        _O("Diagnose and correct common system faults"),
        _O("Advise clients on energy-saving measures", (ESCO_COMMUNITY,))),
    _topic("Green Skills", isced("0712", "Environmental protection technology"), (
        ("Circular Economy Fundamentals", "Grundlagen der Kreislaufwirtschaft",
         "Fondamentaux de l'économie circulaire", "Fundamentos de la economía circular",
         "Fondamenti di economia circolare", "Basisprincipes van de circulaire economie",
         "Fundamentos da economia circular", "Podstawy gospodarki o obiegu zamkniętym"),
        ("Carbon Footprint Accounting", "Bilanzierung des CO2-Fußabdrucks",
         "Comptabilité de l'empreinte carbone", "Contabilidad de la huella de carbono",
         "Contabilità dell'impronta di carbonio", "Berekening van de CO2-voetafdruk",
         "Contabilização da pegada de carbono", "Rachunkowość śladu węglowego"),
        ("Waste Management and Recycling", "Abfallwirtschaft und Recycling",
         "Gestion des déchets et recyclage", "Gestión de residuos y reciclaje",
         "Gestione dei rifiuti e riciclaggio", "Afvalbeheer en recycling",
         "Gestão de resíduos e reciclagem", "Gospodarka odpadami i recykling")),
        _O("Map material flows in an organisation"),
        _O("Calculate greenhouse gas emissions using recognised standards"),
        _O("Propose measures to reduce waste and emissions", (ESCO_CREATIVITY,)),
        _O("Explain the EU framework for sustainability reporting")),
    _topic("Leadership", isced("0413", "Management and administration"), (
        ("Agile Project Management", "Agiles Projektmanagement", "Gestion de projet agile",
         "Gestión ágil de proyectos", "Gestione agile dei progetti", "Agile projectmanagement",
         "Gestão ágil de projetos", "Zwinne zarządzanie projektami"),
        ("Leadership in Hybrid Teams", "Führung hybrider Teams",
         "Leadership des équipes hybrides", "Liderazgo de equipos híbridos",
         "Leadership nei team ibridi", "Leiderschap in hybride teams",
         "Liderança de equipas híbridas", "Przywództwo w zespołach hybrydowych"),
        ("Entrepreneurship and Business Planning", "Unternehmertum und Businessplanung",
         "Entrepreneuriat et plan d'affaires", "Emprendimiento y plan de negocio",
         "Imprenditorialità e business plan", "Ondernemerschap en bedrijfsplanning",
         "Empreendedorismo e plano de negócios", "Przedsiębiorczość i biznesplan")),
        _O("Plan and run iterative project cycles"),
        _O("Facilitate team meetings and retrospectives", (ESCO_CREATIVITY,)),
        _O("Manage stakeholder expectations", (ESCO_COLLABORATION,)),
        _O("Draft a business plan with a financial forecast"),
        _O("Give and receive constructive feedback")),
    _topic("Digital Marketing", isced("0414", "Marketing and advertising"), (
        ("Digital Marketing Essentials", "Grundlagen des digitalen Marketings",
         "Les essentiels du marketing numérique", "Fundamentos del marketing digital",
         "Fondamenti di marketing digitale", "Basis van digitale marketing",
         "Fundamentos de marketing digital", "Podstawy marketingu cyfrowego"),
        ("Social Media Strategy", "Social-Media-Strategie", "Stratégie des médias sociaux",
         "Estrategia en redes sociales", "Strategia per i social media",
         "Socialemediastrategie", "Estratégia de redes sociais",
         "Strategia w mediach społecznościowych"),
        ("Search Engine Optimisation", "Suchmaschinenoptimierung",
         "Optimisation pour les moteurs de recherche", "Posicionamiento en buscadores",
         "Ottimizzazione per i motori di ricerca", "Zoekmachineoptimalisatie",
         "Otimização para motores de busca", "Optymalizacja pod kątem wyszukiwarek")),
        _O("Define target audiences and buyer personas", (ESCO_COMMUNITY,)),
        _O("Plan a multichannel content calendar"),
        _O("Measure campaign performance with web analytics"),
        _O("Develop digital content for a campaign", (ESCO_CONTENT, ESCO_CREATIVITY)),
        _O("Comply with data-protection rules in marketing")),
    _topic("Care", isced("0921", "Care of the elderly and of disabled adults"), (
        ("Dementia Care Fundamentals", "Grundlagen der Demenzpflege",
         "Soins aux personnes atteintes de démence", "Atención a personas con demencia",
         "Assistenza alle persone con demenza", "Zorg voor mensen met dementie",
         "Cuidados a pessoas com demência", "Opieka nad osobami z demencją"),
        ("Palliative Care Basics", "Grundlagen der Palliativversorgung",
         "Bases des soins palliatifs", "Fundamentos de cuidados paliativos",
         "Fondamenti di cure palliative", "Basis van palliatieve zorg",
         "Fundamentos de cuidados paliativos", "Podstawy opieki paliatywnej"),
        ("Person-Centred Care Planning", "Personenzentrierte Pflegeplanung",
         "Planification des soins centrée sur la personne",
         "Planificación de cuidados centrada en la persona",
         "Pianificazione dell'assistenza centrata sulla persona",
         "Persoonsgerichte zorgplanning", "Planeamento de cuidados centrado na pessoa",
         "Planowanie opieki skoncentrowanej na osobie")),
        _O("Communicate respectfully with care recipients and families", (ESCO_COMMUNITY,)),
        _O("Recognise signs of cognitive decline"),
        _O("Draw up an individual care plan"),
        _O("Apply infection-prevention procedures"),
        _O("Work in an interdisciplinary care team", (ESCO_COLLABORATION,))),
    _topic("Tourism", isced("1015", "Travel, tourism and leisure"), (
        ("Sustainable Tourism Management", "Nachhaltiges Tourismusmanagement",
         "Gestion du tourisme durable", "Gestión del turismo sostenible",
         "Gestione del turismo sostenibile", "Duurzaam toerismemanagement",
         "Gestão do turismo sustentável", "Zarządzanie zrównoważoną turystyką"),
        ("Event Planning", "Veranstaltungsplanung", "Organisation d'événements",
         "Planificación de eventos", "Organizzazione di eventi", "Evenementenplanning",
         "Planeamento de eventos", "Planowanie wydarzeń"),
        ("Destination Marketing", "Destinationsmarketing", "Marketing de destination",
         "Marketing de destinos", "Marketing della destinazione", "Bestemmingsmarketing",
         "Marketing de destinos", "Marketing destynacji turystycznych")),
        _O("Design a tourism product that respects local communities", (ESCO_COMMUNITY,)),
        _O("Plan the logistics of an event"),
        _O("Estimate and monitor an event budget"),
        _O("Promote a destination through digital channels", (ESCO_CONTENT,))),
    _topic("Language", isced("0231", "Language acquisition"), (
        ("Business English B2", "Wirtschaftsenglisch B2", "Anglais des affaires B2",
         "Inglés de negocios B2", "Inglese commerciale B2", "Zakelijk Engels B2",
         "Inglês para negócios B2", "Angielski biznesowy B2"),
        ("Technical German for Engineers", "Technisches Deutsch für Ingenieure",
         "Allemand technique pour ingénieurs", "Alemán técnico para ingenieros",
         "Tedesco tecnico per ingegneri", "Technisch Duits voor ingenieurs",
         "Alemão técnico para engenheiros", "Techniczny język niemiecki dla inżynierów"),
        ("Intercultural Communication", "Interkulturelle Kommunikation",
         "Communication interculturelle", "Comunicación intercultural",
         "Comunicazione interculturale", "Interculturele communicatie",
         "Comunicação intercultural", "Komunikacja międzykulturowa")),
        _O("Take part in professional meetings in the target language"),
        _O("Write clear business e-mails and reports"),
        _O("Understand technical documentation"),
        _O("Adapt communication to the cultural context", (ESCO_COMMUNITY,)),
        _O("Build working relationships across cultures", (ESCO_COLLABORATION,))),
    _topic("Digital Skills", isced("0611", "Computer use"), (
        ("Cybersecurity Awareness", "Sensibilisierung für Cybersicherheit",
         "Sensibilisation à la cybersécurité", "Concienciación en ciberseguridad",
         "Consapevolezza della sicurezza informatica", "Bewustwording van cyberveiligheid",
         "Sensibilização para a cibersegurança", "Świadomość cyberbezpieczeństwa"),
        ("Digital Collaboration Tools", "Digitale Werkzeuge für die Zusammenarbeit",
         "Outils numériques de collaboration", "Herramientas digitales de colaboración",
         "Strumenti digitali per la collaborazione", "Digitale samenwerkingstools",
         "Ferramentas digitais de colaboração", "Cyfrowe narzędzia do współpracy"),
        ("Spreadsheet Skills for Professionals", "Tabellenkalkulation für Fachkräfte",
         "Maîtrise du tableur pour les professionnels", "Hojas de cálculo para profesionales",
         "Fogli di calcolo per professionisti", "Spreadsheetvaardigheden voor professionals",
         "Folhas de cálculo para profissionais", "Arkusze kalkulacyjne dla profesjonalistów")),
        _O("Recognise phishing and social-engineering attempts"),
        _O("Protect personal and organisational data"),
        _O("Collaborate on shared documents in real time", (ESCO_COLLABORATION,)),
        _O("Create simple digital content with office tools", (ESCO_CONTENT,)),
        _O("Build formulas and pivot tables to summarise data")),
)

ENTRY_REQUIREMENTS: tuple[str, ...] = (
    "Completed upper secondary education or equivalent work experience.",
    "Basic digital skills.\nAccess to a computer with a stable internet connection.",
    "Language level B1 (CEFR) in the language of instruction.",
    "At least two years of relevant professional experience.",
)
# fmt: on
