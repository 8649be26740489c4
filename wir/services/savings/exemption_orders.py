"""Freistellungsauftrag: a saver's order to pay interest without Kapitalertragsteuer up to an amount a year
(DESIGN.md §5, reference/domain-facts.md §5).

The rules:

- at most 1.000 € for one person, 2.000 € for a joint order with the spouse or registered partner; a Steuer-ID for
  each person (stdnum.de.idnr, plus the rule that no digit stands three times in a row), both different;
- valid from 1 January of the current or a later year, until revoked or until 31 December of a year;
- every change is a new order: the orders it replaces end the day before it starts (``valid_until``) and the one
  that was open is marked ``superseded_at``. An order whose ``valid_until`` lies before its ``valid_from`` never took
  effect (it was replaced or revoked before it began);
- for the current year the amount may not be below what is used already (see ``used_in``);
- the saver confirms that all orders at all banks together stay within the limit (we cannot see other banks);
- a Widerruf ends the orders on 31 December of this year, or, when nothing is used this year yet, from now on, which
  is the same as not having given them for this year (they end on 31 December of last year).

Each new order and each Widerruf is confirmed with a PDF in the saver's Dokumente and a mail, and audited with the
Steuer-IDs masked. Full Steuer-IDs stay in the database, the form they are typed into and the person's own data
download.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from stdnum.de import idnr
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from wir import audit, clock, db, mail, storage
from wir.formatting import german_date, masked_tax_id, money
from wir.models import (
    Cooperative,
    ExemptionOrder,
    Person,
    SavingsAccount,
    SavingsTransaction,
    User,
)
from wir.services.account import accounts
from wir.services.documents import documents
from wir.services.erp_export import changes as erp_changes
from wir.services.rejections import Rejected
from wir.services.representation import representations

SINGLE_LIMIT = Decimal("1000.00")  # Sparer-Pauschbetrag since 2023 (§ 20 Abs. 9 EStG)
JOINT_LIMIT = Decimal("2000.00")
KAPEST_RATE = Decimal("0.25")
YEARS_AHEAD = 2  # an order may start on 1 January of this year or of the next two
UNTIL_YEARS = 10  # and may be limited to 31 December of a year up to ten years from now
TAX_ID_INPUT_MAX = 20  # 11 digits with spaces between groups
NAME_MAX = 100

SINGLE, JOINT = "single", "joint"
KINDS = {SINGLE: "Einzelauftrag", JOINT: "Gemeinsamer Auftrag mit Ehe- oder Lebenspartner(in)"}
NOW, YEAR_END = "now", "year_end"


@dataclass(frozen=True)
class OrderRequest:
    """What the saver asks for, as typed (the checks turn it into values)."""

    kind: str  # SINGLE or JOINT
    amount: Decimal | None  # in euros, as the form read it (wir.forms.GermanMoneyField)
    valid_from_year: str | int
    valid_until_year: str | int | None  # None or "": until revoked
    tax_id: str
    partner_name: str = ""
    partner_tax_id: str = ""
    total_confirmed: bool = False
    password: str = ""


@dataclass(frozen=True)
class Checked:
    joint: bool
    amount: Decimal
    valid_from: date
    valid_until: date | None
    tax_id: str
    partner_name: str
    partner_tax_id: str


@dataclass(frozen=True)
class Status:
    """What the Freistellungsauftrag page shows."""

    person: Person
    today: date
    current: ExemptionOrder | None  # in force today
    upcoming: ExemptionOrder | None  # given for a later year, not yet in force
    open: ExemptionOrder | None  # the newest order, neither replaced nor revoked: what a change replaces
    used: Decimal  # used this year (see used_in)
    history: list[ExemptionOrder]  # all orders, newest first

    @property
    def left(self) -> Decimal:
        return max(self.current.amount - self.used, Decimal("0.00")) if self.current else Decimal("0.00")

    @property
    def revocable(self) -> bool:
        """A Widerruf has something to end: the open order still applies now or later."""
        return self.open is not None and (self.open.valid_until is None or self.open.valid_until >= self.today)

    @property
    def revocable_now(self) -> bool:
        """A Widerruf from now on is possible only while nothing of this year's interest was exempted."""
        return self.used == 0


# --- reading ---


def saver_of(persons) -> Person | None:
    """The person (of the user's, with their cooperatives loaded) at a cooperative that runs savings.

    A user has one person per cooperative, and only Lipsia runs a savings facility: the first one is the saver.
    """
    return next((person for person in persons if person.cooperative.has_savings), None)


def orders_of(person: Person) -> list[ExemptionOrder]:
    """All of the person's orders, newest first (one query)."""
    return list(
        ExemptionOrder.select().where(ExemptionOrder.person == person)
        .order_by(ExemptionOrder.created_at.desc(), ExemptionOrder.id.desc())
    )


def took_effect(order: ExemptionOrder) -> bool:
    return order.valid_until is None or order.valid_until >= order.valid_from


def in_force(orders: list[ExemptionOrder], day: date) -> ExemptionOrder | None:
    """The order that applies on ``day`` (``orders`` newest first)."""
    return next(
        (o for o in orders if o.valid_from <= day and (o.valid_until is None or day <= o.valid_until)), None
    )


def open_order(orders: list[ExemptionOrder]) -> ExemptionOrder | None:
    return next((o for o in orders if o.superseded_at is None and o.revoked_at is None), None)


def used_in(person: Person, year: int) -> Decimal:
    """The part of the interest credited to the person's savings accounts in ``year`` that was paid out untaxed.

    Read from the bookings (one query): per account and day, a Zinsgutschrift without Kapitalertragsteuer was
    exempted in full; with Kapitalertragsteuer only the interest beyond the taxed base (KapESt ÷ 25 %) was.
    A credit taxed in full counts nothing (cents of rounding in the tax are no exemption).
    """
    rows = (
        SavingsTransaction.select(SavingsTransaction.account, SavingsTransaction.booking_date,
                                  SavingsTransaction.kind, SavingsTransaction.amount)
        .join(SavingsAccount)
        .where(
            (SavingsAccount.person == person)
            & (SavingsTransaction.booking_date.between(date(year, 1, 1), date(year, 12, 31)))
            & (SavingsTransaction.kind.in_(["Zinsgutschrift", "KapESt"]))
        )
        .tuples()
    )
    credited: dict[tuple, Decimal] = {}
    taxed: dict[tuple, Decimal] = {}
    for account, day, kind, amount in rows:
        sums = credited if kind == "Zinsgutschrift" else taxed
        sums[(account, day)] = sums.get((account, day), Decimal("0")) + abs(amount)
    used = Decimal("0.00")
    for key, interest in credited.items():
        tax = taxed.get(key, Decimal("0"))
        if tax >= _cents(interest * KAPEST_RATE):
            continue
        used += max(interest - _cents(tax / KAPEST_RATE), Decimal("0"))
    return _cents(used)


def status(person: Person) -> Status:
    today = clock.today()
    orders = orders_of(person)
    current = in_force(orders, today)
    upcoming = next(
        (o for o in orders if o.valid_from > today and took_effect(o) and o is not current), None
    )
    return Status(person, today, current, upcoming, open_order(orders), used_in(person, today.year), orders)


# --- checks ---


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def limit(joint: bool) -> Decimal:
    return JOINT_LIMIT if joint else SINGLE_LIMIT


def check_tax_id(text: str, field: str = "tax_id", whose: str = "Ihre") -> str:
    """The Steuer-ID as 11 digits, or Rejected(field) saying in German what is wrong. Spaces are allowed."""
    value = "".join((text or "").split())
    if not value:
        raise Rejected(field, f"Bitte geben Sie {whose} Steuer-Identifikationsnummer ein.")
    if len(value) > TAX_ID_INPUT_MAX or not value.isdigit() or not value.isascii():
        raise Rejected(field, "Die Steuer-Identifikationsnummer besteht aus 11 Ziffern (Leerzeichen sind erlaubt).")
    try:
        idnr.validate(value)
    except InvalidLength:
        raise Rejected(field, f"Die Steuer-Identifikationsnummer hat 11 Ziffern, Sie haben {len(value)} eingegeben.") \
            from None
    except InvalidChecksum:
        raise Rejected(field, "Die letzte Ziffer (Prüfziffer) passt nicht zu den übrigen. "
                              "Bitte prüfen Sie, ob Sie sich vertippt haben.") from None
    except ValidationError:
        if value.startswith("0"):
            raise Rejected(field, "Eine Steuer-Identifikationsnummer beginnt nie mit 0.") from None
        raise Rejected(field, "Diese Ziffernfolge kann keine Steuer-Identifikationsnummer sein. "
                              "Bitte prüfen Sie Ihre Eingabe.") from None
    # since 2016 the Bundeszentralamt für Steuern also never issues a digit three times in a row
    # (stdnum checks only how often a digit occurs)
    if re.search(r"(\d)\1\1", value[:10]):
        raise Rejected(field, "Diese Ziffernfolge kann keine Steuer-Identifikationsnummer sein. "
                              "Bitte prüfen Sie Ihre Eingabe.")
    return value


def check_amount(amount: Decimal | None, joint: bool) -> Decimal:
    """The amount within the limit (more than 0 €, at most 1.000 € or jointly 2.000 €), or Rejected("amount")."""
    if amount is None:
        raise Rejected("amount", "Bitte geben Sie den Betrag in Euro an.")
    if not amount.is_finite():
        raise Rejected("amount", "Bitte geben Sie den Betrag in Euro und Cent an, z. B. 801,50.")
    if amount <= 0 or amount > limit(joint):
        raise _amount_range(joint)
    if amount != _cents(amount):
        raise Rejected("amount", "Bitte geben Sie den Betrag in Euro und Cent an, z. B. 801,50.")
    return amount


def _amount_range(joint: bool) -> Rejected:
    if joint:
        return Rejected("amount", f"Ein gemeinsamer Freistellungsauftrag beträgt mehr als 0 € und höchstens "
                                  f"{money(JOINT_LIMIT)}.")
    return Rejected("amount", f"Ein Freistellungsauftrag für eine Person beträgt mehr als 0 € und höchstens "
                              f"{money(SINGLE_LIMIT)}. Gemeinsam mit Ehe- oder Lebenspartner(in) sind es bis zu "
                              f"{money(JOINT_LIMIT)}.")


def _year(value, field: str, message: str) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}", text):
        raise Rejected(field, message)
    return int(text)


def valid_from_years(today: date) -> list[int]:
    return list(range(today.year, today.year + YEARS_AHEAD + 1))


def valid_until_years(today: date) -> list[int]:
    return list(range(today.year, today.year + UNTIL_YEARS + 1))


def check_valid_from(value, today: date) -> date:
    first, last = valid_from_years(today)[0], valid_from_years(today)[-1]
    year = _year(value, "valid_from", f"Bitte wählen Sie, ab welchem Jahr der Auftrag gilt ({first} bis {last}).")
    if year < first:
        raise Rejected("valid_from", f"Ein Freistellungsauftrag gilt frühestens ab dem 1. Januar dieses Jahres "
                                     f"({german_date(date(first, 1, 1))}), nicht für vergangene Jahre.")
    if year > last:
        raise Rejected("valid_from", f"Ein Freistellungsauftrag kann höchstens für ein Jahr bis {last} "
                                     "im Voraus erteilt werden.")
    return date(year, 1, 1)


def check_valid_until(value, valid_from: date | None, today: date) -> date | None:
    if value is None or str(value).strip() == "":
        return None  # until revoked
    last = valid_until_years(today)[-1]
    year = _year(value, "valid_until", "Bitte wählen Sie „bis auf Widerruf“ oder das Jahr, "
                                       "an dessen 31. Dezember der Auftrag endet.")
    if valid_from is not None and year < valid_from.year:
        raise Rejected("valid_until", f"Der Auftrag kann nicht enden, bevor er beginnt: frühestens am "
                                      f"{german_date(date(valid_from.year, 12, 31))}.")
    if year < today.year:
        raise Rejected("valid_until", "Ein Freistellungsauftrag kann nicht in der Vergangenheit enden.")
    if year > last:
        raise Rejected("valid_until", f"Bitte wählen Sie ein Jahr bis {last} oder „bis auf Widerruf“.")
    return date(year, 12, 31)


def check_partner_name(text: str) -> str:
    name = " ".join((text or "").split())
    if not name:
        raise Rejected("partner_name", "Bitte geben Sie bei einem gemeinsamen Auftrag den Namen Ihrer Ehe- oder "
                                       "Lebenspartnerin bzw. Ihres Ehe- oder Lebenspartners an.")
    if len(name) > NAME_MAX:
        raise Rejected("partner_name", f"Der Name darf höchstens {NAME_MAX} Zeichen lang sein.")
    if not any(c.isalpha() for c in name) or any(unicodedata.category(c).startswith("C") for c in name) \
            or any(c in "<>{}[]\\|@#$%^*=_~`\"" for c in name):
        raise Rejected("partner_name", "Bitte geben Sie Vor- und Nachnamen so an, wie sie im Ausweis stehen.")
    return name


def problems(request: OrderRequest, person: Person) -> list[Rejected]:
    """Everything wrong with the request, one refusal per field (the form shows them all at once)."""
    return _check(request, person)[1]


def _check(request: OrderRequest, person: Person) -> tuple[Checked | None, list[Rejected]]:
    today = clock.today()
    found: list[Rejected] = []

    def attempt(check, *args):
        try:
            return check(*args)
        except Rejected as rejected:
            found.append(rejected)
            return None

    if request.kind not in KINDS:
        found.append(Rejected("kind", "Bitte wählen Sie einen Einzelauftrag oder einen gemeinsamen Auftrag."))
    joint = request.kind == JOINT
    amount = attempt(check_amount, request.amount, joint)
    valid_from = attempt(check_valid_from, request.valid_from_year, today)
    valid_until = attempt(check_valid_until, request.valid_until_year, valid_from, today)
    tax_id = attempt(check_tax_id, request.tax_id)
    partner_name = partner_tax_id = ""
    if joint:
        partner_name = attempt(check_partner_name, request.partner_name) or ""
        partner_tax_id = attempt(check_tax_id, request.partner_tax_id, "partner_tax_id", "die") or ""
        if tax_id and partner_tax_id == tax_id:
            found.append(Rejected("partner_tax_id", "Bei einem gemeinsamen Auftrag hat jede Person ihre eigene "
                                                    "Steuer-Identifikationsnummer: Die beiden Nummern müssen sich "
                                                    "unterscheiden."))
    if amount is not None and valid_from is not None and valid_from.year == today.year:
        used = used_in(person, today.year)
        if amount < used:
            found.append(Rejected("amount", f"In diesem Jahr haben wir bereits {money(used)} Ihrer Zinsen "
                                            "freigestellt. Der Auftrag für dieses Jahr darf nicht niedriger sein; "
                                            f"geben Sie mindestens {money(used)} an oder lassen Sie die Änderung "
                                            "erst ab dem nächsten Jahr gelten."))
    if not request.total_confirmed:
        found.append(Rejected("total_confirmed", "Bitte bestätigen Sie, dass alle Ihre Freistellungsaufträge "
                                                 "zusammen die Höchstgrenze nicht überschreiten."))
    if found:
        return None, found
    return Checked(joint, amount, valid_from, valid_until, tax_id, partner_name, partner_tax_id), []


# --- placing and revoking ---


def place(user: User, person: Person, request: OrderRequest) -> ExemptionOrder:
    """Give a new order (a first one or a change): the orders it replaces end, a confirmation in Dokumente and a mail.

    ``person`` is the user's saver (saver_of). Raises Rejected (the first problem, or the wrong password);
    stores nothing then.
    """
    checked, found = _check(request, person)
    if found:
        raise found[0]
    accounts.confirm_password(user, request.password)
    now = clock.now()
    orders = orders_of(person)
    replaced = open_order(orders)
    order = ExemptionOrder(
        person=person, joint=checked.joint, amount=checked.amount, valid_from=checked.valid_from,
        valid_until=checked.valid_until, tax_id=checked.tax_id,
        partner_name=checked.partner_name, partner_tax_id=checked.partner_tax_id,
        created_at=now, created_by=user,
    )
    title = f"Freistellungsauftrag vom {german_date(clock.today())}"
    pdf, number = _confirmation(person, order, replaced, title, now)
    with db.write_transaction():
        _end(orders, checked.valid_from - timedelta(days=1))
        if replaced is not None:
            replaced.superseded_at = now
            replaced.save()
        order.save(force_insert=True)
        erp_changes.exemption_order(order, "new" if replaced is None else "changed", user)
        document = documents.store_document(person, None, "receipt", title, pdf, user, number=number)
        audit.record(user, "exemption_order.placed", order, _audit_detail(order, replaced), person.cooperative)
        if (representation := representations.acting_for(user, person)) is not None:
            representations.record_action(representation, user, title + " erteilt")
        _mail(user, person, "Ihr Freistellungsauftrag ist eingegangen", "exemption_order_placed",
              order=order, replaced=replaced, document=document)
    return order


def revoke(user: User, person: Person, when: str, password: str) -> ExemptionOrder:
    """Widerruf of the person's order: from the next 1 January (YEAR_END), or from now (NOW) while nothing of this
    year's interest was exempted. Returns the revoked order. Raises Rejected; stores nothing then."""
    current = status(person)
    today = current.today
    if not current.revocable:
        raise Rejected("when", "Sie haben keinen Freistellungsauftrag, der widerrufen werden kann.")
    if when not in (NOW, YEAR_END):
        raise Rejected("when", "Bitte wählen Sie, ab wann der Widerruf gilt.")
    if when == NOW and not current.revocable_now:
        raise Rejected("when", f"In diesem Jahr haben wir bereits {money(current.used)} Ihrer Zinsen freigestellt. "
                               f"Der Widerruf gilt deshalb erst ab dem {german_date(date(today.year + 1, 1, 1))}.")
    accounts.confirm_password(user, password)
    now = clock.now()
    last_day = date(today.year - 1 if when == NOW else today.year, 12, 31)
    order = current.open
    title = f"Widerruf des Freistellungsauftrags vom {german_date(today)}"
    pdf, number = _confirmation(person, order, None, title, now, revoked_from=last_day + timedelta(days=1))
    with db.write_transaction():
        _end(current.history, last_day)
        order.revoked_at = now
        order.save()
        erp_changes.exemption_order(order, "revoked", user)
        document = documents.store_document(person, None, "receipt", title, pdf, user, number=number)
        audit.record(user, "exemption_order.revoked", order,
                     f"Widerruf ab {german_date(last_day + timedelta(days=1))}; {_audit_detail(order, None)}",
                     person.cooperative)
        if (representation := representations.acting_for(user, person)) is not None:
            representations.record_action(representation, user, title + " eingereicht")
        _mail(user, person, "Ihr Widerruf des Freistellungsauftrags ist eingegangen", "exemption_order_revoked",
              order=order, revoked_from=last_day + timedelta(days=1), document=document)
    return order


def _end(orders: list[ExemptionOrder], last_day: date) -> None:
    """Every order that would still apply after ``last_day`` ends on it (in the caller's transaction)."""
    for order in orders:
        if order.valid_until is None or order.valid_until > last_day:
            order.valid_until = last_day
            order.save()


def _confirmation(person, order, replaced, title, now, revoked_from=None) -> tuple[bytes, str]:
    """The confirmation PDF and its document number; the file is stored before any transaction begins."""
    from wir.pdf import exemption_confirmation  # fpdf, ~22 MB: loaded when needed

    cooperative = Cooperative.get_by_id(person.cooperative_id)
    number = documents.new_number(cooperative)
    pdf = exemption_confirmation.build(exemption_confirmation.Confirmation(
        letterhead=documents.letterhead(cooperative),
        number=number,
        issued_on=clock.today(),
        title=title,
        recipient=(person.full_name, person.street, f"{person.postcode} {person.city}"),
        received_at=clock.to_local(now).replace(tzinfo=None),
        kind=KINDS[JOINT if order.joint else SINGLE],
        amount=order.amount,
        valid_from=order.valid_from,
        valid_until=order.valid_until,
        saver=person.full_name,
        tax_id=masked_tax_id(order.tax_id),
        partner_name=order.partner_name if order.joint else "",
        partner_tax_id=masked_tax_id(order.partner_tax_id) if order.joint else "",
        replaces=clock.to_local(replaced.created_at).date() if replaced else None,
        revoked_from=revoked_from,
    ))
    storage.store(pdf)  # no disk writes while the transaction holds the write lock
    return pdf, number


def _audit_detail(order: ExemptionOrder, replaced: ExemptionOrder | None) -> str:
    parts = [
        KINDS[JOINT if order.joint else SINGLE],
        money(order.amount),
        f"ab {german_date(order.valid_from)}",
        f"bis {german_date(order.valid_until)}" if order.valid_until else "bis auf Widerruf",
        f"Steuer-ID {masked_tax_id(order.tax_id)}",
    ]
    if order.joint:
        parts.append(f"Steuer-ID Partner(in) {masked_tax_id(order.partner_tax_id)}")
    if replaced is not None:
        parts.append(f"ersetzt Auftrag {replaced.id}")
    return ", ".join(parts)


def _mail(user: User, person: Person, subject: str, template: str, **context) -> None:
    mail.queue_mail(
        user.email, subject, template, name=person.full_name, cooperative=Cooperative.get_by_id(person.cooperative_id),
        kind=KINDS[JOINT if context["order"].joint else SINGLE],
        page_url=mail.external_url("savings.exemption"),
        documents_url=mail.external_url("documents.index"), **context,
    )
