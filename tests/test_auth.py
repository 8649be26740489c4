"""Anmelden, Abmelden, lockout, session timeouts, password reset, first-login review."""

import re
import time
from datetime import timedelta

import pytest

from tests.helpers import AuthActions, deliver, mail_text
from wir import clock, config
from wir.models import LoginThrottle, User
from wir.services.account import accounts, passwords

LOGIN_FAILED = "E-Mail-Adresse oder Passwort ist nicht richtig."


def test_login_with_demo_tenant_reaches_startseite(client, auth):
    tenant = auth.login_as()
    page = client.get("/").get_data(as_text=True)
    assert "Startseite" in page and tenant["name"] in page


def test_email_is_case_insensitive(client, auth):
    tenant = auth.logins["tenants"][0]
    response = auth.login("  " + tenant["email"].upper() + " ", tenant["password"])
    assert response.status_code == 303


@pytest.mark.parametrize(
    "email, password, message",
    [
        ("", "irgendwas-langes", "Bitte geben Sie Ihre E-Mail-Adresse ein."),
        ("someone@example.org", "", "Bitte geben Sie Ihr Passwort ein."),
        ("nobody@example.org", "falsches-passwort-123", LOGIN_FAILED),
        ("<script>alert(1)</script>", "x" * 30, LOGIN_FAILED),
        ("a" * 300 + "@example.org", "x" * 30, "höchstens 254 Zeichen"),
        ("someone@example.org", "x" * 2000, "höchstens 1024 Zeichen"),
    ],
)
def test_bad_login_input_shows_message_next_to_field(client, auth, email, password, message):
    response = auth.login(email, password)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert 'class="field__error"' in body
    assert "<script>alert(1)</script>" not in body


def test_wrong_password_gives_same_message_as_unknown_account(client, auth):
    tenant = auth.logins["tenants"][0]
    wrong = auth.login(tenant["email"], "not-the-password-at-all").get_data(as_text=True)
    unknown = auth.login("unknown-person@example.org", "not-the-password-at-all").get_data(as_text=True)
    assert LOGIN_FAILED in wrong and LOGIN_FAILED in unknown
    assert without(wrong, tenant["email"]) == without(unknown, "unknown-person@example.org")


def test_login_without_csrf_token_is_refused_in_german(client, auth):
    tenant = auth.logins["tenants"][0]
    response = client.post("/anmelden", data={"email": tenant["email"], "password": tenant["password"]})
    assert response.status_code == 400
    assert "Sitzung abgelaufen" in response.get_data(as_text=True)


def test_htmx_login_error_returns_only_the_form(client, auth):
    auth.csrf_token()
    response = client.post(
        "/anmelden",
        data={"email": "x@example.org", "password": "wrong-password-1", "csrf_token": auth.csrf_token()},
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith("{") is False and "<html" not in body
    assert 'id="login-form"' in body and LOGIN_FAILED in body
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_login_success_reloads_the_whole_page(client, auth):
    tenant = auth.logins["tenants"][0]
    client.get("/anmelden")
    response = client.post(
        "/anmelden",
        data={"email": tenant["email"], "password": tenant["password"], "csrf_token": auth.csrf_token()},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204
    # a full load: the new session's CSRF token lives on <body>
    assert response.headers["HX-Redirect"] == "/" and "HX-Location" not in response.headers


def test_logout_needs_post(client, auth):
    auth.login_as()
    assert client.get("/abmelden").status_code == 405
    assert client.get("/").status_code == 200


def test_logout_ends_session_and_replayed_cookie_fails(client, auth, app):
    auth.login_as()
    stolen = client.get_cookie("wir_session").value
    response = auth.logout()
    assert response.status_code == 303 and response.headers["Location"] == "/anmelden"
    assert client.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("wir_session", stolen)
    assert replay.get("/").status_code == 302


def test_login_starts_a_new_session(client, auth):
    client.get("/anmelden")
    before = client.get_cookie("wir_session").value
    auth.login_as()
    after = client.get_cookie("wir_session").value
    assert before != after


def test_login_is_rate_limited_per_address(client, auth):
    statuses = [auth.login("nobody@example.org", f"wrong-password-{i}").status_code for i in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


# --- lockout, timeouts, password reset, first-login review (issue 3) ---

def move_clock(monkeypatch, delta):
    later = clock.now() + delta
    monkeypatch.setattr(clock, "now", lambda: later)


WRONG = "falsch-falsch-falsch"
PAUSED = "Zu viele fehlgeschlagene Anmeldeversuche mit dieser E-Mail-Adresse"
STRANGER = "niemand-hier@example.org"


def throttle_of(email):
    return LoginThrottle.get_or_none(LoginThrottle.address_hash == accounts.address_hash(email))


def from_client_address(app, auth, address):
    """Sign-in actions of a client at its own address: a bucket of its own in the per-client limit."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return AuthActions(client, auth.logins)


def without(page, email):
    """The page without the typed address and the client's own CSRF token."""
    return re.sub(r'(csrf_token" type="hidden" value="|X-CSRFToken": ")[^"]+', r"\1T", page.replace(email, "X"))


def freeze_clock(monkeypatch):
    """A clock that moves only when the test says so (german times in messages compare equal)."""
    now = clock.now().replace(microsecond=0)
    monkeypatch.setattr(clock, "now", lambda: now)


def fail_until_locked(auth, email, monkeypatch):
    """Five wrong passwords in a row, waiting out the short delays after the 3rd and 4th."""
    for wait in (0, 0, 0, 31, 61):
        move_clock(monkeypatch, timedelta(seconds=wait))
        auth.login(email, WRONG)


def test_wrong_passwords_delay_then_lock_the_address(client, auth, data, monkeypatch):
    tenant = auth.logins["tenants"][0]
    for _ in range(2):
        assert LOGIN_FAILED in auth.login(tenant["email"], WRONG).get_data(as_text=True)
    third = auth.login(tenant["email"], WRONG).get_data(as_text=True)
    assert PAUSED in third
    # even the right password waits out the delay
    assert PAUSED in auth.login(tenant["email"], tenant["password"]).get_data(as_text=True)
    move_clock(monkeypatch, timedelta(seconds=31))
    auth.login(tenant["email"], WRONG)
    move_clock(monkeypatch, timedelta(seconds=61))
    locked = auth.login(tenant["email"], WRONG).get_data(as_text=True)
    assert throttle_of(tenant["email"]).locked_until >= clock.now() + timedelta(minutes=14)
    assert "gesperrt" in locked and "Uhr" in locked and "Passwort vergessen?" in locked
    assert auth.login(tenant["email"], tenant["password"]).status_code == 422
    move_clock(monkeypatch, timedelta(minutes=16))
    assert auth.login(tenant["email"], tenant["password"]).status_code == 303
    assert throttle_of(tenant["email"]) is None  # a success ends the round


def test_unknown_addresses_are_counted_and_answered_with_the_same_words(app, auth, data, monkeypatch):
    """Step by step, an address with an account and one without get the same page: no enumeration."""
    tenant = auth.logins["tenants"][0]
    one, other = from_client_address(app, auth, "203.0.113.1"), from_client_address(app, auth, "203.0.113.2")
    freeze_clock(monkeypatch)
    for step, wait in enumerate((0, 0, 0, 31, 61, 0)):
        move_clock(monkeypatch, timedelta(seconds=wait))
        known = one.login(tenant["email"], WRONG)
        unknown = other.login(STRANGER, WRONG)
        assert known.status_code == unknown.status_code == 422
        known_body, unknown_body = known.get_data(as_text=True), unknown.get_data(as_text=True)
        assert without(known_body, tenant["email"]) == without(unknown_body, STRANGER), step
        assert (PAUSED in known_body) == (step >= 2)
    assert throttle_of(STRANGER).failures == throttle_of(tenant["email"]).failures == 5
    assert throttle_of(STRANGER).locked_until == throttle_of(tenant["email"]).locked_until


def test_a_strangers_failures_do_not_end_the_owners_sessions(app, client, auth, data, monkeypatch):
    tenant = auth.login_as()
    stranger = AuthActions(app.test_client(), auth.logins)
    fail_until_locked(stranger, tenant["email"], monkeypatch)
    assert PAUSED in stranger.login(tenant["email"], tenant["password"]).get_data(as_text=True)
    assert client.get("/").status_code == 200  # the owner goes on working


def test_failures_from_many_client_addresses_count_for_the_one_email_address(app, auth, data):
    tenant = auth.logins["tenants"][0]
    answers = [
        from_client_address(app, auth, f"203.0.113.{number}").login(tenant["email"], WRONG).get_data(as_text=True)
        for number in range(1, 4)
    ]
    assert LOGIN_FAILED in answers[1] and PAUSED in answers[2]


def test_password_reset_lifts_the_lock_at_once(app, client, auth, data, smtp, monkeypatch):
    tenant = auth.logins["tenants"][0]
    stranger = AuthActions(app.test_client(), auth.logins)
    fail_until_locked(stranger, tenant["email"], monkeypatch)
    assert PAUSED in auth.login(tenant["email"], tenant["password"]).get_data(as_text=True)
    client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": tenant["email"]})
    deliver(app)
    link = _reset_link(smtp)
    new_password = "Gruene-Tinte-auf-Papier"
    client.post(link, data={"csrf_token": auth.csrf_token(), "password": new_password, "password_repeat": new_password})
    assert auth.login(tenant["email"], new_password).status_code == 303


def test_after_100_failures_in_a_row_only_a_password_reset_opens_the_address(app, client, auth, data, smtp,
                                                                               monkeypatch):
    """NIST SP 800-63B: no more than 100 consecutive failures; the short locks in between do not reset the count."""
    tenant = auth.logins["tenants"][0]
    for email in (tenant["email"], STRANGER):
        for _ in range(accounts.MAX_FAILURES):
            move_clock(monkeypatch, accounts.LOCK_DURATION + timedelta(seconds=1))
            with pytest.raises(accounts.LoginRefused):
                accounts.authenticate(email, WRONG)
    move_clock(monkeypatch, timedelta(days=3))
    known = auth.login(tenant["email"], tenant["password"]).get_data(as_text=True)
    unknown = auth.login(STRANGER, tenant["password"]).get_data(as_text=True)
    assert "bis auf Weiteres gesperrt" in known
    assert without(known, tenant["email"]) == without(unknown, STRANGER)
    assert throttle_of(tenant["email"]).failures == accounts.MAX_FAILURES  # refusals while locked are not counted
    client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": tenant["email"]})
    deliver(app)
    new_password = "Gruene-Tinte-auf-Papier"
    client.post(_reset_link(smtp), data={"csrf_token": auth.csrf_token(), "password": new_password,
                                         "password_repeat": new_password})
    assert auth.login(tenant["email"], new_password).status_code == 303


@pytest.fixture
def production_hashing(app):
    """Argon2 at the production cost, so that skipping or doing a hash check shows in the response time."""
    passwords.configure(config.ARGON2_TIME_COST, config.ARGON2_MEMORY_COST, config.ARGON2_PARALLELISM)
    yield
    passwords.configure(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"],
                        app.config["ARGON2_PARALLELISM"])


def test_known_and_unknown_addresses_answer_in_the_same_time(app, auth, data, production_hashing, monkeypatch):
    """Wrong password and paused address: known and unknown take the same order of time (no enumeration)."""
    tenant = auth.logins["tenants"][0]
    User.update(password_hash=passwords.hash_password(tenant["password"])).where(
        User.email == tenant["email"]).execute()
    freeze_clock(monkeypatch)

    def seconds(email, address):
        actions = from_client_address(app, auth, address)  # the per-client limit is not measured here
        started = time.perf_counter()
        assert actions.login(email, WRONG).status_code == 422
        return time.perf_counter() - started

    def fastest(rounds, first_address):
        """The fastest of ``rounds`` tries per address, known and unknown taking turns, so that
        a busy moment of the machine slows both alike."""
        times = {tenant["email"]: [], STRANGER: []}
        for n in range(rounds):
            for i, email in enumerate(times):
                times[email].append(seconds(email, f"198.51.100.{first_address + 2 * n + i}"))
        return {email: min(values) for email, values in times.items()}

    wrong = fastest(3, 0)  # the first three wrong passwords: a full hash check for both (the third starts the pause)
    paused = fastest(5, 20)  # paused: no hash check for either
    for times in (wrong, paused):
        slow, fast = max(times.values()), min(times.values())
        assert slow < 3 * fast, times  # the leak this guards against was a factor of 15


def test_idle_session_ends_after_30_minutes(client, auth, monkeypatch):
    auth.login_as()
    assert client.get("/").status_code == 200
    move_clock(monkeypatch, timedelta(minutes=29))
    assert client.get("/").status_code == 200  # activity moves the limit
    move_clock(monkeypatch, timedelta(minutes=29 + 31))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/anmelden")
    assert "längere Zeit nicht aktiv" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_background_requests_do_not_keep_the_session_alive(client, auth, monkeypatch):
    auth.login_as()
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=20))
    client.get("/", headers={"X-WIR-Background": "1"})
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=31))
    assert client.get("/").status_code == 302


def test_activity_is_recorded_to_the_minute_and_the_warning_counts_from_it(client, auth, monkeypatch):
    """The session cookie is sent again only when the recorded activity moves by a minute (issue 14); the session
    still ends no later than 30 minutes after the last request, and the page and htmx answers tell session.js how
    long it has left, so the warning still comes 2 minutes before the sign-out."""
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)  # from the sign-in on: a slow sign-in moves nothing
    auth.login_as()
    client.get("/")  # the page's form token goes into the session once
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=40))
    response = client.get("/")
    assert "Set-Cookie" not in response.headers  # nothing new in the session
    assert 'data-session-idle-seconds="1760"' in response.get_data(as_text=True)
    htmx = client.get("/vertraege/", headers={"HX-Request": "true"})
    assert htmx.headers["X-WIR-Idle-Seconds"] == "1760"
    poll = client.get("/vertraege/", headers={"HX-Request": "true", "X-WIR-Background": "1"})
    assert "X-WIR-Idle-Seconds" not in poll.headers
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=70))
    response = client.get("/")
    assert "Set-Cookie" in response.headers  # a minute on: recorded
    assert 'data-session-idle-seconds="1800"' in response.get_data(as_text=True)
    # the request at 100 s is not recorded: the sign-out comes 30 minutes after 70 s, before 30 minutes after 100 s
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=100))
    assert client.get("/", headers={"HX-Request": "true"}).headers["X-WIR-Idle-Seconds"] == "1770"
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=70, minutes=30))
    assert client.get("/", headers={"X-WIR-Background": "1"}).status_code == 200  # no activity itself
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(seconds=71, minutes=30))
    assert client.get("/").status_code == 302


def test_sign_in_ends_after_8_hours_even_when_active(client, auth, monkeypatch):
    auth.login_as()
    start = clock.now()
    for minutes in range(25, 8 * 60, 25):
        monkeypatch.setattr(clock, "now", lambda m=minutes: start + timedelta(minutes=m))
        assert client.get("/").status_code == 200
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(hours=8, minutes=1))
    assert client.get("/").status_code == 302


def test_session_warning_is_in_the_page_and_keep_alive_works(client, auth, monkeypatch):
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)  # a sign-in slower than a second would leave 1799 s
    auth.login_as()
    page = client.get("/").get_data(as_text=True)
    assert 'data-session-idle-seconds="1800"' in page
    assert 'id="session-warning"' in page and "Angemeldet bleiben" in page
    assert "nach 30 Minuten ohne Aktivität" in page
    response = client.post("/sitzung", data={"csrf_token": auth.csrf_token(), "next": "/vertraege/"})
    assert response.status_code == 303 and response.headers["Location"] == "/vertraege/"
    htmx = client.post("/sitzung", headers={"HX-Request": "true", "X-CSRFToken": auth.csrf_token()})
    assert htmx.status_code == 204


CONTROL_CHARACTERS = ["%0D%0A", "%0D", "%0A", "%09", "%00", "%7F"]


@pytest.mark.parametrize("control", CONTROL_CHARACTERS)
def test_control_characters_in_next_lead_home_after_sign_in(client, auth, control):
    """A line break cannot go into a Location header (it gave a 500); browsers would drop it silently."""
    target = f"/vertraege/{control}x"
    assert client.get(f"/anmelden?next={target}").status_code == 200
    tenant = auth.logins["tenants"][0]
    response = auth.login(tenant["email"], tenant["password"], next_url=target)
    assert response.status_code == 303 and response.headers["Location"] == "/"


@pytest.mark.parametrize("control", ["\r\n", "\r", "\n", "\t", "\x00", "\x7f"])
def test_control_characters_in_next_of_keep_alive_lead_home(client, auth, control):
    auth.login_as()
    response = client.post("/sitzung", data={"csrf_token": auth.csrf_token(), "next": f"/vertraege/{control}x"})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_first_login_asks_to_review_contact_data(client, auth, data):
    unreviewed = next(
        t for t in auth.logins["tenants"] if User.get(User.email == t["email"]).contact_reviewed_at is None
    )
    auth.login(unreviewed["email"], unreviewed["password"])
    response = client.get("/vertraege/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/konto/kontaktdaten-pruefen?next=/vertraege/"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert unreviewed["email"] in page and "Telefonnummern" in page and "Anschrift" in page
    done = client.post(response.headers["Location"], data={"csrf_token": auth.csrf_token()})
    assert done.headers["Location"] == "/vertraege/"
    assert client.get("/vertraege/").status_code == 200


def _reset_link(smtp):
    text = mail_text(smtp.messages[-1])
    return re.search(r"http://localhost(/passwort-neu/\S+)", text).group(1)


def test_forgot_password_answers_the_same_for_unknown_addresses(app, client, auth, smtp):
    tenant = auth.logins["tenants"][0]
    known = client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": tenant["email"]})
    unknown = client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": "niemand@example.org"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    deliver(app)
    assert [m["To"] for m in smtp.messages] == [tenant["email"]]


def test_password_reset_sets_new_password_and_ends_all_sessions(app, client, auth, smtp):
    tenant = auth.login_as()
    other_device = app.test_client()
    other_device.set_cookie("wir_session", client.get_cookie("wir_session").value)
    auth.logout()
    client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": tenant["email"]})
    auth.login_as()
    other_device.set_cookie("wir_session", client.get_cookie("wir_session").value)
    assert other_device.get("/").status_code == 200
    deliver(app)
    link = _reset_link(smtp)
    fresh = app.test_client()
    form_page = fresh.get(link)
    assert form_page.status_code == 200 and "Neues Passwort festlegen" in form_page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form_page.get_data(as_text=True)).group(1)
    new_password = "Gruene-Tinte-auf-Papier"
    response = fresh.post(link, data={"csrf_token": token, "password": new_password, "password_repeat": new_password})
    assert response.status_code == 303 and response.headers["Location"] == "/anmelden"
    assert other_device.get("/").status_code == 302  # every session ended
    assert auth.login(tenant["email"], tenant["password"]).status_code == 422
    assert auth.login(tenant["email"], new_password).status_code == 303
    deliver(app)
    assert smtp.messages[-1]["Subject"] == "Ihr Passwort wurde geändert"
    assert fresh.get(link).status_code == 410  # single use


def test_reset_link_expires_after_one_hour(app, client, auth, smtp, monkeypatch):
    tenant = auth.logins["tenants"][0]
    client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": tenant["email"]})
    deliver(app)
    link = _reset_link(smtp)
    move_clock(monkeypatch, timedelta(minutes=59))
    assert client.get(link).status_code == 200
    move_clock(monkeypatch, timedelta(hours=1, seconds=1) - timedelta(minutes=59))
    expired = client.get(link)
    assert expired.status_code == 410 and "Neuen Link anfordern" in expired.get_data(as_text=True)


@pytest.mark.parametrize("password, repeat, message", [
    ("kurz", "kurz", "mindestens 12 Zeichen"),
    ("Neues-Garten-Passwort", "anders-anders-anders", "stimmen nicht überein"),
    ("juergen-mueller-2026", "juergen-mueller-2026", "Namen"),
])
def test_reset_refuses_bad_passwords(app, client, auth, smtp, password, repeat, message):
    tenant = auth.logins["tenants"][0]
    client.post("/passwort-vergessen", data={"csrf_token": auth.csrf_token(), "email": tenant["email"]})
    deliver(app)
    link = _reset_link(smtp)
    response = client.post(link, data={"csrf_token": auth.csrf_token(), "password": password, "password_repeat": repeat})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert client.get(link).status_code == 200  # the link stays usable
