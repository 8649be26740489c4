"""Aushänge per house (issue 24): a Neuigkeit for all tenants of the cooperative or only for chosen houses and
streets reaches only those who live there; with „per E-Mail benachrichtigen“ it is mailed to them through the task
queue exactly once per item and user, however often it is saved or the job runs (at the same time, or after a
worker died); the staff form refuses what names no house of the cooperative next to the field, with htmx and
without, and saves nothing then."""

from datetime import date, timedelta

import pytest

from tests.helpers import at_once, htmx, main_of
from tests.test_home import STARTSEITE_STATEMENTS
from tests.test_staff_news import version_of
from wir import clock, db, mail, tasks
from wir.models import (
    AuditLog,
    Contract,
    ContractParty,
    Cooperative,
    NewsAudience,
    NewsItem,
    NewsMail,
    OutboxMail,
    Person,
    Unit,
    User,
)
from wir.services.home import news
from wir.services.rejections import Rejected

LIST, NEW = "/intern/neuigkeiten", "/intern/neuigkeiten/neu"
JUERGENS_HOUSE, LUKASZS_HOUSE = "Stuttgarter Allee 18", "Mannheimer Straße 45"  # Lipsia, postcode 04209
LIPSIA_CLERK, ELSTERAUE_CLERK = 0, 2


def lipsia() -> Cooperative:
    return Cooperative.get(Cooperative.slug == "lipsia")


def form(auth, **values) -> dict:
    fields = {"csrf_token": auth.csrf_token(), "title": "Wasser abgestellt", "body": "Am Dienstag von 8 bis 12 Uhr.",
              "publish_on": clock.today().isoformat(), "audience": "houses", "houses": JUERGENS_HOUSE}
    fields.update(values)
    return {name: value for name, value in fields.items() if value is not None}


def startseite(client, auth, tenant: str) -> str:
    User.update(contact_reviewed_at=clock.now()).where(User.email.startswith(tenant)).execute()  # straight home
    auth.login_as(tenant)
    page = main_of(client.get("/").get_data(as_text=True))
    auth.logout()
    return page


def readers_with_login(*houses: str) -> set[str]:
    """The e-mail addresses of the confirmed, active users among the tenants of these Lipsia houses (or of all of
    Lipsia without houses), found here without the service's query."""
    emails = set()
    for person in Person.select().where(Person.cooperative == lipsia()):
        user = User.get_or_none(User.id == person.user_id)
        if user is None or user.confirmed_at is None or not user.is_active:
            continue
        streets = {party.contract.unit.street for party in ContractParty.select().where(ContractParty.person == person)
                   if party.contract.unit_id and party.contract.end_date is None}
        if not houses or streets & set(houses):
            emails.add(user.email)
    return emails


def mailed(title: str = "Wasser abgestellt") -> list[str]:
    return sorted(m.recipient for m in OutboxMail.select().where(OutboxMail.subject.endswith(title)))


def households(count: int, street: str = "Teststraße", postcode: str = "04109") -> list[User]:
    """``count`` new Lipsia flats, one a house (``street`` 1, 2, …), each rented by a tenant with a login."""
    users = []
    for index in range(1, count + 1):
        unit = Unit.create(cooperative=lipsia(), kind="flat", number=f"T-{street}-{index}", street=f"{street} {index}",
                           postcode=postcode, city="Leipzig")
        contract = Contract.create(cooperative=lipsia(), kind="rental", number=f"T-MV-{street}-{index}", unit=unit,
                                   start_date=date(2020, 1, 1))
        user = User.create(email=f"haus{index}@{street.split()[0].lower()}.example.org", password_hash="x",
                           confirmed_at=clock.now())
        person = Person.create(cooperative=lipsia(), number=f"T-{street}-{index}", first_name="Erika",
                               last_name=f"Test{index}", street=unit.street, postcode=postcode, city="Leipzig",
                               user=user)
        ContractParty.create(contract=contract, person=person, role="main")
        users.append(user)
    return users


def notice(title: str, houses=(), notify: bool = False, first_day: date | None = None) -> NewsItem:
    """A Lipsia item saved by the service as a clerk would (houses as typed lines; none: for all)."""
    clerk = User.get(User.email == "sachbearbeitung@lipsia.example.org")
    draft = news.Draft(title, "Text.", first_day or clock.today(), None, news.HOUSES if houses else news.ALL,
                       "\n".join(houses), notify)
    return news.create(clerk, lipsia(), draft)


# --- who sees it ---


def test_a_notice_for_a_house_reaches_only_its_tenants_and_news_for_all_reach_everyone(client, auth, data):
    auth.login_staff(LIPSIA_CLERK)
    response = client.post(NEW, data=form(auth, houses=f"  stuttgarter   ALLEE 18 \n\n{JUERGENS_HOUSE}, 04209"))
    assert response.status_code == 303, response.get_data(as_text=True)
    item = NewsItem.get(NewsItem.title == "Wasser abgestellt")
    assert item.audience == news.HOUSES and not item.notify
    assert [(h.street, h.postcode) for h in item.houses] == [(JUERGENS_HOUSE, "04209")]
    assert "für 1 Haus: Stuttgarter Allee 18" in AuditLog.get(AuditLog.action == "news.created").detail
    assert client.post(NEW, data=form(auth, title="Mitgliederversammlung", audience="all", houses="")).status_code == 303
    listed = client.get(LIST).get_data(as_text=True)
    assert "bestimmte Häuser" in listed and "alle" in listed
    auth.logout()

    juergen = startseite(client, auth, "juergen")
    assert "Wasser abgestellt" in juergen and "Mitgliederversammlung" in juergen
    for elsewhere in ("lukasz", "gisela"):  # Lipsia, other houses (Gisela also at Elsteraue)
        page = startseite(client, auth, elsewhere)
        assert "Wasser abgestellt" not in page and "Mitgliederversammlung" in page, elsewhere
    dieter = startseite(client, auth, "dieter")  # Elsteraue only
    assert "Wasser abgestellt" not in dieter and "Mitgliederversammlung" not in dieter


def test_a_street_means_all_its_houses_and_a_postcode_tells_two_alike_apart(data):
    households(2, "Teststraße")
    households(1, "Teststraßenweg")  # another street that starts alike
    Unit.create(cooperative=lipsia(), kind="flat", number="T-X", street="Teststraße 1", postcode="04107", city="Leipzig")
    assert news.chosen_houses(lipsia().id, "teststraße") == [
        ("Teststraße 1", "04107"), ("Teststraße 1", "04109"), ("Teststraße 2", "04109")]
    assert news.chosen_houses(lipsia().id, "Teststraße, 04109 Leipzig") == [
        ("Teststraße 1", "04109"), ("Teststraße 2", "04109")]
    assert news.chosen_houses(lipsia().id, "Teststraße 1, 04107\nTeststraßenweg 1") == [
        ("Teststraße 1", "04107"), ("Teststraßenweg 1", "04109")]
    with pytest.raises(Rejected) as ambiguous:
        news.chosen_houses(lipsia().id, "Teststraße 1")
    assert ambiguous.value.field == "houses" and "mehreren Postleitzahlen (04107, 04109)" in ambiguous.value.message
    for unknown in ("Teststr", "Teststraße 3", "Teststraße 1, 04229", "Dieskaustraße 170"):  # the last: Elsteraue's
        with pytest.raises(Rejected, match="ist kein Haus und keine Straße der Genossenschaft"):
            news.chosen_houses(lipsia().id, unknown)


def test_a_tenant_who_moved_out_no_longer_reads_the_houses_notices(data):
    item = notice("Treppenhausreinigung", [JUERGENS_HOUSE])
    juergen = Person.get(Person.cooperative == lipsia(), Person.first_name == "Jürgen")
    assert item in news.current_news([juergen])
    flat_and_parking = Contract.select(Contract.id).join(Unit).where(Unit.street == JUERGENS_HOUSE)
    Contract.update(end_date=clock.today() - timedelta(days=1)).where(Contract.id.in_(flat_and_parking)).execute()
    assert item not in news.current_news([juergen])
    assert notice("Für alle") in news.current_news([juergen])


# --- mail ---


def test_the_tenants_of_the_chosen_houses_are_mailed_once_however_often_it_is_saved(client, auth, data):
    expected = readers_with_login(JUERGENS_HOUSE)
    assert "juergen.mueller@example.org" in expected
    auth.login_staff(LIPSIA_CLERK)
    response = client.post(NEW, data=form(auth, notify="y"))
    assert response.status_code == 303
    assert "Die E-Mails werden verschickt" in client.get(LIST).get_data(as_text=True)
    assert mailed() == sorted(expected)
    item = NewsItem.get(NewsItem.title == "Wasser abgestellt")
    assert item.mailed_at is not None and NewsMail.select().count() == len(expected)
    message = OutboxMail.get(OutboxMail.recipient == "juergen.mueller@example.org")
    assert "Am Dienstag von 8 bis 12 Uhr." in message.body_text and "<p>Am Dienstag von 8 bis 12 Uhr.</p>" in message.body_html

    edit = f"{LIST}/{item.id}"
    page = client.get(edit).get_data(as_text=True)
    assert f"{JUERGENS_HOUSE}, 04209</textarea>" in page and '<input checked class="checkbox__input" id="notify"' in page
    for houses in (JUERGENS_HOUSE, f"{JUERGENS_HOUSE}\n{LUKASZS_HOUSE}"):  # saved again, then with another house
        version = str(NewsItem.get_by_id(item.id).version)
        assert client.post(edit, data=form(auth, houses=houses, notify="y", version=version)).status_code == 303
    tasks.mail_news(item.id)
    tasks.sweep_news_mail()
    both = readers_with_login(JUERGENS_HOUSE, LUKASZS_HOUSE)
    assert "lukasz.zolc@example.org" in both - expected
    assert mailed() == sorted(both)  # each once
    assert AuditLog.select().where(AuditLog.action == "news.mailed").count() == 2  # the first run, the new house


def test_news_for_all_are_mailed_to_every_tenant_with_a_login_of_the_cooperative_once(data):
    item = notice("Mitgliederversammlung", notify=True)
    tasks.mail_news(item.id)
    expected = readers_with_login()
    assert mailed("Mitgliederversammlung") == sorted(expected)
    assert "dieter" not in " ".join(expected) and any(email.startswith("gisela") for email in expected)
    assert news.mail_readers(item.id) == 0 and news.mail_due() == 0
    assert mailed("Mitgliederversammlung") == sorted(expected)


def test_without_the_box_nobody_is_mailed(data):
    notice("Ohne E-Mail", [JUERGENS_HOUSE])
    assert news.mail_due() == 0 and mailed("Ohne E-Mail") == []


def test_a_notice_saved_ahead_is_mailed_by_the_sweep_on_its_first_day(client, auth, data, monkeypatch):
    tomorrow = clock.today() + timedelta(days=1)
    auth.login_staff(LIPSIA_CLERK)
    client.post(NEW, data=form(auth, notify="y", publish_on=tomorrow.isoformat()))
    assert "Die E-Mails gehen an ihrem ersten Tag hinaus." in client.get(LIST).get_data(as_text=True)
    tasks.sweep_news_mail()
    assert mailed() == []
    moment = news.start_of(tomorrow) + timedelta(hours=1)
    monkeypatch.setattr(clock, "now", lambda: moment)
    monkeypatch.setattr(clock, "today", lambda: tomorrow)
    tasks.sweep_news_mail()
    tasks.sweep_news_mail()
    assert mailed() == sorted(readers_with_login(JUERGENS_HOUSE))


def test_two_workers_at_once_mail_each_reader_exactly_once(app, data):
    users = households(24)
    item = notice("Wasser abgestellt", ["Teststraße"], notify=True)
    db.database.close()

    def worker(ready):
        ready()
        news.mail_readers(item.id, batch_size=5)

    assert at_once(app, RuntimeError, worker, worker) == ["applied", "applied"]
    with app.app_context():
        assert mailed() == sorted(user.email for user in users)
        assert NewsMail.select().where(NewsMail.news_item == item.id).count() == 24
        assert NewsItem.get_by_id(item.id).mailed_at is not None


def test_a_worker_that_dies_midway_leaves_the_rest_to_the_sweep(data, monkeypatch):
    users = households(12)
    item = notice("Wasser abgestellt", ["Teststraße"], notify=True)
    queue_mail, calls = mail.queue_mail, []

    def dies_at_the_eighth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 8:
            raise RuntimeError("worker died")
        return queue_mail(*args, **kwargs)

    monkeypatch.setattr(mail, "queue_mail", dies_at_the_eighth)
    with pytest.raises(RuntimeError):
        news.mail_readers(item.id, batch_size=5)
    assert len(mailed()) == 5 and NewsItem.get_by_id(item.id).mailed_at is None  # the first batch stands
    monkeypatch.setattr(mail, "queue_mail", queue_mail)
    tasks.sweep_news_mail()
    assert mailed() == sorted(user.email for user in users)


# --- the form ---


def test_the_form_works_with_htmx_and_without(client, auth, data):
    auth.login_staff(LIPSIA_CLERK)
    page = client.get(NEW).get_data(as_text=True)
    assert '<select' in page and 'id="audience"' in page and 'id="houses"' in page and 'name="notify"' in page
    response = client.post(NEW, data=form(auth, title="Per htmx"), headers=htmx(auth))
    assert response.status_code == 204 and response.headers["HX-Location"] == LIST
    bad = client.post(NEW, data=form(auth, title="Per htmx falsch", houses="Nirgendwo 1"), headers=htmx(auth))
    fragment = bad.get_data(as_text=True)
    assert bad.status_code == 422 and fragment.lstrip().startswith('<div id="news-editor">')
    assert 'id="houses-error"' in fragment and "„Nirgendwo 1“ ist kein Haus" in fragment
    preview = client.post(NEW, data=form(auth, vorschau="1"), headers=htmx(auth))
    assert preview.status_code == 200 and "Vorschau: so sehen es" in preview.get_data(as_text=True)
    assert [item.title for item in NewsItem.select().where(NewsItem.title.startswith("Per htmx"))] == ["Per htmx"]


HOSTILE = '<script>alert(1)</script>'


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"houses": ""}, "houses", "Bitte nennen Sie mindestens ein Haus oder eine Straße"),
    ({"houses": " \n \n"}, "houses", "Bitte nennen Sie mindestens ein Haus oder eine Straße"),
    ({"houses": "Unbekannte Straße 1"}, "houses", "„Unbekannte Straße 1“ ist kein Haus und keine Straße"),
    ({"houses": f"{JUERGENS_HOUSE}\nDieskaustraße 170"}, "houses", "„Dieskaustraße 170“ ist kein Haus"),  # Elsteraue
    ({"houses": HOSTILE}, "houses", "„&lt;script&gt;alert(1)&lt;/script&gt;“ ist kein Haus"),
    ({"houses": f"{JUERGENS_HOUSE}\x00"}, "houses", "Steuerzeichen"),
    ({"houses": "x" * 20_001}, "houses", "Höchstens 20.000 Zeichen."),
    ({"audience": "everyone"}, "audience", "Bitte wählen Sie einen Eintrag aus der Liste."),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(client, auth, data, values, field, message):
    auth.login_staff(LIPSIA_CLERK)
    item = NewsItem.select().where(NewsItem.cooperative == lipsia()).order_by(NewsItem.id).first()
    counts = NewsItem.select().count(), NewsAudience.select().count(), OutboxMail.select().count()
    edit = f"{LIST}/{item.id}"
    for url, extra in ((NEW, {}), (NEW, {"vorschau": "1"}), (edit, {"version": str(item.version)})):
        for headers in ({}, htmx(auth)):
            response = client.post(url, data=form(auth, notify="y", **values, **extra), headers=headers)
            page = response.get_data(as_text=True)
            assert response.status_code == 422 and message in page and f'id="{field}-error"' in page, url
            assert "<script>alert" not in page
    assert (NewsItem.select().count(), NewsAudience.select().count(), OutboxMail.select().count()) == counts
    unchanged = NewsItem.get_by_id(item.id)
    assert (unchanged.title, unchanged.audience, unchanged.notify, unchanged.version) == (
        item.title, news.ALL, False, item.version)


def test_news_for_all_keep_no_houses_whatever_the_box_held(client, auth, data):
    auth.login_staff(LIPSIA_CLERK)
    assert client.post(NEW, data=form(auth, audience="all", houses="Nirgendwo 1")).status_code == 303
    item = NewsItem.get(NewsItem.title == "Wasser abgestellt")
    assert item.audience == news.ALL and not item.houses.exists()
    edit = f"{LIST}/{item.id}"
    assert client.post(edit, data=form(auth, version=version_of(client.get(edit).get_data(as_text=True)))
                       ).status_code == 303
    assert [h.street for h in NewsItem.get_by_id(item.id).houses] == [JUERGENS_HOUSE]
    assert client.post(edit, data=form(auth, audience="all", version=version_of(client.get(edit).get_data(as_text=True)))
                       ).status_code == 303
    assert not NewsItem.get_by_id(item.id).houses.exists()  # back to all: the houses go


def test_another_cooperatives_clerk_reaches_nothing(client, auth, data):
    item = notice("Wasser abgestellt", [JUERGENS_HOUSE])
    auth.login_staff(ELSTERAUE_CLERK)
    edit = f"{LIST}/{item.id}"
    assert client.get(edit).status_code == 404
    for headers in ({}, htmx(auth)):
        response = client.post(edit, data=form(auth, houses="Dieskaustraße 170", notify="y", version="1"),
                               headers=headers)
        assert response.status_code == 404
    assert client.post(f"{edit}/loeschen", data={"csrf_token": auth.csrf_token(), "confirm": "ja"}).status_code == 404
    # its own form knows only its own houses
    own = client.post(NEW, data=form(auth, houses=JUERGENS_HOUSE))
    assert own.status_code == 422 and "„Stuttgarter Allee 18“ ist kein Haus" in own.get_data(as_text=True)
    fresh = NewsItem.get_by_id(item.id)
    assert (fresh.version, fresh.notify, [h.street for h in fresh.houses]) == (1, False, [JUERGENS_HOUSE])
    assert mailed() == []


def test_the_admin_chooses_houses_of_the_chosen_cooperative(client, auth, data):
    auth.login_with_code(auth.logins["admin"])
    elsteraue = Cooperative.get(Cooperative.slug == "elsteraue")
    refused = client.post(NEW, data=form(auth, cooperative=str(elsteraue.id)))
    assert refused.status_code == 422 and 'id="houses-error"' in refused.get_data(as_text=True)
    assert client.post(NEW, data=form(auth, cooperative=str(elsteraue.id), houses="Dieskaustraße 170")
                       ).status_code == 303
    assert NewsItem.get(NewsItem.title == "Wasser abgestellt").cooperative_id == elsteraue.id


# --- the Startseite's cost ---


def test_the_startseite_reads_house_notices_in_its_one_news_query_whatever_their_number(client, auth, data,
                                                                                      count_queries):
    notice("Treppenhausreinigung", [JUERGENS_HOUSE])
    auth.login_as("gisela")  # persons at both cooperatives
    with count_queries() as few:
        assert client.get("/").status_code == 200
    households(300)
    for index in range(30):
        notice(f"Aushang {index}", ["Teststraße", "Alte Salzstraße 61"])  # 301 houses each, Gisela's among them
    with count_queries() as many:
        page = client.get("/").get_data(as_text=True)
    assert many.count == few.count == STARTSEITE_STATEMENTS, many.statements
    assert "Aushang 29" in page and "Treppenhausreinigung" not in page
