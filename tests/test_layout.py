"""The layout: navigation, user menu, footer, full page vs fragment."""


from wir.models import Cooperative, Person, User


def _tenant_without_savings(logins, data):
    for tenant in logins["tenants"]:
        user = User.get(User.email == tenant["email"])
        cooperatives = Cooperative.select().join(Person).where(Person.user == user)
        if not any(c.has_savings for c in cooperatives):
            return tenant["email"]
    raise AssertionError("demo data needs a tenant without savings cooperative")


def _tenant_with_savings(logins, data):
    for tenant in logins["tenants"]:
        user = User.get(User.email == tenant["email"])
        if Cooperative.select().join(Person).where((Person.user == user) & Cooperative.has_savings).exists():
            return tenant["email"]
    raise AssertionError("demo data needs a saver")


def test_navigation_uses_the_words_of_the_guide(client, auth, data):
    auth.login_as(_tenant_with_savings(auth.logins, data))
    page = client.get("/").get_data(as_text=True)
    for word in ("Startseite", "Dokumente", "Verträge", "Sparen", "Kontakt", "Meldungen"):
        assert f">{word}</a>" in page or f">{word}<span" in page  # Dokumente may carry its unread count
    for word in ("Kontaktdaten", "Anschrift", "Passwort", "Abmelden"):
        assert word in page
    assert 'aria-current="page">Startseite' in page


def test_sparen_hidden_and_closed_for_cooperative_without_savings(client, auth, data):
    auth.login_as(_tenant_without_savings(auth.logins, data))
    page = client.get("/").get_data(as_text=True)
    assert ">Sparen</a>" not in page
    assert client.get("/sparen/").status_code == 404


def test_sparen_open_for_saver(client, auth, data):
    auth.login_as(_tenant_with_savings(auth.logins, data))
    assert client.get("/sparen/").status_code == 200


def test_footer_has_contact_and_legal_links(client):
    page = client.get("/anmelden").get_data(as_text=True)
    for text in ("wir-immerda@wg-lipsia.de", "0341 41519-0", "Impressum", "Datenschutz", "Erklärung zur Barrierefreiheit"):
        assert text in page


def test_header_names_the_users_cooperatives(client, auth, data):
    both = next(
        t for t in auth.logins["tenants"]
        if Person.select().join(User).where(User.email == t["email"]).count() == 2
    )
    auth.login(both["email"], both["password"])
    page = client.get("/").get_data(as_text=True)
    assert "Lipsia" in page and "Elsteraue" in page


def test_anschrift_is_read_only(client, auth, data):
    tenant = auth.login_as()
    person = Person.select().join(User).where(User.email == tenant["email"]).first()
    page = client.get("/konto/anschrift").get_data(as_text=True)
    assert person.street in page and person.postcode in page
    assert "<input" not in page.split('<main id="main"')[1]


def test_history_restore_gets_full_page(client):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = client.get("/anmelden", headers=headers)
    assert "<html" in response.get_data(as_text=True)
    fragment = client.get("/anmelden", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="login-form"' in fragment


def test_error_page_for_htmx_is_a_fragment_but_whole_on_history_restore(client):
    fragment = client.get("/gibt-es-nicht", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "<html" not in fragment.get_data(as_text=True)
    assert "Seite nicht gefunden" in fragment.get_data(as_text=True)
    restore = client.get("/gibt-es-nicht", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert restore.status_code == 404 and "<html" in restore.get_data(as_text=True)
    assert "HX-Request" in restore.headers["Vary"]


def test_error_page_keeps_the_headers_of_the_error(client):
    response = client.get("/abmelden")  # POST only
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert "Aktion nicht möglich" in response.get_data(as_text=True)


def test_startseite_query_count_does_not_grow_with_news(client, auth, data, count_queries):
    from datetime import timedelta

    from wir import clock
    from wir.models import NewsItem

    auth.login_as()
    with count_queries() as before:
        assert client.get("/").status_code == 200
    for cooperative in Cooperative.select():
        for i in range(30):
            NewsItem.create(
                cooperative=cooperative, title=f"Meldung {i}", body="Text", published_at=clock.now() - timedelta(hours=i)
            )
    with count_queries() as after:
        page = client.get("/").get_data(as_text=True)
    assert after.count == before.count
    assert page.count("<article>") == 5
