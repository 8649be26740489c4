"""Personen: the search (prefix of a word, case and umlauts folded: "mueller" finds Müller), its pages and
constant queries for 3 and 3,000 persons; a person's page (contracts with parties, portal account, open Meldungen,
documents with their first opening), audited; the account actions (resend the confirmation mail, lift a sign-in
lock, block and unblock), each asked once more, audited and refused when they do not apply or when a colleague
acted on the account since the page was shown; the scope."""

import re
from datetime import timedelta

import pytest

from tests.helpers import AuthActions, at_once, demo_tenant, htmx, main_of
from wir import clock, db
from wir.models import (
    AuditLog,
    Contract,
    ContractParty,
    Cooperative,
    Document,
    EmailConfirmation,
    LoginThrottle,
    OutboxMail,
    Person,
    Ticket,
    User,
)
from wir.services import versions
from wir.services.account import accounts
from wir.services.staff import staff_persons

PERSONS = "/intern/personen"
STAFF = {"lipsia": 0, "elsteraue": 2}  # index in the demo logins' staff list
PERSON_LINK = re.compile(r'<a id="person-(\d+)" href="/intern/personen/\d+">([^<]+)</a>')


def cooperative(slug: str) -> Cooperative:
    return Cooperative.get(Cooperative.slug == slug)


def person(first_name: str, slug: str = "lipsia") -> Person:
    return Person.get((Person.first_name == first_name) & (Person.cooperative == cooperative(slug)))


def names(response) -> list[str]:
    """The names of the result rows, in order ("Müller, Jürgen")."""
    return [name for _, name in PERSON_LINK.findall(response.get_data(as_text=True))]


def unconfirmed(who: Person, email: str = "monika.mueller@example.org") -> User:
    """An account registered for ``who`` and not confirmed yet."""
    user = User.create(email=email, password_hash="nicht-benutzt", role=User.ROLE_TENANT)
    Person.update(user=user).where(Person.id == who.id).execute()
    return user


@pytest.fixture
def clerk(auth, data):
    """A clerk of Lipsia, signed in (password and code)."""
    login = auth.login_staff(STAFF["lipsia"])
    return User.get(User.email == login["email"])


@pytest.fixture
def admin(auth, data):
    auth.login_with_code(auth.logins["admin"])
    return User.get(User.email == auth.logins["admin"]["email"])


# --- access ---


@pytest.mark.parametrize("who", ["anonymous", "tenant"])
def test_anonymous_users_and_tenants_get_404(client, auth, data, who):
    if who == "tenant":
        auth.login_as("juergen")
    target = person("Monika").id
    urls = [PERSONS, f"{PERSONS}?suche=mueller", f"{PERSONS}/{target}", f"{PERSONS}/{target}/sperren"]
    for url in urls:
        for headers in ({}, {"HX-Request": "true", "HX-Target": "persons"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 404 and "Location" not in response.headers, url
    response = client.post(f"{PERSONS}/{target}/sperren", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 404
    assert User.get(User.email == demo_tenant(auth.logins, "juergen")["email"]).is_active


def test_the_other_cooperatives_person_is_404_for_staff_and_found_by_the_admin(client, auth, data):
    foreign = person("Ayşe", "elsteraue")
    auth.login_staff(STAFF["lipsia"])
    assert client.get(f"{PERSONS}/{foreign.id}").status_code == 404
    assert client.get(f"{PERSONS}/{foreign.id}/sperren").status_code == 404
    assert names(client.get(f"{PERSONS}?suche=yilmaz")) == []
    assert client.get(f"{PERSONS}/{10**9}").status_code == 404
    auth.logout()
    auth.login_with_code(auth.logins["admin"])
    assert client.get(f"{PERSONS}/{foreign.id}").status_code == 200
    assert names(client.get(f"{PERSONS}?suche=yilmaz")) == ["Yılmaz, Ayşe", "Yılmaz, Şükrü"]


def test_staff_menu_names_personen_and_only_admins_protokoll(client, auth, clerk):
    nav = client.get(PERSONS).get_data(as_text=True).split('aria-label="Hauptmenü"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/intern/personen" aria-current="page">Personen</a>' in nav
    assert "Protokoll" not in nav
    auth.logout()
    auth.login_with_code(auth.logins["admin"])
    nav = client.get("/intern/").get_data(as_text=True).split('aria-label="Hauptmenü"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/intern/personen">Personen</a>' in nav and '<a href="/intern/protokoll">Protokoll</a>' in nav


# --- the search ---


@pytest.mark.parametrize("typed", ["mueller", "MUELLER", "Müller", "MÜLLER", "müll", "Mue", "muel"])
def test_umlauts_and_case_do_not_count(client, clerk, typed):
    assert names(client.get(f"{PERSONS}?suche={typed}")) == ["Müller, Jürgen", "Müller, Monika"]


def test_a_stored_spelled_out_name_is_found_with_the_umlaut_too(client, clerk, data):
    Person.create(cooperative=clerk.cooperative_id, number="999001", first_name="Karl", last_name="Mueller-Weiß",
                  street="Gießerstraße 3", postcode="04229", city="Leipzig")
    assert names(client.get(f"{PERSONS}?suche=Müller")) == ["Mueller-Weiß, Karl", "Müller, Jürgen", "Müller, Monika"]
    assert names(client.get(f"{PERSONS}?suche=weiss")) == ["Mueller-Weiß, Karl", "Weiß, Gisela"]  # after a hyphen
    assert names(client.get(f"{PERSONS}?suche=giesser")) == ["Mueller-Weiß, Karl"]


def test_other_marks_are_dropped(client, clerk):
    assert names(client.get(f"{PERSONS}?suche=zolc")) == ["Żółć, Łukasz"]
    assert names(client.get(f"{PERSONS}?suche=Lukasz")) == ["Żółć, Łukasz"]
    assert names(client.get(f"{PERSONS}?suche=ŻÓŁĆ")) == ["Żółć, Łukasz"]


def test_only_the_start_of_a_word_matches(client, clerk):
    assert names(client.get(f"{PERSONS}?suche=ueller")) == []
    assert names(client.get(f"{PERSONS}?suche=ller")) == []


def test_search_by_name_address_member_number_contract_number_and_email(client, clerk, auth):
    juergen = person("Jürgen")
    contract = Contract.select().join(ContractParty).where(ContractParty.person == juergen).order_by(Contract.id).first()
    email = demo_tenant(auth.logins, "juergen")["email"]
    assert names(client.get(f"{PERSONS}?suche=juergen mue")) == ["Müller, Jürgen"]
    assert names(client.get(f"{PERSONS}?suche=Jürgen Müller")) == ["Müller, Jürgen"]
    assert "Müller, Jürgen" in names(client.get(f"{PERSONS}?suche=stuttgarter"))
    assert "Müller, Jürgen" in names(client.get(f"{PERSONS}?suche={juergen.postcode}"))
    assert names(client.get(f"{PERSONS}?suche={juergen.number}")) == ["Müller, Jürgen"]
    assert names(client.get(f"{PERSONS}?suche={juergen.number[:4]}")) != []
    parties = {f"{p.last_name}, {p.first_name}" for p in Person.select().join(ContractParty)
               .where(ContractParty.contract == contract)}
    assert set(names(client.get(f"{PERSONS}?suche={contract.number}"))) == parties
    assert set(names(client.get(f"{PERSONS}?suche={contract.number.lower()}"))) == parties
    assert names(client.get(f"{PERSONS}?suche={email.upper()}")) == ["Müller, Jürgen"]
    assert names(client.get(f"{PERSONS}?suche={email.split('@')[0]}")) == ["Müller, Jürgen"]


def test_the_row_shows_number_address_contracts_and_account_state(client, clerk, auth):
    juergen = person("Jürgen")
    page = client.get(f"{PERSONS}?suche=mueller").get_data(as_text=True)
    row = page.split(f'id="person-{juergen.id}"', 1)[1].split("</tr>", 1)[0]
    contracts = [c.number for c in Contract.select().join(ContractParty).where(ContractParty.person == juergen)]
    for text in [juergen.number, juergen.street, demo_tenant(auth.logins, "juergen")["email"], "aktiv", *contracts]:
        assert text in row, text
    monika_row = page.split(f'id="person-{person("Monika").id}"', 1)[1].split("</tr>", 1)[0]
    assert "kein Zugang" in monika_row


def test_without_a_word_every_person_of_the_cooperative_by_name(client, clerk):
    shown = names(client.get(PERSONS))
    expected = [f"{p.last_name}, {p.first_name}" for p in Person.select().where(Person.cooperative == clerk.cooperative)
                .order_by(Person.last_name, Person.first_name, Person.id)]
    assert shown == expected


def test_htmx_gets_only_the_results_and_the_form(client, auth, clerk):
    response = client.get(f"{PERSONS}?suche=mueller", headers=htmx(auth, "persons"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="persons"')
    assert "<html" not in body and 'role="search"' in body and "Müller, Monika" in body
    assert "HX-Request" in response.headers["Vary"]
    full = client.get(f"{PERSONS}?suche=mueller").get_data(as_text=True)
    assert "<html" in full and 'hx-push-url="true"' in full


@pytest.mark.parametrize("typed, status, message", [
    ("<script>alert(1)</script>", 200, None),
    ("x" * 101, 422, "Höchstens 100 Zeichen."),
    ("Mül\x00ler\x1b", 200, None),
    ("%", 200, None),
    ("_", 200, None),
])
def test_hostile_and_oversized_searches(client, clerk, typed, status, message):
    response = client.get(PERSONS, query_string={"suche": typed})
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert "<script>alert" not in body
    if message:
        error = re.search(r'id="suche-error">(.*?)</p>', body, re.S).group(1)
        assert message in error and 'aria-invalid="true"' in body
    elif typed in ("%", "_"):
        assert names(response) == []  # matched as themselves
    elif typed.startswith("Mül"):
        assert names(response) == []  # "Mül ler": both words must start a word
    else:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def _bulk_persons(cooperative_id: int, count: int, start: int) -> None:
    rows = [dict(cooperative=cooperative_id, number=f"B{start + i:06d}", first_name="Anna", last_name=f"Müller{i:05d}",
                 street="Alte Salzstraße 1", postcode="04209", city="Leipzig") for i in range(count)]
    for chunk in range(0, len(rows), 300):
        Person.insert_many(rows[chunk:chunk + 300]).execute()


def test_search_runs_as_many_queries_for_3_as_for_3000_persons(client, clerk, data, count_queries):
    urls = [PERSONS, f"{PERSONS}?suche=mueller", f"{PERSONS}?suche=anna+mue&seite=3", f"{PERSONS}?suche=1001"]

    def measure() -> list[int]:
        counts = []
        for url in urls:
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts.append(queries.count)
        return counts

    _bulk_persons(clerk.cooperative_id, 3, 0)
    small = measure()
    _bulk_persons(clerk.cooperative_id, 2997, 3)
    big = measure()
    assert small == big, (small, big)
    page = client.get(f"{PERSONS}?suche=anna+mue&seite=3")
    assert len(names(page)) == 50 and "Seite 3 von 60" in page.get_data(as_text=True)


def test_pages_show_every_match_once(client, clerk, data):
    _bulk_persons(clerk.cooperative_id, 120, 0)
    seen = []
    for number in (1, 2, 3):
        seen += names(client.get(f"{PERSONS}?suche=anna&seite={number}"))
    assert len(seen) == 120 and len(set(seen)) == 120


# --- a person's page ---


def test_person_page_shows_address_contracts_with_parties_account_tickets_and_documents(client, clerk, data, auth):
    juergen = person("Jürgen")
    Document.update(read_at=None).where(Document.person == juergen).execute()
    documents = list(Document.select().where(Document.person == juergen).order_by(Document.id))
    assert len(documents) >= 2
    opened_at = clock.now().replace(microsecond=0) - timedelta(days=3)
    Document.update(read_at=opened_at).where(Document.id == documents[0].id).execute()
    user = User.get_by_id(juergen.user_id)
    User.update(last_login_at=opened_at).where(User.id == user.id).execute()
    page = main_of(client.get(f"{PERSONS}/{juergen.id}").get_data(as_text=True))
    assert juergen.street in page and juergen.postcode in page and juergen.number in page
    for contract in Contract.select().join(ContractParty).where(ContractParty.person == juergen):
        assert contract.number in page
    assert "Monika Müller" in page and "Mitmieter" in page  # the co-tenant of the flat
    assert f'href="/intern/personen/{person("Monika").id}"' in page
    assert re.search(r'id="account-state"><strong>aktiv</strong>', page)
    assert user.email in page and "Letzte Anmeldung" in page
    for ticket in Ticket.select().where((Ticket.person == juergen) & Ticket.status.in_(Ticket.OPEN_STATUSES)):
        assert f'href="/intern/meldungen/{ticket.number}"' in page
    closed = Ticket.select().where((Ticket.person == juergen) & ~Ticket.status.in_(Ticket.OPEN_STATUSES)).first()
    if closed:
        assert f'href="/intern/meldungen/{closed.number}"' not in page
    for document in documents:
        assert document.number in page
    assert page.count("noch nicht geöffnet") == len(documents) - 1
    local = clock.to_local(opened_at)
    assert local.strftime("%d.%m.%Y, %H:%M") in page


def test_every_opening_of_a_person_page_is_audited(client, clerk, data):
    monika = person("Monika")
    for _ in range(2):
        assert client.get(f"{PERSONS}/{monika.id}").status_code == 200
    entries = list(AuditLog.select().where((AuditLog.action == "person.view") & (AuditLog.object_id == str(monika.id))))
    assert len(entries) == 2
    assert all(e.user_id == clerk.id and e.object_type == "Person" and e.cooperative_id == monika.cooperative_id
               and e.detail == monika.number for e in entries)


def test_account_states(client, clerk, data):
    monika = person("Monika")
    assert "Die Person hat noch kein Benutzerkonto" in client.get(f"{PERSONS}/{monika.id}").get_data(as_text=True)
    user = unconfirmed(monika)
    page = client.get(f"{PERSONS}/{monika.id}").get_data(as_text=True)
    assert re.search(r'id="account-state"><strong>registriert, nicht bestätigt</strong>', page)
    assert f'href="/intern/personen/{monika.id}/bestaetigung"' in page
    User.update(is_active=False).where(User.id == user.id).execute()
    page = client.get(f"{PERSONS}/{monika.id}").get_data(as_text=True)
    assert re.search(r'id="account-state"><strong>gesperrt</strong>', page)
    assert f'href="/intern/personen/{monika.id}/freigeben"' in page
    assert f'href="/intern/personen/{monika.id}/bestaetigung"' not in page


# --- actions ---


def _post(client, auth, url, version=None, **headers):
    """The action's form as its page sends it: with the version of the account the page showed (the current one
    unless ``version`` is given)."""
    if version is None:
        user_id = Person.get_by_id(int(url.split("/")[3])).user_id
        version = str(User.get_by_id(user_id).version) if user_id else ""
    return client.post(url, data={"csrf_token": auth.csrf_token(), "version": version}, headers=headers)


def test_resend_the_confirmation_mail_asks_first_then_sends_a_new_link(client, auth, clerk, data):
    monika = person("Monika")
    user = unconfirmed(monika)
    url = f"{PERSONS}/{monika.id}/bestaetigung"
    ask = client.get(url)
    assert ask.status_code == 200 and "Bestätigungs-E-Mail erneut senden</button>" in ask.get_data(as_text=True)
    assert OutboxMail.select().where(OutboxMail.recipient == user.email).count() == 0  # GET changes nothing
    response = _post(client, auth, url)
    assert response.status_code == 303 and response.headers["Location"] == f"{PERSONS}/{monika.id}"
    mails = list(OutboxMail.select().where(OutboxMail.recipient == user.email))
    assert len(mails) == 1 and mails[0].subject == "Bitte bestätigen Sie Ihre E-Mail-Adresse"
    assert "/registrieren/bestaetigen/" in mails[0].body_text or "bestaetig" in mails[0].body_text
    assert EmailConfirmation.select().where((EmailConfirmation.user == user) & EmailConfirmation.used_at.is_null()).count() == 1
    entry = AuditLog.get(AuditLog.action == "person.confirmation_resent")
    assert entry.user_id == clerk.id and entry.object_id == str(monika.id) and entry.cooperative_id == monika.cooperative_id
    assert "Bestätigungs-E-Mail ist erneut gesendet" in client.get(response.headers["Location"]).get_data(as_text=True)
    # a second resend voids the first link
    _post(client, auth, url)
    assert EmailConfirmation.select().where((EmailConfirmation.user == user) & EmailConfirmation.used_at.is_null()).count() == 1


def test_resend_is_refused_for_a_confirmed_account_and_without_an_account(client, auth, clerk, data):
    for first_name in ("Jürgen", "Monika"):
        target = person(first_name)
        url = f"{PERSONS}/{target.id}/bestaetigung"
        ask = client.get(url)
        assert ask.status_code == 409 and "</button>" not in main_of(ask.get_data(as_text=True))
        response = _post(client, auth, url)
        assert response.status_code == 409
        assert "nur an ein Benutzerkonto, das registriert, aber noch nicht bestätigt" in response.get_data(as_text=True)
    assert OutboxMail.select().count() == OutboxMail.select().where(OutboxMail.subject != "Bitte bestätigen Sie Ihre E-Mail-Adresse").count()
    assert not AuditLog.select().where(AuditLog.action == "person.confirmation_resent").exists()


def test_unlock_a_locked_sign_in(client, auth, clerk, data):
    juergen = person("Jürgen")
    user = User.get_by_id(juergen.user_id)
    until = clock.now() + timedelta(minutes=12)
    LoginThrottle.create(address_hash=accounts.address_hash(user.email), failures=5, locked_until=until,
                         last_failure_at=clock.now())
    page = client.get(f"{PERSONS}/{juergen.id}").get_data(as_text=True)
    assert f"Anmeldung gesperrt bis {clock.to_local(until).strftime('%d.%m.%Y, %H:%M')}" in page
    assert "5 falsche Versuche in Folge" in page
    url = f"{PERSONS}/{juergen.id}/entsperren"
    assert client.get(url).status_code == 200
    response = _post(client, auth, url)
    assert response.status_code == 303
    assert not LoginThrottle.select().exists()
    assert AuditLog.get(AuditLog.action == "person.sign_in_unlocked").object_id == str(juergen.id)
    assert "Anmeldung gesperrt" not in client.get(f"{PERSONS}/{juergen.id}").get_data(as_text=True)
    assert _post(client, auth, url).status_code == 409  # nothing locked any more


def test_a_lock_until_a_password_reset_is_shown_and_lifted(client, auth, clerk, data):
    juergen = person("Jürgen")
    user = User.get_by_id(juergen.user_id)
    LoginThrottle.create(address_hash=accounts.address_hash(user.email), failures=accounts.MAX_FAILURES,
                         last_failure_at=clock.now())
    assert "Anmeldung gesperrt, bis das Passwort zurückgesetzt wird" in client.get(f"{PERSONS}/{juergen.id}").get_data(as_text=True)
    assert _post(client, auth, f"{PERSONS}/{juergen.id}/entsperren").status_code == 303
    assert not LoginThrottle.select().exists()


def test_block_ends_every_session_at_once_and_unblock_lets_the_person_in_again(app, client, auth, clerk, data):
    tenant = demo_tenant(auth.logins, "juergen")
    tenant_client = app.test_client()
    tenant_auth = AuthActions(tenant_client, auth.logins)
    tenant_auth.login_as("juergen")
    assert tenant_client.get("/meldungen").status_code == 200
    juergen = person("Jürgen")
    url = f"{PERSONS}/{juergen.id}/sperren"
    assert "alle ihre Sitzungen enden sofort" in client.get(url).get_data(as_text=True)
    response = _post(client, auth, url, **{"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Location"] == f"{PERSONS}/{juergen.id}"
    user = User.get_by_id(juergen.user_id)
    assert not user.is_active
    ended = tenant_client.get("/meldungen")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/anmelden")
    refused = tenant_auth.login(tenant["email"], tenant["password"])
    assert refused.status_code != 303
    assert AuditLog.get(AuditLog.action == "person.account_blocked").user_id == clerk.id
    assert _post(client, auth, url).status_code == 409  # already blocked

    assert _post(client, auth, f"{PERSONS}/{juergen.id}/freigeben").status_code == 303
    assert User.get_by_id(user.id).is_active
    assert tenant_auth.login(tenant["email"], tenant["password"]).status_code == 303
    assert AuditLog.get(AuditLog.action == "person.account_unblocked").object_id == str(juergen.id)


def test_actions_need_the_csrf_token(client, clerk, data):
    juergen = person("Jürgen")
    response = client.post(f"{PERSONS}/{juergen.id}/sperren", data={})
    assert response.status_code in (400, 422)
    assert User.get_by_id(juergen.user_id).is_active


def test_unknown_action_is_404(client, auth, clerk):
    assert client.get(f"{PERSONS}/{person('Jürgen').id}/loeschen").status_code == 404


# --- two clerks ---


def test_an_action_based_on_a_stale_view_of_the_account_is_refused(app, demo_logins, data):
    first, second = app.test_client(), app.test_client()
    first_auth, second_auth = AuthActions(first, demo_logins), AuthActions(second, demo_logins)
    first_auth.login_staff(0)
    second_auth.login_staff(1)
    juergen = person("Jürgen")
    url = f"{PERSONS}/{juergen.id}/sperren"
    page = second.get(url).get_data(as_text=True)
    stale = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    # meanwhile the first clerk blocks the account and, after a call from the tenant, unblocks it again
    assert _post(first, first_auth, url).status_code == 303
    assert _post(first, first_auth, f"{PERSONS}/{juergen.id}/freigeben").status_code == 303
    response = _post(second, second_auth, url, version=stale)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    notice = re.search(r'<div[^>]*id="conflict"[^>]*>(.*?)</div>', page, re.S)
    assert "autofocus" in notice.group(0)
    assert "Das Benutzerkonto wurde inzwischen geändert. Ihre Eingabe wurde nicht übernommen." in notice.group(1)
    assert "Benutzerkonto freigegeben" in notice.group(1) and "Sandra Köhler" in notice.group(1)  # what, and who
    assert User.get_by_id(juergen.user_id).is_active
    assert AuditLog.select().where(AuditLog.action == "person.account_blocked").count() == 1
    # the page now shows the account as it is, and its form carries that version: blocking is a deliberate choice
    current = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    assert current != stale
    assert _post(second, second_auth, url, version=current).status_code == 303
    assert not User.get_by_id(juergen.user_id).is_active


@pytest.mark.parametrize("version", ["", "abc", "99999999999999999999"])
def test_an_action_without_the_version_of_the_account_changes_nothing(client, auth, clerk, data, version):
    juergen = person("Jürgen")
    response = _post(client, auth, f"{PERSONS}/{juergen.id}/sperren", version=version)
    assert response.status_code == 422 and "inzwischen geändert" in response.get_data(as_text=True)
    assert User.get_by_id(juergen.user_id).is_active
    assert not AuditLog.select().where(AuditLog.action == "person.account_blocked").exists()


def test_two_clerks_acting_on_the_same_account_at_once_exactly_one_applies(app, data):
    with app.app_context():
        juergen = person("Jürgen")
        user = User.get_by_id(juergen.user_id)
        LoginThrottle.create(address_hash=accounts.address_hash(user.email), failures=5,
                             locked_until=clock.now() + timedelta(minutes=10), last_failure_at=clock.now())
        clerks = list(User.select().where(User.cooperative == juergen.cooperative_id).order_by(User.id).limit(2))
        db.database.close()
    def acting(clerk, action):
        def act(ready):
            current = Person.get_by_id(juergen.id)
            ready()
            staff_persons.act(action, current, user.version, clerk)
        return act

    # both apply to the account as the clerks saw it: without the version, both would be done
    actions = (staff_persons.UNLOCK, staff_persons.BLOCK)
    outcomes = at_once(app, versions.Conflict, *(acting(clerk, action) for clerk, action in zip(clerks, actions)))
    assert sorted(outcomes) == ["applied", "refused"], outcomes
    applied = actions[outcomes.index("applied")]
    with app.app_context():
        assert User.get_by_id(user.id).is_active is (applied == staff_persons.UNLOCK)
        assert LoginThrottle.select().exists() is (applied == staff_persons.BLOCK)
        assert User.get_by_id(user.id).version == user.version + 1
        acted = AuditLog.select().where(AuditLog.action.startswith("person.") & (AuditLog.action != "person.view"))
        assert acted.count() == 1
