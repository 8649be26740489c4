"""Data at the scale of a real cooperative, beside the demo: `flask seed-demo --size large`.

The demo (builder.py) stays as it is, with its logins; this adds the rest of the cooperatives around it:
Lipsia with about 9,500 members, 8,000 units, 12,000 contracts, 3,500 savers with 5,000 accounts and
more than 500,000 Umsätze (one account of Jürgen Müller with 100,000), 30,000 Meldungen with their
messages and 50,000 documents (rows only: they share one stored PDF per cooperative); Elsteraue with
about 1,400 units. The demo tenants get a household's share of tickets and documents.

Seeded, so every run creates the same rows; dates move with today as in the demo, and the rows carry ERP keys
as the demo's do. Rows are written with insert_many in chunks, with their ids given, inside one transaction:
the data is there completely or not at all. ``scale`` shrinks everything but the demo tenants' share (tests run it at 1 %).
"""

import random
import secrets
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from peewee import fn

from wir import clock, db, storage
from wir.demo.builder import (
    HOT_WATER_KWH_PER_M3,
    _money,
    _months_ago,
    average_month,
    consumption_months,
    flat_month,
    imported_at,
    meter_month,
    savings_bookings,
)
from wir.demo.tables import (
    BANKS,
    ELSTERAUE,
    LIPSIA,
    MANDATE_PREFIX,
    PERSONS,
    SEPA_START,
    SHARE_AMOUNT,
    TICKET_PREFIX,
    iban,
)
from wir.models import (
    BankAccount,
    Consumption,
    ContactPerson,
    Contract,
    ContractParty,
    Cooperative,
    Document,
    ExemptionOrder,
    Meter,
    Person,
    SavingsAccount,
    SavingsTransaction,
    Ticket,
    TicketCategory,
    TicketMessage,
    TicketStatus,
    TicketStatusChange,
    TicketType,
    Unit,
    User,
)
from wir.pdf import cooperative_letter
from wir.services.account.passwords import hash_password
from wir.services.documents import documents

CHUNK = 1000  # rows per INSERT: below SQLite's 32,766 parameters for every table here


@dataclass(frozen=True)
class Size:
    flats: int
    parking_spaces: int
    persons: int
    rentals: int
    parking_contracts: int
    memberships: int
    savers: int = 0
    savings_accounts: int = 0
    bookings: int = 0  # deposits and withdrawals; the yearly interest and taxes come on top
    tickets: int = 0
    documents: int = 0

    def scaled(self, factor: float) -> "Size":
        return replace(self, **{f.name: round(getattr(self, f.name) * factor) for f in fields(self)})


LARGE = {
    LIPSIA: Size(flats=7400, parking_spaces=600, persons=9500, rentals=7000, parking_contracts=500,
                 memberships=4500, savers=3500, savings_accounts=5000, bookings=400_000, tickets=30_000,
                 documents=50_000),
    ELSTERAUE: Size(flats=1250, parking_spaces=150, persons=1650, rentals=1180, parking_contracts=120,
                    memberships=800, tickets=5200, documents=8700),
}
BIG_ACCOUNT = ("juergen", "5104711-03", 100_000)  # the saver, the account number, its Umsätze at full scale
# a household's share: tickets and documents of each demo person with a login, at every scale
DEMO_SHARE = {"juergen": (40, 200), "gisela_l": (25, 120), "lukasz": (8, 40), "gisela_e": (10, 60),
              "suekrue": (20, 90), "dieter": (15, 80)}
# the first number of the generated persons: above every number of the demo
FIRST_PERSON_NUMBER = {LIPSIA: 300000, ELSTERAUE: 400000}
DAYS_OF_TICKETS = 900  # the tickets of the last two and a half years
DAYS_OF_DOCUMENTS = 1800

FEMALE = ["Anna", "Birgit", "Christa", "Doris", "Elke", "Franziska", "Gabriele", "Heike", "Ingrid", "Jana",
          "Karin", "Laura", "Marie", "Nicole", "Olga", "Petra", "Renate", "Sabine", "Tatjana", "Ursula", "Vanessa",
          "Waltraud", "Yvonne", "Zofia", "Ayşe", "Małgorzata", "Thi Lan", "Svetlana", "Fatma", "Jördis"]
MALE = ["Andreas", "Bernd", "Christian", "Detlef", "Erik", "Frank", "Günter", "Heiko", "Igor", "Jörg", "Klaus",
        "Lars", "Matthias", "Norbert", "Olaf", "Peter", "Ralf", "Steffen", "Thomas", "Uwe", "Volker", "Wolfgang",
        "Mehmet", "Paweł", "Văn Minh", "Dmitri", "Ahmad", "Björn", "René", "Jürgen"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
        "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
        "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann",
        "Köhler", "Böhme", "Seidel", "Günther", "Vogel", "Fuchs", "Winkler", "Lorenz", "Baumann", "Heinrich",
        "Kowalski", "Wiśniewska", "Nowak", "Yılmaz", "Demir", "Öztürk", "Nguyễn", "Trần", "Iwanow", "Petrow",
        "Al-Hassan", "Haddad", "Großmann", "Weißenborn", "Fröhlich", "Sommer", "Jäger", "Ludwig", "Engel", "Pohl"]
STREETS = {
    LIPSIA: ["Stuttgarter Allee", "Alte Salzstraße", "Mannheimer Straße", "Brünnler Straße", "Ludwigsburger Straße",
             "Karlsruher Straße", "Heilbronner Straße", "Kiewer Straße", "Offenburger Straße", "Lützner Straße",
             "Schönauer Ring", "Jupiterstraße", "Ringstraße", "Garskestraße", "Zschampertaue"],
    ELSTERAUE: ["Dieskaustraße", "Windorfer Straße", "Gerhard-Ellrodt-Straße", "Antonienstraße", "Kötzschauer Straße",
                "Huttenstraße", "Ratzelstraße"],
}
POSTCODE = {LIPSIA: "04209", ELSTERAUE: "04249"}
FLOORS = ["EG", "1. OG", "2. OG", "3. OG", "4. OG", "5. OG"]
POSITIONS = ["links", "Mitte links", "Mitte rechts", "rechts"]
FLATS_PER_HOUSE = len(FLOORS) * len(POSITIONS)
# rooms: living area range (m²)
FLAT_TYPES = [("1", 28, 38), ("2", 45, 58), ("3", 58, 72), ("4", 72, 90), ("2.5", 55, 65)]
HEATING = {LIPSIA: "Fernwärme", ELSTERAUE: "Gaszentralheizung"}
BUILT = {LIPSIA: (1976, 1989), ELSTERAUE: (1926, 1965)}
# units and their numbers: the demo's are 1001-0203, 9001-0012 (Lipsia), 301-0201, P-007, G-014 (Elsteraue)
FIRST_HOUSE = {LIPSIA: 3001, ELSTERAUE: 401}

SUBJECTS = {
    "Heizung/Warmwasser": ["Heizkörper wird nicht warm", "Kein warmes Wasser", "Heizung gluckert", "Thermostat defekt"],
    "Sanitär (Wasser, Abfluss, WC)": ["Abfluss verstopft", "WC-Spülung läuft nach", "Wasserhahn tropft",
                                      "Feuchte Stelle unter dem Waschbecken"],
    "Elektrik": ["Klingel geht nicht", "Treppenlicht defekt", "Steckdose ohne Strom"],
    "Fenster/Türen/Schlösser": ["Fenster schließt nicht", "Wohnungstür klemmt", "Briefkastenschloss defekt"],
    "Aufzug": ["Aufzug steht", "Aufzugtür schließt nicht richtig"],
    "Schimmel": ["Schimmel im Schlafzimmer", "Schwarze Flecken im Bad"],
    "Terminvereinbarung (Bitte Telefon-Nr. angeben)": ["Termin für Wohnungsabnahme", "Termin für Zählerablesung"],
    "Frage zur Abrechnung": ["Frage zur Betriebskostenabrechnung", "Heizkosten sind gestiegen"],
    "Lärm": ["Lärm in der Nacht", "Laute Musik in der Nachbarwohnung"],
    "Müll": ["Mülltonnen überfüllt", "Sperrmüll im Hof"],
    "Allgemeine Anfrage": ["Frage zu meinem Vertrag", "Bitte um Rückruf"],
}
TENANT_TEXTS = ["Bitte kümmern Sie sich darum, es ist seit einigen Tagen so.",
                "Ich bin werktags ab 16 Uhr zu Hause, vormittags nach Absprache.",
                "Das Problem besteht schon länger und wird schlimmer.",
                "Vielen Dank im Voraus für Ihre Hilfe."]
STAFF_ANSWERS = ["Vielen Dank für Ihre Meldung. Wir haben einen Handwerker beauftragt, er meldet sich bei Ihnen.",
                 "Die Arbeiten sind erledigt. Bitte melden Sie sich, falls das Problem wieder auftritt.",
                 "Wir haben Ihr Anliegen geprüft und erledigt."]
QUESTIONS = ["Wann dürfen wir zu Ihnen kommen?", "Können Sie uns bitte ein Foto schicken?",
             "Betrifft das auch Ihre Nachbarn?"]
REJECT_REASONS = ["Hierfür ist die Hausverwaltung des Nachbargrundstücks zuständig.",
                  "Der Schaden liegt im Verantwortungsbereich der Mieterin oder des Mieters."]
DOCUMENT_KINDS = [  # kind, title ({year} is the document's year), weight
    ("operating_costs_statement", "Betriebskostenabrechnung {year}", 5),
    ("letter", "Ablesung der Heizkostenverteiler und Wasserzähler", 3),
    ("letter", "Einladung zur Mitgliederversammlung {year}", 3),
    ("letter", "Dividende auf Ihre Geschäftsanteile", 2),
    ("letter", "Austausch der Rauchwarnmelder", 2),
    ("letter", "Anpassung der Vorauszahlungen", 2),
    ("certificate", "Mietbescheinigung", 1),
    ("receipt", "Eingangsbestätigung Ihrer Meldung", 2),
]
# Verbrauch: every flat has meters for heating, hot and cold water with 36 months (some 1.3 million rows at full
# size). Heating per house in kWh per m² and year; Lipsia's houses count it with a heat meter in kWh, every third
# one (and all of Elsteraue's older houses) with Heizkostenverteiler, one per radiator, in Einheiten.
HEATING_PER_M2 = {LIPSIA: (80, 120), ELSTERAUE: (110, 160)}
RADIATOR_WEIGHTS = (1.4, 1.0, 0.8, 0.6, 0.5)
RADIATOR_FACTORS = tuple(Decimal(factor) for factor in ("0.85", "1.1", "0.65", "0.9", "0.75"))
PRODUCTS = [("Sparbuch", "0.250", 3, None), ("Wachstumssparen", "1.250", 12, None), ("Festzins", "2.750", 0, 60)]


def is_loaded() -> bool:
    """The large data is there (its first person exists)."""
    return Person.select().where(Person.number == str(FIRST_PERSON_NUMBER[LIPSIA])).exists()


def generate(now: datetime, today: date, scale: float = 1.0) -> dict:
    """Add the large data to a database holding the demo; returns the number of rows written per table."""
    with db.write_transaction():
        generator = Generator(now, today, scale)
        generator.run()
    if not db.is_sqlite():
        _reset_sequences(generator.rows)
    db.database.execute_sql("ANALYZE")  # the planner's statistics, as after any bulk load
    return {model.__name__: rows.written for model, rows in generator.rows.items()}


def _reset_sequences(models) -> None:
    """Ids were given explicitly; PostgreSQL's sequences must continue after them."""
    for model in models:
        table = model._meta.table_name
        db.database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
        )


class Rows:
    """Rows of one table, given their ids; a full chunk writes every table's pending rows, parents first
    (the tables are declared in that order), so a row never waits for the row it refers to."""

    def __init__(self, model, columns, tables: dict):
        self.model = model
        self.fields = [model.id] + [getattr(model, name) for name in columns]
        self.next_id = (model.select(fn.MAX(model.id)).scalar() or 0) + 1
        self.pending = []
        self.written = 0
        self._statements = {}
        self.tables = tables
        tables[model] = self

    def add(self, *values) -> int:
        row_id = self.next_id
        self.next_id += 1
        self.pending.append((row_id, *values))
        if len(self.pending) >= CHUNK:
            for rows in self.tables.values():
                rows.flush()
        return row_id

    def flush(self) -> None:
        if self.pending:
            # what peewee would fill in itself: the defaults of the fields the rows leave out
            defaults = {field: default() if callable(default) else default
                        for field, default in self.model._meta.defaults.items()
                        if field.name not in {given.name for given in self.fields}}
            fields = self.fields + list(defaults)
            extra = [field.db_value(value) for field, value in defaults.items()]
            convert = [field.db_value for field in self.fields]
            values = []
            for row in self.pending:
                values += [convert[column](value) for column, value in enumerate(row)]
                values += extra
            db.database.execute_sql(self._statement(fields, len(self.pending)), values)
            self.written += len(self.pending)
            self.pending = []

    def _statement(self, fields: list, count: int) -> str:
        """INSERT of ``count`` rows, its SQL built once per size rather than by peewee for every chunk (which took
        nine tenths of the time for the 1.3 million rows of Verbrauch)."""
        if count not in self._statements:
            one, _ = self.model.insert_many([tuple(None for _ in fields)], fields=fields).returning().sql()
            head, row = one.rsplit(" VALUES ", 1)
            self._statements[count] = f"{head} VALUES {', '.join([row] * count)}"
        return self._statements[count]


@dataclass(frozen=True)
class Household:
    """A contract with its main tenant: who files tickets and receives letters."""

    person_id: int
    user_id: int | None
    contract_id: int
    cooperative: str
    name: str = ""


@dataclass(frozen=True)
class Member:
    id: int
    number: str
    name: str
    user_id: int | None


class Generator:
    def __init__(self, now: datetime, today: date, scale: float):
        self.now, self.today, self.scale = now, today, scale
        self.rows = {}
        self.password_hash = hash_password(secrets.token_urlsafe(24))  # a login nobody can use

    def table(self, model, *columns) -> Rows:
        return Rows(model, columns, self.rows)

    def run(self) -> None:
        self.table(User, "email", "password_hash", "role", "confirmed_at", "created_at", "contact_reviewed_at",
                   "last_login_at")
        self.table(Unit, "cooperative", "kind", "number", "street", "postcode", "city", "floor", "position", "rooms",
                   "living_area", "heating", "year_built", "erp_key")
        self.table(Person, "cooperative", "number", "salutation", "first_name", "last_name", "birth_date", "street",
                   "postcode", "city", "user", "erp_key")
        self.table(Contract, "cooperative", "kind", "number", "unit", "start_date", "contact_person", "base_rent",
                   "operating_costs", "heating_costs", "household_size", "arrears", "mandatory_shares",
                   "voluntary_shares", "share_amount", "paid_in", "erp_key")
        self.table(ContractParty, "contract", "person", "role")
        self.table(BankAccount, "contract", "holder", "iban", "bic", "bank_name", "mandate_reference", "valid_from",
                   "status", "consent_at", "consent_text_version", "created_at", "created_by", "erp_key")
        self.table(SavingsAccount, "person", "number", "product", "interest_rate", "notice_months", "opened_on",
                   "matures_on", "balance", "erp_key")
        self.table(SavingsTransaction, "account", "booking_date", "value_date", "kind", "amount", "balance_after")
        self.table(ExemptionOrder, "person", "joint", "amount", "valid_from", "tax_id", "created_at")
        self.table(Ticket, "cooperative", "number", "person", "contract", "category", "subject", "phone", "location",
                   "status", "created_at", "created_by", "updated_at", "tenant_seen_at", "assigned_to", "version",
                   "waiting_since", "activity_at")
        self.table(TicketMessage, "ticket", "author", "from_staff", "body", "created_at")
        self.table(TicketStatusChange, "ticket", "old_status", "new_status", "reason", "changed_by", "changed_at")
        self.table(Document, "person", "contract", "kind", "title", "number", "filename", "storage_key",
                   "content_type", "size", "created_at", "read_at")
        self.table(Meter, "unit", "number", "kind", "measure")
        self.table(Consumption, "meter", "month", "amount", "measure", "factor", "kwh", "reading", "average_kwh",
                   "average_kwh_per_m2", "imported_at", "corrected_at")
        self.ticket_numbers = self._ticket_counters()
        self.document_numbers = set(Document.select(Document.number).tuples().iterator())
        self.demo_households = self._demo_households()
        for slug in (LIPSIA, ELSTERAUE):
            rng = random.Random(f"WIR large data {slug}")
            cooperative = Cooperative.get(Cooperative.slug == slug)
            size = LARGE[slug].scaled(self.scale)
            households, savers = self.cooperative(rng, cooperative, size)
            staff = [u.id for u in User.select(User.id).where(User.cooperative == cooperative).order_by(User.id)]
            categories = self._categories(cooperative)
            letter = self._shared_letter(cooperative)
            for _ in range(size.tickets):
                self.ticket(rng, cooperative, rng.choice(households), categories, staff)
            for _ in range(size.documents):
                self.document(rng, cooperative, rng.choice(households), letter, days=DAYS_OF_DOCUMENTS)
            for key, household in self.demo_households.items():
                if household.cooperative != slug:
                    continue
                ticket_count, document_count = DEMO_SHARE[key]
                for _ in range(ticket_count):
                    self.ticket(rng, cooperative, household, categories, staff)
                for _ in range(document_count):
                    self.document(rng, cooperative, household, letter, days=DAYS_OF_DOCUMENTS)
            if cooperative.has_savings:
                self.savings(rng, savers, size)
        for rows in self.rows.values():
            rows.flush()

    # --- units, persons, contracts ---

    def cooperative(self, rng, cooperative, size: Size) -> tuple[list[Household], list[Member]]:
        slug = cooperative.slug
        units = self.rows[Unit]
        flats, spaces = [], []
        low, high = BUILT[slug]
        for index in range(size.flats):
            house, place = divmod(index, FLATS_PER_HOUSE)
            floor, position = divmod(place, len(POSITIONS))
            street = STREETS[slug][house % len(STREETS[slug])]
            address = f"{street} {house // len(STREETS[slug]) * 2 + 1}"
            rooms, smallest, largest = FLAT_TYPES[rng.randrange(len(FLAT_TYPES))]
            area = Decimal(rng.randrange(smallest * 100, largest * 100)) / 100
            number = f"{FIRST_HOUSE[slug] + house}-{floor:02d}{position + 1:02d}"
            unit_id = units.add(cooperative.id, "flat", number, address, POSTCODE[slug], "Leipzig", FLOORS[floor],
                                POSITIONS[position], Decimal(rooms), area, HEATING[slug], rng.randint(low, high),
                                f"E-{number}")
            flats.append((unit_id, number, address, area))
        for index in range(size.parking_spaces):
            kind = "garage" if index % 5 == 0 else "parking"
            label = "Garage" if kind == "garage" else "Stellplatz"
            number = f"{FIRST_HOUSE[slug] + 5000 + index // 100}-{index % 100 + 1:04d}"
            street = STREETS[slug][index % len(STREETS[slug])]
            unit_id = units.add(cooperative.id, kind, number, f"{street} {index // 40 * 2 + 1}", POSTCODE[slug],
                                "Leipzig", "", f"{label} {index % 100 + 1}", None, None, "",
                                None if kind == "parking" else rng.randint(low, high), f"E-{number}")
            spaces.append((unit_id, number))
        garages = {number for _unit, number in spaces[::5]}

        contacts = [c.id for c in ContactPerson.select(ContactPerson.id).where(
            ContactPerson.cooperative == cooperative).order_by(ContactPerson.id)]
        persons = self.rows[Person]
        people: list[Member] = []

        def person(address, with_login) -> Member:
            number = str(FIRST_PERSON_NUMBER[slug] + len(people))
            female = rng.random() < 0.52
            first = rng.choice(FEMALE if female else MALE)
            last = rng.choice(LAST)
            user_id = self.user(rng, number) if with_login else None
            born = date(rng.randint(1935, 2004), rng.randint(1, 12), rng.randint(1, 28))
            person_id = persons.add(cooperative.id, number, "Frau" if female else "Herr", first, last, born, address,
                                    POSTCODE[slug], "Leipzig", user_id, f"P-{number}")
            people.append(Member(person_id, number, f"{first} {last}", user_id))
            return people[-1]

        contracts, parties = self.rows[Contract], self.rows[ContractParty]
        households = []
        occupants = {}  # flat → persons in its household
        co_tenants = size.persons - size.rentals - max(0, size.memberships - size.rentals)
        rented = rng.sample(flats, min(size.rentals, len(flats)))
        for index, (unit_id, unit_number, address, area) in enumerate(rented):
            main = person(address, rng.random() < 0.45)
            start = self.today - timedelta(days=rng.randint(60, 40 * 365))
            base = _money(area * Decimal("6.10"))
            household = 1 + (index < co_tenants) + rng.choice([0, 0, 0, 1, 2])
            contract_id = contracts.add(
                cooperative.id, "rental", f"MV-{unit_number}", unit_id, start, rng.choice(contacts), base,
                _money(area * Decimal("1.90")), _money(area * Decimal("1.30")), household,
                _money(rng.choice([0] * 40 + [85, 412.36])), None, None, None, None, f"V-MV-{unit_number}",
            )
            parties.add(contract_id, main.id, "main")
            occupants[unit_id] = household
            if index < co_tenants:
                parties.add(contract_id, person(address, False).id, "co")
            self.bank_account(rng, slug, contract_id, f"MV-{unit_number}", main.name, start)
            households.append(Household(main.id, main.user_id, contract_id, slug, main.name))
        for unit_id, unit_number in spaces[:size.parking_contracts]:
            tenant = rng.choice(households)
            start = self.today - timedelta(days=rng.randint(60, 20 * 365))
            prefix = "GA" if unit_number in garages else "SP"
            number = f"{prefix}-{unit_number}"
            contract_id = contracts.add(cooperative.id, "parking", number, unit_id, start, rng.choice(contacts),
                                        _money(rng.choice([25, 30, 45])), None, None, None, _money(0), None, None,
                                        None, None, f"V-{number}")
            parties.add(contract_id, tenant.person_id, "main")
            self.bank_account(rng, slug, contract_id, number, tenant.name, start)
        # members without a flat (savers, relatives) until the persons are complete
        while len(people) < size.persons:
            street = rng.choice(["Karl-Liebknecht-Straße", "Eisenbahnstraße", "Georg-Schwarz-Straße"])
            person(f"{street} {rng.randint(1, 120)}", rng.random() < 0.3)
        for member in people[: size.memberships]:
            admitted = self.today - timedelta(days=rng.randint(60, 40 * 365))
            mandatory = rng.choice([3, 6, 9])
            voluntary = rng.choice([0, 0, 2, 5, 10])
            share = SHARE_AMOUNT[slug]
            contract_id = contracts.add(cooperative.id, "membership", f"MG-{member.number}",
                                        None, admitted, rng.choice(contacts), None, None, None, None, _money(0),
                                        mandatory, voluntary, share, share * (mandatory + voluntary),
                                        f"V-MG-{member.number}")
            parties.add(contract_id, member.id, "member")
        self.consumption(slug, flats, occupants)
        return households, rng.sample(people, min(size.savers, len(people)))

    def consumption(self, slug: str, flats, occupants: dict[int, int]) -> None:
        """Every flat's meters with 36 months, house by house: each row carries its house's average user (the mean
        of the house's flats). Its own seed, so the other tables stay as they were."""
        rng = random.Random(f"WIR large data Verbrauch {slug}")
        months = consumption_months(self.today)
        imported = [imported_at(month, self.now) for month in months]
        houses = {}
        for flat in flats:
            houses.setdefault(flat[2], []).append(flat)
        meters, rows = self.rows[Meter], self.rows[Consumption]
        for house, flats_of_house in enumerate(houses.values()):
            radiators = slug == ELSTERAUE or house % 3 == 2
            per_m2 = rng.uniform(*HEATING_PER_M2[slug])
            plan = []
            for unit_id, number, _address, area in flats_of_house:
                area = float(area)
                persons = occupants.get(unit_id) or rng.choice([1, 2, 2, 3])
                own = per_m2 * rng.uniform(0.7, 1.3)
                jitter = [rng.uniform(0.92, 1.08) for _ in months]
                plan.append((unit_id, number, area, [flat_month(month, area, own, persons, wobble)
                                                     for month, wobble in zip(months, jitter)]))
            area = sum(flat[2] for flat in plan) / len(plan)
            average_user = [{kind: sum(flat[3][i][kind] for flat in plan) / len(plan) for kind in Meter.KINDS}
                            for i in range(len(months))]
            averages = {}  # (month, kind, in kWh) → (per flat, per m²), the same for every flat of the house
            for unit_id, number, flat_area, totals in plan:
                for meter_number, kind, measure, factor, share in _meters_of(number, flat_area, radiators):
                    meter_id = meters.add(unit_id, meter_number, kind, measure)
                    reading = Decimal(rng.randrange(100, 40_000 if measure == "kWh" else 900))
                    for i, month in enumerate(months):
                        amount, kwh = meter_month(kind, measure, factor, share, totals[i])
                        reading += amount
                        key = (i, kind, kwh is not None)
                        if key not in averages:
                            averages[key] = average_month(kind, kwh is not None, average_user[i], area)
                        average, average_per_m2 = averages[key]
                        rows.add(meter_id, month, amount, measure, factor, kwh, reading, average, average_per_m2,
                                 imported[i], None)

    def user(self, rng, number: str) -> int:
        registered = self.now - timedelta(days=rng.randint(5, 700), minutes=rng.randint(0, 1440))
        return self.rows[User].add(f"mitglied.{number}@example.org", self.password_hash, User.ROLE_TENANT,
                                   registered + timedelta(minutes=5), registered, registered + timedelta(minutes=9),
                                   registered + timedelta(days=rng.randint(0, 4)))

    def bank_account(self, rng, slug, contract_id, contract_number, holder, start) -> None:
        bank = rng.choice(list(BANKS.values()))
        valid_from = max(start, SEPA_START)
        iban_number = iban(bank[0], str(rng.randrange(10**8, 10**10)))
        self.rows[BankAccount].add(contract_id, holder, iban_number, bank[1], bank[2],
                                   f"{MANDATE_PREFIX[slug]}-{contract_number}-01", valid_from, "active", None, None,
                                   clock.local_midnight(valid_from), None, f"B-{contract_number}-1")

    def _demo_households(self) -> dict[str, Household]:
        """The demo persons with a login and their first contract (rental before parking before membership)."""
        found = {}
        for row in PERSONS:
            if row.key not in DEMO_SHARE:
                continue
            person = Person.get((Person.number == row.number) & (Person.cooperative == Cooperative.get(
                Cooperative.slug == row.cooperative)))
            party = (ContractParty.select(ContractParty, Contract).join(Contract)
                     .where(ContractParty.person == person).order_by(Contract.kind.desc(), Contract.id).first())
            found[row.key] = Household(person.id, person.user_id, party.contract_id, row.cooperative,
                                       person.full_name)
        return found

    # --- tickets ---

    def _ticket_counters(self) -> dict[tuple[str, int], int]:
        """The last number of every series (L-2026-…) already there: new numbers continue it."""
        counters = {}
        for (number,) in Ticket.select(Ticket.number).tuples().iterator():
            prefix, year, count = number.split("-")
            counters[prefix, int(year)] = max(counters.get((prefix, int(year)), 0), int(count))
        return counters

    def _categories(self, cooperative):
        """The categories a tenant picks themselves (no emergency, none the portal's own forms file)."""
        return list(
            TicketCategory.select().join(TicketType)
            .where((TicketType.cooperative == cooperative) & ~TicketCategory.is_emergency & (TicketCategory.key == ""))
            .order_by(TicketCategory.id)
        )

    def ticket(self, rng, cooperative, household: Household, categories, staff) -> None:
        category = rng.choice(categories)
        created = self.now - timedelta(days=rng.random() * DAYS_OF_TICKETS)
        series = (TICKET_PREFIX[cooperative.slug], created.year)
        self.ticket_numbers[series] = self.ticket_numbers.get(series, 0) + 1
        number = f"{series[0]}-{series[1]}-{self.ticket_numbers[series]:04d}"
        clerk = rng.choice(staff)
        # portal users file their own; for the others staff took the ticket down at the desk
        tenant = household.user_id if household.user_id is not None else clerk
        events = [("message", created, False, rng.choice(TENANT_TEXTS))] + self._story(rng, created)
        status, waiting_since, version, updated = TicketStatus.RECEIVED, created, 1, created
        for kind, moment, *payload in events:
            if kind == "status":
                new_status = payload[0]
                if new_status not in Ticket.WAITING_STATUSES:
                    waiting_since = None
                elif status not in Ticket.WAITING_STATUSES:
                    waiting_since = moment
                status = new_status
            if moment > created:
                version += 1
                updated = moment
        # what changed in the last days is partly still "neu" for the tenant
        seen = created if self.now - updated < timedelta(days=3) and rng.random() < 0.5 else updated
        assigned = clerk if status in Ticket.OPEN_STATUSES and status != TicketStatus.RECEIVED else None
        contract = household.contract_id if category.needs_contract or rng.random() < 0.7 else None
        subject = rng.choice(SUBJECTS.get(category.name, [category.name]))
        ticket_id = self.rows[Ticket].add(
            cooperative.id, number, household.person_id, contract, category.id, subject, "", "", status, created,
            tenant, updated, seen, assigned, version, waiting_since, updated,
        )
        previous = None
        for kind, moment, *payload in events:
            if kind == "message":
                from_staff, body = payload
                self.rows[TicketMessage].add(ticket_id, clerk if from_staff else tenant, from_staff, body, moment)
            else:
                new_status, reason = payload
                by = tenant if new_status == TicketStatus.WITHDRAWN or previous is None else clerk
                self.rows[TicketStatusChange].add(ticket_id, previous, new_status, reason, by, moment)
                previous = new_status

    def _story(self, rng, created: datetime) -> list:
        """What happened to a ticket after filing, by its age: old ones are mostly done."""
        age = self.now - created

        def at(hours):
            return min(created + timedelta(hours=hours), self.now)

        story = [("status", created, TicketStatus.RECEIVED, "")]
        if age < timedelta(hours=6) or rng.random() < 0.03:
            return story
        story.append(("status", at(rng.randint(2, 30)), TicketStatus.IN_PROGRESS, ""))
        hours = 30
        if rng.random() < 0.15:
            hours += rng.randint(1, 48)
            story += [("message", at(hours), True, rng.choice(QUESTIONS)),
                      ("status", at(hours), TicketStatus.QUERY, "")]
            if age < timedelta(days=10) and rng.random() < 0.5:
                return story  # still waiting for the tenant
            hours += rng.randint(2, 72)
            story += [("message", at(hours), False, rng.choice(TENANT_TEXTS)),
                      ("status", at(hours), TicketStatus.IN_PROGRESS, "")]
        if age < timedelta(days=14) and rng.random() < 0.6:
            return story
        ending = rng.random()
        hours += rng.randint(24, 24 * 12)
        if ending < 0.05:
            story.append(("status", at(hours), TicketStatus.WITHDRAWN, ""))
        elif ending < 0.1:
            story.append(("status", at(hours), TicketStatus.REJECTED, rng.choice(REJECT_REASONS)))
        else:
            story.append(("status", at(hours), TicketStatus.COMMISSIONED, ""))
            if age < timedelta(days=30) and rng.random() < 0.5:
                return story
            hours += rng.randint(24, 24 * 20)
            story += [("message", at(hours), True, rng.choice(STAFF_ANSWERS)),
                      ("status", at(hours), TicketStatus.CLOSED, "")]
        return story

    # --- documents ---

    def _shared_letter(self, cooperative) -> tuple[str, int]:
        """One real PDF per cooperative that every generated document opens: (storage key, size)."""
        letter = cooperative_letter.Letter(
            letterhead=documents.letterhead(cooperative), number=f"{cooperative.slug[0].upper()}D-MUSTER",
            issued_on=self.today, recipient=("Mitglieder der Genossenschaft", cooperative.street,
                                             f"{cooperative.postcode} {cooperative.city}"),
            subject="Information Ihrer Genossenschaft", salutation="Sehr geehrte Damen und Herren,",
            paragraphs=("dieses Schreiben steht stellvertretend für die Briefe in den Testdaten.",),
            signatory="Ihre Genossenschaft", reference=(),
        )
        pdf = cooperative_letter.build(letter, creation_date=datetime.combine(self.today, datetime.min.time()))
        return storage.store(pdf), len(pdf)

    def document(self, rng, cooperative, household: Household, letter, days: int) -> None:
        kind, title, _weight = rng.choices(DOCUMENT_KINDS, weights=[k[2] for k in DOCUMENT_KINDS])[0]
        created = self.now - timedelta(days=rng.random() * days)
        title = title.format(year=created.year - (kind == "operating_costs_statement"))
        while (number := documents.new_number(cooperative, rng)) in self.document_numbers:
            pass
        self.document_numbers.add(number)
        # what is older than a few weeks was mostly opened
        read = None if self.now - created < timedelta(days=30) or rng.random() < 0.1 else created + timedelta(days=2)
        key, size = letter
        self.rows[Document].add(household.person_id, household.contract_id, kind, title, number,
                                documents.file_name(title, number), key, "application/pdf", size, created, read)

    # --- savings ---

    def savings(self, rng, savers: list[Member], size: Size) -> None:
        accounts = [(saver, 1) for saver in savers]
        accounts += [(saver, 2) for saver in savers[: max(0, size.savings_accounts - len(savers))]]
        exempt = set()
        for saver in savers:
            if rng.random() < 0.3:
                exempt.add(saver.id)
                valid_from = date(rng.randint(2023, self.today.year), 1, 1)
                self.rows[ExemptionOrder].add(saver.id, False, _money(rng.choice([300, 500, 801, 1000])), valid_from,
                                              _tax_id(rng), clock.local_midnight(valid_from))
        products = [PRODUCTS[rng.randrange(len(PRODUCTS))] for _ in accounts]
        # a fixed deposit (Festzins) takes one deposit; the other accounts share the bookings
        per_account = size.bookings / max(1, sum(1 for product in products if product[3] is None))
        for (saver, position), (product, rate, notice, term) in zip(accounts, products):
            opened = self.today - timedelta(days=rng.randint(200, 12 * 365))
            count = 1 if term else max(1, round(per_account * rng.uniform(0.4, 1.6)))
            matures = _months_ago(opened, -term) if term else None
            self.account(rng, saver.id, f"5{saver.number}-{position:02d}", product, rate, notice, opened, matures,
                         count, saver.id not in exempt)
        key, number, count = BIG_ACCOUNT
        self.account(rng, self.demo_households[key].person_id, number, "Sparbuch", "0.250", 3, self.today - timedelta(days=10 * 365), None,
                     max(1000, round(count * self.scale)), taxed=False)

    def account(self, rng, person_id, number, product, rate, notice, opened, matures, count, taxed) -> None:
        """A savings account with ``count`` deposits and withdrawals on random days, and its interest."""
        span = (self.today - opened).days
        events = [(opened, "Einzahlung", _money(rng.choice([500, 1000, 2500, 5000])))]
        for _ in range(count - 1):
            day = opened + timedelta(days=rng.randint(0, span))
            amount = _money(rng.randrange(2000, 60000) / 100)
            events.append((day, "Einzahlung", amount) if rng.random() < 0.7 else (day, "Auszahlung", -amount))
        bookings, balance = [], Decimal("0.00")
        for day, kind, amount in savings_bookings(opened, events, Decimal(rate), taxed, self.today):
            if balance + amount < 0:
                continue  # a withdrawal never takes more than there is
            balance += amount
            bookings.append((day, kind, amount, balance))
        account_id = self.rows[SavingsAccount].add(person_id, number, product, Decimal(rate), notice, opened, matures,
                                                   balance, f"S-{number}")
        for day, kind, amount, after in bookings:
            self.rows[SavingsTransaction].add(account_id, day, day, kind, amount, after)


def _meters_of(unit_number: str, area: float, radiators: bool) -> list[tuple]:
    """A flat's meters (number, kind, measure, factor, share): heating by a heat meter, or by one
    Heizkostenverteiler per radiator (more rooms, more radiators); hot water in m³ with its factor; cold water."""
    if radiators:
        count = 2 if area < 40 else 3 if area < 58 else 4 if area < 72 else 5
        weights = RADIATOR_WEIGHTS[:count]
        heating = [(f"HKV {unit_number}-{position}", "heating", "Einheiten", RADIATOR_FACTORS[position - 1],
                    weight / sum(weights)) for position, weight in enumerate(weights, start=1)]
    else:
        heating = [(f"WMZ {unit_number}", "heating", "kWh", None, 1.0)]
    return heating + [(f"WWZ {unit_number}", "hot_water", "m³", HOT_WATER_KWH_PER_M3, 1.0),
                      (f"KWZ {unit_number}", "cold_water", "m³", None, 1.0)]


def _tax_id(rng) -> str:
    """A valid Steuer-ID (11 digits, one digit twice or three times among the first ten, MOD 11,10 check)."""
    from stdnum.de import idnr
    from stdnum.iso7064 import mod_11_10

    while True:
        digits = rng.sample("0123456789", 9)
        if digits[0] == "0":
            continue
        digits.insert(rng.randrange(1, 10), rng.choice(digits))
        body = "".join(digits)
        candidate = body + mod_11_10.calc_check_digit(body)
        if idnr.is_valid(candidate):
            return candidate
