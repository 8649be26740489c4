"""Verbrauchsinformation per Post (/intern/verbrauch): the month's contracts whose tenants get it on paper, only the
clerk's own cooperative, a page at a time with constant queries, and all of the month's letters as one PDF made in
the background (progress, failure, a stale job), which marks them printed; ordering and download are audited."""

from datetime import date, datetime, timedelta

import pytest

from tests.helpers import htmx, main_of, pdf_text
from tests.test_consumption_notices import (
    NOVEMBER,
    OCTOBER,
    contract,
    households,
    values,
)
from wir import clock
from wir.models import (
    AuditLog,
    ConsumptionLetterBatch,
    ConsumptionNotice,
    Contract,
    ContractParty,
    JobStatus,
    Person,
    User,
)
from wir.services.consumption import notices

URL = "/intern/verbrauch"
LETTERS_URL = "/intern/verbrauch/briefe"
MOMENT = datetime(2031, 12, 4, 9, 30)  # the demo's own values lie years before: only the tests' count


@pytest.fixture
def data(data):
    """The demo without the notices of its own months (seed-demo records them as told): a test's counts are its
    own."""
    ConsumptionNotice.delete().execute()
    return data


@pytest.fixture
def december(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: MOMENT)


@pytest.fixture
def post_list(app, data, december):
    """November's values for Lipsia's Hannelore Schütz (no login), Jürgen Müller (a login, wants paper) and Łukasz
    Żółć (a login: mail only), and Elsteraue's Yılmaz household (login not confirmed)."""
    for number in ("MV-2003-0001", "MV-1001-0203", "MV-1012-0405", "MV-301-0201"):
        values(contract(number), OCTOBER, NOVEMBER)
    Person.update(consumption_by_post=True).where(Person.first_name == "Jürgen").execute()
    User.update(confirmed_at=None).where(User.email == "s.yilmaz@example.org").execute()


def rows(page: str) -> str:
    return main_of(page).split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_the_clerk_sees_the_contracts_without_access_or_with_a_paper_wish(client, auth, post_list):
    auth.login_staff(0)  # Lipsia
    page = client.get(URL)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h2 id=\"consumption-post-title\">November 2031</h2>" in text  # the newest month with values
    listed = rows(text)
    assert "MV-2003-0001" in listed and "Hannelore Schütz" in listed and "kein Portalzugang" in listed
    assert "MV-1001-0203" in listed and "Jürgen Müller, Monika Müller" in listed and "wünscht Papier" in listed
    assert "MV-1012-0405" not in listed  # told by mail
    assert "MV-301-0201" not in listed  # Elsteraue's
    assert listed.count("noch nicht") == 2
    assert "Alle Briefe als PDF erstellen" in text
    assert 'aria-current="page">Verbrauch per Post' in text


def test_the_other_cooperatives_clerk_sees_only_theirs_and_the_admin_both(client, auth, post_list):
    auth.login_staff(2)  # Elsteraue
    listed = rows(client.get(URL).get_data(as_text=True))
    assert "MV-301-0201" in listed and "kein Portalzugang" in listed
    assert "MV-2003-0001" not in listed and "MV-1001-0203" not in listed
    auth.logout()
    auth.login_with_code(auth.logins["admin"])
    listed = rows(client.get(URL).get_data(as_text=True))
    assert all(number in listed for number in ("MV-301-0201", "MV-2003-0001", "MV-1001-0203"))


def test_another_month_is_chosen_with_a_plain_get_form(client, auth, post_list):
    values(contract("MV-1012-0405"), date(2031, 9, 1))
    User.update(confirmed_at=None).where(User.email == "lukasz.zolc@example.org").execute()
    auth.login_staff(0)
    text = client.get(URL, query_string={"monat": "2031-09"}).get_data(as_text=True)
    assert "<h2 id=\"consumption-post-title\">September 2031</h2>" in text
    assert '<option selected value="2031-09">September 2031</option>' in text
    listed = rows(text)
    assert "MV-1012-0405" in listed and "MV-2003-0001" not in listed
    # a month not offered: the chooser says so next to it, the list stays at the default month
    refused = client.get(URL, query_string={"monat": "1999-01"})
    assert refused.status_code == 422
    assert "Bitte wählen Sie einen Eintrag aus der Liste." in refused.get_data(as_text=True)


def test_a_month_without_values_says_no_letters_are_needed(client, auth, post_list):
    auth.login_staff(0)
    text = client.get(URL, query_string={"monat": "2031-08"}).get_data(as_text=True)
    assert "Für August 2031 sind keine Briefe nötig." in text
    assert "Alle Briefe als PDF" not in text


def test_htmx_swaps_only_the_list(client, auth, post_list):
    auth.login_staff(0)
    response = client.get(URL, query_string={"monat": "2031-10"}, headers=htmx(auth, "consumption-post"))
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.lstrip().startswith('<div id="consumption-post"')
    assert "<html" not in fragment and "Oktober 2031" in fragment
    vary = {value.strip() for value in response.headers["Vary"].split(",")}
    assert {"HX-Request", "HX-Target"} <= vary  # the fragment depends on both: a cache keeps them apart
    # an htmx request for another target (the letters form's own swap, a boosted link) gets the whole page
    other = client.get(URL, query_string={"monat": "2031-10"}, headers=htmx(auth, "main"))
    assert "<html" in other.get_data(as_text=True)
    assert "HX-Target" in other.headers["Vary"]


def order(client, auth, month="2031-11", **extra):
    return client.post(LETTERS_URL, data={"monat": month, "csrf_token": auth.csrf_token(), **extra})


def latest_batch() -> ConsumptionLetterBatch:
    return ConsumptionLetterBatch.select().order_by(ConsumptionLetterBatch.id.desc()).first()


def test_all_letters_are_made_in_the_background_marked_printed_and_audited(client, auth, post_list):
    auth.login_staff(0)
    assert "Alle Briefe als PDF erstellen" in client.get(URL).get_data(as_text=True)
    response = order(client, auth)
    batch = latest_batch()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/intern/verbrauch/auftrag/{batch.id}")
    assert batch.status == JobStatus.DONE and batch.total == batch.done == 2 and batch.month == NOVEMBER
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Fertig: 2 Briefe für November 2031" in page and "hx-get" not in page  # done: no more polling
    assert "PDF herunterladen" in page
    download = client.get(f"/intern/verbrauch/auftrag/{batch.id}/briefe.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert f"Verbrauchsinformation-2031-11-{batch.id}.pdf" in download.headers["Content-Disposition"]
    text = pdf_text(download.data)
    assert text.count("Ihre Verbrauchsinformation für November 2031") == 2
    assert "Jürgen Müller" in text and "Hannelore Schütz" in text
    printed = ConsumptionNotice.select().where(ConsumptionNotice.channel == "post")
    ids = [contract("MV-1001-0203").id, contract("MV-2003-0001").id]
    assert sorted(n.contract_id for n in printed) == sorted(ids) and {n.month for n in printed} == {NOVEMBER}
    actions = [e.action for e in AuditLog.select().where(AuditLog.object_type == "ConsumptionLetterBatch")
               .order_by(AuditLog.id)]
    assert actions == ["consumption_letters.ordered", "consumption_letters.printed", "consumption_letters.downloaded"]
    entry = AuditLog.get(AuditLog.action == "consumption_letters.printed")
    assert "November 2031: 2 Briefe" in entry.detail and "MV-2003-0001" in entry.detail
    listed = rows(client.get(URL).get_data(as_text=True))
    assert listed.count("04.12.2031, 10:30 Uhr") == 2 and "noch nicht" not in listed
    # the list's filter: nothing left to print, so nothing to order
    text = client.get(URL, query_string={"monat": "2031-11", "offen": "y"}).get_data(as_text=True)
    assert "Für November 2031 sind keine Briefe mehr zu drucken." in text and "Alle Briefe als PDF" not in text
    refused = order(client, auth, offen="y")
    assert refused.status_code == 422
    assert "Für November 2031 sind keine Briefe mehr zu drucken." in refused.get_data(as_text=True)
    # all of them again keeps the first date
    order(client, auth)
    assert latest_batch().total == 2
    assert ConsumptionNotice.select().where(ConsumptionNotice.channel == "post").count() == 2


def test_only_unprinted_letters_follow_the_lists_filter(client, auth, post_list):
    with_date = ConsumptionNotice.create(contract=contract("MV-2003-0001"), month=NOVEMBER, channel="post",
                                         created_at=datetime(2031, 12, 1, 8, 0))
    auth.login_staff(0)
    page = client.get(URL, query_string={"monat": "2031-11", "offen": "y"}).get_data(as_text=True)
    assert '<input type="hidden" name="offen" value="y">' in page
    order(client, auth, offen="y")
    batch = latest_batch()
    assert batch.only_unprinted and batch.total == 1
    text = pdf_text(client.get(f"/intern/verbrauch/auftrag/{batch.id}/briefe.pdf").data)
    assert "Jürgen Müller" in text and "Hannelore Schütz" not in text
    assert ConsumptionNotice.get_by_id(with_date.id).created_at == datetime(2031, 12, 1, 8, 0)


def test_a_clerk_gets_only_their_cooperatives_letters_and_batches(client, auth, post_list):
    auth.login_staff(2)  # Elsteraue
    order(client, auth)
    theirs = latest_batch()
    assert theirs.total == 1 and "Yılmaz" in pdf_text(notices.batch_pdf(theirs))
    auth.logout()
    auth.login_staff(0)  # Lipsia: another cooperative's batch is not found
    assert client.get(f"/intern/verbrauch/auftrag/{theirs.id}").status_code == 404
    assert client.get(f"/intern/verbrauch/auftrag/{theirs.id}/briefe.pdf").status_code == 404
    assert AuditLog.select().where(AuditLog.action == "consumption_letters.downloaded").count() == 0
    order(client, auth)
    assert "Yılmaz" not in pdf_text(notices.batch_pdf(latest_batch()))
    assert "MV-301-0201" not in AuditLog.get(AuditLog.action == "consumption_letters.printed",
                                             AuditLog.object_id == str(latest_batch().id)).detail


def test_a_running_batch_polls_and_its_pdf_is_not_there_yet(client, auth, post_list, monkeypatch):
    monkeypatch.setattr("wir.tasks.build_consumption_letters", lambda batch_id: None)  # no worker took it yet
    auth.login_staff(0)
    location = order(client, auth).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Wartet:" in page and "0 von 2 Briefen erstellt" in page
    assert f'hx-get="{location}"' in page and "Stand aktualisieren" in page
    fragment = client.get(location, headers=htmx(auth, "consumption-batch")).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="consumption-batch"') and "<html" not in fragment
    assert client.get(location + "/briefe.pdf").status_code == 409
    assert ConsumptionNotice.select().count() == 0


def test_a_stale_or_failed_batch_says_so_and_marks_nothing(client, auth, post_list, monkeypatch):
    monkeypatch.setattr("wir.tasks.build_consumption_letters", lambda batch_id: None)
    auth.login_staff(0)
    location = order(client, auth).headers["Location"]
    assert notices.give_up_stale(MOMENT) == 0
    assert notices.give_up_stale(MOMENT + timedelta(hours=2)) == 1
    page = client.get(location, headers=htmx(auth, "consumption-batch")).get_data(as_text=True)
    assert "Die Briefe wurden nicht erstellt." in page and "nicht rechtzeitig" in page
    assert 'id="consumption-batch-status" hx-swap-oob="innerHTML"' in page  # said in the live region
    # a worker that takes it afterwards changes nothing
    notices.build_batch(latest_batch().id, "http://localhost")
    assert latest_batch().status == JobStatus.FAILED and ConsumptionNotice.select().count() == 0

    def broken(*args, **kwargs):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(notices, "letters_pdf", broken)
    monkeypatch.setattr("wir.tasks.build_consumption_letters", lambda batch_id: notices.build_batch(batch_id, ""))
    location = order(client, auth).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Unerwarteter Fehler (RuntimeError)" in page and ConsumptionNotice.select().count() == 0


def test_a_queue_out_of_reach_fails_the_batch(client, auth, post_list, monkeypatch):
    def unreachable(batch_id):
        raise ConnectionError("redis")

    monkeypatch.setattr("wir.tasks.build_consumption_letters", unreachable)
    auth.login_staff(0)
    page = client.get(order(client, auth).headers["Location"]).get_data(as_text=True)
    assert "Die Hintergrundverarbeitung ist nicht erreichbar." in page


def test_the_letters_need_the_csrf_token_and_a_month_offered(client, auth, post_list):
    auth.login_staff(0)
    assert client.post(LETTERS_URL, data={"monat": "2031-11"}).status_code == 400
    response = order(client, auth, month="2019-11")
    assert response.status_code == 422 and "Bitte wählen Sie den Monat erneut." in response.get_data(as_text=True)
    response = order(client, auth, month="2031-08")
    assert response.status_code == 422 and "Für August 2031 sind keine Briefe nötig." in response.get_data(as_text=True)
    assert ConsumptionLetterBatch.select().count() == 0 and ConsumptionNotice.select().count() == 0


def test_letters_are_read_in_chunks_with_the_same_queries(app, post_list, monkeypatch, count_queries):
    households(5, with_login=False)
    clerk = User.get(User.email == "sachbearbeitung@lipsia.example.org")
    letters = notices.letters_of(notices.by_post(clerk, NOVEMBER), NOVEMBER)
    monkeypatch.setattr(notices, "PDF_CHUNK", 3)
    done = []
    with count_queries() as queries:
        pdf = notices.letters_pdf(letters, NOVEMBER, "http://localhost", done.append)
    assert done == list(range(1, len(letters) + 1)) and len(letters) == 7
    assert pdf_text(pdf).count("Ihre Verbrauchsinformation für November 2031") == 7
    assert queries.count <= 3 * 3  # per chunk of 3 the figures' queries, not per letter


def test_tenants_and_anonymous_get_404(client, auth, post_list):
    assert client.get(URL).status_code == 404
    auth.login_as("juergen")
    assert client.get(URL).status_code == 404
    assert client.post(LETTERS_URL, data={"csrf_token": auth.csrf_token()}).status_code == 404
    batch = ConsumptionLetterBatch.create(month=NOVEMBER)
    assert client.get(f"/intern/verbrauch/auftrag/{batch.id}").status_code == 404


def test_paging_shows_every_letter_once(client, auth, post_list, monkeypatch):
    households(7, with_login=False)
    monkeypatch.setattr("wir.blueprints.staff.consumption.PAGE_SIZE", 4)
    auth.login_staff(0)
    seen = []
    for page in (1, 2, 3):
        listed = rows(client.get(URL, query_string={"seite": page}).get_data(as_text=True))
        seen += [cell.split("<", 1)[0].strip() for cell in listed.split('<th scope="row">')[1:]]
    expected = sorted(["MV-1001-0203", "MV-2003-0001"] + [f"T-MV-{n:04d}" for n in range(7)])
    assert sorted(seen) == expected and len(seen) == len(set(seen))
    text = client.get(URL, query_string={"seite": 3}).get_data(as_text=True)
    assert "9 Briefe, November 2031" in text  # the button orders all of them, not the page's


def test_page_queries_stay_constant(client, auth, post_list, count_queries):
    auth.login_staff(0)

    def page_queries():
        with count_queries() as queries:
            assert client.get(URL).status_code == 200
        return queries.count

    few = page_queries()
    households(12, with_login=False)
    for found in households(5)[:3]:
        Person.update(consumption_by_post=True).where(
            Person.id.in_([p.person_id for p in found.parties])).execute()
    assert page_queries() == few


def test_the_service_lists_only_contracts_in_force_with_values(app, data):
    made = households(3, with_login=False)
    Contract.update(end_date=date(2031, 10, 31)).where(Contract.id == made[0].id).execute()
    clerk = User.get(User.email == "sachbearbeitung@lipsia.example.org")
    listed = [c.number for c in notices.by_post(clerk, NOVEMBER)]
    assert listed == [made[1].number, made[2].number]
    assert list(notices.by_post(clerk, OCTOBER)) == []


# --- a rental contract's Verbrauch for staff (/intern/verbrauch/vertrag/<id>) ---


def contract_url(number: str, **query) -> str:
    found = contract(number)
    return f"/intern/verbrauch/vertrag/{found.id}" + ("?" + "&".join(f"{k}={v}" for k, v in query.items())
                                                      if query else "")


def test_the_clerk_sees_a_tenants_verbrauch_as_the_tenant_does_and_it_is_audited(client, auth, post_list):
    juergen = contract("MV-1001-0203")
    auth.login_staff(0)  # Lipsia
    page = client.get(contract_url("MV-1001-0203"))
    assert page.status_code == 200
    text = main_of(page.get_data(as_text=True))
    assert "Verbrauch: Mietvertrag MV-1001-0203" in text and "Ihr Verbrauch im November 2031" in text
    assert 'id="table-heating"' in text and "<svg" in text  # the tenant page's figures, charts and tables
    # the month chooser and the links stay on the staff page; the tenant's own pages are not linked
    assert f'action="/intern/verbrauch/vertrag/{juergen.id}"' in text
    assert f'href="/intern/verbrauch/vertrag/{juergen.id}?monat=2031-10"' in text
    assert f"/verbrauch/{juergen.id}" not in text.replace("/intern/verbrauch/", "")
    assert "Jürgen Müller" in text and "protokolliert" in text
    entry = AuditLog.select().where(AuditLog.action == "consumption.view").get()
    assert (entry.object_type, entry.object_id, entry.detail) == ("Contract", str(juergen.id),
                                                                   "MV-1001-0203, November 2031")
    assert entry.cooperative_id == juergen.cooperative_id


def test_the_clerk_chooses_another_month_without_and_with_htmx(client, auth, post_list):
    auth.login_staff(0)
    page = client.get(contract_url("MV-1001-0203", monat="2031-10"))
    assert "Ihr Verbrauch im Oktober 2031" in page.get_data(as_text=True)
    response = client.get(contract_url("MV-1001-0203", monat="2031-10"), headers=htmx(auth, "verbrauch-werte"))
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="verbrauch-werte"') and "<html" not in fragment
    assert {"HX-Request", "HX-Target"} <= {value.strip() for value in response.headers["Vary"].split(",")}
    assert client.get(contract_url("MV-1001-0203", monat="2031-13")).status_code == 404
    assert AuditLog.select().where(AuditLog.action == "consumption.view").count() == 2  # each look


def test_another_cooperatives_contract_or_a_non_rental_one_is_a_404(client, auth, post_list):
    auth.login_staff(2)  # Elsteraue
    assert client.get(contract_url("MV-1001-0203")).status_code == 404
    assert client.get(contract_url("MV-301-0201")).status_code == 200
    flat = contract("MV-301-0201")
    parking = Contract.create(cooperative=flat.cooperative, kind="parking", number="SP-T-1", unit=flat.unit,
                              start_date=date(2020, 1, 1))
    assert client.get(f"/intern/verbrauch/vertrag/{parking.id}").status_code == 404
    assert client.get("/intern/verbrauch/vertrag/999999").status_code == 404
    assert AuditLog.select().where(AuditLog.action == "consumption.view").count() == 1
    auth.logout()
    auth.login_with_code(auth.logins["admin"])
    assert client.get(contract_url("MV-1001-0203")).status_code == 200


def test_tenants_and_anonymous_do_not_reach_the_staff_view(client, auth, post_list):
    assert client.get(contract_url("MV-1001-0203")).status_code == 404
    auth.login_as("juergen")
    assert client.get(contract_url("MV-1001-0203")).status_code == 404


def test_the_person_page_links_each_rental_contract_to_its_verbrauch(client, auth, post_list):
    juergen = contract("MV-1001-0203")
    person = Person.get(Person.first_name == "Jürgen")
    auth.login_staff(0)
    text = client.get(f"/intern/personen/{person.id}").get_data(as_text=True)
    assert f'href="/intern/verbrauch/vertrag/{juergen.id}"' in text
    assert "Verbrauch<span class=\"visually-hidden\"> zu MV-1001-0203</span> ansehen" in text
    non_rental = [c.id for c in Contract.select().join(
        ContractParty).where((ContractParty.person == person) & (Contract.kind != "rental"))]
    assert all(f"/intern/verbrauch/vertrag/{found}\"" not in text for found in non_rental)


def test_the_staff_view_runs_the_same_queries_with_more_history(client, auth, post_list, count_queries):
    auth.login_staff(0)
    url = contract_url("MV-1001-0203")

    def page_queries():
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        return queries.count

    few = page_queries()
    values(contract("MV-1001-0203"), *[clock.add_months(date(2029, 1, 1), n) for n in range(30)], kind="hot_water")
    assert page_queries() == few
