"""Dokumente für Mieter, from the staff's side: one PDF for a person (or one of their contracts), the Sammel-Upload
of many PDFs matched to contracts by the number in their file names, and the list of what the cooperative sent
with when each was first opened (the proof of receipt of a Betriebskostenabrechnung).

A Sammel-Upload is kept as a batch (DocumentBatch, its files in storage) and shown for review first; publishing
it is one transaction that files every matched document, mails each tenant once and marks the batch published,
so publishing it again publishes nothing.
"""

import hashlib
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass

from peewee import JOIN, fn

from wir import audit, clock, db, mail, storage, uploads
from wir.formatting import counted
from wir.models import (
    Contract,
    ContractParty,
    Cooperative,
    Document,
    DocumentBatch,
    DocumentBatchFile,
    Person,
    Unit,
    User,
)
from wir.services import scope, text
from wir.services.documents import documents
from wir.services.rejections import Rejected

# what staff send; forms and receipts are made by the portal itself
KINDS = {kind: Document.KINDS[kind] for kind in ("operating_costs_statement", "letter", "certificate")}
TITLE_MAX = 120
FILENAME_MAX = 200
MATCHED, UNMATCHED, DUPLICATE, REFUSED = "matched", "unmatched", "duplicate", "refused"
OPENED_FILTERS = {"offen": "noch nicht geöffnet", "geoeffnet": "geöffnet"}
# the parties who receive a contract's documents, in this order: the first one found gets it
RECIPIENT_ROLES = ("main", "member", "co")


class AlreadyPublished(Exception):
    """The batch was published or discarded before (by this clerk or a colleague): nothing published again."""


def check_title(title: str) -> str:
    return text.check("title", " ".join((title or "").split()),
                      "Bitte geben Sie einen Titel an; die Mieterin oder der Mieter sieht ihn in der Liste.", TITLE_MAX)


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise Rejected("kind", "Bitte wählen Sie eine Art aus der Liste.")
    return kind


def _shown_name(name: str) -> str:
    """An uploaded file's name as the preview shows it: its last part, one line, not endless."""
    name = re.split(r"[/\\]", name or "")[-1]
    return text.one_line(name)[:FILENAME_MAX] or "Datei"


def _mail_tenants(by_person: dict[int, list[Document]], persons: dict[int, Person],
                  cooperative: Cooperative) -> int:
    """One mail per tenant with an account, however many documents are new for them; the mail says only that
    there is something and where (nothing of the documents' content). Returns the number of mails."""
    by_user: dict[int, list[Document]] = defaultdict(list)
    greeted: dict[int, Person] = {}  # the name the mail greets the user with
    for person_id, filed in by_person.items():
        person = persons[person_id]
        if person.user_id is None:
            continue
        by_user[person.user_id].extend(filed)
        greeted.setdefault(person.user_id, person)
    if not by_user:
        return 0
    accounts = {user.id: user for user in User.select().where(User.id.in_(list(by_user)) & User.is_active)}
    sent = 0
    for user_id, filed in by_user.items():
        user = accounts.get(user_id)
        if user is None:
            continue
        person = greeted[user_id]
        count = len(filed)
        mail.queue_mail(
            user.email,
            "Neues Dokument im Portal" if count == 1 else "Neue Dokumente im Portal",
            "document_new",
            cooperative=cooperative,
            name=person.full_name,
            count=count,
            kinds=sorted({Document.KINDS[d.kind] for d in filed}),
            documents_url=mail.external_url("documents.index"),
        )
        sent += 1
    return sent


# --- one document ---------------------------------------------------------------------------------------------


def contracts_of(person: Person) -> list[Contract]:
    """The person's contracts with their units, to choose the one a document is about."""
    return [contract for _, contract in scope.contracts_of([person])]


def upload(person: Person, contract: Contract | None, kind: str, title: str, pdf: uploads.Attachment,
           clerk: User) -> Document:
    """One checked PDF (uploads.check_pdf) into the person's Dokumente, "neu" until opened; the tenant is
    mailed, the upload audited. Raises Rejected('kind' | 'title')."""
    kind, title = _check_kind(kind), check_title(title)
    if contract is not None and contract.id not in {c.id for c in contracts_of(person)}:
        raise Rejected("contract", "Bitte wählen Sie einen Vertrag dieser Person.")
    key = storage.store(pdf.content)  # the file first: no disk writes while the transaction holds the write lock
    cooperative = Cooperative.get_by_id(person.cooperative_id)
    with db.write_transaction():
        document = documents.file_document(person, contract, kind, title, key, len(pdf.content), clerk,
                                           cooperative=cooperative)
        _mail_tenants({person.id: [document]}, {person.id: person}, cooperative)
        audit.record(clerk, "document.uploaded", document,
                     f"{document.number} ({KINDS[kind]}) für Nr. {person.number}"
                     + (f", Vertrag {contract.number}" if contract else ""), cooperative)
    return document


# --- what the cooperative sent ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentFilter:
    kind: str = ""
    opened: str = ""  # "", "offen", "geoeffnet"
    search: str = ""  # a contract number or a person's number, exactly


def sent_documents(user: User, selection: SentFilter = SentFilter()):
    """The documents the staff member's cooperative (admins: both) put into tenants' Dokumente, newest first,
    with person, contract and sender; those the portal made at a tenant's request (certificates, forms,
    receipts) are the tenant's, not sent. A query to paginate."""
    sender = User.alias()
    query = (
        Document.select(Document, Person, Contract, Unit, sender)
        .join(Person)
        .switch(Document).join(Contract, JOIN.LEFT_OUTER).join(Unit, JOIN.LEFT_OUTER)
        .switch(Document).join(sender, JOIN.LEFT_OUTER, on=(Document.created_by == sender.id), attr="sender")
        .where(Document.created_by.is_null() | sender.role.in_([User.ROLE_STAFF, User.ROLE_ADMIN]))
        .order_by(Document.created_at.desc(), Document.id.desc())
    )
    if selection.kind:
        query = query.where(Document.kind == selection.kind)
    if selection.opened == "offen":
        query = query.where(Document.read_at.is_null())
    elif selection.opened == "geoeffnet":
        query = query.where(Document.read_at.is_null(False))
    if selection.search:
        query = query.where((Contract.number == selection.search) | (Person.number == selection.search)
                            | (Document.number == selection.search))
    return scope.in_staff_scope(query, user, Person.cooperative)


# --- Sammel-Upload ------------------------------------------------------------------------------------------


def contract_numbers_in(filename: str) -> list[str]:
    """What in a file name could be a contract number: every run of its dash-joined parts, upper-case
    ("BK_2025_MV-1001-0203.pdf" → "BK", "2025", "MV", "MV-1001", …, "MV-1001-0203", "1001-0203", …)."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    found = []
    for word in re.split(r"[^A-Za-z0-9-]+", stem.upper()):
        parts = [part for part in word.split("-") if part][:12]
        found.extend("-".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1))
    return found


def _match(filename: str, numbers: dict[str, Contract]) -> tuple[Contract | None, str]:
    """The one contract the file name names, or None and why."""
    hits = {numbers[c].id: numbers[c] for c in contract_numbers_in(filename) if c in numbers}
    # "GA-G-014" also contains "G-014": a number inside a longer one found beside it is not a second contract
    longest = [c for c in hits.values()
               if not any(c.number.upper() in other.number.upper() and c.id != other.id for other in hits.values())]
    if not longest:
        return None, "Keine Vertragsnummer im Dateinamen gefunden."
    if len(longest) > 1:
        return None, "Mehrere Vertragsnummern im Dateinamen: " + ", ".join(sorted(c.number for c in longest)) + "."
    return longest[0], ""


def _rank(role: str) -> int:
    return RECIPIENT_ROLES.index(role) if role in RECIPIENT_ROLES else len(RECIPIENT_ROLES)


def recipients(contract_ids) -> dict[int, Person]:
    """Who receives each contract's documents: its Hauptmieter (or member, then co-tenant), in one query."""
    rows = (ContractParty.select(ContractParty, Person).join(Person)
            .where(ContractParty.contract.in_(list(contract_ids))).order_by(ContractParty.id))
    chosen: dict[int, ContractParty] = {}
    for row in rows:
        current = chosen.get(row.contract_id)
        if current is None or _rank(row.role) < _rank(current.role):
            chosen[row.contract_id] = row
    return {contract_id: row.person for contract_id, row in chosen.items()}


@dataclass
class _Entry:
    filename: str
    status: str
    note: str = ""
    contract: Contract | None = None
    storage_key: str | None = None
    size: int = 0


def prepare_batch(clerk: User, cooperative: Cooperative, kind: str, title: str,
                  files: list[uploads.BulkFile]) -> DocumentBatch:
    """Check and match every file, keep the matched ones, record the batch for the preview; nothing is
    published. Raises Rejected('kind' | 'title' | 'files')."""
    kind, title = _check_kind(kind), check_title(title)
    if not files:
        raise Rejected("files", "Bitte wählen Sie PDF-Dateien oder eine ZIP-Datei aus.")
    numbers = {c.number.upper(): c for c in Contract.select().where(Contract.cooperative == cooperative)}
    entries: list[_Entry] = []
    first_with: dict[str, str] = {}  # content digest → the file name that had it first
    for file in files:
        name = _shown_name(file.name)
        try:
            pdf = uploads.check_pdf(name, file.read())
        except uploads.UploadRejected as refused:
            entries.append(_Entry(name, REFUSED, str(refused)))
            continue
        digest = hashlib.sha256(pdf.content).hexdigest()
        if digest in first_with:
            entries.append(_Entry(name, DUPLICATE, f"Gleicher Inhalt wie „{first_with[digest]}“."))
            continue
        first_with[digest] = name
        contract, why = _match(name, numbers)
        if contract is None:
            entries.append(_Entry(name, UNMATCHED, why))
            continue
        # only files that may be published are kept (before the transaction: no disk writes under the lock)
        entries.append(_Entry(name, MATCHED, contract=contract, storage_key=storage.store(pdf.content),
                              size=len(pdf.content)))
    _mark_conflicts([e for e in entries if e.status == MATCHED])
    with db.write_transaction():
        batch = DocumentBatch.create(key=secrets.token_urlsafe(16), cooperative=cooperative, kind=kind, title=title,
                                     created_by=clerk, created_at=clock.now())
        rows = [dict(batch=batch, position=position, filename=e.filename, status=e.status, note=e.note[:250],
                     contract=e.contract, storage_key=e.storage_key if e.status == MATCHED else None, size=e.size)
                for position, e in enumerate(entries)]
        for start in range(0, len(rows), 200):  # below every database's limit of parameters per statement
            DocumentBatchFile.insert_many(rows[start:start + 200]).execute()
        counts = _counts(entries)
        audit.record(clerk, "documents.batch_uploaded", batch,
                     f"{title}: {counts[MATCHED]} zugeordnet, {counts[UNMATCHED]} nicht zugeordnet, "
                     f"{counts[DUPLICATE]} doppelt, {counts[REFUSED]} abgelehnt", cooperative)
    return batch


def _counts(entries) -> dict[str, int]:
    counts = dict.fromkeys(DocumentBatchFile.STATUSES, 0)
    for entry in entries:
        counts[entry.status] += 1
    return counts


def _mark_conflicts(matched: list[_Entry]) -> None:
    """Files that may not be published as they are: two different files for one contract (which is right?),
    a contract without a party to receive it, and a file its tenant has in Dokumente already."""
    by_contract: dict[int, list[_Entry]] = defaultdict(list)
    for entry in matched:
        by_contract[entry.contract.id].append(entry)
    for contract_id, same in by_contract.items():
        if len(same) > 1:
            for entry in same:
                entry.status, entry.note = DUPLICATE, (
                    f"{len(same)} Dateien für Vertrag {entry.contract.number}: "
                    + ", ".join(f"„{e.filename}“" for e in same) + ". Keine davon wird veröffentlicht.")
    left = [e for e in matched if e.status == MATCHED]
    receiving = recipients({e.contract.id for e in left})
    for entry in left:
        if entry.contract.id not in receiving:
            entry.status, entry.note = UNMATCHED, f"Vertrag {entry.contract.number} hat keine Vertragspartner."
    left = [e for e in left if e.status == MATCHED]
    if not left:
        return
    published = {(d.storage_key, d.contract_id): d.number for d in
                 Document.select(Document.storage_key, Document.contract, Document.number)
                 .where(Document.storage_key.in_([e.storage_key for e in left])
                        & Document.contract.in_([e.contract.id for e in left]))}
    for entry in left:
        number = published.get((entry.storage_key, entry.contract.id))
        if number:
            entry.status, entry.note = DUPLICATE, f"Schon im Portal veröffentlicht (Dokument-Nr. {number})."


def batch_of(user: User, key: str) -> DocumentBatch | None:
    """A batch of the staff member's cooperative (admins: of either) by its key."""
    query = DocumentBatch.select(DocumentBatch, Cooperative).join(Cooperative).where(DocumentBatch.key == key)
    return scope.in_staff_scope(query, user, DocumentBatch.cooperative).first()


def batch_counts(batch: DocumentBatch) -> dict[str, int]:
    """How many files of the batch have each status, in one query."""
    counts = dict.fromkeys(DocumentBatchFile.STATUSES, 0)
    for status, count in (DocumentBatchFile.select(DocumentBatchFile.status, fn.COUNT(DocumentBatchFile.id))
                          .where(DocumentBatchFile.batch == batch).group_by(DocumentBatchFile.status).tuples()):
        counts[status] = count
    return counts


def batch_files(batch: DocumentBatch, matched: bool):
    """The batch's matched files (with contract, unit and published document), or the others; in upload order.
    A query to paginate."""
    query = (DocumentBatchFile.select(DocumentBatchFile, Contract, Unit, Document)
             .join(Contract, JOIN.LEFT_OUTER).join(Unit, JOIN.LEFT_OUTER)
             .switch(DocumentBatchFile).join(Document, JOIN.LEFT_OUTER)
             .where(DocumentBatchFile.batch == batch))
    query = query.where((DocumentBatchFile.status == MATCHED) if matched else (DocumentBatchFile.status != MATCHED))
    return query.order_by(DocumentBatchFile.position, DocumentBatchFile.id)


def _open():
    """A batch neither published nor discarded."""
    return DocumentBatch.published_at.is_null() & DocumentBatch.discarded_at.is_null()


def publish(batch: DocumentBatch, clerk: User) -> int:
    """Veröffentlichen: every matched file into its tenant's Dokumente, one mail per tenant, in one transaction
    that also marks the batch published. Returns the number of documents. Raises AlreadyPublished."""
    files = list(DocumentBatchFile.select(DocumentBatchFile, Contract).join(Contract)
                 .where((DocumentBatchFile.batch == batch) & (DocumentBatchFile.status == MATCHED))
                 .order_by(DocumentBatchFile.position))
    cooperative = Cooperative.get_by_id(batch.cooperative_id)
    with db.write_transaction():
        # of two clerks (or two clicks) exactly one finds the batch unpublished
        if DocumentBatch.update(published_at=clock.now(), published_by=clerk).where(
                (DocumentBatch.id == batch.id) & _open()).execute() != 1:
            raise AlreadyPublished(batch.key)
        receiving = recipients({f.contract_id for f in files})
        by_person: dict[int, list[Document]] = defaultdict(list)
        persons: dict[int, Person] = {}
        for file in files:
            person = receiving.get(file.contract_id)
            if person is None:  # the contract lost its parties since the preview
                continue
            document = documents.file_document(person, file.contract, batch.kind, batch.title, file.storage_key,
                                               file.size, clerk, cooperative=cooperative)
            DocumentBatchFile.update(document=document).where(DocumentBatchFile.id == file.id).execute()
            by_person[person.id].append(document)
            persons[person.id] = person
        count = sum(len(filed) for filed in by_person.values())
        mails = _mail_tenants(by_person, persons, cooperative)
        audit.record(clerk, "documents.batch_published", batch,
                     f"{batch.title}: {counted(count, 'Dokument', 'Dokumente')} veröffentlicht, "
                     f"{counted(mails, 'E-Mail', 'E-Mails')}", cooperative)
    return count


def discard(batch: DocumentBatch, clerk: User) -> None:
    """Verwerfen: the batch is never published and its file list goes (the stored content may be shared with
    documents, so it stays). Raises AlreadyPublished for a batch published or discarded meanwhile."""
    with db.write_transaction():
        if DocumentBatch.update(discarded_at=clock.now()).where(
                (DocumentBatch.id == batch.id) & _open()).execute() != 1:
            raise AlreadyPublished(batch.key)
        DocumentBatchFile.delete().where(DocumentBatchFile.batch == batch.id).execute()
        audit.record(clerk, "documents.batch_discarded", batch, f"{batch.title}: verworfen",
                     Cooperative.get_by_id(batch.cooperative_id))
