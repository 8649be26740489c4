"""The ticket at the desk (issue 11): actions with their version, the workflow rules, internal notes that the
tenant never sees, conflicts between two clerks, Meldungen taken down for a tenant, audit and scope."""

import io
import re
from datetime import timedelta

import pytest

from tests.helpers import AuthActions, at_once, htmx, mail_text
from tests.test_tickets import jpeg, person_of, rental_of
from wir import clock, db
from wir.models import (
    AuditLog,
    OutboxMail,
    Person,
    Ticket,
    TicketAssignment,
    TicketAttachment,
    TicketCategory,
    TicketMessage,
    TicketStatus,
    TicketStatusChange,
    TicketType,
    User,
)
from wir.services.account import data_export
from wir.services.rejections import Rejected
from wir.services.staff import ticket_desk
from wir.services.tickets import tickets

NOTE = "Vermieter-intern: Mieter gilt als schwierig"


def staff_user(logins, index=0):
    return User.get(User.email == logins["staff"][index]["email"])


def lipsia_ticket(app, logins, email_start="juergen", status="received"):
    """A fresh ticket of a Lipsia tenant (first staff member's cooperative), assigned to nobody: filed as for a
    contract whose Ansprechpartner has no login (the automatic assignment: tests/test_absences.py)."""
    tenant = next(t for t in logins["tenants"] if t["email"].startswith(email_start))
    person = person_of(tenant["email"])
    category = (TicketCategory.select().join(TicketType)
                .where((TicketType.cooperative == person.cooperative_id) & (TicketCategory.name == "Heizung/Warmwasser")).get())
    with app.app_context():  # (only around services: a pushed context would share g with the client's requests)
        ticket = tickets.create_ticket(tickets.NewTicket(
            person=person, category=category, contract=rental_of(person), subject="Heizung kalt",
            message="Die Heizung bleibt kalt.",
        ))
    Ticket.update(assigned_to=None).where(Ticket.id == ticket.id).execute()
    TicketAssignment.delete().where(TicketAssignment.ticket == ticket.id).execute()
    if status != "received":
        Ticket.update(status=status).where(Ticket.id == ticket.id).execute()
    return Ticket.get_by_id(ticket.id)


@pytest.fixture
def clerk(auth, demo_logins, data):
    """Signed in as Sandra Köhler (Lipsia)."""
    auth.login_staff(0)
    return staff_user(demo_logins, 0)


@pytest.fixture
def ticket(app, clerk, demo_logins):
    return lipsia_ticket(app, demo_logins)


def seen(ticket):
    fresh = Ticket.get_by_id(ticket.id)
    return tickets.Seen(fresh.version, fresh.activity_at)


def post(client, auth, ticket, action, prefix, headers=None, files=None, **fields):
    fresh = Ticket.get_by_id(ticket.id)
    data = {f"{prefix}-csrf_token": auth.csrf_token(), f"{prefix}-version": str(fresh.version),
            f"{prefix}-seen_at": fresh.activity_at.isoformat()}
    data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    if files is not None:
        data[f"{prefix}-attachments"] = [(io.BytesIO(content), name) for name, content in files]
        return client.post(f"/intern/meldungen/{ticket.number}/{action}", data=data,
                           content_type="multipart/form-data", headers=headers or {})
    return client.post(f"/intern/meldungen/{ticket.number}/{action}", data=data, headers=headers or {})


# --- the page ---


def test_desk_page_shows_what_the_tenant_sent_and_is_audited(client, clerk, ticket):
    page = client.get(f"/intern/meldungen/{ticket.number}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for expected in ("Heizung kalt", "Die Heizung bleibt kalt.", "Vertragspartner", "Weitere offene Meldungen",
                     "Antwort senden", "Rückfrage senden", "Notiz speichern", "Zuweisen"):
        assert expected in text
    entry = AuditLog.select().where(AuditLog.action == "ticket.view").order_by(AuditLog.id.desc()).first()
    assert entry.user_id == clerk.id and entry.object_id == str(ticket.id) and entry.cooperative_id == ticket.cooperative_id
    assert entry.ip == "127.0.0.1"


def test_image_attachments_are_thumbnails_pdfs_links(client, auth, clerk, ticket):
    response = post(client, auth, ticket, "antwort", "answer",
                    files=[("foto.jpg", jpeg()), ("plan.pdf", _pdf())], message="Anbei Foto und Plan.")
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    thumb = re.search(r'<img class="desk-thumbnail" src="([^"]+)"', page)
    assert thumb and "vorschau=1" in thumb.group(1)
    image = client.get(thumb.group(1).replace("&amp;", "&"))
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert "inline" in image.headers.get("Content-Disposition", "inline")
    assert "plan.pdf" in page and "PDF," in page


def _pdf():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    return bytes(pdf.output())


def test_htmx_action_swaps_the_desk_with_the_new_version(client, auth, clerk, ticket):
    response = post(client, auth, ticket, "notiz", "note", headers=htmx(auth, "desk"), note="Rückruf vereinbart")
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="desk"') and "<html" not in fragment
    assert "Die interne Notiz ist gespeichert." in fragment
    version = Ticket.get_by_id(ticket.id).version
    assert f'name="note-version" type="hidden" value="{version}"' in fragment or \
        re.search(rf'name="note-version"[^>]*value="{version}"', fragment)


def test_desk_leads_back_to_the_queue_it_was_opened_from(client, auth, clerk, ticket):
    queue = client.get(f"/intern/meldungen?suche={ticket.number}&status=alle&sortierung=neueste").get_data(as_text=True)
    link = re.search(rf'href="(/intern/meldungen/{ticket.number}\?liste=[^"]+)"', queue).group(1).replace("&amp;", "&")
    page = client.get(link).get_data(as_text=True)
    back = re.search(r'<a href="([^"]+)">Zurück zu den Meldungen</a>', page).group(1).replace("&amp;", "&")
    assert back.startswith("/intern/meldungen?")
    assert sorted(back.split("?", 1)[1].split("&")) == sorted(["sortierung=neueste", "status=alle",
                                                              f"suche={ticket.number}"])
    # the actions keep the way back: after a plain form the desk still leads to the same queue
    fresh = Ticket.get_by_id(ticket.id)
    response = client.post(link.replace(ticket.number, f"{ticket.number}/notiz", 1), data={
        "note-csrf_token": auth.csrf_token(), "note-version": str(fresh.version),
        "note-seen_at": fresh.activity_at.isoformat(), "note-note": "Rückruf"})
    assert response.status_code == 303 and "liste=" in response.headers["Location"]
    assert back in client.get(response.headers["Location"]).get_data(as_text=True).replace("&amp;", "&")
    # foreign arguments are dropped; without a queue the desk leads to the open queue
    odd = client.get(f"/intern/meldungen/{ticket.number}?liste=next%3Dhttps%3A%2F%2Fevil.example%26status%3Dalle")
    assert '<a href="/intern/meldungen?status=alle">Zurück zu den Meldungen</a>' in odd.get_data(as_text=True)
    plain = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert '<a href="/intern/meldungen">Zurück zu den Meldungen</a>' in plain


def test_neue_meldung_aufnehmen_in_the_menu_and_on_the_uebersicht(client, clerk):
    page = client.get("/intern/").get_data(as_text=True)
    nav = page.split('aria-label="Hauptmenü"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/intern/meldungen/neu">Neue Meldung</a>' in nav
    assert '<a href="/intern/meldungen/neu">Neue Meldung aufnehmen</a>' in page.split("</nav>", 1)[1]
    assert 'aria-current="page">Neue Meldung</a>' in client.get("/intern/meldungen/neu").get_data(as_text=True)


def test_plain_action_redirects_back_to_the_ticket(client, auth, clerk, ticket):
    response = post(client, auth, ticket, "notiz", "note", note="Rückruf vereinbart")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/intern/meldungen/{ticket.number}")


# --- status workflow ---

STATUSES = list(Ticket.STATUSES)


@pytest.mark.parametrize("old", STATUSES)
@pytest.mark.parametrize("new", ticket_desk.STATUS_CHOICES)
def test_every_status_transition_allowed_or_refused(app, data, demo_logins, old, new):
    ticket = lipsia_ticket(app, demo_logins, status=old)
    clerk = staff_user(demo_logins)
    allowed = new in tickets.TRANSITIONS[old] and new != old
    with app.app_context():
        _try_status(ticket, clerk, old, new, allowed)


def _try_status(ticket, clerk, old, new, allowed):
    if allowed:
        ticket_desk.change_status(ticket, seen(ticket), new, clerk, reason="Kein Mangel feststellbar")
        assert Ticket.get_by_id(ticket.id).status == new
    else:
        with pytest.raises(Rejected) as refused:
            ticket_desk.change_status(ticket, seen(ticket), new, clerk, reason="Kein Mangel feststellbar")
        assert refused.value.field == "status"
        assert Ticket.get_by_id(ticket.id).status == old


def test_query_only_through_ruckfrage_with_a_question(app, data, demo_logins):
    ticket = lipsia_ticket(app, demo_logins)
    with pytest.raises(Rejected), app.app_context():
        ticket_desk.change_status(ticket, seen(ticket), "query", staff_user(demo_logins))
    with pytest.raises(Rejected) as refused:
        ticket_desk.ask(ticket, seen(ticket), "   ", staff_user(demo_logins))
    assert refused.value.field == "question"


def test_rejection_needs_a_reason(client, auth, clerk, ticket):
    response = post(client, auth, ticket, "status", "status", status="rejected", reason="")
    assert response.status_code == 422
    assert re.search(r'id="status-reason-error">.*Grund', response.get_data(as_text=True), re.S)
    assert Ticket.get_by_id(ticket.id).status == "received"
    response = post(client, auth, ticket, "status", "status", status="rejected", reason="Kein Mangel der Wohnung")
    assert response.status_code == 303
    assert Ticket.get_by_id(ticket.id).status == "rejected"
    mail = OutboxMail.select().order_by(OutboxMail.id.desc()).first()
    assert "Abgelehnt" in mail.subject and "Kein Mangel der Wohnung" in mail.body_text


def test_closing_with_a_message_for_the_tenant(client, auth, clerk, ticket):
    response = post(client, auth, ticket, "status", "status", status="closed", message="Der Monteur war da. Alles gut.")
    assert response.status_code == 303
    fresh = Ticket.get_by_id(ticket.id)
    assert fresh.status == "closed" and fresh.waiting_since is None
    messages = [e for k, _, e in tickets.history(fresh, include_internal=False) if k == "message"]
    assert messages[-1].body == "Der Monteur war da. Alles gut." and messages[-1].from_staff
    mail = OutboxMail.select().order_by(OutboxMail.id.desc()).first()
    assert "Abgeschlossen" in mail.subject and "Der Monteur war da." in mail.body_text


def test_closing_without_a_message(client, auth, clerk, ticket):
    assert post(client, auth, ticket, "status", "status", status="closed").status_code == 303
    assert Ticket.get_by_id(ticket.id).status == "closed"


# --- assigning ---


def test_assign_to_me_and_to_a_colleague_of_the_same_cooperative(client, auth, clerk, ticket, demo_logins):
    colleague = staff_user(demo_logins, 1)
    assert post(client, auth, ticket, "zuweisen", "assign", assignee=str(clerk.id)).status_code == 303
    assert Ticket.get_by_id(ticket.id).assigned_to_id == clerk.id
    before = Ticket.get_by_id(ticket.id)
    assert post(client, auth, ticket, "zuweisen", "assign", assignee=str(colleague.id)).status_code == 303
    after = Ticket.get_by_id(ticket.id)
    assert after.assigned_to_id == colleague.id and after.version == before.version + 1
    assert after.updated_at == before.updated_at  # the tenant sees nothing of it
    assert AuditLog.select().where(AuditLog.action == "ticket.assign").count() == 2


def test_assignments_show_in_the_desk_history_never_the_tenants(app, client, auth, clerk, ticket, demo_logins):
    colleague = staff_user(demo_logins, 1)
    assert post(client, auth, ticket, "zuweisen", "assign", assignee=str(colleague.id)).status_code == 303
    assert post(client, auth, ticket, "zuweisen", "assign", assignee="").status_code == 303
    history = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True).split('id="history-heading"')[1]
    assert f"Zugewiesen an <strong>{colleague.staff_name}</strong> von {clerk.staff_name}" in history
    assert f"Zuweisung aufgehoben von {clerk.staff_name}" in history
    assert history.index("Zugewiesen an") < history.index("Zuweisung aufgehoben")
    tenant = AuthActions(app.test_client(), demo_logins)
    tenant.login_as(next(t for t in demo_logins["tenants"] if t["email"].startswith("juergen"))["email"])
    page = tenant.client.get(f"/meldungen/{ticket.number}").get_data(as_text=True)
    assert "Zugewiesen" not in page and "Zuweisung" not in page and colleague.staff_name not in page
    assert "Zugewiesen" not in repr(tickets.history(ticket, include_internal=False))


def test_assigning_to_whom_it_already_is_changes_nothing(client, auth, clerk, ticket):
    assert post(client, auth, ticket, "zuweisen", "assign", assignee=str(clerk.id)).status_code == 303
    version = Ticket.get_by_id(ticket.id).version
    response = post(client, auth, ticket, "zuweisen", "assign", assignee=str(clerk.id))
    assert response.status_code == 422 and "bereits" in response.get_data(as_text=True)
    assert Ticket.get_by_id(ticket.id).version == version


def test_assigning_to_staff_of_the_other_cooperative_is_refused(client, auth, clerk, ticket, demo_logins):
    other = staff_user(demo_logins, 2)  # Elsteraue
    response = post(client, auth, ticket, "zuweisen", "assign", assignee=str(other.id))
    assert response.status_code == 422
    assert Ticket.get_by_id(ticket.id).assigned_to_id is None
    with pytest.raises(Rejected):
        ticket_desk.assign(ticket, seen(ticket), other.id, clerk)


def test_admin_assigns_staff_of_the_tickets_cooperative(app, data, demo_logins):
    ticket = lipsia_ticket(app, demo_logins)
    admin = User.get(User.email == demo_logins["admin"]["email"])
    ticket_desk.assign(ticket, seen(ticket), staff_user(demo_logins, 1).id, admin)
    assert Ticket.get_by_id(ticket.id).assigned_to_id == staff_user(demo_logins, 1).id
    with pytest.raises(Rejected):
        ticket_desk.assign(ticket, seen(ticket), staff_user(demo_logins, 3).id, admin)
    ticket_desk.assign(ticket, seen(ticket), admin.id, admin)  # to me
    assert Ticket.get_by_id(ticket.id).assigned_to_id == admin.id


# --- answers, Rückfrage ---


def test_answer_is_mailed_to_the_tenant_with_a_link(app, client, auth, clerk, ticket, smtp):
    response = post(client, auth, ticket, "antwort", "answer", message="Wir kommen am Dienstag.")
    assert response.status_code == 303
    from tests.helpers import deliver
    deliver(app)
    message = smtp.messages[-1]
    assert message["To"] == "juergen.mueller@example.org"
    body = mail_text(message)
    assert "Wir kommen am Dienstag." in body and f"/meldungen/{ticket.number}" in body


def test_query_answered_by_the_tenant_goes_back_to_in_progress(app, demo_logins, data):
    ticket = lipsia_ticket(app, demo_logins)
    staff_client, tenant_client = app.test_client(), app.test_client()
    staff_auth, tenant_auth = AuthActions(staff_client, demo_logins), AuthActions(tenant_client, demo_logins)
    staff_auth.login_staff(0)
    assert post(staff_client, staff_auth, ticket, "rueckfrage", "query", question="Welcher Heizkörper?").status_code == 303
    assert Ticket.get_by_id(ticket.id).status == "query"
    tenant_auth.login_as("juergen")
    page = tenant_client.get(f"/meldungen/{ticket.number}").get_data(as_text=True)
    assert "Welcher Heizkörper?" in page
    response = tenant_client.post(f"/meldungen/{ticket.number}",
                                  data={"csrf_token": tenant_auth.csrf_token(), "message": "Der im Bad."})
    assert response.status_code == 303
    assert Ticket.get_by_id(ticket.id).status == "in_progress"
    desk = staff_client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert "Der im Bad." in desk


# --- internal notes ---


def test_internal_notes_stay_among_staff_everywhere(app, demo_logins, data):
    ticket = lipsia_ticket(app, demo_logins)
    staff_client, tenant_client = app.test_client(), app.test_client()
    staff_auth, tenant_auth = AuthActions(staff_client, demo_logins), AuthActions(tenant_client, demo_logins)
    staff_auth.login_staff(0)
    tenant_auth.login_as("juergen")
    with app.app_context():
        ticket_desk.ask(ticket, seen(ticket), "Wann sind Sie zu Hause?", staff_user(demo_logins))
    mails_before = OutboxMail.select().count()
    since = Ticket.get_by_id(ticket.id).updated_at
    before = Ticket.get_by_id(ticket.id)
    assert post(staff_client, staff_auth, ticket, "notiz", "note", note=NOTE).status_code == 303
    after = Ticket.get_by_id(ticket.id)
    assert after.version == before.version + 1 and after.activity_at >= before.activity_at
    assert after.updated_at == before.updated_at

    # the desk shows it, marked
    desk = staff_client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert NOTE in desk and "Interne Notiz" in desk
    # the tenant's ticket page (and its question box), list, poll, mails and data export do not
    page = tenant_client.get(f"/meldungen/{ticket.number}").get_data(as_text=True)
    assert NOTE not in page and "Wann sind Sie zu Hause?" in page
    assert NOTE not in tenant_client.get("/meldungen").get_data(as_text=True)
    poll = tenant_client.get(f"/meldungen/status?seit={since.isoformat()}&ids={ticket.id}")
    assert poll.status_code == 204
    assert OutboxMail.select().count() == mails_before
    assert not OutboxMail.select().where(OutboxMail.body_text.contains("schwierig")).exists()
    export = data_export.collect(User.get(User.email == "juergen.mueller@example.org"))
    assert "schwierig" not in repr(export)
    assert NOTE not in repr(tickets.history(after, include_internal=False))


# --- two clerks ---


def test_stale_version_is_refused_with_what_changed_and_the_text_kept(app, demo_logins, data):
    ticket = lipsia_ticket(app, demo_logins)
    first, second = app.test_client(), app.test_client()
    first_auth, second_auth = AuthActions(first, demo_logins), AuthActions(second, demo_logins)
    first_auth.login_staff(0)
    second_auth.login_staff(1)
    page = second.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    stale_version = re.search(r'name="answer-version"[^>]*value="(\d+)"', page).group(1)
    stale_at = re.search(r'name="answer-seen_at"[^>]*value="([^"]+)"', page).group(1)
    # meanwhile the first clerk asks a Rückfrage
    assert post(first, first_auth, ticket, "rueckfrage", "query", question="Seit wann genau?").status_code == 303
    messages = TicketMessage.select().count()
    data_ = {"answer-csrf_token": second_auth.csrf_token(), "answer-version": stale_version,
             "answer-seen_at": stale_at, "answer-message": "Mein getippter <b>Text</b>"}
    response = second.post(f"/intern/meldungen/{ticket.number}/antwort", data=data_)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Diese Meldung wurde inzwischen geändert." in text and "Seit wann genau?" in text
    assert "Mein getippter &lt;b&gt;Text&lt;/b&gt;" in text
    assert TicketMessage.select().count() == messages  # nothing applied
    current = Ticket.get_by_id(ticket.id).version
    assert re.search(rf'name="answer-version"[^>]*value="{current}"', text)
    # the deliberate resend with the new version goes through
    data_["answer-version"] = str(current)
    assert second.post(f"/intern/meldungen/{ticket.number}/antwort", data=data_).status_code == 303


def test_conflict_names_an_assignment_made_meanwhile(app, demo_logins, data):
    ticket = lipsia_ticket(app, demo_logins)
    first, second = app.test_client(), app.test_client()
    first_auth, second_auth = AuthActions(first, demo_logins), AuthActions(second, demo_logins)
    first_auth.login_staff(0)
    second_auth.login_staff(1)
    page = second.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    stale = {name: re.search(rf'name="status-{name}"[^>]*value="([^"]+)"', page).group(1)
             for name in ("version", "seen_at")}
    colleague = staff_user(demo_logins, 1)
    assert post(first, first_auth, ticket, "zuweisen", "assign", assignee=str(colleague.id)).status_code == 303
    for headers in ({}, htmx(second_auth, "desk")):
        response = second.post(f"/intern/meldungen/{ticket.number}/status", headers=headers, data={
            "status-csrf_token": second_auth.csrf_token(), "status-version": stale["version"],
            "status-seen_at": stale["seen_at"], "status-status": "rejected", "status-reason": "Kein Mangel erkennbar"})
        assert response.status_code == 422
        conflict = response.get_data(as_text=True).split('id="conflict"')[1].split("</div>")[0]
        assert f"Zugewiesen an <strong>{colleague.staff_name}</strong> von {staff_user(demo_logins).staff_name}" \
            in conflict
        assert "Kein Mangel erkennbar" in response.get_data(as_text=True)  # the typed reason stays
    assert Ticket.get_by_id(ticket.id).status == "received"


def test_stale_version_with_htmx_swaps_the_conflict(client, auth, clerk, ticket, demo_logins):
    ticket_desk.add_note(ticket, seen(ticket), "zuerst", staff_user(demo_logins, 1))
    response = client.post(f"/intern/meldungen/{ticket.number}/notiz", headers=htmx(auth, "desk"), data={
        "note-version": "1", "note-seen_at": "", "note-note": "meine Notiz"})
    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="desk"') and "inzwischen geändert" in fragment and "meine Notiz" in fragment


def test_two_concurrent_status_changes_exactly_one_applies(app, demo_logins):
    with app.app_context():
        ticket = lipsia_ticket(app, demo_logins)
        basis = seen(ticket)
        clerks = [staff_user(demo_logins, 0), staff_user(demo_logins, 1)]
        db.database.close()
    def setting(clerk, status):
        def set_status(ready):
            ready()
            ticket_desk.change_status(Ticket.get_by_id(ticket.id), basis, status, clerk)
        return set_status

    statuses = (TicketStatus.IN_PROGRESS, TicketStatus.COMMISSIONED)
    outcomes = at_once(app, tickets.Conflict, *(setting(clerk, status) for clerk, status in zip(clerks, statuses)))
    assert sorted(outcomes) == ["applied", "refused"], outcomes
    applied = statuses[outcomes.index("applied")]
    with app.app_context():
        fresh = Ticket.get_by_id(ticket.id)
        assert fresh.status == applied and fresh.version == basis.version + 1
        assert [c.new_status for c in fresh.status_changes.order_by(fresh.status_changes.model.id)] == ["received", applied]


# --- bad input ---


@pytest.mark.parametrize("action, prefix, name, value, message", [
    ("antwort", "answer", "message", "", "Bitte schreiben Sie eine Nachricht."),
    ("antwort", "answer", "message", "x" * 10_001, "Höchstens 10.000 Zeichen."),
    ("antwort", "answer", "message", "Hallo\x00Welt", "Steuerzeichen"),
    ("notiz", "note", "note", "   ", "Bitte schreiben Sie eine Notiz."),
    ("notiz", "note", "note", "a\x1b[31mrot", "Steuerzeichen"),
    ("rueckfrage", "query", "question", "x" * 10_001, "Höchstens 10.000 Zeichen."),
    ("status", "status", "status", "gibtsnicht", "Bitte wählen Sie einen Eintrag aus der Liste."),
    ("zuweisen", "assign", "assignee", "999999", "Bitte wählen Sie einen Eintrag aus der Liste."),
])
def test_bad_input_is_refused_next_to_the_field_and_nothing_saved(client, auth, clerk, ticket, action, prefix, name,
                                                                   value, message):
    version = Ticket.get_by_id(ticket.id).version
    messages = TicketMessage.select().count()
    response = post(client, auth, ticket, action, prefix, **{name: value})
    assert response.status_code == 422
    error = re.search(rf'id="{prefix}-{name}-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert error and message in error.group(1)
    assert Ticket.get_by_id(ticket.id).version == version and TicketMessage.select().count() == messages


def test_hostile_html_is_shown_escaped(client, auth, clerk, ticket):
    assert post(client, auth, ticket, "notiz", "note", note="<script>alert(1)</script>").status_code == 303
    page = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("name, content, message", [
    ("virus.exe", b"MZ\x90\x00not an image", "kein Foto"),
    ("riesig.pdf", b"%PDF-1.4" + b"0" * (10 * 1024 * 1024), "größer als 10 MB"),
])
def test_bad_files_are_refused(client, auth, clerk, ticket, name, content, message):
    response = post(client, auth, ticket, "antwort", "answer", files=[(name, content)], message="Anbei")
    assert response.status_code == 422
    error = re.search(r'id="answer-attachments-error">(.*?)</p>', response.get_data(as_text=True), re.S)
    assert error and message in error.group(1)
    assert not TicketMessage.select().where(TicketMessage.body == "Anbei").exists()


# --- scope ---


def _desk_urls(ticket):
    return [("get", f"/intern/meldungen/{ticket.number}")] + [
        ("post", f"/intern/meldungen/{ticket.number}/{action}") for action in ticket_desk_actions()
    ] + [("get", f"/intern/meldungen/{ticket.number}/anhang/1")]


def ticket_desk_actions():
    return ("zuweisen", "status", "antwort", "rueckfrage", "notiz")


def test_other_cooperatives_ticket_is_404_on_every_desk_route(app, client, auth, demo_logins, data):
    ticket = lipsia_ticket(app, demo_logins)
    auth.login_staff(2)  # Elsteraue
    for method, url in _desk_urls(ticket):
        assert getattr(client, method)(url, headers={"X-CSRFToken": auth.csrf_token()}).status_code == 404, url


def test_anonymous_and_tenants_get_404(app, demo_logins, data):
    ticket = lipsia_ticket(app, demo_logins)
    anonymous, tenant = app.test_client(), app.test_client()
    AuthActions(tenant, demo_logins).login_as("juergen")
    for client in (anonymous, tenant):
        headers = {"X-CSRFToken": AuthActions(client, demo_logins).csrf_token()}
        for method, url in _desk_urls(ticket) + [("get", "/intern/meldungen/neu")]:
            assert getattr(client, method)(url, headers=headers).status_code == 404, url


def test_admin_reaches_both_cooperatives(app, client, auth, demo_logins, data):
    ticket = lipsia_ticket(app, demo_logins)
    auth.login_with_code(demo_logins["admin"])
    assert client.get(f"/intern/meldungen/{ticket.number}").status_code == 200


# --- audit ---


def test_every_action_is_audited(client, auth, clerk, ticket):
    post(client, auth, ticket, "notiz", "note", note="n")
    post(client, auth, ticket, "antwort", "answer", message="a")
    post(client, auth, ticket, "rueckfrage", "query", question="q")
    post(client, auth, ticket, "status", "status", status="in_progress")
    post(client, auth, ticket, "zuweisen", "assign", assignee=str(clerk.id))
    actions = [e.action for e in AuditLog.select().where((AuditLog.object_type == "Ticket")
                                                          & (AuditLog.object_id == str(ticket.id))).order_by(AuditLog.id)]
    assert actions == ["ticket.note", "ticket.answer", "ticket.query", "ticket.status", "ticket.assign"]
    assert all(e.user_id == clerk.id and e.ip for e in AuditLog.select().where(AuditLog.action.startswith("ticket.")))


def test_opening_a_tenants_file_is_audited(client, auth, clerk, ticket):
    post(client, auth, ticket, "antwort", "answer", files=[("plan.pdf", _pdf())], message="Anbei der Plan")
    attachment = TicketAttachment.get(TicketAttachment.ticket == ticket.id)
    url = f"/intern/meldungen/{ticket.number}/anhang/{attachment.id}"
    assert client.get(url).status_code == 200
    entry = AuditLog.get(AuditLog.action == "ticket.attachment.view")
    assert (entry.user_id, entry.object_id, entry.cooperative_id) == (clerk.id, str(attachment.id), ticket.cooperative_id)
    assert ticket.number in entry.detail and entry.ip


def test_staff_sign_in_ends_after_8_hours_even_when_active(client, clerk, ticket, monkeypatch):
    start = clock.now()
    for minutes in range(25, 8 * 60, 25):
        monkeypatch.setattr(clock, "now", lambda m=minutes: start + timedelta(minutes=m))
        assert client.get(f"/intern/meldungen/{ticket.number}").status_code == 200
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=8, minutes=1))
    response = client.get(f"/intern/meldungen/{ticket.number}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden")
    assert client.get(f"/intern/meldungen/{ticket.number}").status_code == 404


# --- on behalf of a tenant ---


def test_person_search_is_scoped_and_paginated_with_constant_queries(client, clerk, count_queries):
    page = client.get("/intern/meldungen/neu?suche=Müller").get_data(as_text=True)
    assert "Müller" in page and "gefunden" in page
    elsteraue_only = Person.select().where(Person.cooperative != clerk.cooperative_id).first()
    other = client.get(f"/intern/meldungen/neu?suche={elsteraue_only.number}").get_data(as_text=True)
    assert "Niemand passt" in other or elsteraue_only.last_name not in other
    assert client.get(f"/intern/meldungen/neu?person={elsteraue_only.id}").status_code == 404
    with count_queries() as few:
        client.get("/intern/meldungen/neu?suche=a")
    Person.insert_many([
        {"cooperative": clerk.cooperative_id, "number": f"X{i:05d}", "first_name": "Anna", "last_name": f"Muster{i}",
         "street": "Weg 1", "postcode": "04109", "city": "Leipzig"} for i in range(300)
    ]).execute()
    with count_queries() as many:
        page = client.get("/intern/meldungen/neu?suche=a&seite=3")
    assert page.status_code == 200 and many.count == few.count


def test_ticket_taken_down_for_a_tenant(client, auth, clerk, demo_logins, data):
    person = person_of("juergen.mueller@example.org")
    contract = rental_of(person)
    category = (TicketCategory.select().join(TicketType)
                .where((TicketType.cooperative == person.cooperative_id) & (TicketCategory.name == "Heizung/Warmwasser")).get())
    form = client.get(f"/intern/meldungen/neu?person={person.id}").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', form) or \
        re.search(r'name="submission_key"[^>]*value="([^"]+)"', form)
    response = client.post(f"/intern/meldungen/neu?person={person.id}", data={
        "csrf_token": auth.csrf_token(), "contract": str(contract.id), "category": str(category.id),
        "subject": "Anruf: Heizung", "message": "Herr Müller rief an: Heizung kalt.", "submission_key": key.group(1)})
    assert response.status_code == 303, response.get_data(as_text=True)
    created = Ticket.get(Ticket.subject == "Anruf: Heizung")
    assert created.created_by_id == clerk.id and created.person_id == person.id
    assert OutboxMail.select().where(OutboxMail.subject.contains(created.number)).exists()
    assert AuditLog.select().where((AuditLog.action == "ticket.create") & (AuditLog.user == clerk)).exists()
    # the tenant sees it, with who took it down
    tenant_client = client.application.test_client()
    AuthActions(tenant_client, demo_logins).login_as("juergen")
    assert "Anruf: Heizung" in tenant_client.get("/meldungen").get_data(as_text=True)
    page = tenant_client.get(f"/meldungen/{created.number}").get_data(as_text=True)
    assert "aufgenommen von Sandra Köhler" in page


def test_taking_down_refuses_missing_fields(client, auth, clerk):
    person = person_of("juergen.mueller@example.org")
    before = Ticket.select().count()
    response = client.post(f"/intern/meldungen/neu?person={person.id}", data={
        "csrf_token": auth.csrf_token(), "contract": "", "category": "", "subject": "", "message": "x" * 10_001})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    for field in ("category", "subject", "message"):
        assert f'id="{field}-error"' in text
    assert Ticket.select().count() == before


# --- query counts ---


def test_desk_page_query_count_is_constant(client, clerk, ticket, demo_logins, count_queries):
    with count_queries() as one:
        assert client.get(f"/intern/meldungen/{ticket.number}").status_code == 200
    other = staff_user(demo_logins, 1)
    now = clock.now()
    TicketMessage.insert_many([
        {"ticket": ticket.id, "author": other.id, "from_staff": True, "internal": i % 2 == 0, "body": f"Eintrag {i}",
         "created_at": now} for i in range(200)
    ]).execute()
    for number in range(30):  # files, status changes, assignments and other open tickets: still as many queries
        message = TicketMessage.create(ticket=ticket, author=other, from_staff=True, body=f"Datei {number}",
                                       created_at=now)
        TicketAttachment.create(ticket=ticket, message=message, filename=f"foto{number}.jpg", storage_key="x",
                                content_type="image/jpeg", size=10)
        TicketStatusChange.create(ticket=ticket, old_status="received", new_status="in_progress", changed_by=other,
                                  changed_at=now)
        TicketAssignment.create(ticket=ticket, assignee=other, assigned_by=clerk, assigned_at=now)
        Ticket.insert(**{**{f.name: getattr(ticket, f.name) for f in Ticket._meta.sorted_fields if f.name != "id"},
                         "number": f"{ticket.number}-{number}", "submission_key": None}).execute()
    with count_queries() as many:
        page = client.get(f"/intern/meldungen/{ticket.number}")
    text = page.get_data(as_text=True)
    assert "Eintrag 199" in text and "foto29.jpg" in text and text.count("Zugewiesen an") == 30
    assert many.count == one.count


def test_person_search_ignores_case_of_non_ascii_names(client, auth, demo_logins, data):
    auth.login_staff(2)  # Elsteraue
    page = client.get("/intern/meldungen/neu?suche=şükrü yılmaz").get_data(as_text=True)
    assert "Yılmaz, Şükrü" in page


def test_the_ticket_page_is_whole_also_when_htmx_asks(client, auth, ticket):
    """After a decision htmx follows HX-Location to the ticket and swaps the <body>: menu and <main> must come too."""
    page = client.get(f"/intern/meldungen/{ticket.number}", headers=htmx(auth)).get_data(as_text=True)
    assert "<main" in page and "Abmelden" in page and 'id="desk"' in page
