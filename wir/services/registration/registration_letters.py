"""Registrierungsbriefe: new Registrierungsnummern by post for persons without an account.

Staff pick persons (from the open "Registrierungsnummer anfordern" requests, each matched to a person of
their cooperative by name and address or assigned by hand, and from the list of persons without an
account); ``create_batch`` records the choice, and the background task runs ``build_batch``: it builds
the PDF first and then, in one transaction, gives each person a new number (an older unused one ends),
marks the requests answered and files the PDF. A batch that fails says why and changes no number.
"""

import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from peewee import JOIN

from wir import audit, clock, db, storage
from wir.db import search
from wir.models import (
    Cooperative,
    Person,
    RegistrationCode,
    RegistrationLetter,
    RegistrationLetterBatch,
    RegistrationNumberRequest,
    User,
)
from wir.services import jobs, scope
from wir.services.documents.documents import NUMBER_ALPHABET, letterhead
from wir.services.registration import names
from wir.services.rejections import Rejected
from wir.services.staff import staff_persons

log = logging.getLogger(__name__)

CODE_VALID = timedelta(days=90)
MAX_LETTERS = 2000  # one batch; a cooperative writes to all its households at most in a few of them
PROGRESS_EVERY = 20  # letters between two progress updates of the batch row


# --- who needs a letter ------------------------------------------------------


def without_account():
    """Persons without an active account: none at all, or a registration never confirmed."""
    return User.id.is_null() | User.confirmed_at.is_null()


def persons_without_account(user: User, house: str = ""):
    """The staff member's persons without an account, by name (a query to paginate); ``house``: one street."""
    query = scope.staff_persons(user).join(User, JOIN.LEFT_OUTER, on=(Person.user == User.id)).where(
        without_account())
    if house:
        query = query.where(Person.street == house)
    return query


def houses(user: User) -> list[str]:
    """The streets (with house number) where persons without an account live: the filter's choices."""
    query = (Person.select(Person.street).distinct()
             .join(User, JOIN.LEFT_OUTER, on=(Person.user == User.id))
             .where(without_account()).order_by(Person.street))
    return [row.street for row in scope.in_staff_scope(query, user, Person.cooperative)]


def open_requests(user: User):
    """Open "Registrierungsnummer anfordern" requests the staff member answers, oldest first (a query):
    those for their cooperative and those that named none; admins all."""
    query = RegistrationNumberRequest.select().where(RegistrationNumberRequest.handled_at.is_null())
    if user.role != User.ROLE_ADMIN:
        query = query.where((RegistrationNumberRequest.cooperative == user.cooperative_id)
                            | RegistrationNumberRequest.cooperative.is_null())
    return query.order_by(RegistrationNumberRequest.created_at, RegistrationNumberRequest.id)


def open_request_of(user: User, request_id: int) -> RegistrationNumberRequest | None:
    return open_requests(user).where(RegistrationNumberRequest.id == request_id).first()


def search_persons_without_account(user: User, text: str):
    """The staff search (staff_persons.search: any word's start, umlauts either way) among persons without an
    account (a query to paginate)."""
    return staff_persons.search(user, text).where(without_account())


def _fold(text: str) -> str:
    """Streets compared as people type them: case, umlaut spellings, marks, "Str." for "Straße", spaces and
    punctuation."""
    text = re.sub(r"strasse\b|str\.", "str", search.fold(unicodedata.normalize("NFKC", text)))
    return re.sub(r"[\W_]+", "", text)


def _key(first_name: str, last_name: str, street: str, postcode: str) -> tuple:
    return names.fold(first_name), names.fold(last_name), _fold(street), postcode.strip()


@dataclass(frozen=True)
class Match:
    request: RegistrationNumberRequest
    person: Person | None  # None: "nicht zuzuordnen" until a clerk assigns one
    assigned: bool  # a clerk chose the person


def matches(user: User, requests) -> list[Match]:
    """Each request with its person: the one a clerk assigned, or the only person of the staff member's
    cooperative without an account whose name and address are the request's. Two queries, whatever the count."""
    requests = list(requests)
    assigned_ids = {r.person_id for r in requests if r.person_id}
    last_names = {names.fold(r.last_name) for r in requests if not r.person_id}
    candidates = list(
        persons_without_account(user).where(
            Person.id.in_(list(assigned_ids)) | names.folded(Person.last_name).in_(list(last_names))
        )
    ) if requests else []
    by_id = {person.id: person for person in candidates}
    by_key: dict[tuple, list[Person]] = {}
    for person in candidates:
        by_key.setdefault(_key(person.first_name, person.last_name, person.street, person.postcode), []).append(person)
    found = []
    for request in requests:
        if request.person_id:
            found.append(Match(request, by_id.get(request.person_id), True))
            continue
        same = by_key.get(_key(request.first_name, request.last_name, request.street, request.postcode), [])
        found.append(Match(request, same[0] if len(same) == 1 else None, False))
    return found


def assign_person(user: User, request: RegistrationNumberRequest, person_id: int) -> Person:
    """A clerk resolves a request no person matched: the person gets the letter. Raises Rejected."""
    person = persons_without_account(user).where(Person.id == person_id).first()
    if person is None:
        raise Rejected("person", "Bitte wählen Sie eine Person ohne Zugang aus der Liste.")
    with db.write_transaction():
        updated = (RegistrationNumberRequest.update(person=person)
                   .where((RegistrationNumberRequest.id == request.id)
                          & RegistrationNumberRequest.handled_at.is_null()).execute())
        if not updated:
            raise Rejected("person", "Die Anfrage ist inzwischen erledigt.")
        audit.record(user, "registration_request.assigned", obj=request, detail=f"Person {person.number}",
                     cooperative=person.cooperative)
    return person


# --- a batch -----------------------------------------------------------------


def create_batch(user: User, person_ids, request_ids, everyone_in: str | None = None) -> RegistrationLetterBatch:
    """Record the letters to make for the chosen persons and requests; the caller enqueues build_batch.
    ``everyone_in``: all persons without an account in that house ("": in all houses) besides.

    Raises Rejected("auswahl", …) for an empty, too large or stale choice.
    """
    person_ids = {int(i) for i in person_ids}
    if everyone_in is not None:
        person_ids |= {person.id for person in persons_without_account(user, everyone_in).select(Person.id)}
    request_ids = {int(i) for i in request_ids}
    requests = list(open_requests(user).where(RegistrationNumberRequest.id.in_(list(request_ids)))) if request_ids else []
    if len(requests) != len(request_ids):
        raise Rejected("auswahl", "Eine gewählte Anfrage ist inzwischen erledigt. Bitte prüfen Sie die Auswahl.")
    letters: list[tuple[int, int | None]] = []
    for match in matches(user, requests):
        if match.person is None:
            raise Rejected("auswahl", f"Die Anfrage von {match.request.first_name} {match.request.last_name} ist "
                                      "keiner Person zugeordnet. Bitte ordnen Sie sie zuerst zu.")
        letters.append((match.person.id, match.request.id))
    persons = {p.id: p for p in persons_without_account(user).where(Person.id.in_(list(person_ids)))} if person_ids else {}
    if len(persons) != len(person_ids):
        raise Rejected("auswahl", "Eine gewählte Person hat inzwischen einen Zugang. Bitte prüfen Sie die Auswahl.")
    letters += [(person_id, None) for person_id in sorted(person_ids)]
    distinct = {person_id for person_id, _ in letters}
    if not distinct:
        raise Rejected("auswahl", "Bitte wählen Sie mindestens eine Anfrage oder Person.")
    if len(distinct) > MAX_LETTERS:
        raise Rejected("auswahl", f"Höchstens {MAX_LETTERS} Briefe auf einmal, bitte.")
    cooperative_ids = set(Person.select(Person.cooperative).where(Person.id.in_(list(distinct))).distinct().tuples())
    cooperative_id = next(iter(cooperative_ids))[0] if len(cooperative_ids) == 1 else None
    with db.write_transaction():
        batch = RegistrationLetterBatch.create(cooperative=cooperative_id, created_by=user, total=len(distinct))
        RegistrationLetter.insert_many(
            [{"batch": batch.id, "position": position, "person": person_id, "request": request_id}
             for position, (person_id, request_id) in enumerate(letters)]
        ).execute()
        audit.record(user, "registration_letters.ordered", obj=batch, detail=f"{len(distinct)} Briefe",
                     cooperative=cooperative_id)
    return batch


def fail(batch_id: int, reason: str) -> None:
    """The batch did not run (or broke off): say why; no number has changed."""
    jobs.fail(RegistrationLetterBatch, batch_id, error=reason[:1000])


def give_up_stale(now) -> int:
    """Fail the batches no consumer finished in time (services.jobs)."""
    stale = jobs.stale(RegistrationLetterBatch, RegistrationLetterBatch.created_at, now)
    for batch_id in stale:
        fail(batch_id, "Die Hintergrundverarbeitung hat den Auftrag nicht rechtzeitig erledigt. Es wurde keine "
                       "Registrierungsnummer geändert; bitte erstellen Sie die Briefe erneut.")
    return len(stale)


class BatchRefused(Exception):
    """A reason the batch cannot be made, for the clerk."""


def build_batch(batch_id: int, register_url: str, portal_url: str) -> None:
    """Make the batch's letters (the background task). ``register_url`` is the registration page.

    Runs once per batch (the queued batch is claimed); any failure leaves the numbers as they were.
    """
    if not jobs.claim(RegistrationLetterBatch, batch_id):
        return
    try:
        _build(RegistrationLetterBatch.get_by_id(batch_id), register_url, portal_url)
    except BatchRefused as refused:
        fail(batch_id, str(refused))
    except Exception as error:
        log.exception("Registrierungsbriefe %s nicht erstellt", batch_id)
        fail(batch_id, f"Unerwarteter Fehler ({type(error).__name__}). Es wurde keine Registrierungsnummer "
                       "geändert; bitte versuchen Sie es erneut oder wenden Sie sich an die Administration.")


def _build(batch: RegistrationLetterBatch, register_url: str, portal_url: str) -> None:
    from wir.pdf import registration_letter  # fpdf, ~22 MB: loaded when needed
    from wir.pdf.cooperative_letter import address_lines, salutation

    rows = list(
        RegistrationLetter.select(RegistrationLetter, Person, Cooperative, User)
        .join(Person).join(Cooperative)
        .switch(Person).join(User, JOIN.LEFT_OUTER, on=(Person.user == User.id))
        .where(RegistrationLetter.batch == batch)
        .order_by(RegistrationLetter.position)
    )
    persons: dict[int, Person] = {}
    for row in rows:
        persons.setdefault(row.person.id, row.person)
    registered = [p.full_name for p in persons.values() if p.user_id is not None and p.user.confirmed_at is not None]
    if registered:
        raise BatchRefused(f"{', '.join(registered[:5])} {'hat' if len(registered) == 1 else 'haben'} inzwischen "
                           "einen Zugang. Bitte erstellen Sie die Briefe ohne sie neu.")
    codes = _new_codes(persons.values())
    today = clock.today()
    valid_until = today + CODE_VALID
    heads = {}
    letters = []
    for person in persons.values():
        head = heads.setdefault(person.cooperative_id, letterhead(person.cooperative))
        code = codes[person.id]
        letters.append(registration_letter.Letter(
            letterhead=head,
            recipient=address_lines([person]),
            salutation=salutation([person]),
            code=code,
            valid_until=valid_until,
            register_url=f"{register_url}?{urlencode({'code': code})}",
            portal_url=portal_url,
        ))

    def progress(done: int) -> None:
        if done % PROGRESS_EVERY == 0:
            with db.write_transaction():
                RegistrationLetterBatch.update(done=done).where(RegistrationLetterBatch.id == batch.id).execute()

    pdf = registration_letter.build(letters, today, progress)
    key = storage.store(pdf)
    now = clock.now()
    with db.write_transaction():
        ids = list(persons)
        RegistrationCode.update(expires_at=now).where(
            RegistrationCode.person.in_(ids) & RegistrationCode.used_at.is_null() & (RegistrationCode.expires_at > now)
        ).execute()
        RegistrationCode.insert_many(
            [{"person": person_id, "code": code, "created_at": now, "expires_at": now + CODE_VALID}
             for person_id, code in codes.items()]
        ).execute()
        request_ids = [row.request_id for row in rows if row.request_id]
        if request_ids:
            RegistrationNumberRequest.update(handled_at=now).where(
                RegistrationNumberRequest.id.in_(request_ids) & RegistrationNumberRequest.handled_at.is_null()
            ).execute()
        if not jobs.finish(RegistrationLetterBatch, batch.id, done=len(letters), storage_key=key, error=""):  # failed meanwhile (a stale batch given up): its numbers must not change
            raise BatchRefused("Der Auftrag wurde abgebrochen.")
        audit.record(batch.created_by, "registration_letters.created", obj=batch, detail=f"{len(letters)} Briefe",
                     cooperative=batch.cooperative)


def _new_codes(persons) -> dict[int, str]:
    """A fresh, unused Registrierungsnummer per person: "LIP-7K3M-9QX2" (the cooperative's first letters)."""
    codes: dict[int, str] = {}
    pending = list(persons)
    while pending:
        drawn = {}
        for person in pending:
            plain = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
            drawn[person.id] = f"{person.cooperative.slug[:3].upper()}-{plain[:4]}-{plain[4:]}"
        taken = set(RegistrationCode.select(RegistrationCode.code).where(
            RegistrationCode.code.in_(list(drawn.values()))).tuples())
        taken = {code for (code,) in taken}
        seen = set(codes.values())
        retry = []
        for person in pending:
            code = drawn[person.id]
            if code in taken or code in seen:
                retry.append(person)
            else:
                codes[person.id] = code
                seen.add(code)
        pending = retry
    return codes


# --- what the page shows -----------------------------------------------------


def batches_of(user: User):
    """The staff member's cooperative's batches, newest first (a query)."""
    query = RegistrationLetterBatch.select().order_by(RegistrationLetterBatch.created_at.desc(),
                                                      RegistrationLetterBatch.id.desc())
    return scope.in_staff_scope(query, user, RegistrationLetterBatch.cooperative)


def batch_of(user: User, batch_id: int) -> RegistrationLetterBatch | None:
    return batches_of(user).where(RegistrationLetterBatch.id == batch_id).first()


def batch_pdf(batch: RegistrationLetterBatch) -> bytes:
    return storage.load(batch.storage_key)
