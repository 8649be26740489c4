"""Handwerkerauftrag (issue 24): the cooperative's contractors (/intern/handwerker), the tenant's consent on the
Kontakt form, „Auftrag erteilen“ at the desk (a PDF mailed once through the task queue, photos and phone only with
consent, Beauftragt with „Firma X beauftragt“), and the company's single-use answer link (appointment, erledigt)."""

import re
from datetime import timedelta

import pytest

from tests.helpers import AuthActions, at_once, deliver, htmx, mail_text, pdf_text
from tests.test_staff_desk import clerk as clerk  # noqa: F401 (signed in as Sandra Köhler, Lipsia)
from tests.test_staff_desk import lipsia_ticket
from tests.test_tickets import jpeg, send
from tests.test_tickets import tenant as tenant  # noqa: F401 (the Kontakt tests' fixture)
from wir import clock, storage
from wir.models import (
    AuditLog,
    Contract,
    Contractor,
    Cooperative,
    OutboxAttachment,
    OutboxMail,
    Ticket,
    TicketAttachment,
    TicketMessage,
    TicketStatusChange,
    WorkOrder,
)
from wir.services.staff import work_orders
from wir.services.tickets import tickets

LIST, NEW = "/intern/handwerker", "/intern/handwerker/neu"


def contractor(slug: str, name: str) -> Contractor:
    return Contractor.get((Contractor.cooperative == Cooperative.get(Cooperative.slug == slug).id)
                          & (Contractor.name == name))


@pytest.fixture
def ticket(app, clerk, demo_logins):
    """Jürgen Müller's ticket about his heating, with a photo he sent."""
    found = lipsia_ticket(app, demo_logins)
    message = TicketMessage.get(TicketMessage.ticket == found)
    with app.app_context():
        key = storage.store(jpeg())
    TicketAttachment.create(ticket=found, message=message, filename="heizung.jpg", storage_key=key,
                            content_type="image/jpeg", size=100)
    return found


def consent(ticket, phone: bool, photos: bool) -> None:
    Ticket.update(phone_for_contractor=phone, photos_for_contractor=photos, phone="0341 111222").where(
        Ticket.id == ticket.id).execute()


def order_form(client, auth, ticket, headers=None, **fields):
    fresh = Ticket.get_by_id(ticket.id)
    data = {"csrf_token": auth.csrf_token(), "version": str(fresh.version), "seen_at": fresh.activity_at.isoformat(),
            "contractor": str(contractor("lipsia", "Sanitär Krause GmbH").id), "text": "Heizung im Bad prüfen.",
            "action": "send"}
    data.update(fields)
    return client.post(f"/intern/meldungen/{ticket.number}/auftrag", data=data, headers=headers or {})


def state(ticket) -> tuple:
    """What an order changes: the orders, the ticket's version, its history and the outbox."""
    return (list(WorkOrder.select().order_by(WorkOrder.id).dicts()), Ticket.get_by_id(ticket.id).version,
            TicketStatusChange.select().count(), TicketMessage.select().count(), OutboxMail.select().count())


def link_of(mail: OutboxMail) -> tuple[str, str]:
    number, token = re.search(r"http://localhost/auftrag/([^/\s]+)/([^/\s]+)", mail.body_text).groups()
    return number, token


def placed(client, auth, ticket, **fields) -> WorkOrder:
    response = order_form(client, auth, ticket, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    return WorkOrder.get(WorkOrder.ticket == ticket)


def company_mail(order: WorkOrder) -> OutboxMail:
    return (OutboxMail.select().where(OutboxMail.recipient == order.contractor.email)
            .order_by(OutboxMail.id.desc()).first())


# --- Handwerker ---


def test_staff_list_only_their_cooperatives_contractors(client, clerk):
    page = client.get(LIST).get_data(as_text=True)
    assert "Sanitär Krause GmbH" in page and "Elektro Vogel" in page
    assert "Malerbetrieb Schulze" not in page
    assert f'href="{LIST}"' in client.get("/intern/").get_data(as_text=True)


def test_contractor_created_edited_deactivated_and_audited(client, auth, clerk):
    response = client.post(NEW, data={"csrf_token": auth.csrf_token(), "name": "Dach Meier", "trade": "Dachdecker",
                                      "email": "Auftrag@Dach-Meier.example", "phone": "0341 99 88"})
    assert response.status_code == 303
    created = Contractor.get(Contractor.name == "Dach Meier")
    assert (created.cooperative_id, created.email, created.active) == (clerk.cooperative_id,
                                                                        "auftrag@dach-meier.example", True)
    response = client.post(f"{LIST}/{created.id}", data={"csrf_token": auth.csrf_token(), "name": "Dach Meier GmbH",
                                                         "trade": "Dachdecker", "email": "a@dach-meier.example"})
    assert response.status_code == 303 and Contractor.get_by_id(created.id).name == "Dach Meier GmbH"
    assert client.get(f"{LIST}/{created.id}/deaktivieren").status_code == 200
    response = client.post(f"{LIST}/{created.id}/deaktivieren", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303 and not Contractor.get_by_id(created.id).active
    assert created.id not in dict(work_orders_choices(clerk))
    actions = [a.action for a in AuditLog.select().where((AuditLog.object_type == "Contractor")
                                                         & (AuditLog.object_id == str(created.id)))]
    assert actions == ["contractor.created", "contractor.changed", "contractor.deactivated"]


def work_orders_choices(clerk):
    from wir.services.staff import contractors
    return contractors.choices(clerk.cooperative_id)


@pytest.mark.parametrize("fields, field, message", [
    ({"name": ""}, "name", "Bitte geben Sie den Namen der Firma ein."),
    ({"email": "a@b.example, c@d.example"}, "email", "nur eine E-Mail-Adresse"),
    ({"email": "kein-at"}, "email", ""),
    ({"trade": "x" * 81}, "trade", "Höchstens 80 Zeichen."),
    ({"phone": "call me"}, "phone", "Bitte geben Sie die Telefonnummer mit Ziffern an"),
    ({"name": "Firma\u202eX"}, "name", "Steuerzeichen"),
])
def test_bad_contractor_input_is_refused_next_to_the_field(client, auth, clerk, fields, field, message):
    before = Contractor.select().count()
    data = {"csrf_token": auth.csrf_token(), "name": "Dach Meier", "trade": "Dachdecker", "email": "a@meier.example",
            **fields}
    response = client.post(NEW, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in page and message in page
    assert Contractor.select().count() == before


def test_another_cooperatives_contractor_is_not_found(client, auth, clerk):
    other = contractor("elsteraue", "Malerbetrieb Schulze")
    for url in (f"{LIST}/{other.id}", f"{LIST}/{other.id}/deaktivieren"):
        assert client.get(url).status_code == 404
        assert client.post(url, data={"csrf_token": auth.csrf_token(), "name": "X", "trade": "Y",
                                      "email": "x@y.example"}).status_code == 404
    assert Contractor.get_by_id(other.id).name == "Malerbetrieb Schulze" and Contractor.get_by_id(other.id).active


# --- the tenant's consent ---


@pytest.mark.parametrize("ticked", [{}, {"phone_for_contractor": "y", "photos_for_contractor": "y"}])
def test_kontakt_asks_for_consent_unticked_and_stores_it(client, auth, tenant, ticked):
    form = client.get("/kontakt?concern=c%d&ticket_type=%d&category=%d" % (
        tenant["rental"].id, *_heating_ids(tenant))).get_data(as_text=True)
    box = re.search(r'<input[^>]*name="phone_for_contractor"[^>]*>', form).group(0)
    assert "checked" not in box and 'name="photos_for_contractor"' in form
    assert send(client, auth, tenant, **ticked).status_code == 303
    ticket = Ticket.get(Ticket.submission_key == "key-1")
    assert (ticket.phone_for_contractor, ticket.photos_for_contractor) == (bool(ticked), bool(ticked))


def test_consent_counts_only_where_the_category_asks_it(client, auth, tenant):
    from tests.test_tickets import category
    feedback = category(tenant["person"], "Feedback Serviceportal")
    response = send(client, auth, tenant, ticket_type=str(feedback.ticket_type_id), category=str(feedback.id),
                    concern="", phone_for_contractor="y", photos_for_contractor="y")
    assert response.status_code == 303, response.get_data(as_text=True)
    ticket = Ticket.get(Ticket.submission_key == "key-1")
    assert (ticket.phone_for_contractor, ticket.photos_for_contractor) == (False, False)


def test_a_clerk_taking_down_a_meldung_records_the_consent(client, auth, clerk):
    from tests.test_tickets import category, person_of, rental_of
    person = person_of("juergen.mueller@example.org")
    heating = category(person, "Heizung/Warmwasser")
    form = client.get(f"/intern/meldungen/neu?person={person.id}").get_data(as_text=True)
    assert 'name="phone_for_contractor"' in form
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', form).group(1)
    response = client.post(f"/intern/meldungen/neu?person={person.id}", data={
        "csrf_token": auth.csrf_token(), "contract": str(rental_of(person).id), "category": str(heating.id),
        "subject": "Anruf: Heizung", "message": "Heizung kalt.", "submission_key": key, "phone_for_contractor": "y"})
    assert response.status_code == 303
    created = Ticket.get(Ticket.subject == "Anruf: Heizung")
    assert (created.phone_for_contractor, created.photos_for_contractor) == (True, False)


def _heating_ids(tenant):
    from tests.test_tickets import category
    heating = category(tenant["person"], "Heizung/Warmwasser")
    return heating.ticket_type_id, heating.id


# --- Auftrag erteilen ---


def test_the_order_page_is_prefilled_from_the_ticket(client, clerk, ticket):
    Ticket.update(location="Bad").where(Ticket.id == ticket.id).execute()
    page = client.get(f"/intern/meldungen/{ticket.number}/auftrag").get_data(as_text=True)
    assert "Heizung kalt\nOrt in der Wohnung: Bad\n\nDie Heizung bleibt kalt." in page
    assert "Sanitär Krause GmbH" in page and "Malerbetrieb Schulze" not in page
    assert 'name="pass_phone"' not in page and 'id="no-phone-consent"' in page
    desk = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert f'href="/intern/meldungen/{ticket.number}/auftrag' in desk


def test_order_with_consent_mails_the_pdf_with_phone_and_photos_once(app, client, auth, clerk, ticket, smtp):
    consent(ticket, phone=True, photos=True)
    Ticket.update(location="Bad, Heizkörper").where(Ticket.id == ticket.id).execute()
    unit = Contract.get_by_id(ticket.contract_id).unit
    order = placed(client, auth, ticket, pass_phone="y")
    assert re.fullmatch(r"LA-\d{4}-0001", order.number) and order.mailed_at is not None
    fresh = Ticket.get_by_id(ticket.id)
    change = TicketStatusChange.select().where(TicketStatusChange.ticket == ticket).order_by(
        TicketStatusChange.id.desc()).first()
    assert fresh.status == "commissioned" and change.reason == "Firma Sanitär Krause GmbH beauftragt"
    assert AuditLog.select().where(AuditLog.action == "work_order.placed").count() == 1
    # the task again, and the sweep: nothing more
    assert not work_orders.mail_order(order.id) and work_orders.mail_due() == 0
    to_company = OutboxMail.select().where(OutboxMail.recipient == "auftrag@sanitaer-krause.example")
    assert to_company.count() == 1
    deliver(app)
    message = next(m for m in smtp.messages if m["To"] == "auftrag@sanitaer-krause.example")
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(files) == {f"Auftrag-{order.number}.pdf", "heizung.jpg"}
    text = pdf_text(files[f"Auftrag-{order.number}.pdf"])
    for expected in (order.number, ticket.number, "Jürgen Müller", "0341 111222", "Heizung im Bad prüfen.",
                     "Ort in der Wohnung Bad, Heizkörper", f"{unit.street}, {unit.postcode} {unit.city}",
                     "WG „Lipsia“ eG"):
        assert expected in text, expected
    assert f"http://localhost/auftrag/{order.number}/" in mail_text(message)
    # the tenant: Beauftragt with the firm, in the history and the mail
    tenant_mail = OutboxMail.get(OutboxMail.subject == f"Ihre Meldung {ticket.number}: Beauftragt")
    assert "Firma Sanitär Krause GmbH beauftragt." in tenant_mail.body_text


def test_without_consent_neither_phone_nor_photos_go_to_the_company(app, client, auth, clerk, ticket):
    Ticket.update(phone="0341 111222").where(Ticket.id == ticket.id).execute()
    order = placed(client, auth, ticket)
    mail = company_mail(order)
    files = list(OutboxAttachment.select().where(OutboxAttachment.mail == mail))
    assert [f.filename for f in files] == [f"Auftrag-{order.number}.pdf"]
    with app.app_context():
        text = pdf_text(storage.load(files[0].storage_key))
    assert "0341 111222" not in text and "nicht freigegeben" in text


def test_passing_the_phone_without_consent_is_refused(client, auth, clerk, ticket):
    before = state(ticket)
    response = order_form(client, auth, ticket, pass_phone="y")
    assert response.status_code == 422 and "nicht zugestimmt" in response.get_data(as_text=True)
    assert state(ticket) == before


@pytest.mark.parametrize("fields, message", [
    ({"contractor": ""}, "Bitte wählen Sie eine Firma aus der Liste."),
    ({"text": ""}, "Bitte beschreiben Sie den Auftrag."),
    ({"text": "x" * 5001}, "Höchstens 5000 Zeichen."),
    ({"text": "Termin {Termin}"}, "Der Auftrag enthält noch den Platzhalter {Termin}."),
    ({"text": "Bad\x00"}, "Steuerzeichen"),
])
def test_bad_order_input_is_refused_and_nothing_saved(client, auth, clerk, ticket, fields, message):
    before = state(ticket)
    response = order_form(client, auth, ticket, **fields)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert state(ticket) == before


def test_another_cooperatives_contractor_cannot_be_ordered(client, auth, clerk, ticket):
    before = state(ticket)
    other = contractor("elsteraue", "Malerbetrieb Schulze")
    response = order_form(client, auth, ticket, contractor=str(other.id))
    assert response.status_code == 422 and state(ticket) == before
    # the service itself refuses it too (a choice list is no rule)
    from wir.services.rejections import Rejected
    with pytest.raises(Rejected):
        work_orders.place(Ticket.get_by_id(ticket.id), None, work_orders.Draft(str(other.id), "x"), clerk)
    assert state(ticket) == before


def test_a_stale_form_orders_nothing(client, auth, clerk, ticket):
    fresh = Ticket.get_by_id(ticket.id)
    before = state(ticket)
    response = order_form(client, auth, ticket, version=str(fresh.version - 1))
    assert response.status_code == 422 and "inzwischen geändert" in response.get_data(as_text=True)
    assert state(ticket) == before


def test_another_cooperatives_ticket_has_no_order_page(client, auth, clerk):
    elsteraue = Ticket.select().where(Ticket.cooperative == Cooperative.get(Cooperative.slug == "elsteraue").id).first()
    assert client.get(f"/intern/meldungen/{elsteraue.number}/auftrag").status_code == 404
    assert order_form(client, auth, elsteraue).status_code == 404


def test_a_textbaustein_is_inserted_with_htmx_and_without(client, auth, clerk, ticket):
    from wir.models import ReplyTemplate
    template = ReplyTemplate.get(ReplyTemplate.cooperative == clerk.cooperative_id)
    plain = order_form(client, auth, ticket, action="insert", template=str(template.id), text="Bitte prüfen.")
    assert plain.status_code == 200 and "<html" in plain.get_data(as_text=True)
    assert "Eingefügt:" in plain.get_data(as_text=True)
    fragment = order_form(client, auth, ticket, headers=htmx(auth, "work-order"), action="insert",
                          template=str(template.id), text="Bitte prüfen.").get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="work-order"') and "Bitte prüfen." in fragment
    assert WorkOrder.select().count() == 0


def test_htmx_send_follows_to_the_desk(client, auth, clerk, ticket):
    response = order_form(client, auth, ticket, headers=htmx(auth, "work-order"))
    assert response.status_code == 204 and response.headers["HX-Location"].startswith(f"/intern/meldungen/{ticket.number}")


# --- the company's link ---


@pytest.fixture
def order(client, auth, clerk, ticket):
    return placed(client, auth, ticket)


def appointment(client, number, token, day=None, headers=None, **fields):
    """The company sends the appointment form of its page (the page first: the session's CSRF token)."""
    client.get(f"/auftrag/{number}/{token}")
    day = day or (clock.today() + timedelta(days=7))
    data = {"appointment-csrf_token": AuthActions(client, {}).csrf_token(), "appointment-on": day.strftime("%d.%m.%Y"),
            "appointment-start": "8:00", "appointment-until": "10:00", **fields}
    return client.post(f"/auftrag/{number}/{token}/termin", data=data, headers=headers or {})


def test_the_company_confirms_an_appointment_the_tenant_sees_it(app, client, auth, order, ticket, demo_logins):
    number, token = link_of(company_mail(order))
    page = client.get(f"/auftrag/{number}/{token}")
    assert page.status_code == 200 and "Heizung im Bad prüfen." in page.get_data(as_text=True)
    day = clock.today() + timedelta(days=7)
    response = appointment(client, number, token, day, **{"appointment-confirmed": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/auftrag/gesendet"
    changed = WorkOrder.get_by_id(order.id)
    assert (changed.state, changed.appointment_on, changed.appointment_from) == ("confirmed", day, "08:00")
    shown = f"{work_orders.WEEKDAYS[day.weekday()]}, {day:%d.%m.%Y}, 8–10 Uhr, Firma Sanitär Krause GmbH"
    # the tenant's mail, the company's confirmation with a fresh link
    assert OutboxMail.get(OutboxMail.subject == f"Neue Nachricht zu Ihrer Meldung {ticket.number}").body_text.count(shown)
    confirmation = company_mail(order)
    fresh_number, fresh_token = link_of(confirmation)
    assert fresh_number == number and fresh_token != token
    # the clerk on the desk
    assert shown in client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    # the tenant on the Meldung; another tenant does not find it
    auth.logout()
    auth.login_as("juergen")
    assert shown in client.get(f"/meldungen/{ticket.number}").get_data(as_text=True)
    auth.logout()
    auth.login_as("gisela")
    assert client.get(f"/meldungen/{ticket.number}").status_code == 404


def test_a_used_link_changes_nothing_and_the_fresh_one_reports_done(client, auth, order, ticket):
    number, token = link_of(company_mail(order))
    assert appointment(client, number, token).status_code == 303
    before = state(ticket)
    reused = appointment(client, number, token, **{"appointment-until": "12:00"})
    assert reused.status_code == 410 and "Link ungültig oder abgelaufen" in reused.get_data(as_text=True)
    assert state(ticket) == before
    _, fresh = link_of(company_mail(order))
    client.get(f"/auftrag/{number}/{fresh}")
    response = client.post(f"/auftrag/{number}/{fresh}/erledigt", data={
        "done-csrf_token": auth.csrf_token(), "done-note": "Thermostat getauscht."})
    assert response.status_code == 303
    done = WorkOrder.get_by_id(order.id)
    assert done.state == "done" and done.link_hash is None and done.done_note == "Thermostat getauscht."
    assert Ticket.get_by_id(ticket.id).status == "commissioned"  # the clerk closes it
    note = TicketMessage.select().order_by(TicketMessage.id.desc()).first()
    assert note.internal and "erledigt" in note.body
    desk = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert "Die Firma meldet" in desk and "Thermostat getauscht." in desk
    confirmation = company_mail(order)
    assert "Erledigt-Meldung erhalten" in confirmation.subject and "/auftrag/" not in confirmation.body_text
    assert client.get(f"/auftrag/{number}/{fresh}").status_code == 410


@pytest.mark.parametrize("spoil", ["expired", "tampered", "long", "other_order", "foreign_token", "withdrawn"])
def test_a_bad_link_shows_the_neutral_page_and_changes_nothing(client, auth, order, ticket, spoil):
    number, token = link_of(company_mail(order))
    if spoil == "expired":
        WorkOrder.update(link_expires_at=clock.now() - timedelta(seconds=1)).where(WorkOrder.id == order.id).execute()
    elif spoil == "tampered":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif spoil == "withdrawn":
        Ticket.update(status="withdrawn").where(Ticket.id == ticket.id).execute()
    elif spoil == "long":
        token = "A" * 300
    elif spoil in ("other_order", "foreign_token"):
        # an order of Elsteraue with a link of its own: neither token opens the other's order
        other_token = "T" * 43
        other = WorkOrder.create(
            cooperative=Cooperative.get(Cooperative.slug == "elsteraue"), number="EA-2026-0001",
            ticket=Ticket.select().where(Ticket.cooperative == Cooperative.get(Cooperative.slug == "elsteraue")).first(),
            contractor=contractor("elsteraue", "Malerbetrieb Schulze"), text="x", mailed_at=clock.now(),
            link_hash=work_orders._hash(other_token), link_expires_at=clock.now() + timedelta(days=1))
        number, token = (other.number, token) if spoil == "other_order" else (number, other_token)
    before = state(ticket)
    page = client.get(f"/auftrag/{number}/{token}")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.status_code == 410 and "Link ungültig oder abgelaufen" in page.get_data(as_text=True)
    assert appointment(client, number, token).status_code == 410
    assert client.post(f"/auftrag/{number}/{token}/erledigt", data={"done-csrf_token": auth.csrf_token()}).status_code == 410
    assert state(ticket) == before


@pytest.mark.parametrize("fields, field, message", [
    ({"appointment-on": ""}, "on", "Bitte geben Sie den Tag des Termins an."),
    ({"appointment-on": "31.02.2026"}, "on", "gültiges Datum"),
    ({"appointment-on": "01.01.2020"}, "on", "nicht in der Vergangenheit"),
    ({"appointment-start": "25:00"}, "start", "Uhrzeit"),
    ({"appointment-until": "7:00"}, "until", "nach seinem Beginn"),
    ({"appointment-until": "<script>"}, "until", "Uhrzeit"),
])
def test_a_bad_appointment_is_refused_and_the_link_stays(client, auth, order, ticket, fields, field, message):
    number, token = link_of(company_mail(order))
    before = state(ticket)
    response = appointment(client, number, token, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="appointment-{field}-error"' in page and message in page
    assert state(ticket) == before
    assert appointment(client, number, token).status_code == 303  # still usable


def test_desk_and_meldung_run_as_many_statements_with_three_orders(client, auth, order, ticket, count_queries):
    def counted(url):
        client.get(url)
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        return queries.count

    def more_orders():
        for n in range(2):
            WorkOrder.create(cooperative=order.cooperative_id, number=f"X-{n}-{ticket.id}", ticket=ticket,
                             contractor=order.contractor, text="x", state="confirmed", appointment_on=clock.today(),
                             appointment_from="08:00", appointment_until="10:00", mailed_at=clock.now())

    desk, meldung = f"/intern/meldungen/{ticket.number}", f"/meldungen/{ticket.number}"
    WorkOrder.update(state="confirmed", appointment_on=clock.today(), appointment_from="08:00",
                     appointment_until="10:00").where(WorkOrder.id == order.id).execute()
    one = counted(desk)
    more_orders()
    assert counted(desk) == one
    auth.logout()
    auth.login_as("juergen")
    three = counted(meldung)
    assert client.get(meldung).get_data(as_text=True).count("8–10 Uhr") == 3
    WorkOrder.delete().where(WorkOrder.number.startswith("X-")).execute()
    assert counted(meldung) == three
    assert client.get(meldung).get_data(as_text=True).count("8–10 Uhr") == 1


# --- once, and single use, whatever runs at the same moment ---


def placed_without_task(app, ticket, clerk) -> WorkOrder:
    """An order placed by the service alone: its task never ran (lost, or the worker died)."""
    fresh = Ticket.get_by_id(ticket.id)
    with app.app_context():
        order = work_orders.place(fresh, tickets.Seen(fresh.version, fresh.activity_at), work_orders.Draft(
            str(contractor("lipsia", "Elektro Vogel").id), "Steckdose im Bad prüfen."), clerk)
    assert WorkOrder.get_by_id(order.id).mailed_at is None
    return order


def test_the_sweep_mails_an_order_whose_task_was_lost(app, clerk, ticket):
    order = placed_without_task(app, ticket, clerk)
    with app.app_context():
        assert work_orders.mail_due() == 1 and work_orders.mail_due() == 0
    assert OutboxMail.select().where(OutboxMail.recipient == "info@elektro-vogel.example").count() == 1
    assert WorkOrder.get_by_id(order.id).link_hash is not None


def test_two_workers_at_once_mail_the_order_once(app, clerk, ticket):
    order = placed_without_task(app, ticket, clerk)
    results = []
    at_once(app, RuntimeError, *[lambda ready: (ready(), results.append(work_orders.mail_order(order.id)))] * 2)
    assert sorted(results) == [False, True]
    assert OutboxMail.select().where(OutboxMail.recipient == "info@elektro-vogel.example").count() == 1


def test_two_answers_at_once_through_one_link_apply_once(app, client, auth, order, ticket):
    number, token = link_of(company_mail(order))
    day = clock.today() + timedelta(days=3)

    def answer(until):
        return lambda ready: (ready(), work_orders.give_appointment(
            number, token, work_orders.Appointment(day, "08:00", until, confirmed=True)))

    outcomes = at_once(app, work_orders.InvalidLink, answer("10:00"), answer("12:00"))
    assert sorted(outcomes) == ["applied", "refused"]
    assert WorkOrder.get_by_id(order.id).appointment_until == ("10:00" if outcomes[0] == "applied" else "12:00")
    assert TicketMessage.select().where(TicketMessage.body.startswith("Termin:")).count() == 1


def test_a_closed_ticket_cannot_be_commissioned(client, auth, clerk, ticket):
    Ticket.update(status="closed").where(Ticket.id == ticket.id).execute()
    before = state(ticket)
    response = order_form(client, auth, ticket)
    assert response.status_code == 422 and "geht es nicht nach „Beauftragt“" in response.get_data(as_text=True)
    assert state(ticket) == before
    assert "Auftrag erteilen</a>" not in client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)


def test_the_clerk_opens_the_mailed_pdf_audited(client, auth, clerk, ticket):
    order = placed(client, auth, ticket)
    desk = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    url = f"/intern/meldungen/{ticket.number}/auftrag/{order.number}.pdf"
    assert f'href="{url}"' in desk
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert order.number in pdf_text(response.data)
    assert AuditLog.select().where((AuditLog.action == "work_order.pdf.view") & (AuditLog.user == clerk)).count() == 1
    assert client.get(f"/intern/meldungen/{ticket.number}/auftrag/LA-1999-0001.pdf").status_code == 404


def test_a_second_firm_on_a_commissioned_meldung_is_a_message(client, auth, clerk, ticket):
    first = placed(client, auth, ticket)
    response = order_form(client, auth, ticket, contractor=str(contractor("lipsia", "Elektro Vogel").id))
    assert response.status_code == 303
    second = WorkOrder.select().where(WorkOrder.ticket == ticket).order_by(WorkOrder.id.desc()).first()
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1
    assert Ticket.get_by_id(ticket.id).status == "commissioned"
    assert TicketStatusChange.select().where((TicketStatusChange.ticket == ticket)
                                             & (TicketStatusChange.new_status == "commissioned")).count() == 1
    message = TicketMessage.select().where(TicketMessage.ticket == ticket).order_by(TicketMessage.id.desc()).first()
    assert (message.body, message.from_staff, message.internal) == ("Firma Elektro Vogel beauftragt.", True, False)


def test_a_queue_out_of_reach_leaves_the_order_to_the_sweep(app, client, auth, clerk, ticket, monkeypatch):
    from wir import tasks

    def unreachable(order_id):
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "mail_work_order", unreachable)
    order = placed(client, auth, ticket)
    assert order.mailed_at is None and Ticket.get_by_id(ticket.id).status == "commissioned"
    with app.app_context():
        tasks.sweep_work_orders.call_local()
    assert WorkOrder.get_by_id(order.id).mailed_at is not None and company_mail(order) is not None


def test_the_answer_page_with_htmx_swaps_its_forms_and_follows_to_the_thanks(client, auth, order):
    number, token = link_of(company_mail(order))
    headers = {"HX-Request": "true"}
    refused = appointment(client, number, token, headers=headers, **{"appointment-start": ""})
    fragment = refused.get_data(as_text=True)
    assert refused.status_code == 422 and fragment.lstrip().startswith('<div id="order-answer"')
    assert "data-error-summary" in fragment and "<html" not in fragment
    sent = appointment(client, number, token, headers=headers)
    assert sent.status_code == 204 and sent.headers["HX-Location"] == "/auftrag/gesendet"


@pytest.mark.parametrize("note, message", [("x" * 2001, "Höchstens 2000 Zeichen."), ("fertig\u202e", "Steuerzeichen")])
def test_a_bad_done_note_is_refused_and_the_link_stays(client, auth, order, ticket, note, message):
    number, token = link_of(company_mail(order))
    client.get(f"/auftrag/{number}/{token}")
    before = state(ticket)
    response = client.post(f"/auftrag/{number}/{token}/erledigt", data={"done-csrf_token": auth.csrf_token(),
                                                                        "done-note": note})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="done-note-error"' in page and message in page
    assert state(ticket) == before and client.get(f"/auftrag/{number}/{token}").status_code == 200


def test_a_number_drawn_twice_at_once_is_drawn_anew(app, client, auth, clerk, ticket, monkeypatch):
    """On PostgreSQL two orders can draw the same number at the same moment: the second is drawn anew, and the
    Meldung is Beauftragt once."""
    first = placed(client, auth, ticket)
    draw = work_orders._next_number
    drawn = iter([first.number])  # the first draw repeats the number another order holds
    monkeypatch.setattr(work_orders, "_next_number", lambda cooperative: next(drawn, None) or draw(cooperative))
    response = order_form(client, auth, ticket, contractor=str(contractor("lipsia", "Elektro Vogel").id))
    assert response.status_code == 303
    numbers = [o.number for o in WorkOrder.select().where(WorkOrder.ticket == ticket).order_by(WorkOrder.id)]
    assert numbers == [first.number, f"{first.number[:-4]}{int(first.number[-4:]) + 1:04d}"]
    assert TicketMessage.select().where((TicketMessage.ticket == ticket)
                                        & (TicketMessage.body == "Firma Elektro Vogel beauftragt.")).count() == 1
