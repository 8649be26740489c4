"""Dokumente: the inbox of a person's documents, their numbers, files and first opening.

Every document is a PDF kept by ``storage`` (content hash under instance/uploads) and a
``Document`` row that records who asked for it when (created_by, created_at) and when
it was first opened (read_at: the "neu" mark, and proof of receipt of a
Betriebskostenabrechnung).

Usage for a new kind of PDF::

    number = documents.new_number(cooperative)
    pdf = receipt.build(ReceiptData(letterhead=documents.letterhead(cooperative), number=number, …))
    documents.store_document(person, contract, "receipt", "Eingangsbestätigung …", pdf, user, number=number)
"""

import itertools
import operator
import random
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import reduce

from peewee import JOIN, IntegrityError, fn

from wir import clock, db, pagination, storage
from wir.db.prepared import Prepared
from wir.models import Contract, Cooperative, Document, Person, Unit, User
from wir.pdf.data import Letterhead
from wir.services import scope

# the Registrierungsnummer alphabet: no 0/O, 1/I/L, so a number read out on the phone is unambiguous
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_LENGTH = 8


def letterhead(cooperative: Cooperative) -> Letterhead:
    """The cooperative as its PDFs print it (wir.pdf builders take this, not the model)."""
    return Letterhead(
        name=cooperative.name,
        street=cooperative.street,
        postcode=cooperative.postcode,
        city=cooperative.city,
        register_court=cooperative.register_court,
        register_number=cooperative.register_number,
        phone=cooperative.phone,
        email=cooperative.email,
        website=cooperative.website,
    )


def new_number(cooperative: Cooperative, rng: random.Random | None = None) -> str:
    """A fresh document number such as "LD-2026-7K3M9QX2", drawn before the PDF is built so it can print it.

    Random rather than counted: nothing to lock while the PDF is made. ``rng`` makes the demo data repeatable.
    """
    choice = rng.choice if rng is not None else secrets.choice
    suffix = "".join(choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))
    return f"{cooperative.slug[0].upper()}D-{clock.today().year}-{suffix}"


# German spelling first; letters that Unicode does not decompose into a base letter and an accent
_TRANSLITERATION = str.maketrans({
    "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss",
    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ø": "O", "ø": "o", "Æ": "Ae", "æ": "ae", "Œ": "Oe", "œ": "oe", "ı": "i",
})


def file_name(title: str, number: str) -> str:
    """An ASCII file name that every mail program and file system keeps: "Mietbescheinigung_LD-2026-….pdf"."""
    text = title.translate(_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "Dokument"
    return f"{text}_{number}.pdf"


def store_document(
    person: Person,
    contract: Contract | None,
    kind: str,
    title: str,
    pdf_bytes: bytes,
    created_by: User | None,
    *,
    number: str | None = None,
    created_at: datetime | None = None,
    cooperative: Cooperative | None = None,
) -> Document:
    """Keep the PDF in ``person``'s Dokumente (unread) and return its row.

    ``number``: the one printed in the PDF (from new_number); drawn here when the PDF prints none.
    ``cooperative``: the person's, when the caller has it at hand (as for file_document).
    The file is stored before the row is written, so a row never points to a missing file.
    Runs in its own transaction, or inside the caller's (then it is part of that unit of work).
    """
    key = storage.store(pdf_bytes)
    return file_document(person, contract, kind, title, key, len(pdf_bytes), created_by, number=number,
                         created_at=created_at, cooperative=cooperative)


def file_document(
    person: Person,
    contract: Contract | None,
    kind: str,
    title: str,
    storage_key: str,
    size: int,
    created_by: User | None,
    *,
    number: str | None = None,
    created_at: datetime | None = None,
    cooperative: Cooperative | None = None,
) -> Document:
    """The row of a PDF already in storage (``storage_key``), as store_document writes it; ``cooperative``:
    the person's, when the caller has it at hand (saves a query per document of a batch)."""
    if kind not in Document.KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    if contract is not None and contract.cooperative_id != person.cooperative_id:
        raise ValueError("contract and person belong to different cooperatives")
    cooperative = cooperative or Cooperative.get_by_id(person.cooperative_id)
    for attempt in range(3):
        document_number = number or new_number(cooperative)
        try:
            with db.write_transaction():
                return Document.create(
                    person=person,
                    contract=contract,
                    kind=kind,
                    title=title,
                    number=document_number,
                    filename=file_name(title, document_number),
                    storage_key=storage_key,
                    content_type="application/pdf",
                    size=size,
                    created_at=created_at or clock.now(),
                    created_by=created_by,
                )
        except IntegrityError:
            if number is not None or attempt == 2:
                raise  # a given number that exists already is the caller's mistake
    raise AssertionError("unreachable")


# --- the inbox ---


@dataclass(frozen=True)
class Filters:
    contract_id: int | None = None
    kind: str | None = None
    year: int | None = None

    @property
    def active(self) -> bool:
        return any(self.shape)

    @property
    def shape(self) -> tuple[bool, bool, bool]:
        """Which filters are given: contract, kind, year."""
        return self.contract_id is not None, self.kind is not None, self.year is not None

    def values(self) -> tuple:
        """The given filters' values as _chosen takes them: the contract's id, the kind, the year's bounds."""
        values = ()
        if self.contract_id is not None:
            values += (self.contract_id,)
        if self.kind is not None:
            values += (self.kind,)
        if self.year is not None:
            values += _year_bounds(self.year)
        return values


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """1 January to 1 January in Leipzig, as the naive UTC times documents are stored with."""
    def utc(moment):
        return moment.replace(tzinfo=clock.LOCAL_ZONE).astimezone(timezone.utc).replace(tzinfo=None)

    return utc(datetime(year, 1, 1)), utc(datetime(year + 1, 1, 1))


def _chosen(shape: tuple[bool, bool, bool], values: tuple):
    """The filters of ``shape`` (Filters.shape) as SQL with their ``values`` (Filters.values); None without any."""
    has_contract, has_kind, has_year = shape
    values = iter(values)
    conditions = []
    if has_contract:
        conditions.append(Document.contract == next(values))
    if has_kind:
        conditions.append(Document.kind == next(values))
    if has_year:
        conditions += [Document.created_at >= next(values), Document.created_at < next(values)]
    return reduce(operator.and_, conditions) if conditions else None


@dataclass(frozen=True)
class ListedDocument:
    """A document as the Dokumente list shows it: its columns, without the models behind it (peewee building three
    models per row took longer than the database to find the page)."""

    number: str
    title: str
    kind: str
    created_at: datetime
    size: int
    read_at: datetime | None
    contract_label: str | None  # scope.contract_label of its contract, None without one


def _listed(number, title, kind, created_at, size, read_at, contract_kind, contract_number, street, position):
    label = None if contract_number is None else scope.label_of(contract_kind, contract_number, street, position)
    return ListedDocument(number, title, kind, created_at, size, read_at, label)


_NEWEST_FIRST = (Document.created_at.desc(), Document.id.desc())


def _listing_queries(shape: tuple[bool, bool, bool]) -> tuple[Prepared, Prepared]:
    """The Dokumente list's two queries for one combination of filters, prepared (their SQL text took longer to
    build than to run): how many documents the filters find, together with the first and last date of all the
    persons' documents (the years to filter by); and a page of the rows found, newest first."""
    given = sum(shape[:2]) + 2 * shape[2]  # how many of the values are the filters'

    def summary(*values):  # the filters' values, then the persons
        chosen = _chosen(shape, values[:given])
        found = fn.COUNT(Document.id) if chosen is None else fn.COUNT(Document.id).filter(chosen)
        return (Document.select(found, fn.MIN(Document.created_at), fn.MAX(Document.created_at))
                .where(Document.person.in_(values[given:])).tuples())

    def page(*values):  # the persons, the filters' values, then the page's size and offset
        *values, size, offset = values
        person_ids, filter_values = values[:len(values) - given], values[len(values) - given:]
        condition = Document.person.in_(person_ids)
        chosen = _chosen(shape, filter_values)
        cut = (Document.select(Document.id).where(condition if chosen is None else condition & chosen)
               .order_by(*_NEWEST_FIRST).limit(size).offset(offset))
        # the contracts joined to the page's rows only: joined to all rows found, PostgreSQL hashed every contract
        # of the cooperative to label a page (5 ms)
        return (
            Document.select(Document.number, Document.title, Document.kind, Document.created_at, Document.size,
                            Document.read_at, Contract.kind.alias("contract_kind"),
                            Contract.number.alias("contract_number"), Unit.street, Unit.position)
            .join(Contract, JOIN.LEFT_OUTER)
            .join(Unit, JOIN.LEFT_OUTER)
            .where(Document.id.in_(cut))
            .order_by(*_NEWEST_FIRST)
            .objects(_listed)
        )

    return Prepared(summary), Prepared(page)


_LISTING = {shape: _listing_queries(shape) for shape in itertools.product((False, True), repeat=3)}


@dataclass(frozen=True)
class Listing:
    page: pagination.Page  # of ListedDocument
    years: list[int]  # the years of all the persons' documents, newest first (to filter by)


def listing(persons, filters: Filters, page, size: int) -> Listing:
    """Dokumente: page ``page`` (as the request carries it) of the persons' documents the filters find, newest
    first, in two statements."""
    summary, rows = _LISTING[filters.shape]
    person_ids, values = scope.person_ids(persons), filters.values()
    total, first, last = summary.first(*values, *person_ids)
    found = pagination.counted_page(total, page, size,
                                    lambda number: rows.rows(*person_ids, *values, size, (number - 1) * size))
    return Listing(found, _years(first, last))


def _years(first, last) -> list[int]:
    """The years from the first to the last date, newest first (none without dates)."""
    if first is None:
        return []
    first, last = (clock.to_local(_as_datetime(moment)).year for moment in (first, last))
    return list(range(last, first - 1, -1))


def _as_datetime(value) -> datetime:
    # SQLite hands aggregates back as text
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def open_document(document: Document) -> bytes:
    """The document's bytes (``document`` found through scope.document_of); the first opening is recorded
    (the proof of receipt)."""
    content = storage.load(document.storage_key)
    if document.read_at is None:
        moment = clock.now()
        with db.write_transaction():
            # only the first opening counts, even when two downloads race
            Document.update(read_at=moment).where(
                (Document.id == document.id) & Document.read_at.is_null()
            ).execute()
        document.read_at = moment
    return content
