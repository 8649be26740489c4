"""Vertretung: a tenant invites, the invited person accepts with a new or an existing login, acts for the tenant
within the scope granted, and loses everything the moment the tenant ends it."""

import re
from datetime import timedelta

import pytest

from tests.helpers import AuthActions, demo_tenant, htmx, main_of, pdf_text
from tests.test_tickets import contact_form, jpeg, rental_of
from tests.test_access import PUBLIC_ENDPOINTS, is_erp_api, open_every_method
from wir import clock
from wir.models import (
    AuditLog,
    Document,
    OutboxMail,
    Person,
    Representation,
    RepresentationEvent,
    Ticket,
    User,
)

ANNA = "anna.weiss@example.net"
ANNA_PASSWORD = "Birne-Leiter-Wolke-77"


def _invite(auth, level="requests", email=ANNA, cooperative="Lipsia", **extra):
    """Sign in as Gisela Weiß and invite; returns the link's token."""
    auth.login_as("gisela")
    page = auth.client.get("/vertretung/").get_data(as_text=True)
    person = re.search(r'<option value="(\d+)">WG „' + cooperative, page).group(1)
    response = auth.client.post("/vertretung/", data={
        "csrf_token": auth.csrf_token(), "person": person, "name": "Anna Weiß", "email": email, "level": level,
        **extra})
    assert response.status_code == 303, main_of(response.get_data(as_text=True))
    mail = OutboxMail.select().where(OutboxMail.recipient == email).order_by(OutboxMail.id.desc()).first()
    auth.logout()
    return re.search(r"/vertretung/einladung/([\w-]+)", mail.body_text).group(1)


def _accept_new(client, auth, token):
    client.get(f"/vertretung/einladung/{token}")
    return client.post(f"/vertretung/einladung/{token}", data={
        "csrf_token": auth.csrf_token(), "password": ANNA_PASSWORD, "password_repeat": ANNA_PASSWORD})


def _act_for(auth, representation_id):
    return auth.client.post("/vertretung/handeln", data={"csrf_token": auth.csrf_token(),
                                                         "fuer": str(representation_id)})


@pytest.fixture
def anna(app, client, auth, data):
    """Anna Weiß accepted Gisela's invitation (Lipsia, Anliegen) with a new account and acts for her."""
    token = _invite(auth)
    response = _accept_new(client, auth, token)
    assert response.status_code == 303 and response.headers["Location"] == "/vertretung/handeln"
    representation = Representation.get(Representation.email == ANNA)
    assert _act_for(auth, representation.id).status_code == 303
    return representation


def test_invitation_mail_and_open_status(app, client, auth, data):
    token = _invite(auth)
    representation = Representation.get(Representation.email == ANNA)
    assert representation.accepted_at is None and representation.scopes == "read,requests"
    assert representation.person.cooperative.slug == "lipsia"
    auth.login_as("gisela")
    page = main_of(client.get("/vertretung/").get_data(as_text=True))
    assert "Anna Weiß" in page and "noch nicht angenommen" in page
    assert len(token) > 30 and representation.token_hash != token  # only the hash is kept
    # where htmx goes after sending (HX-Location): the whole page, not the form alone
    assert "<html" in client.get("/vertretung/", headers=htmx(auth)).get_data(as_text=True)


def test_accept_with_new_account_then_act(app, client, auth, data, anna):
    page = client.get("/").get_data(as_text=True)
    assert "Sie handeln für <strong>Gisela Weiß</strong>" in page
    user = User.get(User.email == ANNA)
    assert user.role == "tenant" and not Person.select().where(Person.user == user).exists()
    kinds = [event.kind for event in RepresentationEvent.select().order_by(RepresentationEvent.id)]
    assert kinds == ["invited", "accepted", "signed_in"]


def test_accept_with_existing_account(app, client, auth, data):
    juergen = demo_tenant(auth.logins, "juergen")
    token = _invite(auth, email=juergen["email"])
    auth.login_as("juergen")
    client.get(f"/vertretung/einladung/{token}")
    response = client.post(f"/vertretung/einladung/{token}", data={"accept-csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    representation = Representation.get(Representation.email == juergen["email"])
    assert representation.representative.email == juergen["email"]
    # the choice after the next sign-in
    auth.logout()
    response = auth.login(juergen["email"], juergen["password"])
    assert response.headers["Location"] == "/vertretung/handeln"
    page = main_of(client.get("/vertretung/handeln").get_data(as_text=True))
    assert "Meine eigenen Daten" in page and "Für Gisela Weiß" in page


def test_link_expires_and_cannot_be_tampered_with(app, client, auth, data, monkeypatch):
    token = _invite(auth)
    assert client.get(f"/vertretung/einladung/{token[:-2]}xx").status_code == 410
    assert client.get("/vertretung/einladung/" + "a" * 300).status_code == 410
    assert client.get(f"/vertretung/einladung/{token}").status_code == 200
    later = clock.now() + timedelta(days=7, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get(f"/vertretung/einladung/{token}").status_code == 410
    assert _accept_new(client, auth, token).status_code == 410
    assert not User.select().where(User.email == ANNA).exists()


def test_link_used_once(app, client, auth, data, anna):
    auth.logout()
    token_mail = OutboxMail.select().where(OutboxMail.recipient == ANNA).first()
    token = re.search(r"/vertretung/einladung/([\w-]+)", token_mail.body_text).group(1)
    assert client.get(f"/vertretung/einladung/{token}").status_code == 410


def test_scope_read_refuses_sending(app, client, auth, data):
    token = _invite(auth, level="read")
    _accept_new(client, auth, token)
    representation = Representation.get(Representation.email == ANNA)
    _act_for(auth, representation.id)
    assert client.get("/meldungen").status_code == 200
    assert client.get("/kontakt").status_code == 403
    assert client.post("/kontakt", data={"csrf_token": auth.csrf_token()}).status_code == 403


def test_never_the_tenants_account_or_what_needs_a_vollmacht(app, client, auth, data, anna):
    for path in ("/konto/kontaktdaten", "/konto/passwort", "/konto/email", "/konto/meine-daten", "/vertretung/",
                 "/sparen/freistellungsauftrag/neu", "/vertretung/protokoll"):
        assert client.get(path).status_code == 403, path
    contract = Ticket.select().first().contract_id or 1
    assert client.get(f"/vertraege/{contract}/bankverbindung").status_code == 403


def test_only_the_person_acted_for(app, client, auth, data, anna):
    """Gisela is a member of both cooperatives; Anna represents her Lipsia person only."""
    page = client.get("/").get_data(as_text=True)
    assert "Elsteraue" not in page.split("</header>")[0]
    elsteraue = Person.get((Person.first_name == "Gisela") & (Person.cooperative != anna.person.cooperative))
    foreign = Ticket.get(Ticket.person == elsteraue)
    own = Ticket.get(Ticket.person == anna.person)
    assert client.get(f"/meldungen/{foreign.number}").status_code == 404
    assert client.get(f"/meldungen/{own.number}").status_code == 200
    listed = main_of(client.get("/meldungen").get_data(as_text=True))
    assert own.number in listed and foreign.number not in listed


def test_ending_refuses_the_next_click_poll_and_fragment(app, client, auth, data, anna):
    other = app.test_client()
    gisela = AuthActions(other, auth.logins)
    gisela.login_as("gisela")
    response = other.post(f"/vertretung/{anna.id}/beenden", data={"csrf_token": gisela.csrf_token()})
    assert response.status_code == 303
    response = client.get("/meldungen")
    assert response.status_code == 303 and response.headers["Location"] == "/vertretung/handeln"
    page = client.get("/vertretung/handeln").get_data(as_text=True)
    assert "Die Vertretung ist beendet" in page and "Für Gisela Weiß" not in main_of(page)
    # a second tab still offering the choice
    assert _act_for(auth, anna.id).status_code == 404
    assert "Sie handeln für" not in client.get("/meldungen").get_data(as_text=True)


def test_revoked_while_acting_poll_gets_nothing(app, client, auth, data, anna):
    Representation.update(ended_at=clock.now()).where(Representation.id == anna.id).execute()
    since = (clock.now() - timedelta(days=3650)).isoformat()
    response = client.get(f"/meldungen/status?seit={since}&ids=", headers=htmx(auth))
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/vertretung/handeln"
    assert not response.get_data()


def test_anonymous_goes_to_anmelden(client):
    for path in ("/vertretung/", "/vertretung/handeln", "/vertretung/protokoll", "/vertretung/1/beenden"):
        response = client.get(path)
        assert response.status_code == 302 and "/anmelden" in response.headers["Location"], path


# the scope matrix of issue 21: what each scope opens, written out here (not read from wir.acting)
READABLE = {
    "home.index", "documents.index", "documents.download", "contracts.index", "contracts.show", "tickets.index",
    "tickets.show", "tickets.poll", "tickets.attachment", "consumption.index", "consumption.show", "consumption.pdf",
    "savings.index", "savings.transactions", "savings.transactions_csv", "savings.statements", "savings.statement",
    "savings.exemption",
}
REQUESTS = {
    "tickets.new", "tickets.withdraw", "documents.request_certificate", "documents.application",
    "consumption.new_reading", "consumption.by_post", "savings.tax_certificate",
}
OWN = {"auth.logout", "auth.keep_alive", "auth.enrol", "auth.second_factor", "representation.choose"}


def _tenant_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if rule.endpoint not in PUBLIC_ENDPOINTS and not rule.rule.startswith("/intern/") and not is_erp_api(rule)]


# what a Vollmacht checked by staff opens besides Lesen and Anliegen, by its scope
BY_VOLLMACHT = {
    "bank": {"contracts.change_bank_account", "contracts.check_bank_account"},
    "exemption": {"savings.exemption_form", "savings.exemption_revocation"},
    "notice": {"savings.notice"},
}


def _entered_by_staff(scopes: list[str]):
    """A Vollmacht for Anna to act for Gisela's Lipsia person, entered by a clerk: the invitation."""
    from wir.services.representation import representations

    gisela = Person.get((Person.first_name == "Gisela") & (Person.cooperative == 1))
    clerk = User.get(User.role == "staff")
    return representations.enter_from_document(clerk, gisela, "Anna Weiß", ANNA, scopes, None, "0" * 64,
                                               lambda token: f"/vertretung/einladung/{token}")


@pytest.mark.parametrize("level", ["read", "requests", "bank", "exemption", "notice"])
def test_scope_matrix_over_every_tenant_route(app, client, auth, data, level):
    """Each scope: what it opens answers (whatever the example object), everything else is refused (403)."""
    token = _invite(auth, level=level) if level in ("read", "requests") else _entered_by_staff([level]).token
    _accept_new(client, auth, token)
    representation = Representation.get(Representation.email == ANNA)
    opened = READABLE | (set() if level == "read" else REQUESTS) | BY_VOLLMACHT.get(level, set())
    _act_for(auth, representation.id)
    rules = [rule for rule in _tenant_rules(app) if rule.endpoint != "auth.logout"]  # would end the walk's session
    checked = 0
    for rule, method, response in open_every_method(client, auth, rules):
        may = rule.endpoint in OWN or (rule.endpoint in opened and (method == "GET" or level != "read"))
        assert (response.status_code == 403) != may, (rule.endpoint, method, level, response.status_code)
        checked += 1
    assert checked >= 100
    assert "Sie handeln für" in client.get("/").get_data(as_text=True)  # refusals leave the choice as it was
    # the internal area stays what it is for every tenant: not there
    internal = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/intern/")]
    for rule, method, response in open_every_method(client, auth, internal):
        assert response.status_code == 404, (rule.endpoint, method, response.status_code)


def test_data_downloads_list_representations_and_whom_one_represents(app, client, auth, data, anna):
    from wir.services.account import data_export

    gisela = User.get(User.email == demo_tenant(auth.logins, "gisela")["email"])
    granted = data_export.collect(gisela)["vertretungen"]
    assert [r["name"] for r in granted] == ["Anna Weiß"]
    assert [e["was"] for e in granted[0]["ereignisse"]] == ["eingeladen", "Einladung angenommen",
                                                            "hat Ihre Daten geöffnet"]
    held = data_export.collect(User.get(User.email == ANNA))
    assert [r["name"] for r in held["sie_handeln_fuer"]] == ["Gisela Weiß"]
    assert held["vertretungen"] == [] and held["personen"] == []


def test_a_meldung_sent_for_the_tenant_is_attributed_everywhere(app, client, auth, data, anna):
    gisela = demo_tenant(auth.logins, "gisela")
    tenant = {"person": anna.person, "rental": rental_of(anna.person)}
    response = client.post("/kontakt", data=contact_form(auth, tenant, files=[("bad.jpg", jpeg())]),
                           content_type="multipart/form-data")
    assert response.status_code == 303
    ticket = Ticket.get(Ticket.subject == "Heizung bleibt kalt")
    assert (ticket.person_id, ticket.representation_id, ticket.created_by.email) == (anna.person.id, anna.id, ANNA)
    words = "durch Anna Weiß für Gisela Weiß"
    # the tenant's Meldung, seen by her and by Anna
    assert words in main_of(client.get(f"/meldungen/{ticket.number}").get_data(as_text=True))
    mails = {m.recipient: m for m in OutboxMail.select().where(OutboxMail.subject.contains(ticket.number))}
    assert set(mails) == {gisela["email"], ANNA}  # to the tenant, a copy to who sent it
    assert all(words in mail.body_text for mail in mails.values())
    receipt = Document.get((Document.person == anna.person) & (Document.kind == "receipt"))
    from wir import storage
    assert "Gisela Weiß, gesendet durch Anna Weiß" in pdf_text(storage.load(receipt.storage_key))
    event = RepresentationEvent.get(RepresentationEvent.kind == "acted")
    assert ticket.number in event.detail
    audited = AuditLog.get(AuditLog.action == "representation.acted")
    assert audited.user.email == ANNA and words in audited.detail
    auth.logout()
    auth.login_as("gisela")
    assert words in main_of(client.get(f"/meldungen/{ticket.number}").get_data(as_text=True))
    history = main_of(client.get("/vertretung/protokoll").get_data(as_text=True))
    assert "hat für Sie gehandelt" in history and ticket.number in history


def test_a_copy_of_later_mails_only_while_the_representation_lasts(app, client, auth, data, anna):
    from wir.models import TicketStatus
    from wir.services.tickets import tickets

    tenant = {"person": anna.person, "rental": rental_of(anna.person)}
    client.post("/kontakt", data=contact_form(auth, tenant), content_type="multipart/form-data")
    ticket = Ticket.get(Ticket.subject == "Heizung bleibt kalt")
    tickets.set_status(ticket, TicketStatus.IN_PROGRESS)
    assert OutboxMail.select().where((OutboxMail.recipient == ANNA) & OutboxMail.subject.contains("In Bearbeitung")
                                     ).count() == 1
    Representation.update(ended_at=clock.now()).where(Representation.id == anna.id).execute()
    tickets.set_status(Ticket.get_by_id(ticket.id), TicketStatus.COMMISSIONED)
    assert not OutboxMail.select().where((OutboxMail.recipient == ANNA) & OutboxMail.subject.contains("Beauftragt")
                                         ).exists()


def test_the_status_poll_while_acting_is_the_tenants(app, client, auth, data, anna):
    """The unchanged poll's shortcut reads the session's own user: never taken while acting."""
    from wir.models import TicketStatus
    from wir.services.tickets import tickets

    page = client.get("/meldungen").get_data(as_text=True)
    since = re.search(r'seit=([^&"]+)', page).group(1).replace("%3A", ":")
    own = Ticket.select().where((Ticket.person == anna.person) & Ticket.status.in_(Ticket.OPEN_STATUSES)).first()
    assert client.get(f"/meldungen/status?seit={since}&ids={own.id}", headers=htmx(auth)).status_code == 204
    tickets.set_status(Ticket.get_by_id(own.id), TicketStatus.QUERY, message="Wann sind Sie zu Hause?")
    response = client.get(f"/meldungen/status?seit={since}&ids={own.id}", headers=htmx(auth))
    assert response.status_code == 200 and "Rückfrage" in response.get_data(as_text=True)


def test_a_document_requested_for_the_tenant_tells_her(app, client, auth, data, anna):
    gisela = demo_tenant(auth.logins, "gisela")
    rental = rental_of(anna.person)
    response = client.post(f"/dokumente/anfordern/mietbescheinigung/{rental.id}",
                           data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    document = Document.get((Document.person == anna.person) & (Document.kind == "certificate"))
    assert document.created_by.email == ANNA
    event = RepresentationEvent.get(RepresentationEvent.kind == "acted")
    assert event.detail == f"{document.title} angefordert"
    told = OutboxMail.get((OutboxMail.recipient == gisela["email"])
                          & (OutboxMail.subject == "Ihre Vertretung hat für Sie gehandelt"))
    assert "Anna Weiß" in told.body_text and document.title in told.body_text


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "Bitte geben Sie den Namen"),
    ("name", "A" * 101, "Höchstens 100 Zeichen"),
    ("name", "<script>alert(1)</script>", "keine Zeichen wie"),
    ("email", "", "Bitte geben Sie Ihre E-Mail-Adresse ein"),
    ("email", "anna@", "E-Mail-Adresse"),
    ("email", "a@example.org, b@example.org", "E-Mail-Adresse"),
    ("email", "gisela.weiss@example.com", "Ihre eigene E-Mail-Adresse"),
    ("level", "", "Bitte wählen Sie, was die Person"),
    ("level", "bank", "Bitte wählen Sie einen Eintrag"),
    ("valid_until", "01.01.2020", "Vergangenheit"),
    ("valid_until", "31.02.2027", "gültiges Datum"),
    ("person", "1", "Bitte wählen Sie einen Eintrag"),
])
def test_the_invitation_form_refuses_bad_input_next_to_the_field(app, client, auth, data, field, value, message):
    auth.login_as("gisela")
    page = client.get("/vertretung/").get_data(as_text=True)
    person = re.search(r'<option value="(\d+)">WG „Lipsia', page).group(1)
    values = {"csrf_token": auth.csrf_token(), "person": person, "name": "Anna Weiß", "email": ANNA,
              "level": "requests", field: value}
    for headers in ({}, htmx(auth)):
        response = client.post("/vertretung/", data=values, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and message in body, body[:3000]
        assert f'id="{field}-error"' in body
    assert Representation.select().count() == 0 and not OutboxMail.select().where(OutboxMail.recipient == ANNA).exists()


def test_a_representation_past_its_end_date_reaches_nothing(app, client, auth, data, anna):
    Representation.update(valid_until=clock.today() - timedelta(days=1)).where(Representation.id == anna.id).execute()
    response = client.get("/dokumente/")
    assert response.status_code == 303 and response.headers["Location"] == "/vertretung/handeln"
    assert "Für Gisela Weiß" not in main_of(client.get("/vertretung/handeln").get_data(as_text=True))


def test_an_htmx_fragment_after_the_end_gets_nothing(app, client, auth, data, anna):
    Representation.update(ended_at=clock.now()).where(Representation.id == anna.id).execute()
    response = client.get("/meldungen?seite=2", headers=htmx(auth, "tickets"))
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/vertretung/handeln"
    assert not response.get_data()


def test_the_tenant_changes_the_scope_and_the_next_request_follows_it(app, client, auth, data, anna):
    other = app.test_client()
    gisela = AuthActions(other, auth.logins)
    gisela.login_as("gisela")
    assert client.get("/kontakt").status_code == 200
    response = other.post(f"/vertretung/{anna.id}/aendern", data={"csrf_token": gisela.csrf_token(), "level": "read"})
    assert response.status_code == 303
    assert client.get("/kontakt").status_code == 403 and client.get("/meldungen").status_code == 200
    page = main_of(other.get("/vertretung/").get_data(as_text=True))
    assert "Aktiv seit" in page and "Lesen" in page


def test_nobody_else_changes_or_ends_a_representation(app, client, auth, data, anna):
    """Another tenant, and Anna herself (she is not the person represented): 404."""
    auth.logout()
    auth.login_as("juergen")
    for path in (f"/vertretung/{anna.id}/aendern", f"/vertretung/{anna.id}/beenden"):
        assert client.get(path).status_code == 404
        assert client.post(path, data={"csrf_token": auth.csrf_token(), "level": "read"}).status_code == 404
    auth.logout()
    auth.login(ANNA, ANNA_PASSWORD)
    assert client.post(f"/vertretung/{anna.id}/beenden", data={"csrf_token": auth.csrf_token()}).status_code == 404
    assert client.post("/vertretung/handeln", data={"csrf_token": auth.csrf_token(), "fuer": "99999"}).status_code == 404
    assert Representation.get_by_id(anna.id).ended_at is None


def test_acting_costs_no_statement_more_and_does_not_grow(app, client, auth, data, anna, count_queries):
    """The representation is checked in the query that loads the person acted for (what the tenant's own pages
    load with persons_of): the Startseite and Meldungen as many statements as for the tenant, whatever the data."""
    from tests.test_home import STARTSEITE_STATEMENTS
    from tests.test_tickets import MELDUNGEN_STATEMENTS

    with count_queries() as home:
        assert client.get("/").status_code == 200
    with count_queries() as listing:
        assert client.get("/meldungen").status_code == 200
    for i in range(30):
        Document.create(person=anna.person, kind="letter", title=f"Rundschreiben {i}", number=f"T-{i}",
                        filename="x.pdf", storage_key="0" * 64)
        RepresentationEvent.create(representation=anna, kind="signed_in")
    with count_queries() as more_home:
        assert client.get("/").status_code == 200
    with count_queries() as more_listing:
        assert client.get("/meldungen").status_code == 200
    assert home.count == more_home.count == STARTSEITE_STATEMENTS, more_home.statements
    assert listing.count == more_listing.count == MELDUNGEN_STATEMENTS, more_listing.statements


def test_own_data_of_a_representative_without_a_tenancy(app, client, auth, data, anna):
    """Anna has no contract of her own: her own pages are empty, not broken, and say where to act for Gisela."""
    response = client.post("/vertretung/handeln", data={"csrf_token": auth.csrf_token(), "fuer": "eigene"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    for path in ("/", "/dokumente/", "/vertraege/", "/meldungen", "/konto/kontaktdaten", "/vertretung/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Sie handeln für" not in response.get_data(as_text=True)
    assert "Für jemanden handeln" in main_of(client.get("/vertretung/").get_data(as_text=True))


def test_an_answer_for_the_tenant_in_her_history_costs_no_statement(app, client, auth, data, anna, count_queries):
    from wir.models import TicketStatus
    from wir.services.tickets import tickets

    own = Ticket.select().where((Ticket.person == anna.person) & Ticket.status.in_(Ticket.OPEN_STATUSES)).first()
    tickets.set_status(own, TicketStatus.QUERY, message="Wann sind Sie zu Hause?")
    with count_queries() as before:
        assert client.get(f"/meldungen/{own.number}").status_code == 200
    response = client.post(f"/meldungen/{own.number}", data={"csrf_token": auth.csrf_token(),
                                                             "message": "Dienstags ab 10 Uhr."})
    assert response.status_code == 303
    with count_queries() as after:
        page = main_of(client.get(f"/meldungen/{own.number}").get_data(as_text=True))
    assert "<strong>Anna Weiß für Gisela Weiß:</strong>" in page and "Dienstags ab 10 Uhr." in page
    assert after.count == before.count - 1, after.statements  # no open question to look up any more
    assert RepresentationEvent.get(RepresentationEvent.kind == "acted").detail == (
        f"Antwort auf die Rückfrage zu {own.number}")


def test_a_betreuer_with_a_checked_vollmacht_changes_the_bank_account_in_her_name(app, client, auth, data):
    """Bankverbindung only from a Vollmacht staff checked: the change is the tenant's, she is told and it is in her
    record; the representative confirms with their own password."""
    from tests.test_contracts import NEW_IBAN, bank_form
    from wir.models import BankAccount

    invitation = _entered_by_staff(["bank"])
    gisela = invitation.representation.person
    assert invitation.representation.scopes == "read,requests,bank"
    _accept_new(client, auth, invitation.token)
    _act_for(auth, invitation.representation.id)
    rental = rental_of(gisela)
    response = client.post(f"/vertraege/{rental.id}/bankverbindung",
                           data=bank_form(auth, ANNA_PASSWORD, holder="Gisela Weiß"))
    assert response.status_code == 303, main_of(response.get_data(as_text=True))
    account = BankAccount.get((BankAccount.contract == rental) & (BankAccount.iban == NEW_IBAN.replace(" ", "").upper()))
    assert account.created_by.email == ANNA
    event = RepresentationEvent.get(RepresentationEvent.kind == "acted")
    assert event.detail == f"Neue Bankverbindung eingereicht für {rental.number}"
    assert OutboxMail.select().where((OutboxMail.recipient == demo_tenant(auth.logins, "gisela")["email"])
                                     & (OutboxMail.subject == "Ihre Vertretung hat für Sie gehandelt")).exists()


def test_pages_offer_only_what_the_scope_opens(app, client, auth, data):
    """Lesen: no Kontakt in the menu, no Schaden melden, Dokument anfordern, Kontaktdaten or Zurückziehen; the
    question of a Rückfrage is shown, its answer form not."""
    from wir.models import TicketStatus
    from wir.services.tickets import tickets

    token = _invite(auth, level="read")
    _accept_new(client, auth, token)
    representation = Representation.get(Representation.email == ANNA)
    _act_for(auth, representation.id)
    home = client.get("/").get_data(as_text=True)
    for link in ('href="/kontakt"', ">Schaden melden<", ">Dokument anfordern<", 'href="/konto/kontaktdaten"'):
        assert link not in home, link
    assert 'id="anfordern"' not in client.get("/dokumente/").get_data(as_text=True)
    own = Ticket.select().where((Ticket.person == representation.person)
                                & Ticket.status.in_(Ticket.OPEN_STATUSES)).first()
    tickets.set_status(own, TicketStatus.QUERY, message="Wann sind Sie zu Hause?")
    page = main_of(client.get(f"/meldungen/{own.number}").get_data(as_text=True))
    assert "Wann sind Sie zu Hause?" in page and 'name="message"' not in page and "zurueckziehen" not in page
    # the same pages for the tenant herself still offer everything
    auth.logout()
    auth.login_as("gisela")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/kontakt"' in home and ">Schaden melden<" in home
    assert 'name="message"' in client.get(f"/meldungen/{own.number}").get_data(as_text=True)


def test_after_the_end_abmelden_still_signs_out_and_style_sheets_ask_nothing(app, client, auth, data, anna,
                                                                              count_queries):
    with count_queries() as static:
        assert client.get("/static/css/wir.css").status_code == 200
    assert static.count == 0
    Representation.update(ended_at=clock.now()).where(Representation.id == anna.id).execute()
    response = client.post("/abmelden", data={"csrf_token": auth.csrf_token()})
    assert response.status_code in (302, 303) and "/vertretung" not in response.headers["Location"]
    assert client.get("/meldungen").headers["Location"].startswith("/anmelden")
