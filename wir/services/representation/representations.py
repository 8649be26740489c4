"""Vertretung: a tenant invites a person to act for them (Lesen, Anliegen), the invited person accepts with their
own login, and every request they make for the tenant is checked against the representation that is active at
that moment: an ended, expired or not yet accepted one reaches nothing.

The tenant's own login is never shared: the representative signs in as themselves and chooses to act for the
tenant (wir.acting keeps the choice in the session and asks ``acting`` on every request).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from peewee import IntegrityError, fn

from wir import audit, clock, db, mail, pagination
from wir.db.prepared import Prepared
from wir.models import Cooperative, Document, Person, Representation, RepresentationEvent, User
from wir.services.account import email_addresses, password_rules, passwords
from wir.services.rejections import Rejected

INVITATION_VALID = timedelta(days=7)
NAME_MAX = 100
# what a tenant may grant by invitation; bank account, Freistellungsauftrag and Kündigung need a Vollmacht staff
# checked (enter_from_document)
LEVELS = {"read": ("read",), "requests": ("read", "requests")}
LEVEL_WORDS = {"read": "Lesen", "requests": "Lesen und Anliegen"}
DOCUMENT_SCOPES = ("read", "requests", "bank", "exemption", "notice")


class InvalidInvitation(Exception):
    """Unknown, used, expired or withdrawn invitation link."""


@dataclass(frozen=True)
class Invitation:
    representation: Representation
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scope_words(scopes: str) -> str:
    """ "Lesen, Anliegen" from the stored keys, in their order."""
    keys = scopes.split(",") if scopes else []
    return ", ".join(Representation.SCOPES[key] for key in Representation.SCOPES if key in keys)


def level_of(representation: Representation) -> str:
    """The invitation level the scopes amount to ("read" or "requests")."""
    return "requests" if "requests" in representation.scope_set else "read"


def _active(today: date):
    return (Representation.accepted_at.is_null(False) & Representation.ended_at.is_null()
            & (Representation.valid_until.is_null() | (Representation.valid_until >= today)))


def status_of(representation: Representation, now: datetime) -> str:
    """ "offen", "abgelaufen" (the link or the end date passed), "aktiv" or "beendet"."""
    if representation.ended_at is not None:
        return "beendet"
    if representation.valid_until is not None and representation.valid_until < now.date():
        return "abgelaufen"
    if representation.accepted_at is not None:
        return "aktiv"
    if representation.link_expires_at is not None and representation.link_expires_at <= now:
        return "abgelaufen"
    return "offen"


def _event(representation: Representation, kind: str, by: User | None, detail: str = "") -> None:
    RepresentationEvent.create(representation=representation, kind=kind, by=by, detail=" ".join(detail.split()))


def _checked_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Rejected("name", "Bitte geben Sie den Namen der Person ein, die für Sie handeln soll.")
    if len(name) > NAME_MAX:
        raise Rejected("name", f"Der Name darf höchstens {NAME_MAX} Zeichen lang sein.")
    if not name.isprintable() or any(char in name for char in "<>"):
        raise Rejected("name", "Der Name darf keine Zeichen wie < oder > enthalten.")
    return name


def _checked_until(valid_until: date | None, today: date) -> date | None:
    if valid_until is not None and valid_until < today:
        raise Rejected("valid_until", "Das Datum liegt in der Vergangenheit. Bitte wählen Sie heute oder einen "
                                      "späteren Tag, oder lassen Sie das Feld leer.")
    return valid_until


def _checked_level(level: str) -> tuple[str, ...]:
    if level not in LEVELS:
        raise Rejected("level", "Bitte wählen Sie, was die Person für Sie tun darf.")
    return LEVELS[level]


def invite(tenant: User, person: Person, name: str, email: str, level: str, valid_until: date | None,
           accept_url) -> Invitation:
    """Invite someone to act for ``person`` (one of the tenant's); ``accept_url(token)`` makes the link of the
    mail. Raises Rejected."""
    name = _checked_name(name)
    address = email_addresses.normalize(email)
    if address == tenant.email:
        raise Rejected("email", "Das ist Ihre eigene E-Mail-Adresse. Bitte geben Sie die Adresse der Person ein, "
                                "die für Sie handeln soll.")
    scopes = _checked_level(level)
    valid_until = _checked_until(valid_until, clock.today())
    return _issue(tenant, person, accept_url, "representation.invited",
                  f"Einladung: für {person.full_name} im WIR-immerda-Serviceportal handeln",
                  name=name, email=address, scopes=",".join(scopes), valid_until=valid_until)


def enter_from_document(staff: User, person: Person, name: str, email: str, scopes: list[str],
                        valid_until: date | None, document_key: str, accept_url) -> Invitation:
    """Staff enter a representation from a written Vollmacht or a Betreuerausweis they checked (stored under
    ``document_key``, staff only): any of DOCUMENT_SCOPES, Lesen always among them. The representative is
    invited by mail like a tenant's invitee. Raises Rejected."""
    name = _checked_name(name)
    address = email_addresses.normalize(email)
    chosen = [key for key in DOCUMENT_SCOPES if key in scopes or key == "read"]
    if any(key not in DOCUMENT_SCOPES for key in scopes):
        raise Rejected("scopes", "Bitte wählen Sie nur Bereiche aus der Liste.")
    if any(key in chosen for key in ("bank", "exemption", "notice")) and "requests" not in chosen:
        chosen.insert(1, "requests")  # sending a change in the tenant's name is an Anliegen too
    valid_until = _checked_until(valid_until, clock.today())
    if not document_key:
        raise Rejected("document", "Bitte laden Sie die Vollmacht oder den Betreuerausweis als PDF hoch.")
    return _issue(staff, person, accept_url, "representation.entered",
                  f"Vertretung für {person.full_name} im WIR-immerda-Serviceportal",
                  name=name, email=address, scopes=",".join(chosen), valid_until=valid_until,
                  source=Representation.SOURCE_DOCUMENT, document_key=document_key)


def _issue(by: User, person: Person, accept_url, audit_action: str, subject: str, **fields) -> Invitation:
    """The checked representation written with its single-use link, its first event, the mail and the audit."""
    token = secrets.token_urlsafe(32)
    with db.write_transaction():
        representation = Representation.create(
            person=person, token_hash=_token_hash(token), link_expires_at=clock.now() + INVITATION_VALID,
            created_by=by, **fields,
        )
        words = scope_words(representation.scopes)
        source = ", nach Vollmacht" if representation.source == Representation.SOURCE_DOCUMENT else ""
        _event(representation, "invited", by, f"{representation.name}, {words}{source}")
        mail.queue_mail(
            representation.email, subject, "representation_invitation", name=representation.name,
            tenant=person.full_name, cooperative=person.cooperative, scopes=words,
            valid_until=representation.valid_until, accept_url=accept_url(token), valid_days=INVITATION_VALID.days,
        )
        audit.record(by, audit_action, representation, cooperative=person.cooperative,
                     detail=f"Person {person.number}, {words}")
    return Invitation(representation, token)


def of_staff_person(person: Person) -> list[Representation]:
    """A person's representations for the staff's person page, each with its events (two statements)."""
    found = list(Representation.select().where(Representation.person == person)
                 .order_by(Representation.ended_at.is_null(False), Representation.created_at.desc(),
                           Representation.id.desc()))
    events = {}
    for event in (RepresentationEvent.select()
                  .where(RepresentationEvent.representation.in_([rep.id for rep in found] or [0]))
                  .order_by(RepresentationEvent.at, RepresentationEvent.id)):
        events.setdefault(event.representation_id, []).append(event)
    for rep in found:
        rep.event_list = events.get(rep.id, [])
    return found


def invitation(token: str) -> Representation | None:
    """The open invitation behind a link, with the person and cooperative; None if unknown, used, expired or
    withdrawn."""
    if not token or len(token) > 100:
        return None
    return (
        Representation.select(Representation, Person, Cooperative).join(Person).join(Cooperative)
        .where((Representation.token_hash == _token_hash(token)) & Representation.accepted_at.is_null()
               & Representation.ended_at.is_null() & (Representation.link_expires_at > clock.now()))
        .first()
    )


def accept(token: str, user: User) -> Representation:
    """The signed-in ``user`` becomes the representative. Raises InvalidInvitation or Rejected."""
    with db.write_transaction():
        representation = invitation(token)
        if representation is None:
            raise InvalidInvitation
        if user.is_staff:
            raise Rejected("user", "Mit einem Zugang der Genossenschaft können Sie keine Vertretung übernehmen.")
        if representation.person.user_id == user.id:
            raise Rejected("user", "Sie sind selbst die eingeladene Person. Bitte melden Sie sich mit dem Konto der "
                                   "Person an, die für Sie handeln soll.")
        taken = (Representation.update(representative=user, accepted_at=clock.now(), token_hash=None)
                 .where((Representation.id == representation.id) & Representation.accepted_at.is_null()
                        & Representation.ended_at.is_null())
                 .execute())
        if not taken:
            raise InvalidInvitation
        _event(representation, "accepted", user)
        audit.record(user, "representation.accepted", representation, cooperative=representation.person.cooperative)
        return Representation.get_by_id(representation.id)


def accept_with_new_account(token: str, password: str) -> User:
    """Create the invited person's own login (their e-mail address is proven by the link) and accept. Raises
    InvalidInvitation or Rejected."""
    with db.write_transaction():
        representation = invitation(token)
        if representation is None:
            raise InvalidInvitation
        if User.select().where(User.email == representation.email).exists():
            raise Rejected("password", "Für diese E-Mail-Adresse gibt es schon ein Konto. Bitte melden Sie sich "
                                       "damit an, um die Einladung anzunehmen.")
        password_rules.check(password, password_rules.context_words(representation.name, representation.email))
        now = clock.now()
        try:
            user = User.create(email=representation.email, password_hash=passwords.hash_password(password),
                               role=User.ROLE_TENANT, confirmed_at=now, contact_reviewed_at=now)
        except IntegrityError:
            raise InvalidInvitation from None
        audit.record(user, "account.created_for_representation")
        accept(token, user)
        return user


# --- the tenant's view -----------------------------------------------------------------------------------------


def of_persons(persons) -> list[Representation]:
    """Every representation of the persons (open, active, ended), newest first, with its representative."""
    ids = [person.id for person in persons]
    if not ids:
        return []
    return list(
        Representation.select(Representation, Person, Cooperative).join(Person).join(Cooperative)
        .where(Representation.person.in_(ids))
        .order_by(Representation.ended_at.is_null(False), Representation.created_at.desc(), Representation.id.desc())
    )


def of_person_by_id(persons, representation_id: int) -> Representation | None:
    """One of the persons' representations; None for anyone else's (the view answers 404)."""
    return next((rep for rep in of_persons(persons) if rep.id == representation_id), None)


def change(representation: Representation, by: User, level: str, valid_until: date | None) -> None:
    """A new scope or end date for an invited representation. Raises Rejected."""
    if representation.source != Representation.SOURCE_INVITATION:
        raise Rejected("level", "Diese Vertretung hat die Genossenschaft nach einer Vollmacht eingetragen. "
                                "Änderungen bitte über Kontakt.")
    scopes = ",".join(_checked_level(level))
    valid_until = _checked_until(valid_until, clock.today())
    with db.write_transaction():
        changed = (Representation.update(scopes=scopes, valid_until=valid_until)
                   .where((Representation.id == representation.id) & Representation.ended_at.is_null()).execute())
        if not changed:
            raise Rejected("level", "Diese Vertretung ist bereits beendet.")
        until = f", bis {valid_until:%d.%m.%Y}" if valid_until else ""
        _event(representation, "changed", by, scope_words(scopes) + until)
        audit.record(by, "representation.changed", representation, detail=scope_words(scopes) + until,
                     cooperative=representation.person.cooperative_id)


def end(representation: Representation, by: User) -> bool:
    """End it now (an open invitation's link stops working too); False if it had ended already."""
    with db.write_transaction():
        ended = (Representation.update(ended_at=clock.now(), ended_by=by, token_hash=None)
                 .where((Representation.id == representation.id) & Representation.ended_at.is_null()).execute())
        if ended:
            _event(representation, "ended", by)
            audit.record(by, "representation.ended", representation, cooperative=representation.person.cooperative_id)
    return bool(ended)


EVENT_WORDS = {"invited": "eingeladen", "accepted": "Einladung angenommen", "changed": "geändert",
               "ended": "beendet", "signed_in": "hat Ihre Daten geöffnet", "acted": "hat für Sie gehandelt"}


@dataclass(frozen=True)
class Event:
    at: datetime
    name: str  # the representative's
    kind: str
    detail: str


def events_of(persons, page, size: int) -> pagination.Page:
    """„Wer hat für mich gehandelt“: page ``page`` of the persons' representations' events, newest first (two
    statements whatever the number)."""
    where = Representation.person.in_([person.id for person in persons] or [0])
    total = RepresentationEvent.select().join(Representation).where(where).count()
    rows = (RepresentationEvent.select(RepresentationEvent.at, Representation.name, RepresentationEvent.kind,
                                       RepresentationEvent.detail)
            .join(Representation).where(where)
            .order_by(RepresentationEvent.at.desc(), RepresentationEvent.id.desc()))
    return pagination.counted_page(total, page, size, lambda number: [
        Event(*row) for row in rows.limit(size).offset((number - 1) * size).tuples()])


# --- the representative's view ---------------------------------------------------------------------------------


def represented_by(user: User) -> list[Representation]:
    """The active representations the user holds, with their persons and cooperatives, by name."""
    return list(
        Representation.select(Representation, Person, Cooperative).join(Person).join(Cooperative)
        .where((Representation.representative == user) & _active(clock.today()))
        .order_by(Person.last_name, Person.first_name, Representation.id)
    )


# every request of a representative acting for someone runs it: the representation still active, its person and
# cooperative for the page, and the number beside Dokumente (what scope.persons_of gives a tenant)
_ACTING = Prepared(
    lambda representation_id, user_id, today: Representation.select(
        Representation, Person, Cooperative,
        Document.select(fn.COUNT(Document.id)).where((Document.person == Person.id) & Document.read_at.is_null())
        .alias("unread_documents"),
    )
    .join(Person).join(Cooperative)
    .where((Representation.id == representation_id) & (Representation.representative == user_id)
           & Representation.accepted_at.is_null(False) & Representation.ended_at.is_null()
           & (Representation.valid_until.is_null() | (Representation.valid_until >= today)))
)


def acting(representation_id: int, user_id: int) -> Representation | None:
    """The representation if ``user_id`` may act through it right now; its person carries ``unread_documents``."""
    representation = _ACTING.first(representation_id, user_id, clock.today())
    if representation is not None:
        representation.person.unread_documents = representation.unread_documents
    return representation


def record_sign_in(representation: Representation, user: User) -> None:
    """The representative chose to act for the person: in the tenant's record."""
    with db.write_transaction():
        _event(representation, "signed_in", user)
        audit.record(user, "representation.acting", representation, cooperative=representation.person.cooperative)


def acting_for(user: User | None, *persons: Person) -> Representation | None:
    """The active representation through which ``user`` acts for one of ``persons`` (with its person); None for
    an action of one of the persons themselves or of staff (then without a query). What a service records as
    „durch … für …“ without being told."""
    if user is None or user.is_staff or any(person.user_id == user.id for person in persons):
        return None
    by_id = {person.id: person for person in persons}
    representation = (Representation.select()
                      .where(Representation.person.in_(list(by_id)) & (Representation.representative == user.id)
                             & _active(clock.today()))
                      .first())
    if representation is not None:
        representation.person = by_id[representation.person_id]
    return representation


def with_people(representation_id: int) -> Representation | None:
    """A representation with its person and representative (a ticket's, for its mails)."""
    return (Representation.select(Representation, Person, User)
            .join(Person).switch(Representation).join(User, on=(Representation.representative == User.id))
            .where(Representation.id == representation_id).first())


def is_active(representation: Representation) -> bool:
    return status_of(representation, clock.now()) == "aktiv"


def record_action(representation: Representation, user: User, detail: str, notify: bool = True) -> None:
    """Something sent in the tenant's name (in the caller's transaction): in the tenant's record; ``notify``: a
    mail tells the tenant (not when a mail about the same thing names the representative already)."""
    _event(representation, "acted", user, detail)
    audit.record(user, "representation.acted", representation, cooperative=representation.person.cooperative_id,
                 detail=f"{attribution(representation)}: {detail}")
    if not notify:
        return
    tenant = User.get_or_none(User.id == representation.person.user_id) if representation.person.user_id else None
    if tenant is not None and tenant.is_active:
        mail.queue_mail(tenant.email, "Ihre Vertretung hat für Sie gehandelt", "representation_acted",
                        name=representation.person.full_name, cooperative=representation.person.cooperative,
                        representative=representation.name, detail=detail)


def attribution(representation: Representation | None) -> str:
    """ "durch Anna Weiß für Gisela Weiß", or "" for the tenant's own."""
    if representation is None:
        return ""
    return f"durch {representation.name} für {representation.person.full_name}"
