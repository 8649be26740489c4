"""Zugänge (issue 24, Staff and roles): admins create staff accounts, which are set up by a mailed single-use link
and a second factor at the first sign-in; deactivate (every session ends at once), reactivate, change role and
cooperative, all audited and versioned; the last admin who can sign in stays one."""

import re
from datetime import timedelta

import pytest

from tests.helpers import AuthActions, at_once, htmx, main_of, totp_code
from tests.test_auth import LOGIN_FAILED, move_clock
from tests.test_staff_desk import lipsia_ticket, post, staff_user
from wir import clock
from wir.models import AuditLog, Cooperative, EmailConfirmation, OutboxMail, Ticket, User
from wir.services.account import accounts
from wir.services.rejections import Rejected
from wir.services.staff import staff_accounts

LIST, NEW = "/intern/zugaenge", "/intern/zugaenge/neu"
PASSWORD = "Lange-Tinte-im-Archivschrank"
NEW_CLERK = {"name": "Petra Neumann", "email": "p.neumann@lipsia.example.org", "role": "staff"}


def cooperative(slug: str) -> Cooperative:
    return Cooperative.get(Cooperative.slug == slug)


def admin_user(auth) -> User:
    return User.get(User.email == auth.logins["admin"]["email"])


@pytest.fixture
def admin(auth, data):
    auth.login_with_code(auth.logins["admin"])
    return admin_user(auth)


def create(client, auth, headers=None, **fields):
    form = {**NEW_CLERK, "cooperative": str(cooperative("lipsia").id), **fields}
    return client.post(NEW, headers=headers or {}, data={"csrf_token": auth.csrf_token(), **form})


def setup_link(email: str) -> str:
    """The path of the set-up link in the latest mail to ``email``."""
    mail = OutboxMail.select().where(OutboxMail.recipient == email).order_by(OutboxMail.id.desc()).first()
    return re.search(r"http://localhost(/zugang-einrichten/\S+)", mail.body_text).group(1)


def set_password(client, link: str, password: str = PASSWORD):
    page = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post(link, data={"csrf_token": token, "password": password, "password_repeat": password})


def set_password_refused(client, auth, link: str) -> bool:
    """Sending a password to the link answers 410 and sets nothing."""
    response = client.post(link, data={"csrf_token": auth.csrf_token(), "password": PASSWORD,
                                       "password_repeat": PASSWORD})
    return response.status_code == 410


def actions(user: User) -> list[str]:
    """The audit log's staff account entries about ``user``, oldest first, as "action by <acting user id>"."""
    return [f"{entry.action} by {entry.user_id}" for entry in AuditLog.select().where(
        (AuditLog.object_type == "User") & (AuditLog.object_id == str(user.id))
        & AuditLog.action.startswith("staff_account.")).order_by(AuditLog.id)]


def change(client, auth, user: User, headers=None, **fields):
    fresh = User.get_by_id(user.id)
    data = {"csrf_token": auth.csrf_token(), "version": str(fresh.version), "role": fresh.role,
            "cooperative": str(fresh.cooperative_id or ""), **fields}
    return client.post(f"{LIST}/{user.id}", headers=headers or {}, data=data)


def activity(client, auth, user: User, action: str, version=None):
    version = User.get_by_id(user.id).version if version is None else version
    return client.post(f"{LIST}/{user.id}/{action}", data={"csrf_token": auth.csrf_token(), "version": str(version)})


def signed_in_clerk(app, logins, index=0) -> AuthActions:
    other = AuthActions(app.test_client(), logins)
    other.login_staff(index)
    assert other.client.get("/intern/").status_code == 200
    return other


# --- creating ---


def test_an_admin_creates_a_clerk_who_gets_the_set_up_link(client, auth, admin):
    assert "Zugang anlegen" in client.get(LIST).get_data(as_text=True)
    form = client.get(NEW).get_data(as_text=True)
    assert 'name="email"' in form and "Sachbearbeitung" in form and "Administration" in form
    response = create(client, auth)
    clerk = User.get(User.email == NEW_CLERK["email"])
    assert response.status_code == 303 and response.headers["Location"] == f"{LIST}/{clerk.id}"
    assert (clerk.role, clerk.cooperative_id, clerk.staff_name) == ("staff", cooperative("lipsia").id, "Petra Neumann")
    assert clerk.is_active and clerk.confirmed_at is None and clerk.totp_secret is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Der Zugang für Petra Neumann ist angelegt" in page and "noch nicht eingerichtet" in page
    mail = OutboxMail.get(OutboxMail.recipient == clerk.email)
    assert "Sachbearbeitung" in mail.body_text and "7 Tage gültig" in mail.body_text
    token = setup_link(clerk.email).rsplit("/", 1)[1]
    stored = EmailConfirmation.get(EmailConfirmation.user == clerk)
    assert token not in stored.token_hash and stored.purpose == accounts.SETUP_PURPOSE  # only its hash is kept
    assert stored.expires_at - clock.now() > timedelta(days=6, hours=23)
    assert actions(clerk) == [f"staff_account.created by {admin.id}"]
    entry = AuditLog.get(AuditLog.action == "staff_account.created")
    assert entry.cooperative_id == clerk.cooperative_id and "Petra Neumann" in entry.detail
    assert "Petra Neumann" in client.get(LIST).get_data(as_text=True)


def test_an_admin_account_is_of_both_cooperatives(client, auth, admin):
    response = create(client, auth, role="admin", email="leitung@example.org")  # a chosen cooperative is ignored
    assert response.status_code == 303
    created = User.get(User.email == "leitung@example.org")
    assert created.role == "admin" and created.cooperative_id is None


def test_creating_with_htmx_swaps_the_form_and_then_goes_to_the_account(client, auth, admin):
    refused = create(client, auth, headers=htmx(auth), name="", email="kein-at-zeichen")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "<html" not in page and page.lstrip().startswith("<form id=\"account-form\"")
    assert "data-error-summary" in page and 'id="name-error"' in page and 'id="email-error"' in page
    assert "HX-Request" in refused.headers["Vary"]
    done = create(client, auth, headers=htmx(auth))
    clerk = User.get(User.email == NEW_CLERK["email"])
    assert done.status_code == 204 and done.headers["HX-Location"] == f"{LIST}/{clerk.id}"


@pytest.mark.parametrize("fields, field, message", [
    ({"name": ""}, "name", "Bitte geben Sie den Namen ein."),
    ({"name": "x" * 101}, "name", "Höchstens 100 Zeichen."),
    ({"name": "Petra\u202eNeumann"}, "name", ""),
    ({"email": ""}, "email", "Bitte geben Sie die E-Mail-Adresse ein."),
    ({"email": "petra.neumann"}, "email", ""),
    ({"email": "a@example.org, b@example.org"}, "email", ""),
    ({"email": "p" * 250 + "@example.org"}, "email", ""),
    ({"email": "staff"}, "email", staff_accounts.TAKEN),  # a colleague's, spelt in capitals
    ({"email": "tenants"}, "email", staff_accounts.TAKEN),  # a tenant's
    ({"role": ""}, "role", staff_accounts.NO_ROLE),
    ({"role": "superuser"}, "role", "Bitte wählen Sie einen Eintrag aus der Liste."),
    ({"role": "tenant"}, "role", "Bitte wählen Sie einen Eintrag aus der Liste."),
    ({"cooperative": ""}, "cooperative", staff_accounts.NO_COOPERATIVE),
    ({"cooperative": "99999"}, "cooperative", "Bitte wählen Sie einen Eintrag aus der Liste."),
    ({"cooperative": "1 OR 1=1"}, "cooperative", "Bitte wählen Sie einen Eintrag aus der Liste."),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(client, auth, admin, demo_logins, fields,
                                                                      field, message):
    if fields.get("email") in ("staff", "tenants"):
        fields = {"email": demo_logins[fields["email"]][0]["email"].upper()}
    users, mails, entries = User.select().count(), OutboxMail.select().count(), AuditLog.select().count()
    response = create(client, auth, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1), page
    assert 'data-error-summary' in page
    assert (User.select().count(), OutboxMail.select().count(), AuditLog.select().count()) == (users, mails, entries)


def test_hostile_values_are_kept_as_text(client, auth, admin):
    name = '<script>alert(1)</script> "Petra" & Söhne'
    assert create(client, auth, name=name).status_code == 303
    page = client.get(LIST).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- the set-up link, then the second factor ---


def test_the_set_up_link_sets_the_password_and_the_second_factor_follows(app, client, auth, admin):
    create(client, auth)
    link = setup_link(NEW_CLERK["email"])
    clerk = AuthActions(app.test_client(), auth.logins)
    page = clerk.client.get(link).get_data(as_text=True)
    assert "Zugang einrichten" in page and "Petra Neumann" in page
    assert clerk.login(NEW_CLERK["email"], "irgendetwas-langes").status_code == 422  # no password before it
    weak = set_password(clerk.client, link, "petra-neumann-2026")
    assert weak.status_code == 422 and "Namen" in weak.get_data(as_text=True)
    mails = OutboxMail.select().count()
    response = set_password(clerk.client, link)
    assert response.status_code == 303 and response.headers["Location"] == "/anmelden"
    assert OutboxMail.select().count() == mails  # no "Ihr Passwort wurde geändert" for a first password
    user = User.get(User.email == NEW_CLERK["email"])
    assert user.confirmed_at is not None
    assert actions(user)[-1] == f"staff_account.set_up by {user.id}"
    assert clerk.client.get(link).status_code == 410  # single use
    assert set_password_refused(clerk.client, clerk, link)
    # signed in with the password: nothing of the internal area before the second factor is enrolled
    signed_in = clerk.login(NEW_CLERK["email"], PASSWORD)
    assert signed_in.status_code == 303 and signed_in.headers["Location"].startswith("/zwei-faktor")
    for url in ("/intern/", "/intern/meldungen", LIST):
        response = clerk.client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/zwei-faktor"
    assert clerk.client.get("/zwei-faktor").headers["Location"] == "/zwei-faktor/einrichten"
    enrol = clerk.client.get("/zwei-faktor/einrichten").get_data(as_text=True)
    assert "Zwei-Faktor-Anmeldung einrichten" in enrol
    secret = User.get_by_id(user.id).totp_secret
    done = clerk.second_step(totp_code(secret), url="/zwei-faktor/einrichten")
    assert done.status_code == 200 and "Wiederherstellungscodes" in done.get_data(as_text=True)
    assert clerk.client.get("/intern/").status_code == 200
    assert clerk.client.get(LIST).status_code == 404  # a clerk


def test_the_set_up_link_lasts_seven_days(app, client, auth, admin, monkeypatch):
    create(client, auth)
    link = setup_link(NEW_CLERK["email"])
    colleague = AuthActions(app.test_client(), auth.logins)  # the new colleague's browser
    client = colleague.client
    move_clock(monkeypatch, timedelta(days=6, hours=23))
    assert client.get(link).status_code == 200
    move_clock(monkeypatch, timedelta(hours=1, seconds=1))
    expired = client.get(link)
    assert expired.status_code == 410 and "Administration um einen neuen Link" in expired.get_data(as_text=True)
    assert set_password_refused(client, colleague, link)


def test_passwort_vergessen_sets_up_an_account_whose_link_expired(app, client, auth, admin, monkeypatch):
    create(client, auth)
    move_clock(monkeypatch, timedelta(days=8))
    colleague = AuthActions(app.test_client(), auth.logins)
    colleague.client.post("/passwort-vergessen", data={"csrf_token": colleague.csrf_token(),
                                                       "email": NEW_CLERK["email"]})
    mail = OutboxMail.select().where(OutboxMail.recipient == NEW_CLERK["email"]).order_by(OutboxMail.id.desc()).get()
    link = re.search(r"http://localhost(/passwort-neu/\S+)", mail.body_text).group(1)
    assert set_password(colleague.client, link).status_code == 303
    signed_in = colleague.login(NEW_CLERK["email"], PASSWORD)
    assert signed_in.status_code == 303 and signed_in.headers["Location"].startswith("/zwei-faktor")


def test_a_tampered_or_foreign_link_is_no_link(client, auth, admin):
    create(client, auth)
    link = setup_link(NEW_CLERK["email"])
    token = link.rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "x" * 300, token + "x" * 257, token.upper()):
        assert client.get(f"/zugang-einrichten/{bad}").status_code == 410
        assert set_password_refused(client, auth, f"/zugang-einrichten/{bad}")
    assert client.get(f"/passwort-neu/{token}").status_code == 410  # a set-up link is no password reset link
    assert User.get(User.email == NEW_CLERK["email"]).confirmed_at is None


def test_a_new_link_ends_the_earlier_one_and_a_deactivated_account_has_none(client, auth, admin):
    create(client, auth)
    first = setup_link(NEW_CLERK["email"])
    clerk = User.get(User.email == NEW_CLERK["email"])
    response = client.post(f"{LIST}/{clerk.id}/einrichtungslink", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303 and "Ein neuer Link zum Einrichten" in client.get(
        response.headers["Location"]).get_data(as_text=True)
    second = setup_link(NEW_CLERK["email"])
    assert second != first and client.get(first).status_code == 410 and client.get(second).status_code == 200
    assert activity(client, auth, clerk, "deaktivieren").status_code == 303
    assert client.get(second).status_code == 410
    mails = OutboxMail.select().count()
    client.post(f"{LIST}/{clerk.id}/einrichtungslink", data={"csrf_token": auth.csrf_token()})
    assert OutboxMail.select().count() == mails
    assert actions(clerk) == [f"staff_account.{what} by {admin.id}"
                              for what in ("created", "setup_link_sent", "deactivated")]


# --- deactivating, reactivating ---


def test_deactivating_ends_the_session_at_once_and_refuses_sign_in(app, client, auth, admin, demo_logins,
                                                                    monkeypatch):
    clerk_login = demo_logins["staff"][2]
    other = signed_in_clerk(app, demo_logins, 2)
    clerk = staff_user(demo_logins, 2)
    confirm = client.get(f"{LIST}/{clerk.id}/deaktivieren").get_data(as_text=True)
    assert "Alle Sitzungen dieses Zugangs enden sofort" in confirm and User.get_by_id(clerk.id).is_active
    response = activity(client, auth, clerk, "deaktivieren")
    assert response.status_code == 303 and response.headers["Location"] == f"{LIST}/{clerk.id}"
    assert "ist deaktiviert" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert other.client.get("/intern/").status_code == 404  # the very next request: signed out
    with other.client.session_transaction() as session:
        assert "_user_id" not in session
    refused = other.login(clerk_login["email"], clerk_login["password"])
    assert refused.status_code == 422 and LOGIN_FAILED in refused.get_data(as_text=True)  # as a wrong password
    # the list keeps the name (a ticket's history and the audit log: the next test)
    assert "Status" in client.get(LIST).get_data(as_text=True) and clerk.staff_name in client.get(LIST).get_data(
        as_text=True)
    assert actions(clerk) == [f"staff_account.deactivated by {admin.id}"]

    response = activity(client, auth, clerk, "reaktivieren")
    assert response.status_code == 303 and User.get_by_id(clerk.id).is_active
    move_clock(monkeypatch, timedelta(seconds=30))  # the next code of the authenticator app
    other.login_staff(2)
    assert other.client.get("/intern/").status_code == 200
    assert actions(clerk)[-1] == f"staff_account.reactivated by {admin.id}"


def test_a_deactivated_clerk_keeps_their_name_in_a_tickets_history_and_the_audit_log(app, client, auth, admin,
                                                                                     demo_logins):
    clerk = staff_user(demo_logins, 1)
    other = signed_in_clerk(app, demo_logins, 1)
    ticket = lipsia_ticket(app, demo_logins)
    assert post(other.client, other, ticket, "zuweisen", "assign", assignee=str(clerk.id)).status_code == 303
    assert post(other.client, other, ticket, "antwort", "answer", message="Der Monteur kommt am Dienstag.") \
        .status_code == 303
    assert activity(client, auth, clerk, "deaktivieren").status_code == 303 and not User.get_by_id(clerk.id).is_active

    desk = client.get(f"/intern/meldungen/{ticket.number}").get_data(as_text=True)
    history = desk.split('id="history-heading"', 1)[1]
    assert f"Zugewiesen an <strong>{clerk.staff_name}</strong> von {clerk.staff_name}" in history
    assert f"<strong>Genossenschaft</strong> ({clerk.staff_name}):" in history
    assert "Der Monteur kommt am Dienstag." in history
    log = main_of(client.get("/intern/protokoll", query_string={"wer": clerk.email}).get_data(as_text=True))
    assert '<td data-label="Aktion">Meldung beantwortet</td>' in log
    assert '<td data-label="Aktion">Meldung zugewiesen</td>' in log
    assert f'class="breakable">{clerk.staff_name} ({clerk.email})</td>' in log


def test_a_stale_page_changes_nothing(client, auth, admin, demo_logins):
    clerk = staff_user(demo_logins, 0)
    seen = clerk.version
    assert change(client, auth, clerk, cooperative=str(cooperative("elsteraue").id)).status_code == 303
    stale = activity(client, auth, clerk, "deaktivieren", version=seen)
    page = stale.get_data(as_text=True)
    assert stale.status_code == 422 and "Dieser Zugang wurde inzwischen geändert" in page
    assert "Elsteraue" in page and User.get_by_id(clerk.id).is_active
    restale = change(client, auth, clerk, version=str(seen), role="admin")
    assert restale.status_code == 422 and User.get_by_id(clerk.id).role == "staff"
    assert f'value="{User.get_by_id(clerk.id).version}"' in restale.get_data(as_text=True)  # brought up to date


# --- role and cooperative ---


def test_a_role_change_takes_effect_with_the_next_request(app, client, auth, admin, demo_logins):
    other = signed_in_clerk(app, demo_logins, 0)
    clerk = staff_user(demo_logins, 0)
    assert other.client.get(LIST).status_code == 404
    response = change(client, auth, clerk, role="admin")
    assert response.status_code == 303
    assert "hat jetzt die Rolle Administration" in client.get(response.headers["Location"]).get_data(as_text=True)
    promoted = User.get_by_id(clerk.id)
    assert promoted.role == "admin" and promoted.cooperative_id is None
    assert other.client.get(LIST).status_code == 200
    response = change(client, auth, clerk, role="staff", cooperative=str(cooperative("elsteraue").id),
                      headers=htmx(auth))
    assert response.status_code == 204 and response.headers["HX-Location"] == f"{LIST}/{clerk.id}"
    assert other.client.get(LIST).status_code == 404
    lipsia = Ticket.select().where(Ticket.cooperative == cooperative("lipsia")).first()
    assert other.client.get(f"/intern/meldungen/{lipsia.number}").status_code == 404
    assert actions(clerk) == [f"staff_account.changed by {admin.id}"] * 2
    assert "Elsteraue" in AuditLog.select().order_by(AuditLog.id.desc()).first().detail


def test_a_clerk_needs_a_cooperative_and_htmx_gets_the_form_back(client, auth, admin, demo_logins):
    clerk = staff_user(demo_logins, 0)
    response = change(client, auth, clerk, cooperative="", headers=htmx(auth))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and page.lstrip().startswith('<form id="role-form"')
    assert staff_accounts.NO_COOPERATIVE in page and "data-error-summary" in page
    assert User.get_by_id(clerk.id).cooperative_id == clerk.cooperative_id
    assert "<html" in client.get(f"{LIST}/{clerk.id}", headers=htmx(auth)).get_data(as_text=True)  # HX-Location's


# --- the last admin ---


def test_the_last_admin_can_neither_deactivate_nor_demote_themself(app, client, auth, admin):
    own = f"{LIST}/{admin.id}"
    assert "(Sie)" in client.get(LIST).get_data(as_text=True)
    refused = activity(client, auth, admin, "deaktivieren")
    assert refused.status_code == 422 and staff_accounts.LAST_ADMIN in refused.get_data(as_text=True)
    demoted = change(client, auth, admin, role="staff", cooperative=str(cooperative("lipsia").id))
    page = demoted.get_data(as_text=True)
    assert demoted.status_code == 422
    assert staff_accounts.LAST_ADMIN in re.search(r'id="role-error">(.*?)</p>', page, re.S).group(1)
    fresh = User.get_by_id(admin.id)
    assert fresh.is_active and fresh.role == "admin" and fresh.version == admin.version
    # a second admin who has not set up the account yet cannot sign in: it does not count
    create(client, auth, role="admin", email="leitung@example.org", name="Lea Leitung")
    assert activity(client, auth, admin, "deaktivieren").status_code == 422
    User.update(confirmed_at=clock.now()).where(User.email == "leitung@example.org").execute()
    response = change(client, auth, admin, role="staff", cooperative=str(cooperative("lipsia").id))
    assert response.status_code == 303 and response.headers["Location"] == "/intern/"
    assert client.get(own).status_code == 404  # a clerk now
    assert actions(admin) == [f"staff_account.changed by {admin.id}"]


def test_an_admin_may_deactivate_themself_while_another_remains(client, auth, admin):
    User.create(email="leitung@example.org", password_hash="!", role="admin", staff_name="Lea Leitung",
                confirmed_at=clock.now())
    response = activity(client, auth, admin, "deaktivieren")
    assert response.status_code == 303 and response.headers["Location"] == "/anmelden"
    assert client.get("/intern/").status_code == 404 and not User.get_by_id(admin.id).is_active


# --- who reaches it ---


def test_clerks_get_404_on_every_account_route(app, client, auth, data, demo_logins):
    auth.login_staff(0)
    colleague = staff_user(demo_logins, 1)
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/intern/zugaenge")]
    assert len(routes) == 6
    for rule in routes:
        for values in ({"user_id": colleague.id, "action": action} for action in ("deaktivieren", "reaktivieren")):
            url = rule.build(values, append_unknown=False)[1]
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                response = client.open(url, method=method, data={
                    "csrf_token": auth.csrf_token(), "role": "admin", "version": "1", **NEW_CLERK})
                assert response.status_code == 404, (method, url)
    assert User.get_by_id(colleague.id).is_active and not User.select().where(User.email == NEW_CLERK["email"]).exists()
    assert User.get_by_id(staff_user(demo_logins, 0).id).role == "staff"


def test_tenants_accounts_are_no_staff_accounts(client, auth, admin, demo_logins):
    tenant = User.get(User.email == demo_logins["tenants"][0]["email"])
    for url in (f"{LIST}/{tenant.id}", f"{LIST}/{tenant.id}/deaktivieren", f"{LIST}/99999"):
        assert client.get(url).status_code == 404
    assert change(client, auth, tenant, role="admin").status_code == 404 and User.get_by_id(tenant.id).role == "tenant"


def test_the_accounts_page_shows_every_account_with_its_state(client, auth, admin, demo_logins):
    clerk = staff_user(demo_logins, 1)
    User.update(is_active=False).where(User.id == clerk.id).execute()
    create(client, auth)
    page = main_of(client.get(LIST).get_data(as_text=True))
    assert all(login["email"] in page for login in demo_logins["staff"]) and admin.email in page
    assert "deaktiviert" in page and "noch nicht eingerichtet" in page
    assert page.index(NEW_CLERK["email"]) < page.index(clerk.email)  # active ones first


def test_two_admins_demoting_each_other_at_once_leave_one(app, data):
    first = User.get(User.role == "admin")
    second = User.create(email="leitung@example.org", password_hash="!", role="admin", staff_name="Lea Leitung",
                         confirmed_at=clock.now())
    lipsia = str(cooperative("lipsia").id)

    def demote(by: User, whom: User):
        def act(ready):
            seen = User.get_by_id(whom.id).version
            ready()
            staff_accounts.change_role(by, whom, "staff", lipsia, seen)
        return act

    outcomes = at_once(app, Rejected, demote(first, second), demote(second, first))
    assert sorted(outcomes) == ["applied", "refused"]
    assert User.select().where((User.role == "admin") & User.is_active).count() == 1


def test_an_admin_of_one_cooperative_keeps_to_its_clerks(client, auth, data, demo_logins):
    """Today's admins are of both cooperatives; one of a single cooperative (as wir.services.scope allows) sees and
    creates only that cooperative's clerks, and no Administration."""
    admin = admin_user(auth)
    User.update(cooperative=cooperative("lipsia")).where(User.id == admin.id).execute()
    auth.login_with_code(auth.logins["admin"])
    page = main_of(client.get(LIST).get_data(as_text=True))
    assert demo_logins["staff"][0]["email"] in page and demo_logins["staff"][2]["email"] not in page
    assert client.get(f"{LIST}/{staff_user(demo_logins, 2).id}").status_code == 404
    assert "Elsteraue" not in main_of(client.get(NEW).get_data(as_text=True))
    refused = create(client, auth, role="admin")
    assert refused.status_code == 422 and staff_accounts.NO_ROLE in refused.get_data(as_text=True)
    assert create(client, auth, cooperative=str(cooperative("elsteraue").id)).status_code == 422
    assert create(client, auth).status_code == 303
