"""All tables of the portal, named as in the glossary of DESIGN.md §4.

Timestamps are naive UTC (wir.clock.now); money is Decimal, never float.
"""

from enum import StrEnum

from flask_login import UserMixin
from peewee import (
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from wir import clock
from wir.db import database
from wir.formatting import salutation_key


def MoneyField(**kwargs):
    return DecimalField(max_digits=12, decimal_places=2, auto_round=True, **kwargs)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Cooperative(BaseModel):
    slug = CharField(unique=True)
    name = CharField()  # WG „Lipsia“ eG
    street = CharField()
    postcode = CharField()
    city = CharField()
    register_court = CharField()
    register_number = CharField()
    creditor_id = CharField()  # Gläubiger-ID for SEPA direct debits
    has_savings = BooleanField(default=False)
    email = CharField()
    phone = CharField()
    emergency_phone = CharField()
    office_hours = CharField()
    website = CharField()


class User(UserMixin, BaseModel):
    ROLE_TENANT = "tenant"
    ROLE_STAFF = "staff"
    ROLE_ADMIN = "admin"

    email = CharField(unique=True)  # stored lower-case; it is the login name
    password_hash = CharField()
    role = CharField(default=ROLE_TENANT)
    # staff belong to one cooperative; tenants reach theirs through Person
    cooperative = ForeignKeyField(Cooperative, null=True, backref="staff")
    staff_name = CharField(null=True)
    is_active = BooleanField(default=True)
    confirmed_at = DateTimeField(null=True)
    # bumped to end every session of the user at once (logout, password change)
    session_version = IntegerField(default=1)
    last_login_at = DateTimeField(null=True)
    contact_reviewed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)
    # staff's second factor (TOTP, RFC 6238): the secret is kept from the start of the enrolment,
    # in force once a first code confirmed it; the time step of the last accepted code refuses replays
    totp_secret = CharField(null=True)
    totp_confirmed_at = DateTimeField(null=True)
    totp_last_step = IntegerField(null=True)
    # counted up by every change staff make to the account (services.versions): an action based on an older view
    version = IntegerField(default=1)

    def get_id(self):
        # the version inside the session cookie lets the server revoke it
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self):
        return self.role in (self.ROLE_STAFF, self.ROLE_ADMIN)


class LoginThrottle(BaseModel):
    """Wrong passwords in a row for one sign-in address, whether or not an account has it (no enumeration).

    Keyed by a digest of the normalized address, so addresses strangers typed are not kept readable.
    """

    address_hash = CharField(unique=True)  # sha256 hex of the normalized e-mail address
    failures = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    last_failure_at = DateTimeField()


class RecoveryCode(BaseModel):
    """Wiederherstellungscode: signs in once instead of the authenticator app's code."""

    user = ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = CharField()  # SHA-256 of user id and code; the code itself is shown once and never stored
    used_at = DateTimeField(null=True)


class Person(BaseModel):
    """A member, tenant or saver as the cooperative's ERP knows them."""

    cooperative = ForeignKeyField(Cooperative, backref="persons")
    number = CharField()  # Mitglieds-/Personennummer
    salutation = CharField(default="")
    first_name = CharField()
    last_name = CharField()
    birth_date = DateField(null=True)
    street = CharField()
    postcode = CharField()
    city = CharField()
    user = ForeignKeyField(User, null=True, backref="persons", on_delete="SET NULL")
    erp_key = CharField(max_length=100, null=True)  # the ERP's own key of the row (wir.services.erp_import)
    # the Verbrauchsinformation (§ 6a HeizkostenV) by post as well, though the person has a portal account
    consumption_by_post = BooleanField(default=False)

    class Meta:
        indexes = (
            (("cooperative", "number"), True),
            (("user", "cooperative"), True),
            (("cooperative", "erp_key"), True),
        )

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"


class PhoneNumber(BaseModel):
    KINDS = {"mobile": "Mobil", "home": "Privat", "work": "Dienstlich"}

    user = ForeignKeyField(User, backref="phone_numbers", on_delete="CASCADE")
    kind = CharField()
    number = CharField()  # E.164
    position = IntegerField(default=0)


class Representation(BaseModel):
    """Vertretung: a user acting for a tenant's person within scopes, invited by the tenant (Lesen, Anliegen) or
    entered by staff from a checked Vollmacht or Betreuerausweis (also Bankverbindung, Freistellungsauftrag,
    Kündigung). Ended ones stay: their events are the tenant's record of who acted for them."""

    SCOPES = {"read": "Lesen", "requests": "Anliegen", "bank": "Bankverbindung", "exemption": "Freistellungsauftrag",
              "notice": "Kündigung"}
    SOURCE_INVITATION = "invitation"
    SOURCE_DOCUMENT = "document"

    person = ForeignKeyField(Person, backref="representations")
    representative = ForeignKeyField(User, null=True, backref="representations")  # None until accepted
    name = CharField()  # as the tenant (or staff) wrote it: what the tenant and the desk read
    email = CharField()  # where the invitation went
    scopes = CharField()  # keys of SCOPES, comma-separated
    valid_until = DateField(null=True)  # the last day; None: until ended
    source = CharField(default=SOURCE_INVITATION)
    document_key = CharField(default="")  # the Vollmacht's stored file (wir.storage), staff only
    token_hash = CharField(null=True, unique=True)  # the invitation link's SHA-256; None once used
    link_expires_at = DateTimeField(null=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)
    accepted_at = DateTimeField(null=True)
    ended_at = DateTimeField(null=True)
    ended_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split(",")) if self.scopes else frozenset()


class RepresentationEvent(BaseModel):
    """What happened to a representation and what its representative did: „Wer hat für mich gehandelt“."""

    representation = ForeignKeyField(Representation, backref="events", on_delete="CASCADE")
    at = DateTimeField(default=clock.now)
    kind = CharField()  # invited, accepted, changed, ended, signed_in, acted
    detail = TextField(default="")
    by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        indexes = ((("representation", "at"), False),)


class RegistrationCode(BaseModel):
    """Registrierungsnummer: printed in a letter, used once to open an account."""

    person = ForeignKeyField(Person, backref="registration_codes", on_delete="CASCADE")
    code = CharField(unique=True)
    created_at = DateTimeField(default=clock.now)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class EmailConfirmation(BaseModel):
    """A single-use proof of access to a mailbox: a link token and, for the app, a 6-digit code."""

    PURPOSES = ("registration", "password_reset", "email_change")

    user = ForeignKeyField(User, backref="email_confirmations", on_delete="CASCADE")
    purpose = CharField()
    email = CharField()  # the address the mail went to
    token_hash = CharField(unique=True)  # sha256 of the link token; the token itself is never stored
    code_hash = CharField(default="")  # HMAC of the Bestätigungscode
    attempts = IntegerField(default=0)
    created_at = DateTimeField(default=clock.now)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)  # also set when voided (too many wrong codes, superseded)


class RegistrationNumberRequest(BaseModel):
    """Someone without a letter asks for a Registrierungsnummer; staff answer by post."""

    cooperative = ForeignKeyField(Cooperative, null=True, backref="registration_number_requests")
    first_name = CharField()
    last_name = CharField()
    street = CharField()
    postcode = CharField()
    city = CharField()
    reference_number = CharField(default="")  # member or contract number, if known
    email = CharField(default="")
    created_at = DateTimeField(default=clock.now, index=True)
    handled_at = DateTimeField(null=True)  # a letter answered it (services.registration_letters)
    # the person a clerk assigned when none matched by name and address by itself
    person = ForeignKeyField(Person, null=True, backref="+", on_delete="SET NULL")


class JobStatus(StrEnum):
    """A background job's row (services.jobs): waiting for a worker, running, finished, or failed with nothing
    changed. The values are stored."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @classmethod
    def open(cls) -> tuple:
        """Not finished yet: the page polls it."""
        return (cls.QUEUED, cls.RUNNING)


class RegistrationLetterBatch(BaseModel):
    """Registrierungsbriefe made together in the background (wir.tasks): one PDF, a letter per page."""

    STATUSES = {JobStatus.QUEUED: "wartet", JobStatus.RUNNING: "wird erstellt", JobStatus.DONE: "fertig",
                JobStatus.FAILED: "fehlgeschlagen"}

    cooperative = ForeignKeyField(Cooperative, null=True, backref="+")  # None: an admin's batch for both
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now, index=True)
    status = CharField(default=JobStatus.QUEUED)
    total = IntegerField(default=0)
    done = IntegerField(default=0)  # letters built so far: the progress the page shows
    error = TextField(default="")  # why it failed, for the clerk
    storage_key = CharField(default="")  # the PDF (wir.storage) once done
    finished_at = DateTimeField(null=True)


class RegistrationLetter(BaseModel):
    """One letter of a batch: a new Registrierungsnummer for the person, perhaps answering a request."""

    batch = ForeignKeyField(RegistrationLetterBatch, backref="letters", on_delete="CASCADE")
    position = IntegerField()
    person = ForeignKeyField(Person, backref="+", on_delete="CASCADE")
    request = ForeignKeyField(RegistrationNumberRequest, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        indexes = ((("batch", "position"), True),)


class ContactPerson(BaseModel):
    """Ansprechpartner: the staff member responsible for a contract."""

    cooperative = ForeignKeyField(Cooperative, backref="contact_persons")
    salutation = CharField(default="")  # Anrede: Frau, Herr or empty (formatting.contact_title words it)
    name = CharField()
    phone = CharField()
    email = CharField()
    office_hours = CharField(default="")
    user = ForeignKeyField(User, null=True, backref="contact_person", on_delete="SET NULL")
    erp_key = CharField(max_length=100, null=True)  # the ERP's own key of the row (wir.services.erp_import)

    class Meta:
        indexes = ((("cooperative", "erp_key"), True),)


class Absence(BaseModel):
    """Abwesenheit: a staff member away from ``starts_on`` to ``ends_on`` (both days included), with a deputy of the
    same cooperative who takes their new tickets and Ansprechpartner duties meanwhile (services.staff.absences)."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    deputy = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    starts_on = DateField()
    ends_on = DateField()
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("user", "ends_on"), False), (("deputy", "ends_on"), False))


class Unit(BaseModel):
    KINDS = {"flat": "Wohnung", "parking": "Stellplatz", "garage": "Garage"}

    cooperative = ForeignKeyField(Cooperative, backref="units")
    kind = CharField()
    number = CharField()
    street = CharField()
    postcode = CharField()
    city = CharField()
    floor = CharField(default="")  # EG, 1. OG, ...
    position = CharField(default="")  # links, rechts, Mitte, Stellplatz 12
    rooms = DecimalField(max_digits=4, decimal_places=1, null=True)
    living_area = DecimalField(max_digits=7, decimal_places=2, null=True)  # m²
    heating = CharField(default="")
    year_built = IntegerField(null=True)
    erp_key = CharField(max_length=100, null=True)  # the ERP's own key of the row (wir.services.erp_import)

    class Meta:
        indexes = ((("cooperative", "number"), True), (("cooperative", "erp_key"), True),
                   (("cooperative", "street", "postcode"), False))  # a house (NewsAudience)


class HouseContact(BaseModel):
    """A house's Ansprechpartner chosen by staff (services.staff.house_contacts): the contracts of its units got
    ``contact_person``, and the ERP import keeps it unless it runs with ``--full``. A house is the cooperative's units
    sharing street (with the house number) and postcode, as for NewsAudience."""

    cooperative = ForeignKeyField(Cooperative, backref="+")
    street = CharField()
    postcode = CharField()
    contact_person = ForeignKeyField(ContactPerson, backref="+", on_delete="CASCADE")
    chosen_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    chosen_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("cooperative", "street", "postcode"), True),)


class Contract(BaseModel):
    KINDS = {"rental": "Mietvertrag", "parking": "Stellplatz/Garage", "membership": "Mitgliedschaft"}

    cooperative = ForeignKeyField(Cooperative, backref="contracts")
    kind = CharField()
    number = CharField()
    unit = ForeignKeyField(Unit, null=True, backref="contracts")
    start_date = DateField()
    end_date = DateField(null=True)
    contact_person = ForeignKeyField(ContactPerson, null=True, backref="contracts")
    # rental and parking: monthly amounts
    base_rent = MoneyField(null=True)  # Grundmiete / Nettokaltmiete
    operating_costs = MoneyField(null=True)  # Betriebskostenvorauszahlung
    heating_costs = MoneyField(null=True)  # Heizkostenvorauszahlung
    household_size = IntegerField(null=True)
    # overdue rent on the rent account; zero means a Mietschuldenfreiheitsbescheinigung may be issued
    arrears = MoneyField(default=0)
    # membership
    mandatory_shares = IntegerField(null=True)
    voluntary_shares = IntegerField(null=True)
    share_amount = MoneyField(null=True)
    paid_in = MoneyField(null=True)
    erp_key = CharField(max_length=100, null=True)  # the ERP's own key of the row (wir.services.erp_import)

    class Meta:
        indexes = ((("cooperative", "number"), True), (("cooperative", "erp_key"), True))


class ContractParty(BaseModel):
    ROLES = {"main": "Hauptmieter", "co": "Mitmieter", "member": "Mitglied"}  # also the ERP's words (Rolle)
    ROLES_OF_WOMEN = {"main": "Hauptmieterin", "co": "Mitmieterin"}  # for a person with the Anrede Frau

    contract = ForeignKeyField(Contract, backref="parties", on_delete="CASCADE")
    person = ForeignKeyField(Person, backref="contract_parties")
    role = CharField(default="main")
    # the ERP's own key (wir.services.erp_import), unique per cooperative, which the import keeps
    erp_key = CharField(max_length=100, null=True, index=True)

    class Meta:
        indexes = ((("contract", "person"), True),)

    @property
    def role_label(self) -> str:
        """The role as the page names this person: Hauptmieterin for a woman (Anrede Frau), else Hauptmieter."""
        if salutation_key(self.person.salutation) == "frau" and self.role in self.ROLES_OF_WOMEN:
            return self.ROLES_OF_WOMEN[self.role]
        return self.ROLES.get(self.role, self.role)


class BankAccount(BaseModel):
    STATUSES = {"active": "gültig", "pending": "in Prüfung", "rejected": "abgelehnt", "replaced": "ersetzt"}

    contract = ForeignKeyField(Contract, backref="bank_accounts", on_delete="CASCADE")
    holder = CharField()
    iban = CharField()
    bic = CharField(default="")
    bank_name = CharField(default="")
    mandate_reference = CharField(max_length=35)
    valid_from = DateField()
    status = CharField(default="active")
    consent_at = DateTimeField(null=True)
    consent_text_version = CharField(null=True)
    created_at = DateTimeField(default=clock.now)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    decided_at = DateTimeField(null=True)
    decision_note = TextField(default="")  # why the cooperative rejected it
    # the ERP's own key (wir.services.erp_import), unique per cooperative, which the import keeps
    erp_key = CharField(max_length=100, null=True, index=True)


class Document(BaseModel):
    KINDS = {
        "letter": "Schreiben",
        "operating_costs_statement": "Betriebskostenabrechnung",
        "certificate": "Bescheinigung",
        "form": "Formular",
        "receipt": "Eingangsbestätigung",
    }

    person = ForeignKeyField(Person, backref="documents", on_delete="CASCADE")
    contract = ForeignKeyField(Contract, null=True, backref="documents")
    kind = CharField()
    title = CharField()
    number = CharField(unique=True)
    filename = CharField()
    storage_key = CharField()  # content hash under instance/uploads/
    content_type = CharField(default="application/pdf")
    size = IntegerField(default=0)
    created_at = DateTimeField(default=clock.now, index=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    read_at = DateTimeField(null=True)  # first opening: the "neu" flag and proof of receipt


class TicketType(BaseModel):
    """Meldungsart."""

    cooperative = ForeignKeyField(Cooperative, backref="ticket_types")
    name = CharField()
    position = IntegerField(default=0)


class TicketCategory(BaseModel):
    """Meldungskategorie, with the fields it asks for."""

    ticket_type = ForeignKeyField(TicketType, backref="categories", on_delete="CASCADE")
    name = CharField()
    # a stable name for the categories the portal itself files into (forms, certificates, address change)
    key = CharField(default="")
    position = IntegerField(default=0)
    needs_phone = BooleanField(default=False)
    allows_attachments = BooleanField(default=False)
    is_emergency = BooleanField(default=False)
    needs_contract = BooleanField(default=False)
    hint = TextField(default="")


class TicketStatus(StrEnum):
    """A Meldung's status; services.tickets.TRANSITIONS says which follows which. The values are stored."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    QUERY = "query"  # Rückfrage: the cooperative waits for the tenant's answer
    COMMISSIONED = "commissioned"
    CLOSED = "closed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # by the tenant


class Ticket(BaseModel):
    """Meldung."""

    STATUSES = {
        TicketStatus.RECEIVED: "Eingegangen",
        TicketStatus.IN_PROGRESS: "In Bearbeitung",
        TicketStatus.QUERY: "Rückfrage",
        TicketStatus.COMMISSIONED: "Beauftragt",
        TicketStatus.CLOSED: "Abgeschlossen",
        TicketStatus.REJECTED: "Abgelehnt",
        TicketStatus.WITHDRAWN: "Zurückgezogen",
    }
    OPEN_STATUSES = (TicketStatus.RECEIVED, TicketStatus.IN_PROGRESS, TicketStatus.QUERY, TicketStatus.COMMISSIONED)
    WAITING_STATUSES = (TicketStatus.RECEIVED, TicketStatus.IN_PROGRESS)  # the cooperative's turn

    cooperative = ForeignKeyField(Cooperative, backref="tickets")
    number = CharField(unique=True)
    person = ForeignKeyField(Person, backref="tickets")
    contract = ForeignKeyField(Contract, null=True, backref="tickets")
    category = ForeignKeyField(TicketCategory, backref="tickets")
    subject = CharField()
    phone = CharField(default="")
    location = CharField(default="")
    status = CharField(default=TicketStatus.RECEIVED)
    created_at = DateTimeField(default=clock.now, index=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    updated_at = DateTimeField(default=clock.now, index=True)  # every status change and message moves it
    tenant_seen_at = DateTimeField(null=True)  # the tenant last opened it: older changes are not "neu"
    assigned_to = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL", index=True)
    # every change counts up: a desk form based on an older version is refused instead of overwriting
    version = IntegerField(default=1)
    # since when the cooperative owes the next step (Eingegangen, In Bearbeitung); None while it waits for others
    waiting_since = DateTimeField(null=True)
    # any change staff see, internal notes and assignments too (updated_at moves only for what the tenant sees)
    activity_at = DateTimeField(default=clock.now)
    # the form's one-time key: sending the same form twice files one ticket
    submission_key = CharField(null=True, unique=True)
    # sent by a representative for the person („durch … für …“)
    representation = ForeignKeyField(Representation, null=True, backref="+")
    # the tenant's consent on the Kontakt form: a commissioned company (WorkOrder) may get the phone number, the photos
    phone_for_contractor = BooleanField(default=False)
    photos_for_contractor = BooleanField(default=False)

    class Meta:
        indexes = (
            (("person", "updated_at"), False),
            (("cooperative", "activity_at"), False),
            (("cooperative", "waiting_since"), False),
            (("cooperative", "created_at"), False),  # the Auswertung's tickets received in a period
        )

    @classmethod
    def unseen(cls):
        """The "neu" rule as SQL: changed since the tenant last opened it. Lists select it as ``is_new``."""
        return cls.tenant_seen_at.is_null() | (cls.updated_at > cls.tenant_seen_at)


class TicketMessage(BaseModel):
    ticket = ForeignKeyField(Ticket, backref="messages", on_delete="CASCADE")
    author = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    from_staff = BooleanField(default=False)
    internal = BooleanField(default=False)  # a note among staff: never on the tenant's pages, in mails or exports
    body = TextField()
    created_at = DateTimeField(default=clock.now)
    representation = ForeignKeyField(Representation, null=True, backref="+")  # written by a representative


class TicketStatusChange(BaseModel):
    ticket = ForeignKeyField(Ticket, backref="status_changes", on_delete="CASCADE")
    old_status = CharField(null=True)
    new_status = CharField()
    reason = TextField(default="")
    changed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    changed_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("new_status", "changed_at"), False),)  # the Auswertung's tickets closed in a period


class TicketAssignment(BaseModel):
    """Who a ticket was assigned to (None: to nobody), by whom, when: in the desk's history, never the tenant's."""

    AUTOMATIC = {"contact": "als Ansprechperson des Vertrags", "deputy": "als Vertretung der Ansprechperson"}

    ticket = ForeignKeyField(Ticket, backref="assignments", on_delete="CASCADE")
    assignee = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    assigned_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    assigned_at = DateTimeField(default=clock.now)
    # "" by a person (assigned_by); a key of AUTOMATIC when a new ticket went to its contract's clerk by itself
    automatic = CharField(default="")


class TicketAttachment(BaseModel):
    ticket = ForeignKeyField(Ticket, backref="attachments", on_delete="CASCADE")
    message = ForeignKeyField(TicketMessage, null=True, backref="attachments", on_delete="CASCADE")
    filename = CharField()
    storage_key = CharField()
    content_type = CharField()
    size = IntegerField()
    created_at = DateTimeField(default=clock.now)


class SavingsAccount(BaseModel):
    """Sparvertrag (Anlage)."""

    person = ForeignKeyField(Person, backref="savings_accounts")
    number = CharField(unique=True)
    product = CharField()  # Sparbuch, Wachstumssparen, Festzins
    interest_rate = DecimalField(max_digits=6, decimal_places=3)  # percent p.a.
    notice_months = IntegerField(default=3)
    opened_on = DateField()
    matures_on = DateField(null=True)  # end of a fixed term (Festzins); None: runs until given notice
    balance = MoneyField(default=0)  # as booked by the ERP
    closed_on = DateField(null=True)  # aufgelöst: the ERP says so, or a full import no longer lists it
    # the ERP's own key (wir.services.erp_import), unique per cooperative, which the import keeps
    erp_key = CharField(max_length=100, null=True, index=True)

    def closed_by(self, day) -> bool:
        """Aufgelöst on or before ``day``: no balance to count and nothing left to give notice on."""
        return self.closed_on is not None and self.closed_on <= day


class SavingsTransaction(BaseModel):
    """Umsatz."""

    KINDS = {
        "Einzahlung": "Einzahlung",
        "Auszahlung": "Auszahlung",
        "Zinsgutschrift": "Zinsgutschrift",
        "KapESt": "Kapitalertragsteuer",
        "Soli": "Solidaritätszuschlag",
        "KiSt": "Kirchensteuer",
        "Vorschusszins": "Vorschusszinsen",
        "Kündigung": "Kündigung",
    }

    account = ForeignKeyField(SavingsAccount, backref="transactions", on_delete="CASCADE")
    booking_date = DateField(index=True)
    value_date = DateField()
    kind = CharField()  # a key of KINDS, as the ERP books it
    amount = MoneyField()
    balance_after = MoneyField()
    # the ERP's own key (wir.services.erp_import), unique per cooperative, which the import keeps
    erp_key = CharField(max_length=100, null=True, index=True)

    class Meta:
        # the Umsätze of one account, newest first, a page at a time (keyset pagination)
        indexes = ((("account", "booking_date", "id"), False),)


class ExemptionOrder(BaseModel):
    """Freistellungsauftrag: every change is a new order, the old one is superseded (see services.exemption_orders)."""

    person = ForeignKeyField(Person, backref="exemption_orders")
    joint = BooleanField(default=False)
    amount = MoneyField()
    valid_from = DateField()
    valid_until = DateField(null=True)  # None: until revoked
    tax_id = CharField()
    partner_name = CharField(default="")
    partner_tax_id = CharField(default="")
    created_at = DateTimeField(default=clock.now)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    superseded_at = DateTimeField(null=True)  # a newer order replaced this one
    revoked_at = DateTimeField(null=True)  # the saver revoked it (Widerruf); valid_until says from when
    # the ERP's own key (wir.services.erp_import), unique per cooperative, which the import keeps
    erp_key = CharField(max_length=100, null=True, index=True)


class NewsItem(BaseModel):
    """Neuigkeit."""

    cooperative = ForeignKeyField(Cooperative, backref="news")
    title = CharField()
    body = TextField()
    published_at = DateTimeField(index=True)
    expires_at = DateTimeField(null=True)
    version = IntegerField(default=1)  # counted up by every change (services.versions)
    audience = CharField(default="all")  # "all" tenants of the cooperative, or only its chosen "houses"
    notify = BooleanField(default=False)  # „per E-Mail benachrichtigen“: mailed once it is on the Startseite
    mailed_at = DateTimeField(null=True)  # every mail of the item queued; None: (again) due while notify


class NewsAudience(BaseModel):
    """A house a Neuigkeit for chosen houses is for: its tenants see it (services.home.news). A house is the
    cooperative's units sharing street (with the house number) and postcode."""

    news_item = ForeignKeyField(NewsItem, backref="houses", on_delete="CASCADE")
    street = CharField()
    postcode = CharField()

    class Meta:
        indexes = ((("news_item", "street", "postcode"), True),)


class NewsMail(BaseModel):
    """A Neuigkeit was mailed to a user: one row per item and user, so publishing twice or a second worker never
    mails twice."""

    news_item = ForeignKeyField(NewsItem, backref="+", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("news_item", "user"), True),)


class ReplyTemplate(BaseModel):
    """Textbaustein: an answer the cooperative's staff insert at the desk, its placeholders ({Anrede}, {Name},
    {Meldungsnummer}, {Ansprechpartner}) filled from the ticket (services.staff.reply_templates)."""

    cooperative = ForeignKeyField(Cooperative, backref="+")
    title = CharField()
    body = TextField()
    version = IntegerField(default=1)  # counted up by every change (services.versions)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)
    updated_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("cooperative", "title"), False),)


class Contractor(BaseModel):
    """Handwerker: a company the cooperative orders work from (services.staff.contractors)."""

    cooperative = ForeignKeyField(Cooperative, backref="+")
    name = CharField()
    trade = CharField()  # Gewerk
    email = CharField()
    phone = CharField(default="")
    active = BooleanField(default=True)  # deactivated ones are kept for their orders, never offered again
    updated_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("cooperative", "name"), False),)


class WorkOrder(BaseModel):
    """Auftrag: a ticket's work ordered from a contractor, mailed as a PDF; the company answers through a single-use
    link (services.staff.work_orders): an appointment proposed or confirmed, then „erledigt“."""

    ORDERED, PROPOSED, CONFIRMED, DONE = "ordered", "proposed", "confirmed", "done"
    STATES = {ORDERED: "beauftragt", PROPOSED: "Termin vorgeschlagen", CONFIRMED: "Termin bestätigt",
              DONE: "erledigt gemeldet"}

    cooperative = ForeignKeyField(Cooperative, backref="+")
    number = CharField(unique=True)  # LA-2026-0001
    ticket = ForeignKeyField(Ticket, backref="+", on_delete="CASCADE")
    contractor = ForeignKeyField(Contractor, backref="+")
    text = TextField()
    pass_phone = BooleanField(default=False)  # only with the tenant's consent (Ticket.phone_for_contractor)
    pass_photos = BooleanField(default=False)  # the tenant's consent when ordered (Ticket.photos_for_contractor)
    state = CharField(default=ORDERED)
    appointment_on = DateField(null=True)
    appointment_from = CharField(default="")  # "08:00"
    appointment_until = CharField(default="")
    done_at = DateTimeField(null=True)
    done_note = TextField(default="")
    link_hash = CharField(null=True, unique=True)  # SHA-256 of the company's current link; None: no link open
    link_expires_at = DateTimeField(null=True)
    mailed_at = DateTimeField(null=True)  # the order's mail is queued (once: services.staff.work_orders.mail_order)
    pdf_key = CharField(null=True)  # the order's PDF in storage, once made
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("ticket", "created_at"), False), (("mailed_at",), False))


class DocumentBatch(BaseModel):
    """Sammel-Upload: PDFs (the yearly Betriebskostenabrechnungen) uploaded at once, each matched to a contract
    by the number in its file name, checked by a clerk in the preview and then published together."""

    key = CharField(unique=True)  # random: the batch's address
    cooperative = ForeignKeyField(Cooperative, backref="+")
    kind = CharField()
    title = CharField()
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)
    published_at = DateTimeField(null=True)  # set once: publishing twice publishes nothing twice
    published_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    discarded_at = DateTimeField(null=True)  # Verwerfen: never published (its files are forgotten)


class DocumentBatchFile(BaseModel):
    """One file of a batch as the preview shows it; only "matched" ones are published."""

    STATUSES = {"matched": "zugeordnet", "unmatched": "nicht zugeordnet", "duplicate": "doppelt",
                "refused": "abgelehnt"}

    batch = ForeignKeyField(DocumentBatch, backref="files", on_delete="CASCADE")
    position = IntegerField()
    filename = CharField()  # as uploaded, for the clerk's eyes only (never a path)
    status = CharField()
    note = CharField(default="")  # why it is not published
    contract = ForeignKeyField(Contract, null=True, backref="+")
    storage_key = CharField(null=True)  # kept for matched files only
    size = IntegerField(default=0)
    document = ForeignKeyField(Document, null=True, backref="+", on_delete="SET NULL")  # once published

    class Meta:
        indexes = ((("batch", "status", "position"), False),)


class AuditLog(BaseModel):
    at = DateTimeField(default=clock.now, index=True)
    user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    cooperative = ForeignKeyField(Cooperative, null=True, backref="+")
    action = CharField()
    object_type = CharField(default="")
    object_id = CharField(default="")
    detail = TextField(default="")
    ip = CharField(default="")


class OutboxMail(BaseModel):
    """A mail written in the transaction of its cause and delivered after commit."""

    created_at = DateTimeField(default=clock.now)
    recipient = CharField()
    subject = CharField()
    body_text = TextField()
    body_html = TextField(default="")
    status = CharField(default="pending", index=True)  # pending, sent
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=clock.now)
    sent_at = DateTimeField(null=True)
    last_error = TextField(default="")


class OutboxAttachment(BaseModel):
    """A file a mail of the outbox carries (a work order's PDF and photos), read from storage when it is sent."""

    mail = ForeignKeyField(OutboxMail, backref="+", on_delete="CASCADE")
    filename = CharField()
    content_type = CharField()
    storage_key = CharField()


class ErpImport(BaseModel):
    """One run of the ERP import (wir.services.erp_import): who, when, which files, what it found or changed."""

    STATUSES = {JobStatus.QUEUED: "wartet", JobStatus.RUNNING: "läuft", JobStatus.DONE: "fertig",
                JobStatus.FAILED: "mit Fehlern, nichts geändert"}

    cooperative = ForeignKeyField(Cooperative, backref="+")
    user = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")  # None: the command line
    started_at = DateTimeField(default=clock.now, index=True)
    finished_at = DateTimeField(null=True)
    dry_run = BooleanField(default=False)
    full = BooleanField(default=False)
    status = CharField(default=JobStatus.QUEUED)
    files = TextField(default="[]")  # JSON: [{"name", "size", "sha256"}]
    report = TextField(default="")  # JSON of the report (counts per file, errors)
    bytes_done = IntegerField(default=0)  # progress the upload page polls: bytes read of all files
    bytes_total = IntegerField(default=0)


class ErpExportRun(BaseModel):
    """Exportlauf (wir.services.erp_export): the changes not yet taken over by the ERP, as one ZIP of CSV files.

    Numbered per cooperative. ``claim`` is 1 while the run is being written and NULL after: the unique index on
    (cooperative, claim) lets exactly one of two exports started at once go ahead.
    """

    STATUSES = {JobStatus.RUNNING: "wird erstellt", JobStatus.DONE: "fertig",
                JobStatus.FAILED: "abgebrochen, nichts exportiert"}

    cooperative = ForeignKeyField(Cooperative, backref="+")
    number = IntegerField()
    status = CharField(default=JobStatus.RUNNING)
    claim = IntegerField(null=True, default=1)
    started_at = DateTimeField(default=clock.now)
    finished_at = DateTimeField(null=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")  # None: CLI or the ERP's token
    via = CharField(default="")  # cli, admin, api
    counts = TextField(default="{}")  # JSON: rows per kind and the changes without an ERP key
    archive = BlobField(null=True)  # the ZIP; removed RETENTION days after the acknowledgement (full IBANs inside)
    archive_size = IntegerField(default=0)
    archive_removed_at = DateTimeField(null=True)
    acknowledged_at = DateTimeField(null=True)
    acknowledged_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    acknowledged_via = CharField(default="")

    class Meta:
        indexes = ((("cooperative", "number"), True), (("cooperative", "claim"), True))


class ErpChange(BaseModel):
    """A change made in the portal that the ERP must take over (wir.services.erp_export), written in the
    transaction of the change itself.

    It is in every run from ``first_run`` on until a run holding it is acknowledged (``acknowledged_run``).
    ``data`` holds the row of its CSV file as the change left it (JSON), ``erp_key`` the ERP's key of the person,
    contract or savings account it belongs to; without one it is listed in the run's report instead.
    """

    cooperative = ForeignKeyField(Cooperative, backref="+")
    kind = CharField()  # a key of erp_export.KINDS
    action = CharField()  # new, changed, ended, revoked
    actor = CharField()  # tenant, representative, cooperative
    at = DateTimeField(default=clock.now)
    erp_key = CharField(max_length=100, null=True)
    label = CharField(default="")  # names the object in the report: „Person 10001 Erika Muster“
    data = TextField(default="{}")
    first_run = ForeignKeyField(ErpExportRun, null=True, backref="+", on_delete="SET NULL")
    acknowledged_run = ForeignKeyField(ErpExportRun, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        indexes = ((("cooperative", "acknowledged_run", "first_run"), False), (("cooperative", "kind", "id"), False))


class ErpToken(BaseModel):
    """A token the ERP's connector sends as ``Authorization: Bearer`` to /erp/v1: one cooperative's export only.

    Shown once when made; only its SHA-256 is kept.
    """

    cooperative = ForeignKeyField(Cooperative, backref="+")
    name = CharField()  # what the admin called it: „Connector Wodis“
    token_hash = CharField(unique=True)
    created_at = DateTimeField(default=clock.now)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    revoked_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")


class StoredFile(BaseModel):
    """A stored file's content when STORAGE is "database" (wir.storage): every app server on the database reaches it."""

    key = CharField(max_length=64, primary_key=True)  # SHA-256 of the content, as Document.storage_key
    content = BlobField()
    created_at = DateTimeField(default=clock.now)


class Meter(BaseModel):
    """Zähler of a unit, as the metering service names it (created by the import of verbrauch.csv)."""

    KINDS = {"heating": "Heizung", "hot_water": "Warmwasser", "cold_water": "Kaltwasser"}

    unit = ForeignKeyField(Unit, backref="meters", on_delete="CASCADE")
    number = CharField(max_length=50)  # Zählernummer
    kind = CharField()  # a key of KINDS
    # of its latest values, what a reading is counted in: kWh, m³ or Einheiten (a Heizkostenverteiler's)
    measure = CharField(default="kWh")

    class Meta:
        indexes = ((("unit", "number"), True),)


class Consumption(BaseModel):
    """Verbrauch: one meter's consumption in one month, as the metering service delivered it.

    ``kwh`` is the value in kWh where it is one or the service gave a factor (None for water in m³).
    ``average_kwh`` and ``average_kwh_per_m2`` are the building's average user of the same kind in that month
    (Durchschnittsnutzer, § 6a (2) HeizkostenV); the service delivers them with each row.
    """

    meter = ForeignKeyField(Meter, backref="consumptions", on_delete="CASCADE")
    month = DateField()  # the first day of the month
    amount = DecimalField(max_digits=14, decimal_places=3)  # in ``measure``
    measure = CharField()
    factor = DecimalField(max_digits=10, decimal_places=4, null=True)  # Einheiten → kWh
    kwh = DecimalField(max_digits=14, decimal_places=3, null=True)
    reading = DecimalField(max_digits=14, decimal_places=3, null=True)  # the meter's reading at the month's end
    average_kwh = DecimalField(max_digits=14, decimal_places=3, null=True)
    average_kwh_per_m2 = DecimalField(max_digits=10, decimal_places=3, null=True)
    imported_at = DateTimeField(default=clock.now)
    corrected_at = DateTimeField(null=True)  # a later import changed the month: the tenant reads „korrigiert am“

    class Meta:
        indexes = ((("meter", "month"), True),)


class ConsumptionNotice(BaseModel):
    """The tenants were told that a month's Verbrauchsinformation is there: one row per contract, month and way
    (mail, or a letter printed for the post), so a repeated import or a second worker never tells twice."""

    contract = ForeignKeyField(Contract, backref="+", on_delete="CASCADE")
    month = DateField()
    channel = CharField(default="mail")  # "mail" or "post"
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("contract", "month", "channel"), True),)


class ConsumptionLetterBatch(BaseModel):
    """All of a month's Verbrauchsinformation letters for the post, made in the background (wir.tasks) into one
    PDF; the contracts are the post list's when the job runs (services.consumption.notices.build_batch)."""

    STATUSES = RegistrationLetterBatch.STATUSES

    cooperative = ForeignKeyField(Cooperative, null=True, backref="+")  # None: an admin's batch for both
    month = DateField()
    only_unprinted = BooleanField(default=False)  # the list's filter „nur noch nicht gedruckte“
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now, index=True)
    status = CharField(default=JobStatus.QUEUED)
    total = IntegerField(default=0)
    done = IntegerField(default=0)  # letters built so far: the progress the page shows
    error = TextField(default="")  # why it failed, for the clerk
    storage_key = CharField(default="")  # the PDF (wir.storage) once done
    finished_at = DateTimeField(null=True)


class MeterReading(BaseModel):
    """Zählerstand a tenant sent with a photo of the meter; it arrives at the desk as its Meldung (``ticket``)."""

    meter = ForeignKeyField(Meter, backref="readings", on_delete="CASCADE")
    ticket = ForeignKeyField(Ticket, null=True, backref="meter_readings", on_delete="SET NULL")
    person = ForeignKeyField(Person, backref="+")
    value = DecimalField(max_digits=14, decimal_places=3)
    read_on = DateField()
    # the value looked wrong (below the last reading, far above the usual) and the tenant confirmed it
    confirmed_unusual = BooleanField(default=False)
    created_at = DateTimeField(default=clock.now)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

    class Meta:
        indexes = ((("meter", "read_on"), False),)


class PendingUpload(BaseModel):
    """A checked photo that waits while Zählerstand melden asks „Stimmt der Wert?“: kept here, not in wir.storage
    (whose files are only ever added), until the reading is filed with it or it expires and is pruned."""

    key = CharField(max_length=64, unique=True)  # random: the form's hidden reference, together with the user
    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    filename = CharField()
    content_type = CharField()
    content = BlobField()
    created_at = DateTimeField(default=clock.now, index=True)


MODELS = [
    Cooperative,
    User,
    LoginThrottle,
    RecoveryCode,
    Person,
    PhoneNumber,
    RegistrationCode,
    EmailConfirmation,
    RegistrationNumberRequest,
    RegistrationLetterBatch,
    RegistrationLetter,
    ContactPerson,
    Absence,
    Unit,
    HouseContact,
    Contract,
    ContractParty,
    BankAccount,
    Document,
    TicketType,
    TicketCategory,
    Ticket,
    TicketMessage,
    TicketStatusChange,
    TicketAssignment,
    TicketAttachment,
    SavingsAccount,
    SavingsTransaction,
    ExemptionOrder,
    NewsItem,
    ReplyTemplate,
    NewsAudience,
    NewsMail,
    AuditLog,
    OutboxMail,
    ErpImport,
    DocumentBatch,
    DocumentBatchFile,
    StoredFile,
    ErpExportRun,
    ErpChange,
    ErpToken,
    Meter,
    Consumption,
    ConsumptionNotice,
    ConsumptionLetterBatch,
    MeterReading,
    PendingUpload,
    Representation,
    RepresentationEvent,
    Contractor,
    WorkOrder,
    OutboxAttachment,
]
