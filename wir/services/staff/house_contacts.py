"""Ansprechpartner per house: staff choose the clerk responsible for a house; the ERP import may deliver them too.

How it fits together (one read path, as before):

- What tenants see, what a Textbaustein's {Ansprechpartner} says and whom a new ticket goes to (services.staff.absences
  ``responsible``) is still the contract's ``Contract.contact_person``. A house is the cooperative's units sharing
  street (with the house number) and postcode (as for the Aushänge).
- Choosing a clerk for a house (``choose``) sets ``contact_person`` on every contract of the house's units at once
  and records the choice as a ``HouseContact`` (who chose, when). A clerk without an Ansprechpartner row of the
  cooperative gets one (their name, e-mail address, the cooperative's telephone number; ``ContactPerson.user`` links
  it), so the tenant's page has someone to show.
- The ERP import (services.erp_import) keeps a house's manual choice for the contracts of that house, new ones
  included, and says so in its report; an import with ``--full`` and vertraege.csv takes the file's Ansprechpartner
  and forgets the manual choices (the ERP is then the whole truth). Without a manual choice a house's
  Ansprechpartner are what the import delivered („aus dem Import“).
- Per contract kind: not offered; one clerk per house for all its contracts (flats and parking alike).
- Two clerks choosing for the same house at once: the later choice wins, both are in the audit log.
"""

from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN, fn

from wir import audit, clock, db, pagination
from wir.db import search
from wir.models import ContactPerson, Contract, Cooperative, HouseContact, Unit, User
from wir.services.rejections import Rejected

PAGE_SIZE = 50
SEARCH_MAX = 100
ADDRESS_MAX = 255  # a Unit's street or postcode (CharField): anything longer is no house of the portal


@dataclass(frozen=True)
class House:
    """A row of the list: the house, how many units it has, its Ansprechpartner and where they came from."""

    street: str
    postcode: str
    units: int
    contacts: tuple[str, ...]  # the names on its contracts now
    chosen_by: str | None  # a manual choice: who made it (None: from the import)
    chosen_at: datetime | None
    chosen_user_id: int | None  # the clerk chosen by hand

    @property
    def manual(self) -> bool:
        return self.chosen_at is not None


def _houses(cooperative_id: int, text: str):
    query = Unit.select(Unit.street, Unit.postcode).where(Unit.cooperative == cooperative_id)
    if text:
        query = query.where(search.contains_text(Unit.street, text))
    return query.group_by(Unit.street, Unit.postcode)


def page_of(cooperative_id: int, text: str, page) -> pagination.Page:
    """A page of the cooperative's houses by street and postcode, those whose street contains ``text``: four queries
    whatever the number of houses (the count, the houses, their manual choices, their contracts' Ansprechpartner)."""
    text = (text or "").strip()[:SEARCH_MAX]
    houses = _houses(cooperative_id, text)
    return pagination.counted_page(houses.count(), page, PAGE_SIZE,
                                   lambda number: _rows(cooperative_id, houses, number))


def _rows(cooperative_id: int, houses, number: int) -> list[House]:
    listed = list(houses.select_extend(fn.COUNT(Unit.id)).order_by(Unit.street, Unit.postcode)
                  .paginate(number, PAGE_SIZE).tuples())
    streets = sorted({street for street, _, _ in listed})
    if not streets:
        return []
    chooser = User.alias()
    chosen = {
        (choice.street, choice.postcode): choice for choice in
        HouseContact.select(HouseContact, ContactPerson, chooser).join(ContactPerson)
        .switch(HouseContact).join(chooser, JOIN.LEFT_OUTER, on=(HouseContact.chosen_by == chooser.id), attr="chooser")
        .where((HouseContact.cooperative == cooperative_id) & HouseContact.street.in_(streets))
    }
    names = {}
    for street, postcode, name in (
        Contract.select(Unit.street, Unit.postcode, ContactPerson.name).distinct()
        .join(Unit).switch(Contract).join(ContactPerson)
        .where((Unit.cooperative == cooperative_id) & Unit.street.in_(streets))
        .order_by(Unit.street, Unit.postcode, ContactPerson.name).tuples()
    ):
        names.setdefault((street, postcode), []).append(name)
    rows = []
    for street, postcode, units in listed:
        choice = chosen.get((street, postcode))
        contacts = tuple(names.get((street, postcode), ()))
        if choice is None:
            rows.append(House(street, postcode, units, contacts, None, None, None))
        else:
            chooser_name = (choice.chooser.staff_name or choice.chooser.email) if choice.chosen_by_id else "unbekannt"
            rows.append(House(street, postcode, units, contacts or (choice.contact_person.name,), chooser_name,
                              choice.chosen_at, choice.contact_person.user_id))
    return rows


def house_of(cooperative_id: int, street: str, postcode: str) -> House | None:
    """One house of the cooperative as the list shows it; None when it has no unit there (another cooperative's)."""
    street, postcode = (street or "")[:ADDRESS_MAX], (postcode or "")[:ADDRESS_MAX]
    houses = (Unit.select(Unit.street, Unit.postcode)
              .where((Unit.cooperative == cooperative_id) & (Unit.street == street) & (Unit.postcode == postcode))
              .group_by(Unit.street, Unit.postcode))
    found = _rows(cooperative_id, houses, 1)
    return found[0] if found else None


def clerks(cooperative_id: int) -> list[User]:
    """Whom a house may get: the active staff of the cooperative, by name."""
    return list(
        User.select(User.id, User.staff_name, User.email)
        .where(User.is_active & User.role.in_((User.ROLE_STAFF, User.ROLE_ADMIN))
               & (User.cooperative == cooperative_id))
        .order_by(User.staff_name, User.id)
    )


def _contact_person_of(cooperative: Cooperative, clerk: User) -> ContactPerson:
    """The clerk's Ansprechpartner row in the cooperative, made from their account when they have none."""
    found = (ContactPerson.select().where((ContactPerson.user == clerk.id) & (ContactPerson.cooperative == cooperative))
             .order_by(ContactPerson.id).first())
    if found is not None:
        return found
    return ContactPerson.create(cooperative=cooperative, name=clerk.staff_name or clerk.email, phone=cooperative.phone,
                                email=clerk.email, user=clerk)


def choose(by: User, cooperative: Cooperative, house: House, clerk_id: int | None) -> int:
    """Make the clerk the Ansprechpartner of the house's contracts and keep the choice; raises Rejected('clerk').
    Returns the number of contracts changed. Audited."""
    clerk = next((user for user in clerks(cooperative.id) if user.id == clerk_id), None)
    if clerk is None:
        raise Rejected("clerk", "Bitte wählen Sie eine Mitarbeiterin oder einen Mitarbeiter aus der Liste.")
    now = clock.now()
    with db.write_transaction():
        contact = _contact_person_of(cooperative, clerk)
        HouseContact.insert(cooperative=cooperative, street=house.street, postcode=house.postcode,
                            contact_person=contact, chosen_by=by, chosen_at=now).on_conflict(
            conflict_target=[HouseContact.cooperative, HouseContact.street, HouseContact.postcode],
            update={HouseContact.contact_person: contact, HouseContact.chosen_by: by, HouseContact.chosen_at: now},
        ).execute()
        units = Unit.select(Unit.id).where((Unit.cooperative == cooperative) & (Unit.street == house.street)
                                           & (Unit.postcode == house.postcode))
        changed = Contract.update(contact_person=contact).where(
            Contract.unit.in_(units) & ((Contract.contact_person != contact.id) | Contract.contact_person.is_null())
        ).execute()
        audit.record(by, "house_contact.chosen", contact,
                     f"{house.street}, {house.postcode}: {contact.name} ({changed} Verträge geändert)", cooperative)
    return changed


# --- the ERP import (services.erp_import.importer) ---


def manual_choices(cooperative_id: int, unit_ids) -> dict[int, int]:
    """Per unit id (of those given) in a house with a manual choice: the chosen Ansprechpartner's id. One query."""
    return dict(
        Unit.select(Unit.id, HouseContact.contact_person)
        .join(HouseContact, on=((HouseContact.cooperative == Unit.cooperative) & (HouseContact.street == Unit.street)
                                & (HouseContact.postcode == Unit.postcode)))
        .where((Unit.cooperative == cooperative_id) & Unit.id.in_(list(unit_ids))).tuples()
    )


def forget_manual_choices(cooperative_id: int) -> int:
    """A full import took the file's Ansprechpartner: the manual choices end. Returns how many there were."""
    return HouseContact.delete().where(HouseContact.cooperative == cooperative_id).execute()
