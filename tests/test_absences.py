"""Abwesenheit and the automatic assignment (issue 24): a new ticket goes to its contract's Ansprechpartner, or to
their deputy while they are away; the deputy's „Mir zugewiesen“ holds the absent colleague's tickets; the tenant
sees the deputy during the absence only. The page: plain and htmx, bad input, other cooperatives."""

import re
from datetime import date, timedelta

import pytest

from tests.helpers import AuthActions, htmx, main_of
from tests.test_staff_desk import person_of, rental_of, staff_user
from tests.test_staff_queue import counts
from tests.test_tickets import category, contact_form
from wir import clock
from wir.models import Absence, AuditLog, ContactPerson, Ticket, TicketAssignment, User
from wir.services.rejections import Rejected
from wir.services.staff import absences
from wir.services.tickets import tickets

PAGE = "/intern/abwesenheit"


@pytest.fixture
def clerk(demo_logins, data):
    """Sandra Köhler (Lipsia), the Ansprechpartnerin of Jürgen Müller's rental contract."""
    user = staff_user(demo_logins, 0)
    rental = rental_of(person_of("juergen.mueller@example.org"))
    assert ContactPerson.get_by_id(rental.contact_person_id).user_id == user.id
    return user


@pytest.fixture
def deputy(demo_logins, data):
    """Thomas Schröder, her colleague at Lipsia."""
    return staff_user(demo_logins, 1)


def away(clerk, deputy, starts=0, days=3) -> Absence:
    today = clock.today()
    return absences.record(clerk, today + timedelta(days=starts), today + timedelta(days=starts + days), deputy.id)


def file_ticket(app, email="juergen.mueller@example.org", with_contract=True,
                category_name="Heizung/Warmwasser") -> Ticket:
    person = person_of(email)
    with app.app_context():
        return tickets.create_ticket(tickets.NewTicket(
            person=person, category=category(person, category_name),
            contract=rental_of(person) if with_contract else None,
            subject="Heizung kalt", message="Die Heizung bleibt kalt.", phone="0341 4928713"))


def assignment(ticket) -> TicketAssignment | None:
    return TicketAssignment.get_or_none(TicketAssignment.ticket == ticket.id)


def later(monkeypatch, days: int) -> None:
    moment = clock.now() + timedelta(days=days)
    monkeypatch.setattr(clock, "now", lambda: moment)


# --- the automatic assignment ---


def test_a_new_ticket_goes_to_the_contracts_ansprechpartnerin(app, client, auth, clerk):
    ticket = file_ticket(app)
    assert ticket.assigned_to_id == clerk.id
    entry = assignment(ticket)
    assert (entry.assignee_id, entry.assigned_by_id, entry.automatic) == (clerk.id, None, "contact")
    auth.login_staff(0)
    history = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    assert (f"Automatisch zugewiesen an <strong>{clerk.staff_name}</strong> als Ansprechperson des Vertrags"
            in history)


def test_during_the_absence_the_deputy_gets_it_and_afterwards_the_clerk_again(app, clerk, deputy, monkeypatch):
    away(clerk, deputy, starts=1, days=2)
    assert file_ticket(app).assigned_to_id == clerk.id  # not started yet
    later(monkeypatch, 1)
    during = file_ticket(app)
    assert during.assigned_to_id == deputy.id and assignment(during).automatic == "deputy"
    later(monkeypatch, 2)  # the last day
    assert file_ticket(app).assigned_to_id == deputy.id
    later(monkeypatch, 1)
    assert file_ticket(app).assigned_to_id == clerk.id
    assert Ticket.get_by_id(during.id).assigned_to_id == deputy.id  # what the deputy got stays theirs


def test_without_an_ansprechpartner_with_a_login_a_ticket_stays_unassigned(app, clerk, deputy):
    general = file_ticket(app, with_contract=False, category_name="Terminvereinbarung (Bitte Telefon-Nr. angeben)")
    assert general.assigned_to_id is None and assignment(general) is None
    contact = ContactPerson.get(ContactPerson.user == clerk.id)
    ContactPerson.update(user=None).where(ContactPerson.id == contact.id).execute()
    assert file_ticket(app).assigned_to_id is None
    ContactPerson.update(user=clerk.id).where(ContactPerson.id == contact.id).execute()
    User.update(is_active=False).where(User.id == clerk.id).execute()
    assert file_ticket(app).assigned_to_id is None


def test_a_deputy_no_longer_active_stands_in_for_nobody(app, clerk, deputy):
    away(clerk, deputy)
    User.update(is_active=False).where(User.id == deputy.id).execute()
    assert file_ticket(app).assigned_to_id is None


def test_the_tenants_kontakt_files_it_for_the_deputy(app, client, auth, clerk, deputy):
    away(clerk, deputy)
    login = auth.login_as("juergen")
    person = person_of(login["email"])
    response = client.post("/kontakt", data=contact_form(auth, {"person": person, "rental": rental_of(person)}),
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert Ticket.get(Ticket.submission_key == "key-1").assigned_to_id == deputy.id


def test_a_meldung_staff_take_down_goes_to_the_deputy_as_well(client, auth, clerk, deputy):
    away(clerk, deputy)
    auth.login_staff(0)  # Sandra Köhler herself takes the call before she leaves
    person = person_of("juergen.mueller@example.org")
    heating = category(person, "Heizung/Warmwasser")
    url = f"/intern/meldungen/neu?person={person.id}"
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)
    response = client.post(url, data={"csrf_token": auth.csrf_token(), "contract": str(rental_of(person).id),
                                      "category": str(heating.id), "subject": "Anruf: Heizung",
                                      "message": "Herr Müller rief an.", "submission_key": key})
    assert response.status_code == 303
    assert Ticket.get(Ticket.subject == "Anruf: Heizung").assigned_to_id == deputy.id


# --- the deputy's queue ---


def queue_numbers(page: str) -> list[str]:
    return re.findall(r'id="ticket-\d+" href="/intern/meldungen/([A-Z]-\d{4}-\d+)', page)


def test_mir_zugewiesen_of_the_deputy_holds_the_absent_colleagues_tickets(app, client, auth, clerk, deputy):
    ticket = file_ticket(app)
    auth.login_staff(1)
    mine = "/intern/meldungen?zugewiesen=ich"
    assert ticket.number not in queue_numbers(client.get(mine).get_data(as_text=True))
    absence = away(clerk, deputy)
    page = client.get(mine).get_data(as_text=True)
    assert ticket.number in queue_numbers(page) and f"Vertretung für {clerk.staff_name}" in page
    total = int(re.search(r'id="queue-count">(\d+) Meldung', page).group(1))
    assert counts(client.get("/intern/"))[mine] == total  # the Übersicht's count is the queue's total
    absences.end(clerk, absence)  # started today: deleted
    assert ticket.number not in queue_numbers(client.get(mine).get_data(as_text=True))


# --- what the tenant sees ---


def test_the_tenant_sees_the_deputy_during_the_absence_only(app, client, auth, clerk, deputy):
    login = auth.login_as("juergen")
    rental = rental_of(person_of(login["email"]))
    notice = f"{clerk.staff_name} ist bis"
    urls = ("/vertraege/", f"/vertraege/{rental.id}", f"/kontakt?concern=c{rental.id}")
    assert not any(notice in client.get(url).get_data(as_text=True) for url in urls)
    absence = away(clerk, deputy, starts=1, days=4)
    assert not any(notice in client.get(url).get_data(as_text=True) for url in urls)  # not yet
    today = clock.today()
    Absence.update(starts_on=today - timedelta(days=1)).where(Absence.id == absence.id).execute()  # since yesterday
    until = absence.ends_on.strftime("%d.%m.%Y")
    deputy_contact = ContactPerson.get(ContactPerson.user == deputy.id)
    for url in urls:
        page = main_of(client.get(url).get_data(as_text=True))
        assert f"{clerk.staff_name} ist bis {until} abwesend. Vertretung: {deputy.staff_name}" in page, url
        assert deputy_contact.email in page and clerk.email not in page, url
    Absence.update(ends_on=today - timedelta(days=1)).where(Absence.id == absence.id).execute()  # over
    assert not any(notice in client.get(url).get_data(as_text=True) for url in urls)


def test_a_deputy_without_an_ansprechpartner_row_shows_their_account_and_the_cooperatives_phone(
        app, client, auth, clerk, deputy):
    ContactPerson.update(user=None).where(ContactPerson.user == deputy.id).execute()
    away(clerk, deputy)
    auth.login_as("juergen")
    page = main_of(client.get("/vertraege/").get_data(as_text=True))
    assert f"Vertretung: {deputy.staff_name}" in page and deputy.email in page
    assert "0341 41519-0" in page or "+49341415190" in page


# --- the page ---


def form(auth, starts, ends, deputy_id) -> dict:
    return {"csrf_token": auth.csrf_token(), "starts_on": starts, "ends_on": ends, "deputy": str(deputy_id)}


def test_the_uebersicht_links_the_page_and_the_page_lists_current_and_next_absences(client, auth, clerk, deputy):
    auth.login_staff(0)
    assert f'href="{PAGE}"' in client.get("/intern/").get_data(as_text=True)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Sie haben keine Abwesenheit eingetragen." in page
    options = re.search(r'<select[^>]*name="deputy".*?</select>', page, re.S).group(0)
    assert deputy.staff_name in options and clerk.staff_name not in options and "Große" not in options
    today = clock.today()
    response = client.post(PAGE, data=form(auth, today.isoformat(), (today + timedelta(days=5)).strftime("%d.%m.%Y"),
                                           deputy.id))
    assert response.status_code == 303 and response.headers["Location"] == PAGE
    absence = Absence.get(Absence.user == clerk.id)
    assert (absence.starts_on, absence.ends_on, absence.deputy_id) == (today, today + timedelta(days=5), deputy.id)
    entry = AuditLog.get(AuditLog.action == "absence.created")
    assert entry.user_id == clerk.id and deputy.staff_name in entry.detail
    assert entry.cooperative_id == clerk.cooperative_id
    page = client.get(PAGE).get_data(as_text=True)
    assert "Ihre Abwesenheit vom" in page and "Jetzt abwesend, bis" in page and "Vertretung: Thomas Schröder" in page


def test_htmx_swaps_the_form_with_its_messages_and_reloads_after_saving(client, auth, clerk, deputy):
    auth.login_staff(0)
    today = clock.today()
    refused = client.post(PAGE, data=form(auth, today.isoformat(), (today - timedelta(days=1)).isoformat(), deputy.id),
                          headers=htmx(auth, "absence-form"))
    fragment = refused.get_data(as_text=True)
    assert refused.status_code == 422 and fragment.lstrip().startswith('<form id="absence-form"')
    assert "data-error-summary" in fragment and "autofocus" in fragment and "<html" not in fragment
    assert "Der letzte Tag liegt vor dem ersten." in fragment
    saved = client.post(PAGE, data=form(auth, today.isoformat(), today.isoformat(), deputy.id),
                        headers=htmx(auth, "absence-form"))
    assert saved.status_code == 204 and saved.headers["HX-Location"] == PAGE
    reloaded = client.get(PAGE, headers=htmx(auth)).get_data(as_text=True)  # what HX-Location loads: the page
    assert "<main" in reloaded and "Jetzt abwesend" in reloaded
    assert Absence.select().where(Absence.user == clerk.id).count() == 1


@pytest.mark.parametrize("starts, ends, deputy_of, field, message", [
    (0, -1, 1, "ends_on", "Der letzte Tag liegt vor dem ersten."),
    (-5, -2, 1, "ends_on", "ganz in der Vergangenheit"),
    (0, 400, 1, "ends_on", "höchstens 365 Tage"),
    ("", 2, 1, "starts_on", "Bitte geben Sie den ersten Tag der Abwesenheit an."),
    (0, "32.13.2026", 1, "ends_on", "Bitte geben Sie ein gültiges Datum ein"),
    (0, "9" * 5000, 1, "ends_on", "Bitte geben Sie ein gültiges Datum ein"),
    (0, 2, 0, "deputy", "Bitte wählen Sie"),  # herself
    (0, 2, 2, "deputy", "Bitte wählen Sie"),  # Elsteraue's
    (0, 2, None, "deputy", "Bitte wählen Sie"),
    (0, 2, "1 OR 1=1", "deputy", "Bitte wählen Sie"),
])
def test_bad_input_is_named_next_to_its_field_and_nothing_is_saved(client, auth, clerk, demo_logins, starts, ends,
                                                                   deputy_of, field, message):
    auth.login_staff(0)
    today = clock.today()

    def day(value):
        return (today + timedelta(days=value)).isoformat() if isinstance(value, int) else value

    deputy_id = staff_user(demo_logins, deputy_of).id if isinstance(deputy_of, int) else (deputy_of or "")
    response = client.post(PAGE, data=form(auth, day(starts), day(ends), deputy_id))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1), page[:200]
    assert Absence.select().where(Absence.user == clerk.id).count() == 0
    assert not AuditLog.select().where(AuditLog.action == "absence.created").exists()


def test_an_inactive_colleague_is_no_deputy_and_overlaps_are_refused(client, auth, clerk, deputy):
    auth.login_staff(0)
    today = clock.today()
    User.update(is_active=False).where(User.id == deputy.id).execute()
    page = client.get(PAGE).get_data(as_text=True)
    assert deputy.staff_name not in re.search(r'<select[^>]*name="deputy".*?</select>', page, re.S).group(0)
    with pytest.raises(Rejected):
        absences.record(clerk, today, today, deputy.id)
    User.update(is_active=True).where(User.id == deputy.id).execute()
    away(clerk, deputy, starts=2, days=3)
    response = client.post(PAGE, data=form(auth, today.isoformat(), (today + timedelta(days=2)).isoformat(), deputy.id))
    assert response.status_code == 422 and "schon abwesend eingetragen" in response.get_data(as_text=True)
    assert Absence.select().where(Absence.user == clerk.id).count() == 1


def test_ending_a_running_absence_keeps_yesterday_and_a_later_one_is_deleted(client, auth, clerk, deputy):
    auth.login_staff(0)
    running, coming = away(clerk, deputy, starts=-1, days=3), away(clerk, deputy, starts=10, days=2)
    response = client.post(f"{PAGE}/{running.id}/beenden", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    assert Absence.get_by_id(running.id).ends_on == clock.today() - timedelta(days=1)
    again = client.post(f"{PAGE}/{running.id}/beenden", data={"csrf_token": auth.csrf_token()}, follow_redirects=True)
    assert "Diese Abwesenheit war bereits beendet." in again.get_data(as_text=True)
    assert client.post(f"{PAGE}/{coming.id}/beenden", data={"csrf_token": auth.csrf_token()}).status_code == 303
    assert Absence.get_or_none(Absence.id == coming.id) is None
    assert [e.action for e in AuditLog.select().where(AuditLog.action.startswith("absence.")).order_by(AuditLog.id)] \
        == ["absence.created", "absence.created", "absence.ended", "absence.deleted"]


def test_a_colleagues_or_another_cooperatives_absence_is_not_found(app, client, auth, clerk, deputy, demo_logins):
    absence = away(clerk, deputy)
    for index in (1, 2):  # the deputy herself, and Elsteraue's clerk
        other = AuthActions(app.test_client(), demo_logins)
        other.login_staff(index)
        response = other.client.post(f"{PAGE}/{absence.id}/beenden", data={"csrf_token": other.csrf_token()})
        assert response.status_code == 404
        assert "Jetzt abwesend" not in other.client.get(PAGE).get_data(as_text=True)  # only one's own are listed
    assert Absence.get_by_id(absence.id).ends_on == absence.ends_on


def test_tenants_and_anonymous_users_do_not_reach_the_page(app, client, auth):
    response = client.get(PAGE)
    assert response.status_code in (302, 404)
    auth.login_as("juergen")
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, data={"csrf_token": auth.csrf_token()}).status_code == 404


def test_the_rule_without_flask(app, clerk, deputy):
    """services.staff.absences answers for any day without a request."""
    today = date(2030, 3, 4)
    Absence.create(user=clerk, deputy=deputy, starts_on=today, ends_on=today + timedelta(days=1))
    contact = ContactPerson.get(ContactPerson.user == clerk.id)
    assert absences.responsible(contact.id, clerk.cooperative_id, today) == (deputy.id, "deputy")
    assert absences.responsible(contact.id, clerk.cooperative_id, today - timedelta(days=1)) == (clerk.id, "contact")
    assert absences.responsible(contact.id, clerk.cooperative_id + 1, today) == (None, "")  # not the ticket's
    assert absences.responsible(None, clerk.cooperative_id, today) == (None, "")
