"""Abwesenheit: a staff member marks themself away from one day until another, with a deputy.

The rules, in one place:

- The deputy is an active staff member of the same cooperative, not the absent one. An absence lasts at most
  ``LONGEST_DAYS`` days, ends today or later (a past-only one is refused) and does not overlap another of the same
  person. Recording, ending and deleting are audited.
- While it runs (``starts_on`` ≤ today ≤ ``ends_on``) a new ticket whose contract's Ansprechpartner is the absent
  clerk is assigned to the deputy instead (``responsible``), recorded as an automatic assignment. Tickets already
  assigned to the absent clerk stay theirs — nothing is moved, so nothing has to be moved back — and show in the
  deputy's queue under „Mir zugewiesen“, marked „Vertretung für …“ (``deputised_for``). When the absence ends, new
  tickets go to the clerk again and the deputy's „Mir zugewiesen“ shows only their own.
- Tenants whose Ansprechpartner is away see „… ist bis … abwesend. Vertretung: …“ with the deputy's contact data
  (``stand_ins``): the deputy's own Ansprechpartner row if they have one in the cooperative, else their name and
  e-mail address with the cooperative's telephone number. A Textbaustein's {Ansprechpartner} names the same deputy.
- A deputy who is no longer active stands in for nobody: the absent clerk's new tickets then stay unassigned (in
  „niemandem zugewiesen“) and tenants see the clerk as before. Standing in goes one step only: a deputy who is away
  too still gets the tickets (no chains of deputies); their own deputy sees the tickets assigned to them, not those
  of the colleague they stand in for.
- „Beenden“ of a running absence makes yesterday its last day; an absence that has not started before today is
  deleted instead.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from peewee import JOIN, fn

from wir import audit, clock, db
from wir.models import Absence, ContactPerson, Cooperative, User
from wir.services.rejections import Rejected

LONGEST_DAYS = 365


def _name(user: User) -> str:
    return user.staff_name or user.email


def deputies(clerk: User) -> list[User]:
    """Who may stand in for the clerk: the active staff of their cooperative but themself, by name."""
    if clerk.cooperative_id is None:
        return []
    return list(
        User.select(User.id, User.staff_name, User.email)
        .where(User.is_active & User.role.in_((User.ROLE_STAFF, User.ROLE_ADMIN))
               & (User.cooperative == clerk.cooperative_id) & (User.id != clerk.id))
        .order_by(User.staff_name, User.id)
    )


def _running(today: date):
    return (Absence.starts_on <= today) & (Absence.ends_on >= today)


def upcoming(clerk: User, today: date | None = None) -> list[Absence]:
    """The clerk's absences that have not ended (the running one first), each with its deputy."""
    today = today or clock.today()
    deputy = User.alias()
    return list(
        Absence.select(Absence, deputy).join(deputy, on=(Absence.deputy == deputy.id), attr="deputy")
        .where((Absence.user == clerk.id) & (Absence.ends_on >= today))
        .order_by(Absence.starts_on, Absence.id)
    )


def _check(clerk: User, starts_on: date | None, ends_on: date | None, deputy_id: int | None,
           today: date) -> User:
    """The deputy chosen; raises Rejected('starts_on' | 'ends_on' | 'deputy')."""
    if starts_on is None:
        raise Rejected("starts_on", "Bitte geben Sie den ersten Tag der Abwesenheit an.")
    if ends_on is None:
        raise Rejected("ends_on", "Bitte geben Sie den letzten Tag der Abwesenheit an.")
    if ends_on < starts_on:
        raise Rejected("ends_on", "Der letzte Tag liegt vor dem ersten. Bitte prüfen Sie die Daten.")
    if ends_on < today:
        raise Rejected("ends_on", "Die Abwesenheit liegt ganz in der Vergangenheit. Bitte tragen Sie eine ein, "
                                  "die heute oder später endet.")
    if (ends_on - starts_on).days >= LONGEST_DAYS or (ends_on - today).days >= LONGEST_DAYS:
        raise Rejected("ends_on", f"Bitte tragen Sie höchstens {LONGEST_DAYS} Tage und höchstens ein Jahr im Voraus "
                                  "ein.")
    deputy = next((user for user in deputies(clerk) if user.id == deputy_id), None)
    if deputy is None:
        raise Rejected("deputy", "Bitte wählen Sie eine Vertretung aus der Liste: eine aktive Kollegin oder einen "
                                 "aktiven Kollegen Ihrer Genossenschaft.")
    overlapping = (Absence.select().where((Absence.user == clerk.id) & (Absence.starts_on <= ends_on)
                                          & (Absence.ends_on >= starts_on)).first())
    if overlapping is not None:
        raise Rejected("starts_on", f"Vom {overlapping.starts_on:%d.%m.%Y} bis {overlapping.ends_on:%d.%m.%Y} sind Sie "
                                    "schon abwesend eingetragen. Bitte wählen Sie Tage außerhalb davon.")
    return deputy


def _detail(absence: Absence, deputy: User) -> str:
    return f"{absence.starts_on:%d.%m.%Y} bis {absence.ends_on:%d.%m.%Y}, Vertretung: {_name(deputy)}"


def record(clerk: User, starts_on: date | None, ends_on: date | None, deputy_id: int | None,
           today: date | None = None) -> Absence:
    """Mark the clerk absent; raises Rejected (nothing saved)."""
    today = today or clock.today()
    with db.write_transaction():
        deputy = _check(clerk, starts_on, ends_on, deputy_id, today)
        absence = Absence.create(user=clerk, deputy=deputy, starts_on=starts_on, ends_on=ends_on)
        audit.record(clerk, "absence.created", absence, _detail(absence, deputy), clerk.cooperative_id)
    return absence


def absence_of(user: User, absence_id: int) -> Absence | None:
    """An absence of the user's own (an admin: anybody's); else None, the view's 404."""
    deputy = User.alias()
    query = (Absence.select(Absence, deputy).join(deputy, on=(Absence.deputy == deputy.id), attr="deputy")
             .where(Absence.id == absence_id))
    if user.role != User.ROLE_ADMIN:
        query = query.where(Absence.user == user.id)
    return query.first()


def end(clerk: User, absence: Absence, today: date | None = None) -> bool | None:
    """End an absence now (``clerk``: who does it, the absent one or an admin): a running one's last day becomes
    yesterday; one not started before today is deleted. Returns whether it was deleted; None when it had ended
    already (a second click): nothing changes."""
    today = today or clock.today()
    if absence.ends_on < today:
        return None
    deleted = absence.starts_on >= today
    cooperative_id = absence.deputy.cooperative_id
    with db.write_transaction():
        if deleted:
            audit.record(clerk, "absence.deleted", absence, _detail(absence, absence.deputy), cooperative_id)
            Absence.delete().where(Absence.id == absence.id).execute()
        else:
            absence.ends_on = today - timedelta(days=1)
            Absence.update(ends_on=absence.ends_on).where(Absence.id == absence.id).execute()
            audit.record(clerk, "absence.ended", absence, _detail(absence, absence.deputy), cooperative_id)
    return deleted


# --- what the absence changes elsewhere ---


def deputised_for(deputy_id: int, today: date | None = None):
    """The users the deputy stands in for today, as a subquery (the queue's „Mir zugewiesen“)."""
    return Absence.select(Absence.user).where((Absence.deputy == deputy_id) & _running(today or clock.today()))


def responsible(contact_person_id: int | None, cooperative_id: int,
                today: date | None = None) -> tuple[int | None, str]:
    """Whom a new ticket of a contract with this Ansprechpartner is assigned to, and why (a key of
    TicketAssignment.AUTOMATIC): the Ansprechpartner's user while active staff of the ticket's cooperative, or while
    they are away their active deputy. (None, "") when nobody: no Ansprechpartner, one without a login, or a deputy
    no longer active. One query; none without an Ansprechpartner."""
    if contact_person_id is None:
        return None, ""
    today = today or clock.today()
    clerk, deputy = User.alias(), User.alias()
    row = (
        ContactPerson.select(clerk.id, Absence.id, deputy.id)
        .join(clerk, on=(ContactPerson.user == clerk.id))
        .join(Absence, JOIN.LEFT_OUTER, on=((Absence.user == clerk.id) & _running(today)))
        .join(deputy, JOIN.LEFT_OUTER, on=((Absence.deputy == deputy.id) & deputy.is_active))
        .where((ContactPerson.id == contact_person_id) & clerk.is_active
               & clerk.role.in_((User.ROLE_STAFF, User.ROLE_ADMIN)) & (clerk.cooperative == cooperative_id))
        .tuples().first()
    )
    if row is None:
        return None, ""
    clerk_id, absence_id, deputy_id = row
    if absence_id is None:
        return clerk_id, "contact"
    return (deputy_id, "deputy") if deputy_id is not None else (None, "")


@dataclass(frozen=True)
class StandIn:
    """The tenant's Ansprechpartner is away: until when, and who stands in (a ContactPerson to show, perhaps one
    made from the deputy's account and not stored)."""

    absent: ContactPerson
    until: date
    deputy: ContactPerson


def stand_ins(contact_persons, today: date | None = None) -> dict[int, StandIn]:
    """Per id of the given Ansprechpartner who is away today with an active deputy: the StandIn. One query; none
    when no Ansprechpartner has a login."""
    by_user = {}
    for contact in contact_persons:
        if contact is not None and contact.user_id:
            by_user.setdefault(contact.user_id, []).append(contact)
    if not by_user:
        return {}
    deputy, deputy_contact, first = User.alias(), ContactPerson.alias(), ContactPerson.alias()
    first_contact = first.select(fn.MIN(first.id)).where(
        (first.user == deputy.id) & (first.cooperative == deputy.cooperative))
    rows = (
        Absence.select(Absence.user, Absence.ends_on, deputy.staff_name, deputy.email, Cooperative.phone,
                       deputy_contact.id, deputy_contact.salutation, deputy_contact.name, deputy_contact.phone,
                       deputy_contact.email, deputy_contact.office_hours)
        .join(deputy, on=(Absence.deputy == deputy.id))
        .join(Cooperative, on=(deputy.cooperative == Cooperative.id))
        .join(deputy_contact, JOIN.LEFT_OUTER, on=(deputy_contact.id == first_contact))
        .where(Absence.user.in_(list(by_user)) & _running(today or clock.today()) & deputy.is_active)
        .tuples()
    )
    found = {}
    for user_id, until, staff_name, email, phone, contact_id, *contact in rows:
        if contact_id is not None:
            salutation, name, contact_phone, contact_email, hours = contact
            card = ContactPerson(salutation=salutation, name=name, phone=contact_phone, email=contact_email,
                                 office_hours=hours)
        else:
            card = ContactPerson(salutation="", name=staff_name or email, phone=phone, email=email, office_hours="")
        for absent in by_user[user_id]:
            found[absent.id] = StandIn(absent, until, card)
    return found
