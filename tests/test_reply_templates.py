"""Textbausteine (issue 24): reply templates per cooperative, written and kept by its staff (versioned and audited
like a Neuigkeit), inserted at the desk with their placeholders filled from the ticket (htmx: the choice alone;
without JavaScript „Einfügen“), and no text ever sent to the tenant with a placeholder left in it."""

import re
from datetime import timedelta
from html import unescape

import pytest

from tests.helpers import AuthActions, htmx, main_of
from tests.test_staff_desk import lipsia_ticket, post, staff_user
from wir import clock
from wir.models import (
    Absence,
    AuditLog,
    ContactPerson,
    Contract,
    Cooperative,
    OutboxMail,
    Person,
    ReplyTemplate,
    Ticket,
    TicketMessage,
)
from wir.services.staff import absences, reply_templates

LIST, NEW = "/intern/textbausteine", "/intern/textbausteine/neu"
GREETING = "{Anrede},\n\nzu Ihrer Meldung {Meldungsnummer} melden wir uns.\n\nIhr Team, {Ansprechpartner}"


def cooperative(slug: str) -> Cooperative:
    return Cooperative.get(Cooperative.slug == slug)


def template_of(slug: str, title: str = "Eingangsbestätigung") -> ReplyTemplate:
    return ReplyTemplate.get((ReplyTemplate.cooperative == cooperative(slug)) & (ReplyTemplate.title == title))


def version_of(page: str) -> str:
    return re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)


def textarea(page: str, name: str = "answer-message") -> str:
    """What a text area holds, as the page sends it (escaped)."""
    return re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S).group(1).removeprefix("\r\n")


@pytest.fixture
def clerk(auth, demo_logins, data):
    """Signed in as Sandra Köhler (Lipsia)."""
    auth.login_staff(0)
    return staff_user(demo_logins, 0)


@pytest.fixture
def ticket(app, clerk, demo_logins):
    """Jürgen Müller's (Herr) ticket about his rental contract."""
    return lipsia_ticket(app, demo_logins)


def insert(client, auth, ticket, template_id, message="", headers=None):
    return client.post(f"/intern/meldungen/{ticket.number}/textbaustein", headers=headers or {}, data={
        "answer-csrf_token": auth.csrf_token(), "answer-message": message, "answer-template": str(template_id)})


def nothing_sent(ticket, before_messages: int, before_mails: int) -> bool:
    fresh = Ticket.get_by_id(ticket.id)
    return (fresh.version == ticket.version and TicketMessage.select().count() == before_messages
            and OutboxMail.select().count() == before_mails)


# --- filling ---


def test_placeholders_are_filled_from_the_ticket(app, clerk, ticket, demo_logins):
    contact = ContactPerson.get_by_id(Contract.get_by_id(ticket.contract_id).contact_person_id)
    values = reply_templates.values(Ticket.get_by_id(ticket.id), clerk)
    assert values == {"Anrede": "Sehr geehrter Herr Müller", "Name": "Jürgen Müller",
                      "Meldungsnummer": ticket.number, "Ansprechpartner": contact.name}
    assert reply_templates.fill(GREETING, values) == (
        f"Sehr geehrter Herr Müller,\n\nzu Ihrer Meldung {ticket.number} melden wir uns.\n\nIhr Team, {contact.name}")
    assert reply_templates.fill("{ Name } am {Termin}", values) == "Jürgen Müller am {Termin}"  # unknown ones stay


@pytest.mark.parametrize("salutation, greeting", [
    ("Frau", "Sehr geehrte Frau Weiß"), (" HERR ", "Sehr geehrter Herr Weiß"), ("", "Guten Tag Gisela Weiß"),
    ("Divers", "Guten Tag Gisela Weiß"),
])
def test_the_anrede_follows_the_persons_salutation(app, clerk, demo_logins, salutation, greeting):
    ticket = lipsia_ticket(app, demo_logins, "gisela")
    Person.update(salutation=salutation).where(Person.id == ticket.person_id).execute()
    Ticket.update(contract=None).where(Ticket.id == ticket.id).execute()
    values = reply_templates.values(Ticket.get_by_id(ticket.id), clerk)
    assert values["Anrede"] == greeting and values["Name"] == "Gisela Weiß"
    assert values["Ansprechpartner"] == "Sandra Köhler"  # no contract: the clerk answering


def test_while_the_ansprechpartner_is_away_the_deputy_is_named(client, auth, clerk, ticket, demo_logins):
    contact = ContactPerson.get_by_id(Contract.get_by_id(ticket.contract_id).contact_person_id)
    deputy = staff_user(demo_logins, 1)
    assert contact.user_id == clerk.id and deputy.staff_name != contact.name
    template = ReplyTemplate.create(cooperative=ticket.cooperative_id, title="Gruß", body="Ihr { Ansprechpartner }",
                                    created_at=clock.now(), updated_at=clock.now())
    today = clock.today()
    absence = absences.record(clerk, today + timedelta(days=1), today + timedelta(days=3), deputy.id)

    def inserted() -> str:
        return textarea(insert(client, auth, ticket, template.id).get_data(as_text=True))

    assert inserted() == f"Ihr {contact.name}"  # not yet
    Absence.update(starts_on=today).where(Absence.id == absence.id).execute()
    assert inserted() == f"Ihr {deputy.staff_name}"  # as the tenant's pages show (tests/test_absences.py)
    Absence.update(ends_on=today - timedelta(days=1), starts_on=today - timedelta(days=2)).where(
        Absence.id == absence.id).execute()
    assert inserted() == f"Ihr {contact.name}"  # over


# --- at the desk ---


def test_the_desk_offers_the_tickets_cooperatives_templates(client, clerk, ticket):
    page = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    choice = re.search(r'<select[^>]*name="answer-template".*?</select>', page, re.S).group(0)
    assert '<label class="field__label" for="answer-template">Textbaustein</label>' in page
    assert 'aria-describedby="answer-template-hint"' in choice and 'hx-trigger="change"' in choice
    assert 'hx-params="not answer-attachments"' in choice
    assert "Eingangsbestätigung" in choice and "Termin bestätigt" in choice
    assert "Arbeiten erledigt" not in choice  # Elsteraue's
    button = re.search(r'<button[^>]*>Einfügen</button>', page).group(0)
    assert "data-no-js" in button and f'formaction="/intern/meldungen/{ticket.number}/textbaustein' in button


def test_einfuegen_without_javascript_shows_the_desk_with_the_text_filled_in(client, auth, clerk, ticket):
    before = TicketMessage.select().count(), OutboxMail.select().count()
    template = template_of("lipsia")
    response = insert(client, auth, ticket, template.id, message="Guten Morgen!")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<main" in page and 'id="desk"' in page  # the whole desk
    text = textarea(page)
    assert text.startswith("Guten Morgen!\n\nSehr geehrter Herr Müller,\n\nvielen Dank für Ihre Meldung "
                           f"{ticket.number}.")
    assert "{" not in text and "WG „Lipsia“ eG" in text
    assert re.search(r'<textarea[^>]*autofocus[^>]*name="answer-message"|<textarea[^>]*name="answer-message"[^>]*'
                     r'autofocus', page)
    assert "Eingefügt: „Eingangsbestätigung“" in page and "Gewählte Dateien wählen Sie bitte neu." in page
    assert nothing_sent(ticket, *before)
    # the filled text is then sent as any answer
    assert post(client, auth, ticket, "antwort", "answer", message=unescape(text)).status_code == 303
    sent = TicketMessage.select().where(TicketMessage.ticket == ticket.id).order_by(TicketMessage.id.desc()).first()
    assert sent.body.startswith("Guten Morgen!\n\nSehr geehrter Herr Müller,") and sent.from_staff


def test_choosing_with_htmx_swaps_the_answer_text_alone(client, auth, clerk, ticket):
    before = TicketMessage.select().count(), OutboxMail.select().count()
    response = insert(client, auth, ticket, template_of("lipsia").id, headers=htmx(auth, "answer-text"))
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="answer-text">') and "<html" not in fragment
    assert textarea(fragment).startswith("Sehr geehrter Herr Müller,")  # nothing typed before: the template alone
    assert 'autofocus' in re.search(r'<textarea[^>]*>', fragment).group(0)
    assert re.search(r'<option selected value="">Bitte wählen</option>|<option value="" selected>', fragment)
    status = fragment.split('id="desk-status"', 1)[1]
    assert 'hx-swap-oob="innerHTML"' in status and "„Eingangsbestätigung“ ist in die Antwort eingefügt" in status
    assert "Gewählte Dateien" not in fragment  # htmx keeps the chosen files
    assert nothing_sent(ticket, *before)


@pytest.mark.parametrize("headers", [False, True])
def test_another_cooperatives_or_no_template_inserts_nothing(client, auth, clerk, ticket, headers):
    for chosen in (template_of("elsteraue", "Arbeiten erledigt").id, "", "abc", 999999, "9" * 30):
        response = insert(client, auth, ticket, chosen, message="Mein Text",
                          headers=htmx(auth, "answer-text") if headers else None)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        error = re.search(r'id="answer-template-error">(.*?)</p>', page, re.S).group(1)
        assert "Bitte wählen Sie einen Textbaustein aus der Liste." in error
        assert textarea(page) == "Mein Text"


# every clerk's text to the tenant at the desk: (action, form prefix, field, other fields, what the refusal calls it)
TO_TENANT = [
    ("antwort", "answer", "message", {}, "Die Antwort"),
    ("rueckfrage", "query", "question", {}, "Die Rückfrage"),
    ("status", "status", "message", {"status": "closed"}, "Die Nachricht"),  # closing message
    ("status", "status", "reason", {"status": "rejected"}, "Die Begründung"),  # mailed to the tenant too
]


@pytest.mark.parametrize("action, prefix, field, others, what", TO_TENANT, ids=["answer", "ask", "close", "reject"])
@pytest.mark.parametrize("text, placeholder", [
    ("Sehr geehrter Herr Müller, der Termin ist am {Termin}.", "{Termin}"),
    ("{Anrede},\n\nalles erledigt.", "{Anrede}"),
    ("Hallo { irgendwas }!", "{ irgendwas }"),
], ids=["unknown", "known", "spaced"])
@pytest.mark.parametrize("headers", [False, True], ids=["plain", "htmx"])
def test_a_text_to_the_tenant_with_a_placeholder_left_is_refused_and_nothing_sent(
        client, auth, clerk, ticket, action, prefix, field, others, what, text, placeholder, headers):
    before = TicketMessage.select().count(), OutboxMail.select().count()
    response = post(client, auth, ticket, action, prefix, headers=htmx(auth, "desk") if headers else None,
                    **others, **{field: text})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'id="{prefix}-{field}-error">(.*?)</p>', page, re.S).group(1)
    assert f"{what} enthält noch den Platzhalter {placeholder}." in error
    assert "error-summary" in page and f'href="#{prefix}-{field}"' in page
    assert Ticket.get_by_id(ticket.id).status == ticket.status
    assert nothing_sent(ticket, *before)


def test_braces_without_a_word_inside_are_no_placeholder(client, auth, clerk, ticket):
    assert post(client, auth, ticket, "antwort", "answer", message="Ein Smiley :-{} und {\n} bleiben.").status_code \
        == 303


def test_the_desk_costs_as_many_queries_with_1_as_with_20_templates(client, clerk, ticket, count_queries):
    ReplyTemplate.delete().where(ReplyTemplate.cooperative == ticket.cooperative_id).execute()
    counts = []
    for count in (1, 19):
        ReplyTemplate.insert_many([dict(cooperative=ticket.cooperative_id, title=f"Vorlage {count}-{i}", body="Text",
                                         created_at=clock.now(), updated_at=clock.now())
                                    for i in range(count)]).execute()
        with count_queries() as queries:
            page = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
        counts.append(queries.count)
    choice = re.search(r'<select[^>]*name="answer-template".*?</select>', page, re.S).group(0)
    assert choice.count("<option") == 21 and counts[0] == counts[1]


# --- the staff page ---


def form(auth, **values) -> dict:
    fields = {"csrf_token": auth.csrf_token(), "title": "Zählerablesung", "body": GREETING}
    fields.update(values)
    return fields


def test_a_clerk_writes_edits_and_deletes_a_template(client, auth, clerk):
    page = client.get(LIST).get_data(as_text=True)
    assert "Eingangsbestätigung" in page and "Arbeiten erledigt" not in page
    assert 'aria-current="page">Textbausteine</a>' in page
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, data=form(auth))
    assert response.status_code == 303 and response.headers["Location"] == LIST
    template = ReplyTemplate.get(ReplyTemplate.title == "Zählerablesung")
    assert template.cooperative_id == cooperative("lipsia").id and template.body == GREETING
    assert template.created_by_id == template.updated_by_id == clerk.id
    created = AuditLog.get(AuditLog.action == "reply_template.created")
    assert created.object_id == str(template.id) and created.user_id == clerk.id
    assert created.cooperative_id == template.cooperative_id

    url = f"{LIST}/{template.id}"
    edit = client.get(url).get_data(as_text=True)
    assert "Zählerablesung" in edit and 'name="version"' in edit
    assert client.post(url, data=form(auth, title="Ablesung", version=version_of(edit))).status_code == 303
    changed = ReplyTemplate.get_by_id(template.id)
    assert changed.title == "Ablesung" and changed.version == template.version + 1
    assert AuditLog.get(AuditLog.action == "reply_template.changed").object_id == str(template.id)

    confirm = client.get(f"{url}/loeschen").get_data(as_text=True)
    assert "Textbaustein löschen?" in confirm and "Ablesung" in confirm
    stray = client.post(f"{url}/loeschen", data={"csrf_token": auth.csrf_token(), "version": version_of(confirm)})
    assert stray.status_code == 422 and ReplyTemplate.get_or_none(ReplyTemplate.id == template.id)
    response = client.post(f"{url}/loeschen", data={"csrf_token": auth.csrf_token(), "confirm": "ja",
                                                    "version": version_of(confirm)})
    assert response.status_code == 303 and ReplyTemplate.get_or_none(ReplyTemplate.id == template.id) is None
    assert AuditLog.get(AuditLog.action == "reply_template.deleted").object_id == str(template.id)
    assert client.get(url).status_code == 404


def test_a_colleagues_change_meanwhile_is_not_overwritten(app, client, auth, clerk, demo_logins):
    template = template_of("lipsia")
    url = f"{LIST}/{template.id}"
    stale = version_of(client.get(url).get_data(as_text=True))
    colleague = app.test_client()
    colleague_auth = AuthActions(colleague, demo_logins)
    colleague_auth.login_staff(1)
    fresh = version_of(colleague.get(url).get_data(as_text=True))
    assert colleague.post(url, data=form(colleague_auth, title="Eingang bestätigt", version=fresh)).status_code == 303
    response = client.post(url, data=form(auth, title="Mein Titel", body="Mein <b>Text</b>", version=stale))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    conflict = page.split('id="conflict"')[1].split("</div>")[0]
    assert "Dieser Textbaustein wurde inzwischen geändert." in conflict and "Thomas Schröder" in conflict
    assert "Eingang bestätigt" in conflict
    assert "Mein Titel" in page and "Mein &lt;b&gt;Text&lt;/b&gt;" in page  # the typed text stays
    assert ReplyTemplate.get_by_id(template.id).title == "Eingang bestätigt"
    deleting = client.post(f"{url}/loeschen", data={"csrf_token": auth.csrf_token(), "confirm": "ja",
                                                    "version": stale})
    assert deleting.status_code == 422 and ReplyTemplate.get_or_none(ReplyTemplate.id == template.id)


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"title": ""}, "title", "Bitte geben Sie einen Titel ein."),
    ({"title": "x" * 151}, "title", "Höchstens 150 Zeichen."),
    ({"title": "Tab\x07"}, "title", "Steuerzeichen"),
    ({"body": "  \n "}, "body", "Bitte schreiben Sie den Text des Textbausteins."),
    ({"body": "x" * 5001}, "body", "Höchstens 5000 Zeichen."),
    ({"body": "Hallo\x00Welt"}, "body", "Steuerzeichen"),
    ({"body": "Betrag: \u202e05 €"}, "body", "Steuerzeichen"),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_saved(client, auth, clerk, values, field, message):
    before = ReplyTemplate.select().count()
    template = template_of("lipsia")
    url = f"{LIST}/{template.id}"
    for target, extra in ((NEW, {}), (url, {"version": version_of(client.get(url).get_data(as_text=True))})):
        response = client.post(target, data=form(auth, **values, **extra))
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        error = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S).group(1)
        assert message in error
        summary = page.split("data-error-summary", 1)[1].split("</div>", 1)[0]
        assert f'href="#{field}"' in summary and f'aria-describedby="{field}-hint {field}-error"' in page
    assert ReplyTemplate.select().count() == before
    unchanged = ReplyTemplate.get_by_id(template.id)
    assert (unchanged.title, unchanged.body, unchanged.version) == (template.title, template.body, template.version)


def test_hostile_text_is_shown_and_inserted_as_text(client, auth, clerk, ticket):
    hostile = '<script>alert(1)</script> <img src=x onerror=alert(1)> {Name}'
    assert client.post(NEW, data=form(auth, title="<b>Fett</b>", body=hostile)).status_code == 303
    listed = client.get(LIST).get_data(as_text=True)
    assert "<script>alert(1)" not in listed and "&lt;b&gt;Fett&lt;/b&gt;" in listed
    template = ReplyTemplate.get(ReplyTemplate.title == "<b>Fett</b>")
    page = insert(client, auth, ticket, template.id).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert textarea(page) == "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; Jürgen Müller"


# --- who sees what ---


def test_another_cooperatives_templates_are_unknown(client, auth, clerk):
    elsteraue = template_of("elsteraue")
    url = f"{LIST}/{elsteraue.id}"
    assert client.get(url).status_code == 404 and client.get(f"{url}/loeschen").status_code == 404
    assert client.post(url, data=form(auth, version=str(elsteraue.version))).status_code == 404
    deleting = client.post(f"{url}/loeschen", data={"csrf_token": auth.csrf_token(), "confirm": "ja",
                                                    "version": str(elsteraue.version)})
    assert deleting.status_code == 404
    unchanged = ReplyTemplate.get_by_id(elsteraue.id)
    assert unchanged.title == elsteraue.title and unchanged.version == elsteraue.version


def test_the_admin_sees_both_and_writes_for_a_chosen_cooperative(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    listed = client.get(LIST).get_data(as_text=True)
    assert "Arbeiten erledigt" in listed and "Steuerbescheinigung verschickt" in listed
    missing = client.post(NEW, data=form(auth, cooperative=""))
    assert missing.status_code == 422 and "Bitte wählen Sie die Genossenschaft." in missing.get_data(as_text=True)
    assert client.post(NEW, data=form(auth, cooperative=str(cooperative("elsteraue").id))).status_code == 303
    assert ReplyTemplate.get(ReplyTemplate.title == "Zählerablesung").cooperative_id == cooperative("elsteraue").id
    assert client.get(f"{LIST}/{template_of('lipsia').id}").status_code == 200


def test_tenants_and_anonymous_users_never_reach_them(app, demo_logins, data):
    template = template_of("lipsia")
    ticket = lipsia_ticket(app, demo_logins)
    urls = [LIST, NEW, f"{LIST}/{template.id}", f"{LIST}/{template.id}/loeschen"]
    anonymous, tenant = app.test_client(), app.test_client()
    AuthActions(tenant, demo_logins).login_as("juergen")
    for client in (anonymous, tenant):
        auth = AuthActions(client, demo_logins)
        for url in urls:
            assert client.get(url).status_code == 404, url
            assert client.post(url, data=form(auth, confirm="ja", version=str(template.version))).status_code == 404
        assert insert(client, auth, ticket, template.id).status_code == 404
    assert ReplyTemplate.get_by_id(template.id).title == template.title
    assert "Textbausteine" not in main_of(tenant.get("/").get_data(as_text=True))
