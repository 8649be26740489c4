"""Builds the demo from its tables. Nothing is random between runs (seeded); dates move with today.

Every row the ERP delivers carries the ERP's own key (``erp_key``), as if it had come through the import
(docs/import.md): a letter for the file and the number the ERP shows, e.g. ``P-104711`` for a person,
``V-MV-1001-0203`` for a contract. So the export (docs/export.md) of a demo change names the ERP's objects.
"""

import math
import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from wir import clock
from wir.demo.tables import (
    ADMIN,
    BANKS,
    BK_DELIVERED_DAYS_AGO,
    BK_READ_DAYS_AGO,
    BUILDING_AVERAGES,
    CENT,
    CONSUMPTION_MONTHS,
    CONTRACTORS,
    COOPERATIVES,
    CORRECTED_MONTH,
    EXEMPTION_ORDERS,
    FLATS_PER_BUILDING,
    HEATING_RATE,
    KAPEST_RATE,
    LETTERS,
    MANDATE_PREFIX,
    MEMBERSHIPS,
    METERS,
    MISSING_MONTH,
    NEWS,
    OPERATING_COSTS,
    PARKING,
    PAYING_ACCOUNTS,
    PERSONS,
    REGISTRATION_CODES,
    RENTALS,
    REPLY_TEMPLATES,
    SAVINGS_ACCOUNTS,
    SAVINGS_TERMS,
    SEPA_START,
    SHARE_AMOUNT,
    SOLI_RATE,
    SQUARE_METRES_PER_RESIDENT,
    STAFF,
    STAFF_SALUTATIONS,
    TENANT_USERS,
    TICKET_PREFIX,
    TICKET_TYPES,
    TICKETS,
    UNITS,
    iban,
)
from wir.formatting import number as german_number
from wir.models import (
    Absence,
    BankAccount,
    Consumption,
    ContactPerson,
    Contract,
    Contractor,
    ContractParty,
    Cooperative,
    ExemptionOrder,
    Meter,
    NewsItem,
    Person,
    PhoneNumber,
    RegistrationCode,
    ReplyTemplate,
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
from wir.pdf import cooperative_letter, operating_costs
from wir.pdf.data import Flat
from wir.services.account.passwords import hash_password
from wir.services.consumption import notices
from wir.services.documents import documents
from wir.services.erp_export import changes


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _months_ago(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, min(today.day, 28))


def savings_bookings(opened: date, events, rate: Decimal, taxed: bool, today: date):
    """An account's bookings in order: ``events`` (day, kind, amount) with the interest on every 31 December
    before ``today``, taxed (KapESt and Soli) without an exemption order."""
    events = events + [(date(year, 12, 31), "Zinsgutschrift", None) for year in range(opened.year, today.year)]
    events.sort(key=lambda event: (event[0], event[2] is None))
    balance = Decimal("0.00")
    for day, kind, amount in events:
        if amount is not None:
            balance += amount
            yield day, kind, amount
            continue
        days_held = (day - max(opened, date(day.year, 1, 1))).days + 1
        interest = _money(balance * rate / 100 * days_held / 365)
        balance += interest
        yield day, kind, interest
        if taxed:
            kapest = _money(interest * KAPEST_RATE)
            soli = _money(kapest * SOLI_RATE)
            balance -= kapest + soli
            yield day, "KapESt", -kapest
            yield day, "Soli", -soli


# --- Verbrauch: one model of a flat's month for the demo and the large data ----------------------------------

# a year's heating by month in Leipzig (heating degree days), January first
HEATING_SHARES = (0.170, 0.150, 0.125, 0.080, 0.040, 0.012, 0.005, 0.006, 0.030, 0.080, 0.130, 0.172)
HOT_WATER_M3 = 0.75  # per person and month
COLD_WATER_M3 = 2.6
HOT_WATER_KWH_PER_M3 = Decimal(58)  # heating water from 10 °C to 60 °C
_PLACES = {"kWh": Decimal("0.1"), "m³": Decimal("0.01"), "Einheiten": Decimal(1)}
_KWH = Decimal("0.001")


def consumption_months(today: date) -> list[date]:
    """The demo's months of Verbrauch, oldest first: full months ending with the one before today's."""
    return clock.months_before(today, CONSUMPTION_MONTHS)[::-1]


def _winter(year: int) -> float:
    """How cold a year's winter was, the same for every flat (seeded by the year)."""
    return random.Random(f"WIR winter {year}").uniform(0.88, 1.12)


def flat_month(month: date, area: float, heating_per_m2: float, persons: float, jitter: float = 1.0) -> dict:
    """A flat's month by kind: heating in kWh (a winter curve), hot and cold water in m³ (a little more hot water in
    winter); ``jitter`` is the household's own variation."""
    season = math.cos((month.month - 1) / 6 * math.pi)  # 1 in January, -1 in July
    return {"heating": heating_per_m2 * area * HEATING_SHARES[month.month - 1] * _winter(month.year) * jitter,
            "hot_water": persons * HOT_WATER_M3 * (1 + 0.12 * season) * jitter,
            "cold_water": persons * COLD_WATER_M3 * (1 - 0.05 * season) * jitter}


def meter_month(kind: str, measure: str, factor: Decimal | None, share: float, totals: dict):
    """What a meter counts of the flat's month ``totals`` (flat_month), and its kWh: (amount, kWh or None)."""
    value = totals[kind] * share
    if kind == "hot_water" and measure == "kWh":
        value *= float(HOT_WATER_KWH_PER_M3)
    elif measure == "Einheiten":
        value /= float(factor)
    amount = Decimal(f"{value:.3f}").quantize(_PLACES[measure])
    if measure == "kWh":
        return amount, amount
    return amount, (amount * factor).quantize(_KWH) if factor is not None else None


def average_month(kind: str, in_kwh: bool, totals: dict, area: float):
    """The building's average user for a meter's row: (per flat, per m²), in kWh where the row has kWh (hot water
    heated with 58 kWh per m³), else in m³."""
    value = totals[kind] * (float(HOT_WATER_KWH_PER_M3) if kind == "hot_water" and in_kwh else 1)
    return Decimal(f"{value:.3f}"), Decimal(f"{value / area:.3f}")


def imported_at(month: date, now: datetime) -> datetime:
    """When the metering service's values of a month came: early on the third of the next month."""
    return min(datetime.combine(clock.add_months(month, 1), datetime.min.time()) + timedelta(days=2, hours=5), now)


class Builder:
    """Creates the tables above in dependency order, remembering rows by their keys."""

    def __init__(self, now: datetime, today: date):
        self.now = now
        self.today = today
        self.cooperatives = {}
        self.contact_persons = {}
        self.users = {}
        self.units = {}
        self.persons = {}
        self.contracts = {}
        self.categories = {}

    def build(self):
        for spec in COOPERATIVES:
            self.cooperatives[spec["slug"]] = Cooperative.create(**spec)
        self.staff()
        self.tenant_users()
        self.units_and_persons()
        self.contracts_and_bank_accounts()
        self.ticket_types()
        self.tickets()
        self.savings()
        self.news()
        self.reply_templates()
        self.contractors()
        self.absence()
        self.letters()
        self.consumption()
        self.waiting_export_changes()

    def waiting_export_changes(self):
        """The demo tenants registered in the portal: their access and contact data wait for the ERP's export, so the
        admin's Export ins ERP (/intern/export) shows a real run from the start (docs/export.md)."""
        for user in self.users.values():
            changes.portal_access(user, changes.REGISTERED, user)
            changes.portal_access(user, changes.CONFIRMED, user)
            if user.phone_numbers.exists():
                changes.contact_data(user, user, action="new")

    def consumption(self):
        """The demo flats' meters with 36 months each; Jürgen Müller's heat meter misses one month and had one
        corrected."""
        months = consumption_months(self.today)
        households = {unit: household for _n, unit, _s, _c, _p, _b, _o, _h, household, _a in RENTALS}
        for unit_number, (heating_per_m2, meters) in METERS.items():
            unit = self.units[unit_number]
            area = float(unit.living_area)
            average_per_m2, average_area = BUILDING_AVERAGES[unit.street]
            jitters = random.Random(f"WIR demo Verbrauch {unit_number}")
            flat = {month: flat_month(month, area, heating_per_m2, households[unit_number],
                                      jitters.uniform(0.9, 1.1)) for month in months}
            average_user = {month: flat_month(month, float(average_area), average_per_m2, 1.9) for month in months}
            for number, kind, measure, factor, share in meters:
                factor = Decimal(factor) if factor else None
                meter = Meter.create(unit=unit, number=number, kind=kind, measure=measure)
                reading = Decimal(random.Random(number).randrange(100, 40_000 if measure == "kWh" else 900))
                rows = []
                for back, month in zip(range(len(months), 0, -1), months):
                    amount, kwh = meter_month(kind, measure, factor, float(share), flat[month])
                    reading += amount
                    if (number, back) == MISSING_MONTH:
                        continue  # the service never delivered it; the meter still counted
                    average, per_m2 = average_month(kind, kwh is not None, average_user[month],
                                                    float(average_area))
                    imported = imported_at(month, self.now)
                    corrected = imported + timedelta(days=9, hours=3) if (number, back) == CORRECTED_MONTH else None
                    rows.append({"meter": meter, "month": month, "amount": amount, "measure": measure,
                                 "factor": factor, "kwh": kwh, "reading": reading, "average_kwh": average,
                                 "average_kwh_per_m2": per_m2, "imported_at": imported, "corrected_at": corrected})
                Consumption.insert_many(rows).execute()
        # the months came long ago and were told then: the worker's hourly sweep owes the demo's tenants no mail
        # (it would mail them at the next minute 29 of make run, and into any test that runs a worker then)
        notices.announce(self.today, mailing=False)

    def days_ago(self, days) -> datetime:
        return self.now - timedelta(days=days)

    def staff(self):
        contact_numbers = {}  # per cooperative: AP-1, AP-2, … as the ERP numbers its Ansprechpartner
        for key, coop, name, phone, email, hours, password, totp_secret in STAFF:
            contact_numbers[coop] = contact_numbers.get(coop, 0) + 1
            user = User.create(
                email=email, password_hash=hash_password(password), role=User.ROLE_STAFF,
                cooperative=self.cooperatives[coop], staff_name=name,
                confirmed_at=self.days_ago(700), created_at=self.days_ago(700),
                totp_secret=totp_secret, totp_confirmed_at=self.days_ago(700),
            )
            self.contact_persons[key] = ContactPerson.create(
                cooperative=self.cooperatives[coop], salutation=STAFF_SALUTATIONS[key], name=name, phone=phone,
                email=email, office_hours=hours, user=user,
                erp_key=f"AP-{contact_numbers[coop]}",
            )
        User.create(
            email=ADMIN["email"], password_hash=hash_password(ADMIN["password"]), role=User.ROLE_ADMIN,
            staff_name=ADMIN["name"], confirmed_at=self.days_ago(720), created_at=self.days_ago(720),
            totp_secret=ADMIN["totp_secret"], totp_confirmed_at=self.days_ago(720),
        )

    def tenant_users(self):
        for key, email, password, registered, reviewed, phones in TENANT_USERS:
            user = User.create(
                email=email, password_hash=hash_password(password), role=User.ROLE_TENANT,
                created_at=self.days_ago(registered), confirmed_at=self.days_ago(registered) + timedelta(minutes=7),
                contact_reviewed_at=self.days_ago(registered) + timedelta(minutes=12) if reviewed else None,
                last_login_at=self.days_ago(min(registered, 3)),
            )
            for position, (kind, number) in enumerate(phones):
                PhoneNumber.create(user=user, kind=kind, number=number, position=position)
            self.users[key] = user

    def units_and_persons(self):
        for coop, number, kind, street, postcode, floor, position, rooms, area, heating, year in UNITS:
            self.units[number] = Unit.create(
                cooperative=self.cooperatives[coop], kind=kind, number=number, street=street, postcode=postcode,
                city="Leipzig", floor=floor, position=position, heating=heating, year_built=year,
                rooms=Decimal(rooms) if rooms else None, living_area=Decimal(area) if area else None,
                erp_key=f"E-{number}",
            )
        for key, coop, number, salutation, first, last, born, home, login in PERSONS:
            unit = self.units[home]
            self.persons[key] = Person.create(
                cooperative=self.cooperatives[coop], number=number, salutation=salutation, first_name=first,
                last_name=last, birth_date=born, street=unit.street, postcode=unit.postcode, city=unit.city,
                user=self.users.get(login), erp_key=f"P-{number}",
            )
        for key, code in REGISTRATION_CODES:
            RegistrationCode.create(
                person=self.persons[key], code=code, created_at=self.days_ago(3), expires_at=self.days_ago(-90)
            )

    def contract(self, number, kind, start, contact, parties, unit=None, **fields):
        """A contract with its parties; rent and parking contracts also get the main tenant's bank account."""
        main = parties[0][0]
        contract = Contract.create(
            cooperative=self.persons[main].cooperative, kind=kind, number=number, unit=self.units.get(unit),
            start_date=start, contact_person=self.contact_persons[contact], erp_key=f"V-{number}", **fields,
        )
        for position, (person, role) in enumerate(parties, start=1):
            ContractParty.create(contract=contract, person=self.persons[person], role=role,
                                 erp_key=f"VP-{number}-{position}")
        self.contracts[number] = contract
        if kind != "membership":
            self.bank_account(contract, main)

    def contracts_and_bank_accounts(self):
        for number, unit, start, contact, parties, base, operating, heating, household, arrears in RENTALS:
            self.contract(
                number, "rental", start, contact, parties, unit=unit,
                base_rent=_money(base), operating_costs=_money(operating), heating_costs=_money(heating),
                household_size=household, arrears=_money(arrears),
            )
        for number, unit, start, contact, tenant, rent in PARKING:
            self.contract(number, "parking", start, contact, [(tenant, "main")], unit=unit, base_rent=_money(rent))
        for number, member, start, contact, mandatory, voluntary, paid_in in MEMBERSHIPS:
            share = SHARE_AMOUNT[self.persons[member].cooperative.slug]
            self.contract(
                number, "membership", start, contact, [(member, "member")],
                mandatory_shares=mandatory, voluntary_shares=voluntary, share_amount=share, paid_in=_money(paid_in),
            )

    def bank_account(self, contract, holder_key):
        holder = self.persons[holder_key]
        bank, account_number = PAYING_ACCOUNTS[holder_key]
        bank_code, bic, bank_name = BANKS[bank]
        prefix = MANDATE_PREFIX[contract.cooperative.slug]
        valid_from = max(contract.start_date, SEPA_START)
        BankAccount.create(
            contract=contract, holder=holder.full_name, iban=iban(bank_code, account_number), bic=bic,
            bank_name=bank_name, mandate_reference=f"{prefix}-{contract.number}-01", valid_from=valid_from,
            status="active", created_at=clock.local_midnight(valid_from), erp_key=f"B-{contract.number}-1",
        )

    def ticket_types(self):
        for coop in self.cooperatives.values():
            for type_position, (type_name, categories) in enumerate(TICKET_TYPES):
                offered = [c for c in categories if coop.has_savings or not c["savings_only"]]
                if not offered:
                    continue
                ticket_type = TicketType.create(cooperative=coop, name=type_name, position=type_position)
                for position, spec in enumerate(offered):
                    fields = {k: v for k, v in spec.items() if k != "savings_only"}
                    self.categories[coop.slug, spec["name"]] = TicketCategory.create(
                        ticket_type=ticket_type, position=position, **fields
                    )

    def tickets(self):
        """Tickets in the order they were filed, numbered per cooperative and year: L-2026-0001, …"""
        counters = {}
        for spec in sorted(TICKETS, key=lambda spec: -spec["days_ago"]):
            created = self.days_ago(spec["days_ago"])
            series = (TICKET_PREFIX[self.persons[spec["person"]].cooperative.slug], created.year)
            counters[series] = counters.get(series, 0) + 1
            self.ticket(spec, created, f"{series[0]}-{series[1]}-{counters[series]:04d}")

    def ticket(self, spec, created, number):
        person = self.persons[spec["person"]]
        coop = person.cooperative
        contract = self.contracts.get(spec.get("contract"))
        contact = contract.contact_person if contract else coop.contact_persons.order_by(ContactPerson.id).first()
        staff = contact.user
        tenant = person.user
        ticket = Ticket.create(
            cooperative=coop, number=number, person=person, contract=contract,
            category=self.categories[coop.slug, spec["category"]], subject=spec["subject"],
            phone=spec.get("phone", ""), location=spec.get("location", ""), status=TicketStatus.RECEIVED,
            created_at=created, created_by=tenant, updated_at=created, activity_at=created, waiting_since=created,
        )
        TicketStatusChange.create(ticket=ticket, new_status=TicketStatus.RECEIVED, changed_by=tenant,
                                  changed_at=created)
        for hours, who, *payload in spec["story"]:
            moment = created + timedelta(hours=hours)
            assert moment <= self.now, spec["subject"]
            if who == "status":
                new_status, reason = payload[0], (payload[1] if len(payload) > 1 else "")
                TicketStatusChange.create(
                    ticket=ticket, old_status=ticket.status, new_status=new_status, reason=reason,
                    changed_by=tenant if new_status == TicketStatus.WITHDRAWN else staff, changed_at=moment,
                )
                if new_status not in Ticket.WAITING_STATUSES:
                    ticket.waiting_since = None
                elif ticket.status not in Ticket.WAITING_STATUSES:
                    ticket.waiting_since = moment
                ticket.status = new_status
            else:
                TicketMessage.create(
                    ticket=ticket, author=staff if who == "staff" else tenant, from_staff=who == "staff",
                    body=payload[0], created_at=moment,
                )
            ticket.updated_at = ticket.activity_at = moment
            ticket.version += 1
        # what changed in the last days is still "neu" for the tenant; older news they have seen
        recent = self.now - ticket.updated_at < timedelta(days=3)
        ticket.tenant_seen_at = created if recent else ticket.updated_at
        ticket.save()

    def savings(self):
        for key, joint, amount, valid_from, tax_id in EXEMPTION_ORDERS:
            ExemptionOrder.create(
                erp_key=f"F-{self.persons[key].number}-1",
                person=self.persons[key], joint=joint, amount=_money(amount), valid_from=valid_from,
                tax_id=tax_id, created_at=clock.local_midnight(valid_from - timedelta(days=40)),
            )  # handed in on paper, before the portal existed
        exempt = {order[0] for order in EXEMPTION_ORDERS}
        for key, number, product, rate, notice, opened_ago, first, bookings in SAVINGS_ACCOUNTS:
            person = self.persons[key]
            assert person.cooperative.has_savings, key
            opened = _months_ago(self.today, opened_ago)
            account = SavingsAccount.create(
                person=person, number=number, product=product, interest_rate=Decimal(rate),
                notice_months=notice, opened_on=opened,
                matures_on=_months_ago(opened, -SAVINGS_TERMS[number]) if number in SAVINGS_TERMS else None,
                erp_key=f"S-{number}",
            )
            balance = Decimal("0.00")
            bookings = self.savings_bookings(opened, first, bookings, Decimal(rate), key not in exempt)
            for position, (day, kind, amount) in enumerate(bookings, start=1):
                balance += amount
                SavingsTransaction.create(
                    account=account, booking_date=day, value_date=day, kind=kind, amount=amount, balance_after=balance,
                    erp_key=f"U-{number}-{position}",
                )
            account.balance = balance
            account.save()

    def savings_bookings(self, opened, first, bookings, rate, taxed):
        """The account's bookings in order, with interest on every 31 December (taxed without an exemption order)."""
        events = [(opened, "Einzahlung", _money(first))]
        events += [(_months_ago(self.today, months), kind, _money(amount)) for months, kind, amount in bookings]
        return savings_bookings(opened, events, rate, taxed, self.today)

    def news(self):
        for coop, title, body, published, expires in NEWS:
            NewsItem.create(
                cooperative=self.cooperatives[coop], title=title, body=body, published_at=self.days_ago(published),
                expires_at=None if expires is None else self.days_ago(-expires),
            )

    def absence(self):
        """Thomas Schröder's holiday in two weeks, Sandra Köhler standing in (/intern/abwesenheit)."""
        Absence.create(user=self.contact_persons["schroeder"].user, deputy=self.contact_persons["koehler"].user,
                       starts_on=self.today + timedelta(days=14), ends_on=self.today + timedelta(days=25),
                       created_at=self.days_ago(3))

    def reply_templates(self):
        for coop, author, title, body in REPLY_TEMPLATES:
            by, written = self.contact_persons[author].user, self.days_ago(150)
            ReplyTemplate.create(cooperative=self.cooperatives[coop], title=title, body=body, created_by=by,
                                  created_at=written, updated_by=by, updated_at=written)

    def contractors(self):
        for coop, name, trade, email, phone in CONTRACTORS:
            Contractor.create(cooperative=self.cooperatives[coop], name=name, trade=trade, email=email, phone=phone,
                              updated_at=self.days_ago(200))

    def letters(self):
        """The cooperatives' letters in Dokumente: real PDFs in storage, numbered the same on every run."""
        numbers = random.Random("WIR demo documents")
        for contract in self.contracts.values():
            if contract.kind == "rental":
                self.operating_costs_statement(contract, numbers)
        for key, contract_number, days, opened, subject, paragraphs in LETTERS:
            person = self.persons[key]
            contract = self.contracts[contract_number]
            delivered = self.days_ago(days)
            letter = cooperative_letter.Letter(
                letterhead=documents.letterhead(person.cooperative),
                number=documents.new_number(person.cooperative, numbers),
                issued_on=delivered.date(),
                recipient=(person.full_name, person.street, f"{person.postcode} {person.city}"),
                subject=subject,
                salutation=cooperative_letter.salutation([person]),
                paragraphs=tuple(paragraphs),
                signatory=contract.contact_person.name,
                reference=(("Vertrag", contract.number),),
            )
            self.document(person, contract, "letter", subject, cooperative_letter.build(letter, creation_date=delivered),
                          letter.number, delivered, opened)

    def operating_costs_statement(self, contract, numbers):
        parties = [party.person for party in contract.parties.order_by(ContractParty.id)]
        main = parties[0]
        unit = contract.unit
        delivered = self.days_ago(BK_DELIVERED_DAYS_AGO)
        year = delivered.year - 1
        area = unit.living_area
        building_area = area * FLATS_PER_BUILDING
        residents = max(int(building_area / SQUARE_METRES_PER_RESIDENT), contract.household_size)

        def line(name, key, yearly_total, total_units, share_units, total_label, share_label):
            return operating_costs.CostLine(name, _money(yearly_total), key, total_label, share_label,
                                            _money(yearly_total * share_units / total_units))

        area_label = lambda value: f"{german_number(value, 2)} m²"  # noqa: E731
        operating = []
        for name, key, rate in OPERATING_COSTS:
            yearly = Decimal(rate) * building_area * 12
            if key == "Personen":
                operating.append(line(name, key, yearly, residents, contract.household_size,
                                      f"{residents} Pers.", f"{contract.household_size} Pers."))
            else:
                operating.append(line(name, key, yearly, building_area, area, area_label(building_area),
                                      area_label(area)))
        heating_yearly = HEATING_RATE * building_area * 12
        consumption, total_consumption = int(area * 17), int(building_area * 18)
        heating = [
            line("Heizung und Warmwasser – Grundkosten", "Wohnfläche", heating_yearly * Decimal("0.3"),
                 building_area, area, area_label(building_area), area_label(area)),
            line("Heizung und Warmwasser – Verbrauchskosten", "Verbrauch", heating_yearly * Decimal("0.7"),
                 total_consumption, consumption, f"{total_consumption:,} Einh.".replace(",", "."),
                 f"{consumption:,} Einh.".replace(",", ".")),
        ]
        statement = operating_costs.OperatingCostsStatement(
            letterhead=documents.letterhead(contract.cooperative),
            number=documents.new_number(contract.cooperative, numbers),
            issued_on=delivered.date(),
            recipient=(" und ".join(p.full_name for p in parties), main.street, f"{main.postcode} {main.city}"),
            salutation=cooperative_letter.salutation(parties),
            contract_number=contract.number,
            flat=Flat(unit.street, unit.postcode, unit.city, unit.floor, unit.position, unit.number),
            period_start=date(year, 1, 1),
            period_end=date(year, 12, 31),
            operating=tuple(operating),
            heating=tuple(heating),
            keys=(
                ("Wohnfläche", "Kosten je m² Wohnfläche der Wirtschaftseinheit, mal Ihrer Wohnfläche."),
                ("Personen", "Kosten je Person im Jahresmittel, mal der Zahl der Personen in Ihrem Haushalt."),
                ("Verbrauch", "Kosten je abgelesener Einheit der Heizkostenverteiler, mal Ihren Einheiten."),
            ),
            advances_operating=contract.operating_costs * 12,
            advances_heating=contract.heating_costs * 12,
            due_on=(delivered + timedelta(days=30)).date(),
            signatory=contract.contact_person.name,
        )
        self.document(main, contract, "operating_costs_statement", f"Betriebskostenabrechnung {year}",
                      operating_costs.build(statement, creation_date=delivered), statement.number, delivered,
                      BK_READ_DAYS_AGO.get(contract.number))

    def document(self, person, contract, kind, title, pdf, number, delivered, opened_days_ago):
        document = documents.store_document(person, contract, kind, title, pdf, None, number=number,
                                            created_at=delivered)
        if opened_days_ago is not None:
            document.read_at = self.days_ago(opened_days_ago)
            document.save()
