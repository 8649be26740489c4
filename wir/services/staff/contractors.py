"""Handwerker: the companies a cooperative orders work from (name, Gewerk, e-mail address, phone), kept by its staff.

A contractor is never deleted: its orders name it. „Deaktivieren“ takes it off the desk's choice; „Aktivieren“
offers it again. Every change is audited. Staff see only their cooperative's contractors (admins: both).
"""

import re
from dataclasses import dataclass

from wir import audit, clock, db
from wir.models import Contractor, Cooperative, User
from wir.services import scope, text
from wir.services.account import email_addresses
from wir.services.rejections import Rejected

NAME_MAX = 150
TRADE_MAX = 80
PHONE_MAX = 40
# what a phone number of a company is typed with: digits, spaces, + / - ( ) and a dot
PHONE = re.compile(r"\+?[0-9][0-9 /().-]*")


@dataclass(frozen=True)
class Draft:
    name: str
    trade: str
    email: str
    phone: str = ""


def check(draft: Draft) -> Draft:
    """The contractor as it will be kept (the name is printed on the order's PDF); raises Rejected(field)."""
    name = " ".join(text.check("name", draft.name, "Bitte geben Sie den Namen der Firma ein.", NAME_MAX,
                               printable=True).split())
    trade = " ".join(text.check("trade", draft.trade, "Bitte geben Sie das Gewerk ein.", TRADE_MAX,
                                printable=True).split())
    email = text.check("email", draft.email, "Bitte geben Sie die E-Mail-Adresse der Firma ein.",
                       email_addresses.MAX_LENGTH)
    try:
        email = email_addresses.normalize(email)
    except email_addresses.InvalidEmailAddress as invalid:
        raise Rejected("email", invalid.message) from None
    phone = " ".join(text.check("phone", draft.phone, None, PHONE_MAX).split())
    if phone and not PHONE.fullmatch(phone):
        raise Rejected("phone", "Bitte geben Sie die Telefonnummer mit Ziffern an, z. B. 0341 123456.")
    return Draft(name, trade, email, phone)


# --- reading ---


def staff_contractors(user: User):
    """The contractors of the staff member's cooperative (admins: both), active ones first, by name (a query to
    paginate)."""
    query = (Contractor.select(Contractor, Cooperative).join(Cooperative)
             .order_by(Contractor.active.desc(), Contractor.name, Contractor.id))
    return scope.in_staff_scope(query, user, Contractor.cooperative)


def contractor_of(user: User, contractor_id: int) -> Contractor | None:
    return staff_contractors(user).where(Contractor.id == contractor_id).first()


def choices(cooperative_id: int) -> list[tuple[int, str]]:
    """The desk's choice for an order of the cooperative: the active contractors as (id, "Name (Gewerk)")."""
    return [(row.id, f"{row.name} ({row.trade})") for row in
            Contractor.select(Contractor.id, Contractor.name, Contractor.trade)
            .where((Contractor.cooperative == cooperative_id) & Contractor.active)
            .order_by(Contractor.name, Contractor.id)]


# --- writing: one transaction, audited ---


def _detail(contractor: Contractor) -> str:
    return f"{contractor.name[:80]} ({contractor.trade[:40]})"


def create(clerk: User, cooperative: Cooperative, draft: Draft) -> Contractor:
    draft = check(draft)
    with db.write_transaction():
        contractor = Contractor.create(cooperative=cooperative, updated_at=clock.now(), **draft.__dict__)
        audit.record(clerk, "contractor.created", contractor, _detail(contractor), cooperative)
    return contractor


def update(clerk: User, contractor: Contractor, draft: Draft) -> Contractor:
    draft = check(draft)
    with db.write_transaction():
        Contractor.update(updated_at=clock.now(), **draft.__dict__).where(Contractor.id == contractor.id).execute()
        contractor.name, contractor.trade, contractor.email, contractor.phone = (
            draft.name, draft.trade, draft.email, draft.phone)
        audit.record(clerk, "contractor.changed", contractor, _detail(contractor), contractor.cooperative_id)
    return contractor


def set_active(clerk: User, contractor: Contractor, active: bool) -> Contractor:
    """Deaktivieren (no longer offered at the desk; its orders and links stay) or Aktivieren again."""
    with db.write_transaction():
        Contractor.update(active=active, updated_at=clock.now()).where(Contractor.id == contractor.id).execute()
        contractor.active = active
        audit.record(clerk, "contractor.activated" if active else "contractor.deactivated", contractor,
                     _detail(contractor), contractor.cooperative_id)
    return contractor
