"""Vertretung for staff (issue 21): „Vertretung eintragen“ from a checked Vollmacht or Betreuerausweis (the PDF kept
for staff only, the invitation mailed, audited), every bad input refused next to its field with nothing stored,
the person page's list of representations with their events at constant queries, „Beenden“, the scope (a clerk
of the other cooperative gets 404), and the desk's „durch … für …“ on a ticket and a message sent by a
representative."""

import io
import re
from datetime import timedelta

import pytest

from tests.helpers import htmx, main_of
from tests.test_staff_desk import lipsia_ticket
from tests.test_staff_documents import pdf_bytes
from wir import clock, storage, uploads
from wir.models import (
    AuditLog,
    Cooperative,
    OutboxMail,
    Person,
    Representation,
    RepresentationEvent,
    TicketMessage,
    User,
)

STAFF = {"lipsia": 0, "elsteraue": 2}  # index in the demo logins' staff list
ANNA = "anna.weiss@example.net"


def juergen() -> Person:
    lipsia = Cooperative.get(Cooperative.slug == "lipsia")
    return Person.get((Person.first_name == "Jürgen") & (Person.cooperative == lipsia))


def new_url(person: Person) -> str:
    return f"/intern/personen/{person.id}/vertretung/neu"


def form(auth, document=(pdf_bytes(), "vollmacht.pdf"), **values) -> dict:
    sent = {"csrf_token": auth.csrf_token(), "name": "Anna Weiß", "email": ANNA, "scopes": ["bank"],
            "valid_until": (clock.today() + timedelta(days=365)).isoformat()}
    sent.update(values)
    if document is not None:
        sent["document"] = (io.BytesIO(document[0]), document[1])
    return sent


def entered(person: Person, name: str = "Bernd Betreuer", source: str = Representation.SOURCE_DOCUMENT,
            events: int = 2) -> Representation:
    """A representation written directly, with its document (if by document) and ``events`` events."""
    representation = Representation.create(
        person=person, name=name, email=f"{name.split()[0].lower()}@example.net", scopes="read,requests,bank",
        source=source, document_key=storage.store(pdf_bytes(7)) if source == Representation.SOURCE_DOCUMENT else "",
        link_expires_at=clock.now() + timedelta(days=7))
    for number in range(events):
        RepresentationEvent.create(representation=representation, kind="signed_in", detail=f"Ereignis {number}")
    return representation


@pytest.fixture
def clerk(auth, data):
    """A clerk of Lipsia, signed in."""
    login = auth.login_staff(STAFF["lipsia"])
    return User.get(User.email == login["email"])


# --- Vertretung eintragen ---


def test_entering_with_a_pdf_stores_it_mails_the_invitation_and_audits(client, auth, clerk):
    person = juergen()
    page = client.get(new_url(person)).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and "<legend" in page and 'name="scopes" id="scopes-bank"' in page
    document = pdf_bytes(3)
    response = client.post(new_url(person), content_type="multipart/form-data",
                           data=form(auth, (document, "vollmacht.pdf"), scopes=["bank", "notice"]))
    assert response.status_code == 303 and response.headers["Location"] == f"/intern/personen/{person.id}"
    representation = Representation.get(Representation.email == ANNA)
    assert representation.person_id == person.id and representation.source == Representation.SOURCE_DOCUMENT
    assert representation.scopes == "read,requests,bank,notice" and representation.created_by_id == clerk.id
    assert representation.valid_until == clock.today() + timedelta(days=365)
    assert storage.load(representation.document_key) == document
    mail = OutboxMail.get(OutboxMail.recipient == ANNA)
    assert "Jürgen Müller" in mail.subject and re.search(r"/vertretung/einladung/[\w-]{30,}", mail.body_text)
    entry = AuditLog.get(AuditLog.action == "representation.entered")
    assert entry.user_id == clerk.id and entry.object_id == str(representation.id) and person.number in entry.detail

    shown = main_of(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Die Vertretung durch Anna Weiß ist eingetragen" in shown
    card = shown.split(f'id="representation-{representation.id}"', 1)[1].split("</li>\n        \n", 1)[0]
    for text in ("Anna Weiß", ANNA, "<strong>offen</strong>", "Lesen, Anliegen, Bankverbindung, Kündigung",
                 (clock.today() + timedelta(days=365)).strftime("%d.%m.%Y"), "Vollmacht/Betreuerausweis, geprüft",
                 "eingeladen: Anna Weiß", "Dokument ansehen"):
        assert text in card, text


def test_without_a_scope_it_is_lesen_only_and_without_an_end_date_until_ended(client, auth, clerk):
    response = client.post(new_url(juergen()), content_type="multipart/form-data",
                           data=form(auth, scopes=[], valid_until=""))
    assert response.status_code == 303
    representation = Representation.get(Representation.email == ANNA)
    assert representation.scopes == "read" and representation.valid_until is None


def test_htmx_gets_the_form_with_its_messages_then_the_person_page(client, auth, clerk):
    person = juergen()
    response = client.post(new_url(person), content_type="multipart/form-data", headers=htmx(auth),
                           data=form(auth, name=""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and page.lstrip().startswith('<form id="representation-form"')
    assert 'hx-encoding="multipart/form-data"' in page and 'id="name-error"' in page and "<html" not in page
    response = client.post(new_url(person), content_type="multipart/form-data", headers=htmx(auth), data=form(auth))
    assert response.status_code == 204 and response.headers["HX-Location"] == f"/intern/personen/{person.id}"


@pytest.mark.parametrize(("values", "document", "field", "message"), [
    ({"name": ""}, None, "name", "Bitte geben Sie den Namen der Vertreterin oder des Vertreters ein."),
    ({"email": ""}, None, "email", "Bitte geben Sie die E-Mail-Adresse der Vertreterin oder des Vertreters ein."),
    ({"email": "anna@@example"}, None, "email", "E-Mail-Adresse"),
    ({"scopes": ["bank", "password"]}, None, "scopes", "Bitte wählen Sie nur Bereiche aus der Liste."),
    ({"valid_until": "gestern"}, None, "valid_until", "Bitte geben Sie ein gültiges Datum ein"),
    ({"valid_until": "2001-01-01"}, None, "valid_until", "Das Datum liegt in der Vergangenheit."),
    ({}, "missing", "document", "Bitte laden Sie die Vollmacht oder den Betreuerausweis als PDF hoch."),
    ({}, (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "vollmacht.pdf"), "document", "ist keine PDF-Datei."),
    ({}, (b"%PDF-1.4 kaputt", "vollmacht.pdf"), "document", "ist beschädigt"),
    ({}, (b"%PDF-" + b"x" * uploads.MAX_FILE_BYTES, "gross.pdf"), "document", "ist größer als 10 MB."),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_stored(client, auth, clerk, values, document, field,
                                                                      message):
    person = juergen()
    sent = form(auth, None if document == "missing" else (document or (pdf_bytes(), "vollmacht.pdf")), **values)
    response = client.post(new_url(person), content_type="multipart/form-data", data=sent)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and f'id="{field}-error"' in page, page
    assert 'class="notice notice--error error-summary"' in page and f'href="#{field}"' in page
    assert not Representation.select().exists()
    assert not OutboxMail.select().where(OutboxMail.recipient == ANNA).exists()
    assert not AuditLog.select().where(AuditLog.action == "representation.entered").exists()
    if field != "name":
        assert 'value="Anna Weiß"' in page  # what was typed stays


def test_the_form_needs_the_csrf_token(client, auth, clerk):
    sent = form(auth)
    del sent["csrf_token"]
    assert client.post(new_url(juergen()), content_type="multipart/form-data", data=sent).status_code == 400
    assert not Representation.select().exists()


# --- the person page ---


def test_the_person_page_lists_invitations_and_vollmachten_with_their_events(client, clerk):
    person = juergen()
    by_document = entered(person)
    invited = entered(person, "Clara Nachbarin", Representation.SOURCE_INVITATION, events=0)
    Representation.update(accepted_at=clock.now()).where(Representation.id == invited.id).execute()
    RepresentationEvent.create(representation=invited, kind="acted", detail="Meldung 2026-0001 gesendet")
    page = main_of(client.get(f"/intern/personen/{person.id}").get_data(as_text=True))
    section = page.split('id="representations-heading"', 1)[1]
    assert "Bernd Betreuer" in section and "Clara Nachbarin" in section
    assert "<strong>aktiv</strong> seit" in section and "Einladung durch die Person" in section
    assert "hat die Daten der Person geöffnet: Ereignis 1" in section
    assert "hat für die Person gehandelt: Meldung 2026-0001 gesendet" in section
    document_url = f"/intern/personen/{person.id}/vertretung/{by_document.id}/vollmacht"
    assert document_url in section and f"/vertretung/{invited.id}/vollmacht" not in section
    assert section.count("/beenden") == 2 and f'href="{new_url(person)}"' in section


def test_the_person_page_runs_as_many_statements_for_1_as_for_5_representations(client, clerk, count_queries):
    person = juergen()
    entered(person, "Rita Eins")
    url = f"/intern/personen/{person.id}"
    client.get(url)
    with count_queries() as one:
        assert client.get(url).status_code == 200
    for name in ("Rita Zwei", "Rita Drei", "Rita Vier", "Rita Fünf"):
        entered(person, name, events=4)
    with count_queries() as five:
        page = client.get(url).get_data(as_text=True)
    assert page.count("Dokument ansehen") == 5 and five.count == one.count


# --- Beenden ---


def test_staff_end_a_representation_after_asking(client, auth, clerk):
    person = juergen()
    representation = entered(person)
    url = f"/intern/personen/{person.id}/vertretung/{representation.id}/beenden"
    ask = client.get(url)
    assert ask.status_code == 200 and "Vertretung beenden</button>" in ask.get_data(as_text=True)
    assert Representation.get_by_id(representation.id).ended_at is None  # asking changes nothing
    response = client.post(url, data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303 and response.headers["Location"] == f"/intern/personen/{person.id}"
    ended = Representation.get_by_id(representation.id)
    assert ended.ended_at is not None and ended.ended_by_id == clerk.id
    assert RepresentationEvent.get((RepresentationEvent.representation == ended)
                                   & (RepresentationEvent.kind == "ended")).by_id == clerk.id
    assert AuditLog.get(AuditLog.action == "representation.ended").user_id == clerk.id
    page = main_of(client.get(f"/intern/personen/{person.id}").get_data(as_text=True))
    assert "<strong>beendet</strong> am" in page and f"{representation.id}/beenden" not in page
    assert f"{representation.id}/vollmacht" in page  # the document stays with the person
    again = client.get(url).get_data(as_text=True)
    assert "bereits beendet" in again and "Vertretung beenden</button>" not in again
    assert client.post(url, data={"csrf_token": auth.csrf_token()}).status_code == 303
    assert RepresentationEvent.select().where(RepresentationEvent.kind == "ended").count() == 1


def test_ending_needs_the_csrf_token(client, clerk):
    person = juergen()
    representation = entered(person)
    response = client.post(f"/intern/personen/{person.id}/vertretung/{representation.id}/beenden")
    assert response.status_code == 400 and Representation.get_by_id(representation.id).ended_at is None


# --- the document ---


def test_the_document_is_sent_to_staff_and_audited(client, clerk):
    person = juergen()
    representation = entered(person)
    response = client.get(f"/intern/personen/{person.id}/vertretung/{representation.id}/vollmacht")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == pdf_bytes(7) and "attachment" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]  # personal data: never kept in a cache
    entry = AuditLog.get(AuditLog.action == "representation.document.view")
    assert entry.user_id == clerk.id and "Bernd Betreuer" in entry.detail


def test_an_invitation_has_no_document(client, clerk):
    person = juergen()
    invited = entered(person, "Clara Nachbarin", Representation.SOURCE_INVITATION)
    assert client.get(f"/intern/personen/{person.id}/vertretung/{invited.id}/vollmacht").status_code == 404


# --- scope ---


def test_the_other_cooperatives_clerk_and_tenants_get_404(app, client, auth, data):
    person = juergen()
    representation = entered(person)
    base = f"/intern/personen/{person.id}/vertretung"
    urls = [f"{base}/neu", f"{base}/{representation.id}/beenden", f"{base}/{representation.id}/vollmacht"]
    for who in ("elsteraue", "tenant"):
        if who == "tenant":
            auth.login_as("juergen")
        else:
            auth.login_staff(STAFF[who])
        for url in urls:
            assert client.get(url).status_code == 404, (who, url)
            if not url.endswith("vollmacht"):
                sent = client.post(url, content_type="multipart/form-data", data=form(auth))
                assert sent.status_code == 404, (who, url)
        auth.logout()
    assert Representation.select().count() == 1 and Representation.get_by_id(representation.id).ended_at is None
    assert not AuditLog.select().where(AuditLog.action == "representation.document.view").exists()
    auth.login_with_code(auth.logins["admin"])
    assert client.get(urls[2]).status_code == 200


def test_another_persons_representation_is_404(client, clerk):
    person, other = juergen(), Person.get((Person.first_name == "Monika") & (Person.last_name == "Müller"))
    representation = entered(other)
    for end in ("beenden", "vollmacht"):
        assert client.get(f"/intern/personen/{person.id}/vertretung/{representation.id}/{end}").status_code == 404


# --- the desk: „durch … für …“ ---


def test_the_desk_shows_a_ticket_and_a_message_sent_by_a_representative(app, client, clerk, demo_logins,
                                                                          count_queries):
    ticket = lipsia_ticket(app, demo_logins)
    url = f"/intern/meldungen/{ticket.number}"
    client.get(url)
    with count_queries() as own:
        page = main_of(client.get(url).get_data(as_text=True))
    assert "durch " not in page
    representation = entered(ticket.person, "Anna Weiß")
    ticket.representation = representation
    ticket.save()
    TicketMessage.update(representation=representation).where(TicketMessage.ticket == ticket).execute()
    TicketMessage.create(ticket=ticket, body="Die Mieterin ruft zurück.", representation=representation)
    with count_queries() as represented:
        page = main_of(client.get(url).get_data(as_text=True))
    words = f"durch Anna Weiß für {ticket.person.full_name}"
    assert re.search(r"<dt>Gesendet</dt><dd[^>]*>" + words, page)
    history = page.split('id="history-heading"', 1)[1]
    assert history.count(words) == 2
    assert represented.count == own.count
