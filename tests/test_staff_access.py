"""The internal area's authorization matrix: every /intern/ route and fragment, found by walking app.url_map,
for staff of the object's cooperative, staff of the other cooperative and the admin (anonymous users and
tenants: tests/test_access.py, and here once more with a deactivated clerk's session and an account without a
second factor). A route with a URL argument this file has no example object for fails here,
so a new route cannot go unchecked."""

import itertools
from datetime import timedelta

import pytest
from werkzeug.routing import AnyConverter

from wir import clock, db, storage
from wir.models import (
    Absence,
    BankAccount,
    ConsumptionLetterBatch,
    Contract,
    Contractor,
    Cooperative,
    Document,
    DocumentBatch,
    ErpExportRun,
    ErpImport,
    ErpToken,
    JobStatus,
    NewsItem,
    Person,
    ReplyTemplate,
    Representation,
    Ticket,
    TicketAttachment,
    Unit,
    User,
    WorkOrder,
)
from wir.security import SESSION_USER_KEY
from wir.services.account import passwords
from wir.services.contracts import bank_accounts
from wir.services.erp_export import changes, kinds, runs, tokens
from wir.services.registration import registration, registration_letters
from wir.services.staff import staff_accounts

# routes only an admin reaches; staff of either cooperative get 404
ADMIN_ONLY = {"staff.accounts", "staff.account_new", "staff.account", "staff.account_activity",
              "staff.account_setup_link", "staff.reset_second_factor", "staff.audit_log", "staff.audit_log_csv", "staff.imports",
              "staff.import_run", "staff.exports", "staff.export_changes", "staff.export_now", "staff.export_archive",
              "staff.acknowledge_export", "staff.create_export_token", "staff.revoke_export_token"}


def _cooperative(slug: str) -> Cooperative:
    return Cooperative.get(Cooperative.slug == slug)


def _ticket(slug: str) -> Ticket:
    return Ticket.select().where(Ticket.cooperative == _cooperative(slug)).order_by(Ticket.id).first()


def _colleague(slug: str) -> User:
    return User.select().where(User.cooperative == _cooperative(slug)).order_by(User.id.desc()).first()


def _pending_account(slug: str) -> BankAccount:
    pending = bank_accounts.pending_accounts(_cooperative(slug))
    if pending:
        return pending[0]
    contract = Contract.select().where(Contract.cooperative == _cooperative(slug)).order_by(Contract.id).first()
    return BankAccount.create(contract=contract, holder="Erika Beispiel", iban="DE02120300000000202051",
                              mandate_reference=f"{contract.number}-T", valid_from=contract.start_date,
                              status="pending")


def _attachment(slug: str) -> TicketAttachment:
    ticket = _ticket(slug)
    found = TicketAttachment.get_or_none(TicketAttachment.ticket == ticket)
    content = b"%PDF-1.4 Beispiel"
    return found or TicketAttachment.create(ticket=ticket, filename="beleg.pdf", storage_key=storage.store(content),
                                            content_type="application/pdf", size=len(content))


def _document(slug: str) -> Document:
    return Document.select().join(Person).where(Person.cooperative == _cooperative(slug)).order_by(Document.id).first()


def _batch(slug: str) -> DocumentBatch:
    """A Sammel-Upload of the cooperative (nothing matched: publishing it files nothing)."""
    return DocumentBatch.create(key=f"beispiel-{slug}-{DocumentBatch.select().count()}", cooperative=_cooperative(slug),
                                kind="operating_costs_statement", title="Betriebskostenabrechnung 2025")


def _letter_batch(slug: str):
    """Registrierungsbriefe of the cooperative, made (so its PDF is there)."""
    found = registration_letters.batches_of(_colleague(slug)).where(
        registration_letters.RegistrationLetterBatch.status == JobStatus.DONE).first()
    if found:
        return found
    staff = _colleague(slug)
    person = Person.select().where((Person.cooperative == _cooperative(slug)) & Person.user.is_null()).first()
    batch = registration_letters.create_batch(staff, [person.id], [])
    registration_letters.build_batch(batch.id, "http://localhost/registrieren/", "http://localhost")
    return batch


def _consumption_batch(slug: str):
    """A finished batch of the cooperative's Verbrauchsinformation per Post (its PDF stored)."""
    cooperative = _cooperative(slug)
    found = ConsumptionLetterBatch.get_or_none((ConsumptionLetterBatch.cooperative == cooperative)
                                               & (ConsumptionLetterBatch.status == JobStatus.DONE))
    return found or ConsumptionLetterBatch.create(
        cooperative=cooperative, month=clock.add_months(clock.today().replace(day=1), -1), status=JobStatus.DONE,
        total=1, done=1, storage_key=storage.store(b"%PDF-1.4 Beispiel"), finished_at=clock.now())


def _number_request(slug: str):
    """An open "Registrierungsnummer anfordern" request for the cooperative."""
    return registration.request_registration_number(
        cooperative=_cooperative(slug).id, first_name="Erika", last_name="Beispiel", street="Teststraße 1",
        postcode="04109", city="Leipzig")


def _news(slug: str) -> NewsItem:
    return NewsItem.select().where(NewsItem.cooperative == _cooperative(slug)).order_by(NewsItem.id).first()


def _reply_template(slug: str) -> ReplyTemplate:
    return ReplyTemplate.select().where(ReplyTemplate.cooperative == _cooperative(slug)).order_by(ReplyTemplate.id) \
        .first()


def _erp_import(slug: str) -> ErpImport:
    return ErpImport.create(cooperative=_cooperative(slug), status="done")


def _export_run(slug: str) -> ErpExportRun:
    """A finished Exportlauf of the cooperative (a change recorded first, so that there is one to export)."""
    cooperative = _cooperative(slug)
    found = runs.runs(cooperative).where(ErpExportRun.status == JobStatus.DONE).first()
    if found:
        return found
    row = {column: "" for column in kinds.KINDS["portal_access"].columns}
    with db.write_transaction():
        changes.record("portal_access", "new", cooperative=cooperative, by=None, erp_key=None, label="Beispiel",
                       row=row)
    return runs.export(cooperative, by=None, via="cli")


def _export_token(slug: str) -> ErpToken:
    return tokens.create(_cooperative(slug), "Beispiel-Connector", by=None)[0]


def _rental(slug: str) -> Contract:
    """A rental contract with a flat (its Verbrauch)."""
    return Contract.select().where((Contract.cooperative == _cooperative(slug)) & (Contract.kind == "rental")
                                   & Contract.unit.is_null(False)).order_by(Contract.id).first()


def _person(slug: str) -> Person:
    """A person with a portal account (the account actions have something to act on)."""
    return Person.select().where((Person.cooperative == _cooperative(slug)) & Person.user.is_null(False)) \
        .order_by(Person.id).first()


def _representation(slug: str) -> Representation:
    """A representation of _person(slug) entered from a Vollmacht (its document stored)."""
    person = _person(slug)
    found = Representation.get_or_none((Representation.person == person)
                                       & (Representation.source == Representation.SOURCE_DOCUMENT))
    return found or Representation.create(
        person=person, name="Bernd Betreuer", email="bernd.betreuer@example.net", scopes="read,requests,bank",
        source=Representation.SOURCE_DOCUMENT, document_key=storage.store(b"%PDF-1.4 Vollmacht"))


def _contractor(slug: str) -> Contractor:
    return Contractor.select().where(Contractor.cooperative == _cooperative(slug)).order_by(Contractor.id).first()


def _work_order(slug: str) -> WorkOrder:
    """An order of _ticket(slug) with its PDF (the desk links it)."""
    ticket = _ticket(slug)
    found = WorkOrder.get_or_none(WorkOrder.ticket == ticket)
    return found or WorkOrder.create(
        cooperative=ticket.cooperative_id, number=f"{slug[0].upper()}A-2026-0001", ticket=ticket,
        contractor=_contractor(slug), text="Bitte prüfen.", mailed_at=clock.now(),
        pdf_key=storage.store(b"%PDF-1.4 Auftrag"))
def _absence(slug: str) -> Absence:
    """An absence of the cooperative's first clerk (the one the tests sign in as) since yesterday, with a colleague as
    deputy: ending it keeps it (yesterday its last day), so it is there for every request of the walk."""
    clerk = User.select().where(User.cooperative == _cooperative(slug)).order_by(User.id).first()
    found = Absence.get_or_none(Absence.user == clerk)
    return found or Absence.create(user=clerk, deputy=_colleague(slug), starts_on=clock.today() - timedelta(days=1),
                                   ends_on=clock.today() + timedelta(days=3))


def _unit(slug: str) -> Unit:
    """A unit of the cooperative: its house (street and postcode) is the example of Ansprechpartner per house."""
    return Unit.select().where(Unit.cooperative == _cooperative(slug)).order_by(Unit.id).first()


# an example object of a cooperative for each URL argument of an /intern/ route
ARGUMENTS = {
    "number": lambda slug: _ticket(slug).number,
    "user_id": lambda slug: _colleague(slug).id,
    "account_id": lambda slug: _pending_account(slug).id,
    "attachment_id": lambda slug: _attachment(slug).id,
    "document_number": lambda slug: _document(slug).number,
    "person_id": lambda slug: _person(slug).id,
    "batch_key": lambda slug: _batch(slug).key,
    "news_id": lambda slug: _news(slug).id,
    "template_id": lambda slug: _reply_template(slug).id,
    "erp_import_id": lambda slug: _erp_import(slug).id,
    "letter_batch_id": lambda slug: _letter_batch(slug).id,
    "consumption_batch_id": lambda slug: _consumption_batch(slug).id,
    "number_request_id": lambda slug: _number_request(slug).id,
    "cooperative": lambda slug: slug,
    "run_number": lambda slug: _export_run(slug).number,
    "token_id": lambda slug: _export_token(slug).id,
    "contract_id": lambda slug: _rental(slug).id,
    "representation_id": lambda slug: _representation(slug).id,
    "contractor_id": lambda slug: _contractor(slug).id,
    "order_number": lambda slug: _work_order(slug).number,
    "absence_id": lambda slug: _absence(slug).id,
    "postcode": lambda slug: _unit(slug).postcode,
    "street": lambda slug: _unit(slug).street,
}


class RuleAt:
    """A rule with its URL built for objects of one cooperative."""

    def __init__(self, rule, values: dict):
        self.rule = rule
        self.endpoint = rule.endpoint
        self.methods = rule.methods
        self.arguments = rule.arguments
        self.url = rule.build(values, append_unknown=False)[1]

    def __repr__(self):
        return self.url


def _values(rule, slug: str):
    """Every way to fill the rule's arguments: each word of an <any(...)> argument, an example object otherwise."""
    choices = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            choices[name] = sorted(converter.items)
        else:
            assert name in ARGUMENTS, f"{rule.endpoint}: add an example object for {name!r} to ARGUMENTS"
            choices[name] = [ARGUMENTS[name](slug)]
    for combination in itertools.product(*choices.values()):
        yield dict(zip(choices, combination))


def internal_rules(app, slug: str) -> list[RuleAt]:
    rules = [RuleAt(rule, values) for rule in app.url_map.iter_rules() if rule.rule.startswith("/intern/")
             for values in _values(rule, slug)]
    assert len(rules) >= 3
    return rules


def open_all(client, auth, rules):
    """Each method of each rule, plain and as htmx fragment request, with a valid CSRF token (so that the access
    guard answers, not the CSRF check), like tests/test_access.open_every_method but on real objects."""
    token = auth.csrf_token()
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for extra in ({}, {"HX-Request": "true"}):
                response = client.open(rule.url, method=method, data={"csrf_token": token},
                                       headers={"X-CSRFToken": token, **extra})
                yield rule, method, response


def _reached(response) -> bool:
    return response.status_code not in (401, 403, 404) and response.status_code < 500


STAFF = {"lipsia": 0, "elsteraue": 2}  # index in the demo logins' staff list


@pytest.mark.parametrize("own, other", [("lipsia", "elsteraue"), ("elsteraue", "lipsia")])
def test_staff_reach_their_cooperative_and_nothing_of_the_other(app, client, auth, data, own, other):
    staff = auth.login_staff(STAFF[own])
    assert staff["slug"] == own
    foreign = internal_rules(app, other)
    for rule, method, response in open_all(client, auth, foreign):
        if rule.endpoint in ADMIN_ONLY or rule.arguments:
            assert response.status_code == 404, (rule, method, response.status_code)
        else:  # the cooperative's own lists and forms
            assert _reached(response), (rule, method, response.status_code)
    for rule, method, response in open_all(client, auth, internal_rules(app, own)):
        if rule.endpoint in ADMIN_ONLY:
            assert response.status_code == 404, (rule, method, response.status_code)
        else:
            assert _reached(response), (rule, method, response.status_code)


@pytest.mark.parametrize("slug", ["lipsia", "elsteraue"])
def test_the_admin_reaches_both_cooperatives(app, client, auth, data, slug):
    auth.login_with_code(auth.logins["admin"])
    for rule, method, response in open_all(client, auth, internal_rules(app, slug)):
        assert _reached(response), (rule, method, response.status_code)


def test_every_argument_example_is_used(app):
    """No example object for an argument no route has (it would hide a renamed one)."""
    used = {name for rule in app.url_map.iter_rules() if rule.rule.startswith("/intern/") for name in rule.arguments
            if not isinstance(rule._converters[name], AnyConverter)}
    assert used == ARGUMENTS.keys()



# --- the same walk for who must not reach anything: the role and deactivation matrix ---


def test_anonymous_users_and_tenants_find_no_internal_route(app, client, auth, data):
    """The area is hidden (wir.security._hide_staff_area): 404 as for a made-up path, no Anmelden that tells."""
    rules = internal_rules(app, "lipsia")
    for rule, method, response in open_all(client, auth, rules):
        assert response.status_code == 404, ("anonymous", rule, method, response.status_code)
    auth.login_as()
    for rule, method, response in open_all(client, auth, rules):
        assert response.status_code == 404, ("tenant", rule, method, response.status_code)


def test_a_deactivated_clerks_open_session_reaches_nothing(app, client, auth, data):
    rules = internal_rules(app, "lipsia")
    auth.login_staff(STAFF["lipsia"])
    clerk = User.get(User.email == auth.logins["staff"][STAFF["lipsia"]]["email"])
    admin = User.get(User.email == auth.logins["admin"]["email"])
    staff_accounts.deactivate(admin, clerk, clerk.version)
    for rule, method, response in open_all(client, auth, rules):
        assert response.status_code == 404, (rule, method, response.status_code)
        with client.session_transaction() as session:
            assert SESSION_USER_KEY not in session  # signed out with the first request
    assert client.get("/").headers["Location"].startswith("/anmelden")


def test_an_account_without_a_second_factor_is_led_to_enrol_from_every_route(app, client, auth, data):
    """A new colleague signed in with the password only: every internal route leads to the second step, which
    leads to the enrolment (htmx: HX-Redirect); nothing of the area is answered before."""
    rules = internal_rules(app, "lipsia")
    new = User.create(email="neu@lipsia.example.org", password_hash=passwords.hash_password("Lange-Tinte-im-Archiv"),
                      role=User.ROLE_STAFF, cooperative=_cooperative("lipsia"), staff_name="Nora Neu",
                      confirmed_at=clock.now())
    assert auth.login(new.email, "Lange-Tinte-im-Archiv").headers["Location"].startswith("/zwei-faktor")
    for rule, method, response in open_all(client, auth, rules):
        if response.status_code == 401:
            assert response.headers["HX-Redirect"] == "/zwei-faktor", (rule, method)
        else:
            assert (response.status_code, response.headers.get("Location")) == (302, "/zwei-faktor"), (rule, method)
    assert client.get("/zwei-faktor").headers["Location"] == "/zwei-faktor/einrichten"
    assert User.get_by_id(new.id).totp_confirmed_at is None
