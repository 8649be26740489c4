"""Staff sign-in with a second factor: the code step, enrolment, replays, the lock, recovery codes, the admin's
reset, and a half signed-in session that reaches nothing but the second step and Abmelden."""

import logging
import re
from datetime import timedelta

import pytest

from tests.helpers import AuthActions, htmx, totp_code
from tests.test_access import is_erp_api, open_every_method
from tests.test_auth import PAUSED, move_clock
from tests.test_security_log import events  # noqa: F401 -- the fixture
from wir import clock
from wir.models import AuditLog, LoginThrottle, RecoveryCode, User
from wir.services.account import accounts, second_factor

CODE_LABEL = "Bestätigungscode aus Ihrer Authenticator-App"
SECOND_STEP = {"auth.second_factor", "auth.enrol", "auth.logout", "static", "vendor.static"}


def wrong_code(secret: str) -> str:
    """Six digits that are none of the codes accepted now (current step and one on either side)."""
    accepted = {totp_code(secret, steps) for steps in (-1, 0, 1)}
    return next(code for code in (f"{n:06d}" for n in range(10**6)) if code not in accepted)


def user_of(login: dict) -> User:
    return User.get(User.email == login["email"])


def audit_actions(user: User) -> list[str]:
    return [entry.action for entry in AuditLog.select().where(AuditLog.user == user).order_by(AuditLog.id)]


def enrol(client, auth: AuthActions, login: dict) -> tuple[str, list[str]]:
    """Sign in as ``login`` (without a second factor) and enrol; returns the secret and the recovery codes."""
    response = auth.login(login["email"], login["password"])
    assert response.headers["Location"] == "/zwei-faktor"
    assert client.get("/zwei-faktor").headers["Location"] == "/zwei-faktor/einrichten"
    page = client.get("/zwei-faktor/einrichten").get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    response = auth.second_step(totp_code(secret), url="/zwei-faktor/einrichten")
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
    return secret, codes


@pytest.fixture
def clerk(auth, data):
    """A demo clerk whose second factor the admin has reset (signed in with a client of its own)."""
    login = auth.logins["staff"][1]
    second_factor.reset(user_of(login), by=user_of(auth.logins["admin"]))
    return login


def test_demo_staff_are_enrolled_and_get_the_code_step(client, auth, data):
    staff = auth.logins["staff"][0]
    assert user_of(staff).totp_secret == staff["totp_secret"] and auth.logins["admin"]["totp_secret"]
    response = auth.login(staff["email"], staff["password"])
    assert response.status_code == 303 and response.headers["Location"] == "/zwei-faktor"
    page = client.get("/zwei-faktor").get_data(as_text=True)
    assert CODE_LABEL in page and "Wiederherstellungscode" in page
    assert staff["name"] not in page  # no user menu, no navigation before the second step
    response = auth.second_step(totp_code(staff["totp_secret"]))
    assert response.status_code == 303 and response.headers["Location"] == "/intern/"
    page = client.get("/intern/").get_data(as_text=True)
    assert staff["name"] in page and staff["cooperative"] in page and "Zugänge" not in page
    user = user_of(staff)
    assert user.last_login_at is not None and user.totp_last_step is not None
    assert audit_actions(user)[-2:] == ["login.password_accepted", "login.succeeded"]


def test_a_session_past_the_password_only_reaches_the_second_step_and_abmelden(app, client, auth, data):
    staff = auth.logins["staff"][0]
    auth.login(staff["email"], staff["password"])
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint not in SECOND_STEP and not is_erp_api(rule)]
    checked = 0
    for rule, method, response in open_every_method(client, auth, rules):
        if "HX-Request" in response.request.headers:
            assert response.status_code == 401 and response.headers["HX-Redirect"] == "/zwei-faktor", (rule, method)
        else:
            assert response.status_code == 302, (rule, method, response.status_code)
            assert response.headers["Location"] == "/zwei-faktor", (rule, method)
        checked += 1
    assert checked >= 100
    assert client.get("/static/css/wir.css").status_code == 200
    assert client.get("/zwei-faktor").status_code == 200
    response = client.post("/abmelden", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303 and response.headers["Location"] == "/anmelden"
    assert client.get("/zwei-faktor").headers["Location"].startswith("/anmelden?next=")
    assert client.get("/intern/").status_code == 404


def test_the_second_step_needs_a_half_signed_in_session(client, auth):
    assert client.get("/zwei-faktor").headers["Location"].startswith("/anmelden?next=")
    auth.login_as()  # a tenant has no second step
    assert client.get("/zwei-faktor").headers["Location"] == "/"
    assert client.get("/zwei-faktor/einrichten").headers["Location"] == "/"
    auth.logout()
    auth.login_staff()
    assert client.get("/zwei-faktor").headers["Location"] == "/"


@pytest.mark.parametrize(
    "code, message",
    [
        ("", "Bitte geben Sie den Code aus Ihrer Authenticator-App ein."),
        ("1" * 21, "Der Code hat 6 Ziffern."),
        ("<script>alert(1)</script>", "Der Code hat 6 Ziffern."),
        ("12345", second_factor.WRONG_CODE),
        ("abcdef", second_factor.WRONG_CODE),
    ],
)
def test_bad_codes_are_refused_next_to_the_field(client, auth, code, message):
    staff = auth.logins["staff"][0]
    auth.login(staff["email"], staff["password"])
    response = auth.second_step(code)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="code-error">\s*<span class="visually-hidden">Fehler: </span>' + re.escape(message), page)
    assert "<script>alert" not in page
    assert client.get("/intern/").headers["Location"] == "/zwei-faktor"


def test_wrong_code_is_counted_logged_and_audited(client, auth, data, events):  # noqa: F811
    staff = auth.logins["staff"][0]
    auth.login(staff["email"], staff["password"])
    response = auth.second_step(wrong_code(staff["totp_secret"]))
    assert response.status_code == 422 and second_factor.WRONG_CODE in response.get_data(as_text=True)
    assert LoginThrottle.get(LoginThrottle.address_hash == accounts.address_hash(staff["email"])).failures == 1
    assert audit_actions(user_of(staff))[-1] == "login.failed"
    assert "1 falsche Passwörter oder Codes" in AuditLog.select().order_by(AuditLog.id.desc()).first().detail
    auth.second_step(totp_code(staff["totp_secret"]))
    logged = [(event["event"], event.get("factor")) for event in events()]
    assert logged == [("login.password_accepted", None), ("login.second_factor_failed", "app"),
                      ("login.succeeded", "app")]
    assert all(event["user"] == str(user_of(staff).id) for event in events())
    assert LoginThrottle.select().count() == 0  # the sign-in ends the round


def test_htmx_code_step_swaps_the_forms_and_redirects_on_success(client, auth):
    staff = auth.logins["staff"][0]
    auth.login(staff["email"], staff["password"])
    headers = htmx(auth, "second-factor")
    response = client.post("/zwei-faktor", data={"code": "000"}, headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and page.lstrip().startswith('<div id="second-factor">')
    assert "<html" not in page and second_factor.WRONG_CODE in page
    response = client.post("/zwei-faktor", data={"code": totp_code(staff["totp_secret"])}, headers=headers)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/intern/"


def test_a_used_code_is_refused_in_its_time_window(client, auth, data, monkeypatch):
    move_clock(monkeypatch, timedelta(0))  # the clock stands still: the same window for both sign-ins
    staff = auth.logins["staff"][0]
    code = totp_code(staff["totp_secret"])
    auth.login(staff["email"], staff["password"])
    assert auth.second_step(code).status_code == 303
    auth.logout()
    auth.login(staff["email"], staff["password"])
    response = auth.second_step(code)
    assert response.status_code == 422 and second_factor.USED_CODE in response.get_data(as_text=True)
    # a code of an earlier step is as used as this one
    assert auth.second_step(totp_code(staff["totp_secret"], -1)).status_code == 422
    assert auth.second_step(totp_code(staff["totp_secret"], 1)).status_code == 303


def test_five_wrong_codes_lock_like_five_wrong_passwords(app, client, auth, data, monkeypatch, events):  # noqa: F811
    """Wrong codes count on the address with wrong passwords; the right password does not end their round."""
    staff = auth.logins["staff"][0]
    wrong = wrong_code(staff["totp_secret"])
    auth.login(staff["email"], staff["password"])
    auth.second_step(wrong)
    auth.second_step(wrong)
    auth.logout()
    auth.login(staff["email"], staff["password"])  # a new session does not start the count anew
    third = auth.second_step(wrong)
    assert third.status_code == 422 and PAUSED in third.get_data(as_text=True)
    # during the short wait even the right code waits
    assert PAUSED in auth.second_step(totp_code(staff["totp_secret"])).get_data(as_text=True)
    move_clock(monkeypatch, timedelta(seconds=31))
    auth.second_step(wrong_code(staff["totp_secret"]))
    move_clock(monkeypatch, timedelta(seconds=61))
    locked = auth.second_step(wrong_code(staff["totp_secret"]))
    assert locked.status_code == 303 and locked.headers["Location"] == "/anmelden"
    assert PAUSED in client.get("/anmelden").get_data(as_text=True)
    throttle = LoginThrottle.get(LoginThrottle.address_hash == accounts.address_hash(staff["email"]))
    assert throttle.failures == 5 and throttle.locked_until >= clock.now() + timedelta(minutes=14)
    assert audit_actions(user_of(staff))[-1] == "login.locked"
    assert [event["event"] for event in events()].count("login.locked") == 1
    # the session is over, and the password step answers with the words of a password lock
    assert client.get("/zwei-faktor").headers["Location"].startswith("/anmelden")
    again = auth.login(staff["email"], staff["password"])
    assert again.status_code == 422 and PAUSED in again.get_data(as_text=True)
    move_clock(monkeypatch, timedelta(minutes=16))
    auth.login_with_code(staff)


def test_enrolment_at_the_first_sign_in_without_a_second_factor(client, auth, data, clerk):
    response = auth.login(clerk["email"], clerk["password"])
    assert response.headers["Location"] == "/zwei-faktor"
    page = client.get("/zwei-faktor/einrichten").get_data(as_text=True)
    assert "Zwei-Faktor-Anmeldung einrichten" in page and CODE_LABEL in page
    assert re.search(r'<img src="data:image/svg\+xml;[^"]+" alt="QR-Code', page)
    secret = user_of(clerk).totp_secret
    assert secret and secret != clerk["totp_secret"] and user_of(clerk).totp_confirmed_at is None
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in page
    # the same secret on every visit until it is confirmed; nothing reached before
    assert secret in client.get("/zwei-faktor/einrichten").get_data(as_text=True).replace(" ", "")
    assert client.get("/intern/").headers["Location"] == "/zwei-faktor"
    response = auth.second_step(wrong_code(secret), url="/zwei-faktor/einrichten")
    assert response.status_code == 422 and second_factor.WRONG_CODE in response.get_data(as_text=True)
    assert user_of(clerk).totp_confirmed_at is None
    response = auth.second_step(totp_code(secret), url="/zwei-faktor/einrichten")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ihre Wiederherstellungscodes" in page
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)
    assert len(codes) == len(set(codes)) == 10 and all(re.fullmatch(r"(\w{4}-){3}\w{4}", code) for code in codes)
    stored = [row.code_hash for row in RecoveryCode.select().where(RecoveryCode.user == user_of(clerk))]
    assert len(stored) == 10 and not any(code.replace("-", "") in "".join(stored) for code in codes)
    assert user_of(clerk).totp_confirmed_at is not None
    assert "second_factor.enrolled" in audit_actions(user_of(clerk))
    assert clerk["name"] in client.get("/intern/").get_data(as_text=True)
    # shown once: the enrolment is over
    assert client.get("/zwei-faktor/einrichten").headers["Location"] == "/"
    auth.logout()
    auth.login(clerk["email"], clerk["password"])
    assert client.get("/zwei-faktor/einrichten").headers["Location"] == "/zwei-faktor"
    assert auth.second_step(totp_code(secret, 1)).status_code == 303


def test_a_recovery_code_signs_in_once(client, auth, data, clerk):
    _secret, codes = enrol(client, auth, clerk)
    auth.logout()
    auth.login(clerk["email"], clerk["password"])
    response = auth.second_step(codes[3].upper().replace("-", " "), recovery=True)
    assert response.status_code == 303 and response.headers["Location"] == "/intern/"
    assert second_factor.unused_recovery_codes(user_of(clerk)) == 9
    assert "Unbenutzte Wiederherstellungscodes: 9" in client.get("/intern/").get_data(as_text=True)
    assert "Wiederherstellungscode, 9 übrig" in AuditLog.select().order_by(AuditLog.id.desc()).first().detail
    auth.logout()
    auth.login(clerk["email"], clerk["password"])
    response = auth.second_step(codes[3], recovery=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and second_factor.WRONG_RECOVERY_CODE in page
    assert 'id="recovery-code-error"' in page and "<details class=\"card\" open>" in page
    # another staff member's code is no code of this one
    assert auth.second_step("x" * 41, recovery=True).status_code == 422


def test_admin_resets_a_colleagues_second_factor_audited(app, client, auth, data, events):  # noqa: F811
    admin, colleague = auth.logins["admin"], auth.logins["staff"][2]
    other = AuthActions(app.test_client(), auth.logins)
    other.login_with_code(colleague)
    assert other.client.get("/intern/").status_code == 200
    auth.login_with_code(admin)
    page = client.get("/intern/").get_data(as_text=True)
    assert "Verwaltung beider Genossenschaften" in page and 'href="/intern/zugaenge"' in page
    overview = client.get("/intern/zugaenge").get_data(as_text=True)
    assert all(staff["email"] in overview for staff in auth.logins["staff"]) and "(Sie)" in overview
    target = user_of(colleague)
    url = f"/intern/zugaenge/{target.id}/zweiter-faktor"
    confirm = client.get(url).get_data(as_text=True)
    assert colleague["email"] in confirm and "Zweiten Faktor zurücksetzen" in confirm
    assert user_of(colleague).totp_secret  # asking changes nothing
    response = client.post(url, data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303 and response.headers["Location"] == "/intern/zugaenge"
    assert "ist zurückgesetzt" in client.get("/intern/zugaenge").get_data(as_text=True)
    reset = User.get_by_id(target.id)
    assert reset.totp_secret is None and reset.totp_confirmed_at is None
    assert not RecoveryCode.select().where(RecoveryCode.user == reset).exists()
    entry = AuditLog.select().where(AuditLog.action == "second_factor.reset").get()
    assert entry.user_id == user_of(admin).id and entry.object_id == str(target.id)
    assert entry.cooperative_id == target.cooperative_id and entry.ip == "127.0.0.1"
    assert any(event["event"] == "second_factor.reset" and event["target"] == str(target.id) for event in events())
    # the colleague's sessions ended; the next sign-in enrols anew
    assert other.client.get("/intern/").status_code == 404
    other.login(colleague["email"], colleague["password"])
    assert other.client.get("/zwei-faktor").headers["Location"] == "/zwei-faktor/einrichten"


def test_only_admins_reach_the_accounts_and_only_of_colleagues(client, auth, data):
    admin = auth.logins["admin"]
    auth.login_staff()
    assert client.get("/intern/zugaenge").status_code == 404
    colleague = user_of(auth.logins["staff"][1])
    assert client.get(f"/intern/zugaenge/{colleague.id}/zweiter-faktor").status_code == 404
    assert client.post(f"/intern/zugaenge/{colleague.id}/zweiter-faktor",
                       data={"csrf_token": auth.csrf_token()}).status_code == 404
    assert User.get_by_id(colleague.id).totp_secret
    auth.logout()
    auth.login_with_code(admin)
    own = user_of(admin)
    tenant = User.get(User.email == auth.logins["tenants"][0]["email"])
    for user_id in (own.id, tenant.id, 99999):
        assert client.get(f"/intern/zugaenge/{user_id}/zweiter-faktor").status_code == 404


def test_accounts_list_runs_a_constant_number_of_queries(client, auth, data, count_queries):
    auth.login_with_code(auth.logins["admin"])
    client.get("/intern/zugaenge")
    with count_queries() as few:
        client.get("/intern/zugaenge")
    for number in range(20):
        User.create(email=f"kollegin{number}@lipsia.example.org", password_hash="x", role=User.ROLE_STAFF,
                    cooperative=user_of(auth.logins["staff"][0]).cooperative, staff_name=f"Kollegin {number}",
                    is_active=number % 2 == 0)  # deactivated ones are listed too
    with count_queries() as many:
        page = client.get("/intern/zugaenge").get_data(as_text=True)
    assert "Kollegin 19" in page and many.count == few.count


def test_staff_sessions_end_after_the_idle_limit(client, auth, monkeypatch):
    auth.login_staff()
    move_clock(monkeypatch, timedelta(minutes=31))
    response = client.get("/intern/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden")
    assert client.get("/intern/").status_code == 404


def test_half_signed_in_sessions_end_after_the_idle_limit_too(client, auth, monkeypatch):
    staff = auth.logins["staff"][0]
    auth.login(staff["email"], staff["password"])
    move_clock(monkeypatch, timedelta(minutes=31))
    assert client.get("/zwei-faktor").headers["Location"].startswith("/anmelden")
    assert client.post("/zwei-faktor", data={"code": totp_code(staff["totp_secret"]),
                                             "csrf_token": auth.csrf_token()}).status_code == 302


def test_cli_resets_a_second_factor_audited(runner, auth, data):
    staff = auth.logins["staff"][3]
    result = runner.invoke(args=["staff", "reset-2fa", staff["email"].upper()])
    assert result.exit_code == 0, result.output
    assert user_of(staff).totp_secret is None
    entry = AuditLog.select().where(AuditLog.action == "second_factor.reset").get()
    assert entry.user is None and entry.object_id == str(user_of(staff).id) and "Kommandozeile" in entry.detail
    tenant = auth.logins["tenants"][0]["email"]
    result = runner.invoke(args=["staff", "reset-2fa", tenant])
    assert result.exit_code != 0 and "Keine Mitarbeiterin" in result.output


def test_create_admin_asks_for_a_password_and_enrols_at_the_first_sign_in(runner, client, auth, data):
    password = "Leuchtturm-Kompass-Ebbe-17"
    result = runner.invoke(args=["create-admin", "Neue.Admin@Example.org"], input=f"{password}\n{password}\n")
    assert result.exit_code == 0, result.output
    admin = User.get(User.email == "neue.admin@example.org")
    assert admin.role == User.ROLE_ADMIN and admin.totp_secret is None and admin.password_hash != password
    assert AuditLog.select().where((AuditLog.action == "admin.created") & (AuditLog.object_id == str(admin.id))).exists()
    new = {"email": "neue.admin@example.org", "password": password}
    secret, codes = enrol(client, auth, new)
    assert len(secret) == 32 and len(codes) == 10
    assert "Verwaltung" in client.get("/intern/").get_data(as_text=True)
    again = runner.invoke(args=["create-admin", "neue.admin@example.org"], input=f"{password}\n{password}\n")
    assert again.exit_code != 0 and "schon einen Zugang" in again.output
    weak = runner.invoke(args=["create-admin", "zweite@example.org"], input="kurz\nkurz\n")
    assert weak.exit_code != 0 and not User.select().where(User.email == "zweite@example.org").exists()
    bad = runner.invoke(args=["create-admin", "keine-adresse"], input=f"{password}\n{password}\n")
    assert bad.exit_code != 0


def test_seed_demo_prints_the_totp_secrets(runner, auth):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    for login in auth.logins["staff"] + [auth.logins["admin"]]:
        assert f'"totp_secret": "{login["totp_secret"]}"' in result.output


def test_make_run_prints_the_secrets_and_keeps_the_tenant_lines(auth, capsys):
    from wir.devserver import print_logins

    print_logins(auth.logins)
    out = capsys.readouterr().out
    for staff in auth.logins["staff"]:
        assert re.search(rf"Mitarbeiter {re.escape(staff['email'])}\s+\S+\s+{staff['totp_secret']}", out)
    assert auth.logins["admin"]["totp_secret"] in out
    tenant = auth.logins["tenants"][0]
    assert re.search(rf"^\s+Mieter\s+{re.escape(tenant['email'])}\s+{re.escape(tenant['password'])}", out, re.M)


def test_no_secret_or_code_in_the_logs(client, auth, data, events, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    staff = auth.logins["staff"][0]
    code = totp_code(staff["totp_secret"])
    auth.login(staff["email"], staff["password"])
    auth.second_step(code)
    text = events.text()
    assert staff["totp_secret"] not in text and code not in text
    assert all(code not in entry.detail and staff["totp_secret"] not in entry.detail for entry in AuditLog.select())
