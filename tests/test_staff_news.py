"""Neuigkeiten from the staff's side (issue 12): list, write, preview, edit, publish from a day, take down on a day,
delete after asking; plain text with paragraphs and links, never HTML; shown on the tenants' Startseite of that
cooperative only while published_at ≤ now < expires_at; two clerks editing the same item never overwrite each other
unseen (the forms carry its version)."""

import re
from datetime import date, datetime, timedelta

import pytest

from tests.helpers import AuthActions, at_once, htmx, main_of
from wir import clock, db
from wir.formatting import paragraphs
from wir.models import AuditLog, Cooperative, NewsItem, Person, User
from wir.services import versions
from wir.services.home import news

LIST, NEW = "/intern/neuigkeiten", "/intern/neuigkeiten/neu"


def lipsia() -> Cooperative:
    return Cooperative.get(Cooperative.slug == "lipsia")


def lipsia_persons() -> list[Person]:
    """A reader of Lipsia's news for all tenants."""
    return [Person.get(Person.cooperative == lipsia())]


def form(auth, **values) -> dict:
    today = clock.today()
    fields = {"csrf_token": auth.csrf_token(), "title": "Sommerfest im Hof",
              "body": "Wir feiern am Samstag.\n\nMehr unter https://www.wg-lipsia.de/sommerfest.",
              "publish_on": today.isoformat(), "expires_on": (today + timedelta(days=14)).isoformat()}
    fields.update(values)
    return fields


def version_of(page: str) -> str:
    """The version the page's form was based on (its hidden field)."""
    return re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)


def two_clerks(app, demo_logins):
    """Two Lipsia clerks signed in with their own clients."""
    clerks = []
    for index in (0, 1):
        client = app.test_client()
        auth = AuthActions(client, demo_logins)
        auth.login_staff(index)
        clerks.append((client, auth))
    return clerks


def lipsia_item() -> NewsItem:
    return NewsItem.select().where(NewsItem.cooperative == lipsia()).order_by(NewsItem.id).first()


def test_a_clerk_writes_news_that_tenants_of_the_cooperative_see_on_the_startseite(client, auth, data):
    staff = auth.login_staff(0)
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, data=form(auth))
    assert response.status_code == 303 and response.headers["Location"] == LIST
    item = NewsItem.get(NewsItem.title == "Sommerfest im Hof")
    assert item.cooperative_id == lipsia().id and item.published_at <= clock.now() < item.expires_at
    assert AuditLog.get(AuditLog.action == "news.created").user.email == staff["email"]
    listed = client.get(LIST).get_data(as_text=True)
    assert "Sommerfest im Hof" in listed and "sichtbar" in listed
    auth.logout()

    auth.login_as("juergen")  # Lipsia
    home = main_of(client.get("/").get_data(as_text=True))
    assert "Sommerfest im Hof" in home and "<p>Wir feiern am Samstag.</p>" in home
    assert '<a href="https://www.wg-lipsia.de/sommerfest" rel="nofollow noopener noreferrer">' in home
    auth.logout()
    auth.login_as("dieter")  # Elsteraue only
    assert "Sommerfest im Hof" not in client.get("/").get_data(as_text=True)


def test_news_appear_from_their_first_day_and_go_on_the_day_they_are_taken_down(client, auth, data, monkeypatch):
    auth.login_staff(0)
    today = clock.today()
    client.post(NEW, data=form(auth, title="Ab übermorgen", publish_on=(today + timedelta(days=2)).isoformat(),
                               expires_on=(today + timedelta(days=4)).isoformat()))
    item = NewsItem.get(NewsItem.title == "Ab übermorgen")
    assert news.state(item) == news.PLANNED and "geplant" in client.get(LIST).get_data(as_text=True)
    assert item not in news.current_news(lipsia_persons(), limit=50)
    start = news.start_of(today + timedelta(days=2))
    assert clock.to_local(start).hour == 0 and clock.to_local(start).date() == today + timedelta(days=2)
    for moment, shown in ((start - timedelta(seconds=1), False), (start, True),
                          (news.start_of(today + timedelta(days=4)) - timedelta(seconds=1), True),
                          (news.start_of(today + timedelta(days=4)), False)):
        monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
        assert (item in news.current_news(lipsia_persons(), limit=50)) is shown, moment


def test_preview_shows_the_item_as_tenants_will_and_saves_nothing(client, auth, data):
    auth.login_staff(0)
    before = NewsItem.select().count()
    values = form(auth, body="Erster Absatz.\nZweite Zeile.\n\n<b>fett?</b> https://example.org/a?b=1&c=2", vorschau="1")
    response = client.post(NEW, data=values)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Vorschau: so sehen es Mieterinnen und Mieter" in page
    assert "<p>Erster Absatz.<br>\nZweite Zeile.</p>" in page and "&lt;b&gt;fett?&lt;/b&gt;" in page
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in page
    assert "Erster Absatz.\nZweite Zeile." in page  # the typed text stays in the form
    assert NewsItem.select().count() == before
    fragment = client.post(NEW, data=values, headers=htmx(auth)).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="news-editor">') and "<html" not in fragment
    assert "Vorschau: so sehen es" in fragment


HOSTILE = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    'javascript:alert(1)',
    'https://example.org/"><script>alert(1)</script>',
    "https://example.org/' onmouseover='alert(1)",
    '[Link](javascript:alert(1)) <a href="javascript:alert(1)">x</a>',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_text_is_never_rendered_as_html(client, auth, data, body):
    html = str(paragraphs(body))
    assert "<script" not in html and "<img" not in html and "javascript:" not in html.split("href=")[-1][:12]
    assert all(tag in ("p", "/p", "a", "/a", "br") for tag in
               [chunk.split(">", 1)[0].split(" ", 1)[0] for chunk in html.split("<")[1:]])
    auth.login_staff(0)
    assert client.post(NEW, data=form(auth, title=f"Achtung {body[:40]}", body=body)).status_code == 303
    auth.logout()
    auth.login_as("juergen")
    home = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in home and "<img src=x" not in home and 'href="javascript:' not in home


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"title": ""}, "title", "Bitte geben Sie eine Überschrift ein."),
    ({"title": "x" * 151}, "title", "Höchstens 150 Zeichen."),
    ({"body": "   "}, "body", "Bitte schreiben Sie den Text der Neuigkeit."),
    ({"body": "x" * 5001}, "body", "Höchstens 5000 Zeichen."),
    ({"body": "Hallo\x00Welt"}, "body", "Steuerzeichen"),
    ({"publish_on": ""}, "publish_on", "Bitte geben Sie an, ab wann die Neuigkeit erscheint."),
    ({"publish_on": "32.13.2026"}, "publish_on", "Bitte geben Sie ein gültiges Datum ein"),
    ({"expires_on": date.today().isoformat(), "publish_on": date.today().isoformat()}, "expires_on",
     "Der Tag zum Ausblenden muss nach dem ersten Tag liegen."),
])
def test_bad_input_is_refused_next_to_its_field(client, auth, data, values, field, message):
    auth.login_staff(0)
    before = NewsItem.select().count()
    for extra in ({}, {"vorschau": "1"}):
        response = client.post(NEW, data=form(auth, **values, **extra))
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and message in page and f'id="{field}-error"' in page
    assert NewsItem.select().count() == before


def test_edit_changes_the_item_and_keeps_its_id(client, auth, data):
    auth.login_staff(0)
    item = NewsItem.select().where(NewsItem.cooperative == lipsia()).order_by(NewsItem.id).first()
    page = client.get(f"{LIST}/{item.id}").get_data(as_text=True)
    assert item.title in page and clock.to_local(item.published_at).date().isoformat() in page
    response = client.post(f"{LIST}/{item.id}", data=form(auth, title="Neu formuliert", expires_on="",
                                                          version=version_of(page)))
    assert response.status_code == 303
    changed = NewsItem.get_by_id(item.id)
    assert changed.title == "Neu formuliert" and changed.expires_at is None
    assert changed.version == item.version + 1
    assert AuditLog.get(AuditLog.action == "news.changed").object_id == str(item.id)
    bad = client.post(f"{LIST}/{item.id}", data=form(auth, title="", version=str(changed.version)))
    assert bad.status_code == 422 and NewsItem.get_by_id(item.id).title == "Neu formuliert"


def test_delete_asks_first_and_then_removes_the_item(client, auth, data):
    auth.login_staff(0)
    item = NewsItem.select().where(NewsItem.cooperative == lipsia()).order_by(NewsItem.id).first()
    confirm = client.get(f"{LIST}/{item.id}/loeschen").get_data(as_text=True)
    assert "Neuigkeit löschen?" in confirm and item.title in confirm
    stray = client.post(f"{LIST}/{item.id}/loeschen", data={"csrf_token": auth.csrf_token(),
                                                            "version": version_of(confirm)})
    assert stray.status_code == 422 and NewsItem.get_or_none(NewsItem.id == item.id) is not None
    response = client.post(f"{LIST}/{item.id}/loeschen", data={"csrf_token": auth.csrf_token(), "confirm": "ja",
                                                               "version": version_of(confirm)})
    assert response.status_code == 303 and NewsItem.get_or_none(NewsItem.id == item.id) is None
    assert AuditLog.get(AuditLog.action == "news.deleted").object_id == str(item.id)
    assert client.get(f"{LIST}/{item.id}").status_code == 404


def test_another_cooperatives_news_are_unknown(client, auth, data):
    elsteraue = NewsItem.get(NewsItem.title.startswith("Strangsanierung"))
    auth.login_staff(0)  # Lipsia
    assert elsteraue.title not in client.get(LIST).get_data(as_text=True)
    assert client.get(f"{LIST}/{elsteraue.id}").status_code == 404
    assert client.post(f"{LIST}/{elsteraue.id}", data=form(auth)).status_code == 404
    response = client.post(f"{LIST}/{elsteraue.id}/loeschen", data={"csrf_token": auth.csrf_token(), "confirm": "ja"})
    assert response.status_code == 404 and NewsItem.get_by_id(elsteraue.id).title != "Sommerfest im Hof"
    auth.logout()
    for signed_in in (False, True):
        if signed_in:
            auth.login_as("dieter")
        for url in (LIST, NEW, f"{LIST}/{elsteraue.id}", f"{LIST}/{elsteraue.id}/loeschen"):
            assert client.get(url).status_code == 404, url
        assert client.post(NEW, data=form(auth)).status_code == 404
    assert NewsItem.get_or_none(NewsItem.id == elsteraue.id) is not None


def test_the_admin_writes_for_a_chosen_cooperative(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    listed = client.get(LIST).get_data(as_text=True)
    assert "Strangsanierung" in listed and "Hoffest" in listed
    missing = client.post(NEW, data=form(auth, cooperative=""))
    assert missing.status_code == 422 and "Bitte wählen Sie die Genossenschaft." in missing.get_data(as_text=True)
    elsteraue = Cooperative.get(Cooperative.slug == "elsteraue")
    assert client.post(NEW, data=form(auth, cooperative=str(elsteraue.id))).status_code == 303
    assert NewsItem.get(NewsItem.title == "Sommerfest im Hof").cooperative_id == elsteraue.id


def test_the_list_pages_with_htmx_and_constant_queries(app, client, auth, data, count_queries):
    app.config["PAGE_SIZE"] = 5
    auth.login_staff(0)
    counts = []
    for extra in (3, 60):
        NewsItem.insert_many([dict(cooperative=lipsia(), title=f"Meldung {extra}-{i}", body="Text",
                                   published_at=datetime(2026, 1, 1) + timedelta(hours=i)) for i in range(extra)]).execute()
        with count_queries() as queries:
            response = client.get(f"{LIST}?seite=2", headers=htmx(auth, "news-list"))
        assert response.status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="news-list"') and "<html" not in fragment


# --- two clerks ---


def test_the_second_of_two_clerks_saving_gets_the_conflict_and_the_first_text_stays(app, demo_logins, data):
    (first, first_auth), (second, second_auth) = two_clerks(app, demo_logins)
    item = lipsia_item()
    url = f"{LIST}/{item.id}"
    stale = version_of(second.get(url).get_data(as_text=True))
    first_version = version_of(first.get(url).get_data(as_text=True))
    assert first.post(url, data=form(first_auth, title="Hoffest verschoben", version=first_version)).status_code == 303
    for headers in ({}, htmx(second_auth)):
        response = second.post(url, headers=headers, data=form(second_auth, title="Hoffest fällt aus",
                                                               body="Mein getippter <b>Text</b>", version=stale))
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        conflict = page.split('id="conflict"')[1].split("</div>")[0]
        assert "Diese Neuigkeit wurde inzwischen geändert. Ihre Eingabe wurde nicht übernommen." in conflict
        assert "Hoffest verschoben" in conflict and "Sandra Köhler" in conflict  # what changed, and who
        assert "autofocus" in re.search(r'<div[^>]*id="conflict"[^>]*>', page).group(0)  # focus on the notice
        assert "Hoffest fällt aus" in page and "Mein getippter &lt;b&gt;Text&lt;/b&gt;" in page  # the typed text stays
        assert (page.lstrip().startswith('<div id="news-editor"') and "<html" not in page) is bool(headers)
        assert NewsItem.get_by_id(item.id).title == "Hoffest verschoben"
    assert AuditLog.select().where(AuditLog.action == "news.changed").count() == 1
    # the form now carries the current version: sending it again is a deliberate choice, and goes through
    current = version_of(page)
    assert current != stale
    assert second.post(url, data=form(second_auth, title="Hoffest fällt aus", version=current)).status_code == 303
    assert NewsItem.get_by_id(item.id).title == "Hoffest fällt aus"


def test_an_edit_without_its_version_changes_nothing(client, auth, data):
    auth.login_staff(0)
    item = lipsia_item()
    for version in (None, "", "abc", "99999999999999999999"):
        values = form(auth, title="Ohne Stand")
        if version is not None:
            values["version"] = version
        assert client.post(f"{LIST}/{item.id}", data=values).status_code == 422
    assert NewsItem.get_by_id(item.id).title == item.title


def test_deleting_a_news_item_a_colleague_changed_meanwhile_asks_again(app, demo_logins, data):
    (first, first_auth), (second, second_auth) = two_clerks(app, demo_logins)
    item = lipsia_item()
    stale = version_of(second.get(f"{LIST}/{item.id}/loeschen").get_data(as_text=True))
    first_page = first.get(f"{LIST}/{item.id}").get_data(as_text=True)
    first.post(f"{LIST}/{item.id}", data=form(first_auth, title="Jetzt wichtig", version=version_of(first_page)))
    delete = {"csrf_token": second_auth.csrf_token(), "confirm": "ja", "version": stale}
    response = second.post(f"{LIST}/{item.id}/loeschen", data=delete)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Diese Neuigkeit wurde inzwischen geändert." in page
    assert "Jetzt wichtig" in page and NewsItem.get_or_none(NewsItem.id == item.id) is not None
    delete["version"] = version_of(page)
    assert second.post(f"{LIST}/{item.id}/loeschen", data=delete).status_code == 303
    assert NewsItem.get_or_none(NewsItem.id == item.id) is None


def test_saving_a_news_item_a_colleague_deleted_meanwhile_says_so(app, demo_logins, data):
    item = lipsia_item()
    clerks = list(User.select().where(User.cooperative == lipsia()).order_by(User.id).limit(2))
    with app.app_context():
        news.delete(clerks[0], item, item.version)
        with pytest.raises(versions.Conflict) as raised:
            news.update(clerks[1], item, news.Draft("Zu spät", "Text", clock.today()), item.version)
    assert raised.value.gone and str(raised.value).startswith("Diese Neuigkeit wurde inzwischen gelöscht.")
    assert raised.value.change.action == "news.deleted" and raised.value.change.user_id == clerks[0].id
    assert NewsItem.get_or_none(NewsItem.id == item.id) is None
    assert not AuditLog.select().where(AuditLog.action == "news.changed").exists()


def test_two_clerks_saving_the_same_news_item_at_once_exactly_one_applies(app, data):
    with app.app_context():
        item = lipsia_item()
        clerks = list(User.select().where(User.cooperative == lipsia()).order_by(User.id).limit(2))
        db.database.close()
    def save(clerk, title):
        def action(ready):
            current = NewsItem.get_by_id(item.id)
            ready()
            news.update(clerk, current, news.Draft(title, "Text", clock.today()), item.version)
        return action

    titles = ["Fassung 0", "Fassung 1"]
    outcomes = at_once(app, versions.Conflict, *(save(clerk, title) for clerk, title in zip(clerks, titles)))
    assert sorted(outcomes) == ["applied", "refused"], outcomes
    applied = titles[outcomes.index("applied")]
    with app.app_context():
        fresh = NewsItem.get_by_id(item.id)
        assert fresh.title == applied and fresh.version == item.version + 1
        assert AuditLog.select().where(AuditLog.action == "news.changed").count() == 1
