"""Registrierungsbriefe at /intern/registrierungsbriefe: requests matched to persons, letters built in the
background (tasks run at once here; tests/test_tasks.py runs a real consumer), the PDF for window envelopes."""

import io
from datetime import timedelta

import pytest
import zxingcpp
from pypdf import PdfReader

from tests.helpers import htmx, main_of, pdf_text
from wir import clock
from wir.models import (
    AuditLog,
    Cooperative,
    Person,
    RegistrationCode,
    RegistrationLetter,
    RegistrationLetterBatch,
    RegistrationNumberRequest,
    User,
)
from wir.pdf import registration_letter
from wir.services.registration import registration, registration_letters

URL = "/intern/registrierungsbriefe"
MM = 25.4 / 72  # one PDF point in mm


def person(key_name: str) -> Person:
    first, last = key_name.split()
    return Person.get((Person.first_name == first) & (Person.last_name == last))


def file_request(app, cooperative="lipsia", **fields) -> RegistrationNumberRequest:
    """A "Registrierungsnummer anfordern" request as the public form stores it."""
    values = dict(first_name="Monika", last_name="Mueller", street="Stuttgarter Allee 18", postcode="04209",
                  city="Leipzig") | fields
    coop = Cooperative.get(Cooperative.slug == cooperative).id if cooperative else None
    with app.app_context():
        return registration.request_registration_number(cooperative=coop, **values)


def open_codes(p: Person) -> list[str]:
    now = clock.now()
    return [c.code for c in RegistrationCode.select().where(
        (RegistrationCode.person == p) & RegistrationCode.used_at.is_null() & (RegistrationCode.expires_at > now))]


def create(client, auth, **form):
    return client.post(URL, data={"csrf_token": auth.csrf_token(), **form})


def batch_pdf(client, batch_id) -> bytes:
    response = client.get(f"{URL}/auftrag/{batch_id}/briefe.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def latest_batch() -> RegistrationLetterBatch:
    return RegistrationLetterBatch.select().order_by(RegistrationLetterBatch.id.desc()).first()


# --- the page -------------------------------------------------------------------------------------------------


def test_page_lists_requests_with_their_persons_and_persons_without_account(app, client, auth, data):
    matched = file_request(app, first_name="monika", last_name="MÜLLER", street="Stuttgarter Allee 18")
    unmatched = file_request(app, first_name="Karl", last_name="Unbekannt", street="Irgendwo 1")
    other = file_request(app, cooperative="elsteraue", first_name="Ayşe", last_name="Yılmaz",
                         street="Dieskaustraße 170", postcode="04249")
    auth.login_staff(0)  # Lipsia
    response = client.get(URL)
    assert response.status_code == 200
    page = main_of(response.get_data(as_text=True))
    assert "Anfragen „Registrierungsnummer anfordern“ (2)" in page
    assert f'name="anfrage" value="{matched.id}"' in page and "Monika Müller" in page
    assert f'name="anfrage" value="{unmatched.id}"' not in page and "nicht zuzuordnen" in page
    assert f"/intern/registrierungsbriefe/anfrage/{unmatched.id}" in page
    assert f'value="{other.id}"' not in page and "Yılmaz" not in page  # another cooperative's request and person
    assert "Schütz, Hannelore" in page and "Müller, Monika" in page and "Müller, Jürgen" not in page  # has an account
    assert '<a href="/intern/registrierungsbriefe" aria-current="page">Registrierungsbriefe</a>' in \
        response.get_data(as_text=True)


def test_house_filter_and_htmx_fragment(client, auth, data):
    auth.login_staff(0)
    response = client.get(URL, query_string={"haus": "Brünnler Straße 6"}, headers=htmx(auth))
    assert response.status_code == 200 and "Vary" in response.headers
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith("{#") is False and '<div id="letter-persons"' in fragment
    assert "<html" not in fragment and "Schütz, Hannelore" in fragment and "Müller, Monika" not in fragment
    assert 'name="haus" value="Brünnler Straße 6"' in fragment
    bad = client.get(URL, query_string={"haus": "<script>alert(1)</script>"})
    assert bad.status_code == 200 and "<script>alert(1)" not in bad.get_data(as_text=True)
    assert "Bitte wählen Sie einen Eintrag aus der Liste." in bad.get_data(as_text=True)


def test_admin_sees_both_cooperatives(client, auth, data, demo_logins):
    auth.login_with_code(demo_logins["admin"])
    page = client.get(URL).get_data(as_text=True)
    assert "Yılmaz, Ayşe" in page and "Schütz, Hannelore" in page


# --- creating letters -----------------------------------------------------------------------------------------


def test_letters_for_two_requests_give_new_codes_and_mark_the_requests_done(app, client, auth, data):
    monika, hannelore = person("Monika Müller"), person("Hannelore Schütz")
    old_code = open_codes(monika)
    first = file_request(app, last_name="Müller")
    second = file_request(app, first_name="Hannelore", last_name="Schuetz", street="Brünnler Str. 6")
    auth.login_staff(0)
    response = create(client, auth, anfrage=[first.id, second.id])
    batch = latest_batch()
    assert response.status_code == 303 and response.headers["Location"] == f"{URL}/auftrag/{batch.id}"
    assert batch.status == "done" and batch.total == batch.done == 2 and batch.error == ""
    assert RegistrationNumberRequest.select().where(RegistrationNumberRequest.handled_at.is_null()).count() == 0
    new_monika, new_hannelore = open_codes(monika), open_codes(hannelore)
    assert len(new_monika) == len(new_hannelore) == 1 and new_monika != old_code
    assert new_monika[0].startswith("LIP-") and registration.normalize_code(new_monika[0]) == new_monika[0]
    page = client.get(f"{URL}/auftrag/{batch.id}").get_data(as_text=True)
    assert "Fertig: 2 Briefe" in page and f"{URL}/auftrag/{batch.id}/briefe.pdf" in page
    assert "hx-trigger" not in page  # no more polling
    text = pdf_text(batch_pdf(client, batch.id))
    for name, code in (("Monika Müller", new_monika[0]), ("Hannelore Schütz", new_hannelore[0])):
        assert name in text and code in text
    assert "Stuttgarter Allee 18 04209 Leipzig" in text and "Brünnler Straße 6 04209 Leipzig" in text
    assert "Schritt 4: Ihre Anmeldung" in text and "http://localhost" in text
    actions = [entry.action for entry in AuditLog.select().where(AuditLog.object_type == "RegistrationLetterBatch")]
    assert actions == ["registration_letters.ordered", "registration_letters.created", "registration_letters.downloaded"]


def test_the_new_code_registers_and_the_old_one_no_longer(app, client, auth, data):
    monika = person("Monika Müller")
    (old,) = open_codes(monika)
    auth.login_staff(0)
    create(client, auth, person=[monika.id])
    (new,) = open_codes(monika)
    auth.logout()
    form = {"csrf_token": auth.csrf_token(), "last_name": "Müller", "email": "monika.neu@example.org",
            "password": "Fenster-Tulpe-Radweg-77", "password_repeat": "Fenster-Tulpe-Radweg-77", "accept_terms": "y"}
    refused = client.post("/registrieren/", data=form | {"registration_number": old})
    assert refused.status_code == 422
    assert client.post("/registrieren/", data=form | {"registration_number": new}).status_code == 303


def test_everyone_in_a_house_gets_a_letter(client, auth, data):
    auth.login_staff(0)
    assert create(client, auth, alle="y", haus="Brünnler Straße 6").status_code == 303
    batch = latest_batch()
    assert [letter.person.full_name for letter in batch.letters] == ["Hannelore Schütz"]
    assert create(client, auth, alle="y", haus="").status_code == 303
    assert latest_batch().total == 2  # Monika Müller and Hannelore Schütz: Lipsia's persons without an account


def test_a_person_chosen_twice_gets_one_letter(app, client, auth, data):
    monika = person("Monika Müller")
    request = file_request(app)
    auth.login_staff(0)
    create(client, auth, anfrage=[request.id], person=[monika.id])
    batch = latest_batch()
    assert batch.total == 1 and len(PdfReader(io.BytesIO(batch_pdf(client, batch.id))).pages) == 1
    assert len(open_codes(monika)) == 1


def test_an_unmatched_request_is_assigned_by_the_clerk(app, client, auth, data):
    request = file_request(app, first_name="Moni", last_name="Müller-Schmidt", street="Stuttgarter Allee 18a")
    auth.login_staff(0)
    page_url = f"{URL}/anfrage/{request.id}"
    page = client.get(page_url)
    assert page.status_code == 200 and "Moni Müller-Schmidt" in page.get_data(as_text=True)
    found = client.get(page_url, query_string={"suche": "mueller"}, headers=htmx(auth))
    fragment = found.get_data(as_text=True)
    assert found.status_code == 200 and "<html" not in fragment and "Monika Müller" in fragment
    assert "Jürgen" not in fragment  # has an account
    # the staff search: any word's start, umlauts typed either way
    by_street = client.get(page_url, query_string={"suche": "brünnler schuetz"}).get_data(as_text=True)
    assert "Hannelore Schütz" in by_street and "Monika" not in by_street
    monika = person("Monika Müller")
    hannelore = person("Hannelore Schütz")
    ayse = person("Ayşe Yılmaz")
    refused = client.post(page_url, data={"csrf_token": auth.csrf_token(), "person": ayse.id})
    assert refused.status_code == 422 and "Bitte wählen Sie eine Person ohne Zugang" in refused.get_data(as_text=True)
    assert RegistrationNumberRequest.get_by_id(request.id).person_id is None
    assigned = client.post(page_url, data={"csrf_token": auth.csrf_token(), "person": monika.id})
    assert assigned.status_code == 303 and assigned.headers["Location"] == URL
    assert RegistrationNumberRequest.get_by_id(request.id).person_id == monika.id
    page = client.get(URL).get_data(as_text=True)
    assert f'name="anfrage" value="{request.id}"' in page and "(zugeordnet)" in page
    assert hannelore.id != monika.id


def test_bad_choices_are_refused_and_nothing_is_saved(app, client, auth, data):
    auth.login_staff(0)
    other = person("Ayşe Yılmaz")  # Elsteraue
    registered = person("Jürgen Müller")
    unmatched = file_request(app, first_name="Karl", last_name="Unbekannt")
    handled = file_request(app)
    RegistrationNumberRequest.update(handled_at=clock.now()).where(RegistrationNumberRequest.id == handled.id).execute()
    cases = [
        ({}, "Bitte wählen Sie mindestens eine Anfrage oder Person."),
        ({"person": other.id}, "Eine gewählte Person hat inzwischen einen Zugang."),
        ({"person": registered.id}, "Eine gewählte Person hat inzwischen einen Zugang."),
        ({"person": "abc"}, "Personen"),
        ({"person": "<script>alert(1)</script>"}, "Personen"),
        ({"person": "1\x00"}, "Personen"),
        ({"anfrage": unmatched.id}, "ist keiner Person zugeordnet"),
        ({"anfrage": handled.id}, "Eine gewählte Anfrage ist inzwischen erledigt."),
        ({"anfrage": 10**12}, "Anfragen"),  # beyond any id: refused like "abc" (wir.converters)
    ]
    for form, message in cases:
        response = create(client, auth, **form)
        page = response.get_data(as_text=True)
        assert response.status_code == 422, form
        assert message in page, (form, page[:400])
        assert "<script>alert(1)" not in page and "Traceback" not in page
    assert RegistrationLetterBatch.select().count() == 0 and RegistrationLetter.select().count() == 0
    assert create(client, auth, person=[person("Monika Müller").id], csrf_token="falsch").status_code in (400, 422)


def test_a_failed_batch_says_why_and_changes_no_code(app, client, auth, data, monkeypatch):
    monika = person("Monika Müller")
    before = open_codes(monika)
    request = file_request(app)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(registration_letter, "build", broken)
    auth.login_staff(0)
    create(client, auth, anfrage=[request.id])
    batch = latest_batch()
    assert batch.status == "failed" and "Unerwarteter Fehler (OSError)" in batch.error
    assert "keine Registrierungsnummer geändert" in batch.error
    assert open_codes(monika) == before
    assert RegistrationNumberRequest.get_by_id(request.id).handled_at is None
    page = client.get(f"{URL}/auftrag/{batch.id}").get_data(as_text=True)
    assert "Die Briefe wurden nicht erstellt." in page and "Unerwarteter Fehler (OSError)" in page
    assert client.get(f"{URL}/auftrag/{batch.id}/briefe.pdf").status_code == 409


def test_a_batch_whose_codes_cannot_be_saved_changes_none(app, client, auth, data, monkeypatch):
    """The last step fails inside the transaction (a code taken meanwhile): nothing of it stays."""
    monika, hannelore = person("Monika Müller"), person("Hannelore Schütz")
    before = (open_codes(monika), open_codes(hannelore))
    taken = RegistrationCode.get(RegistrationCode.person == monika).code
    monkeypatch.setattr(registration_letters, "_new_codes",
                        lambda persons: {p.id: taken if p.id == hannelore.id else "LIP-AAAA-BBBB" for p in persons})
    auth.login_staff(0)
    create(client, auth, person=[monika.id, hannelore.id])
    batch = latest_batch()
    assert batch.status == "failed" and "Unerwarteter Fehler" in batch.error
    assert (open_codes(monika), open_codes(hannelore)) == before
    assert not RegistrationCode.select().where(RegistrationCode.code == "LIP-AAAA-BBBB").exists()


def test_a_person_who_registered_meanwhile_fails_the_batch_with_the_reason(app, client, auth, data):
    monika = person("Monika Müller")
    auth.login_staff(0)
    with app.app_context():
        batch = registration_letters.create_batch(User.get(User.email == auth.logins["staff"][0]["email"]),
                                                  [monika.id], [])
    user = User.create(email="monika@example.org", password_hash="x", confirmed_at=clock.now())
    Person.update(user=user).where(Person.id == monika.id).execute()
    with app.app_context():
        registration_letters.build_batch(batch.id, "http://localhost/registrieren/", "http://localhost")
    batch = RegistrationLetterBatch.get_by_id(batch.id)
    assert batch.status == "failed" and "Monika Müller hat inzwischen einen Zugang" in batch.error


def test_a_batch_runs_once(app, data):
    monika = person("Monika Müller")
    staff = User.get(User.role == "staff")
    with app.app_context():
        batch = registration_letters.create_batch(staff, [monika.id], [])
        for _ in range(2):
            registration_letters.build_batch(batch.id, "http://localhost/registrieren/", "http://localhost")
    assert len(open_codes(monika)) == 1


def test_a_batch_that_no_worker_finished_is_given_up(app, data):
    staff = User.get(User.role == "staff")
    with app.app_context():
        batch = registration_letters.create_batch(staff, [person("Monika Müller").id], [])
        later = clock.now() + timedelta(hours=2)
        assert registration_letters.give_up_stale(later) == 1
    assert "nicht rechtzeitig" in RegistrationLetterBatch.get_by_id(batch.id).error


def test_running_batch_polls_with_htmx_and_offers_a_reload_link(app, client, auth, data):
    staff = User.get(User.email == auth.logins["staff"][0]["email"])
    with app.app_context():
        batch = registration_letters.create_batch(staff, [person("Monika Müller").id], [])
    auth.login_staff(0)
    url = f"{URL}/auftrag/{batch.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in page and f'<a href="{url}">Stand aktualisieren</a>' in page
    assert "0 von 1 Brief erstellt" in page
    assert client.get(f"{url}/briefe.pdf").status_code == 409
    fragment = client.get(url, headers=htmx(auth)).get_data(as_text=True)
    assert "<html" not in fragment and '<div id="letter-batch"' in fragment


def test_another_cooperatives_batch_and_request_are_404(app, client, auth, data):
    ayse = person("Ayşe Yılmaz")
    elsteraue_staff = User.get(User.email == auth.logins["staff"][2]["email"])
    with app.app_context():
        batch = registration_letters.create_batch(elsteraue_staff, [ayse.id], [])
    request = file_request(app, cooperative="elsteraue", first_name="X", last_name="Y")
    auth.login_staff(0)  # Lipsia
    assert client.get(f"{URL}/auftrag/{batch.id}").status_code == 404
    assert client.get(f"{URL}/auftrag/{batch.id}/briefe.pdf").status_code == 404
    assert client.get(f"{URL}/anfrage/{request.id}").status_code == 404
    assert client.post(f"{URL}/anfrage/{request.id}", data={"csrf_token": auth.csrf_token(),
                                                             "person": person("Monika Müller").id}).status_code == 404


def test_tenants_and_anonymous_get_404(client, auth, data):
    assert client.get(URL).status_code == 404
    auth.login_as("juergen")
    assert client.get(URL).status_code == 404


def test_page_queries_stay_constant(app, client, auth, data, count_queries):
    auth.login_staff(0)

    def page_queries():
        with count_queries() as queries:
            assert client.get(URL).status_code == 200
        return queries.count

    file_request(app)
    few = page_queries()
    lipsia = Cooperative.get(Cooperative.slug == "lipsia")
    Person.insert_many([dict(cooperative=lipsia, number=f"9{n:05d}", first_name=f"Vorname{n}", last_name=f"Name{n}",
                             street=f"Teststraße {n % 7}", postcode="04209", city="Leipzig") for n in range(300)]).execute()
    for n in range(60):
        file_request(app, first_name=f"Vorname{n}", last_name=f"Name{n}", street=f"Teststraße {n % 7}")
    assert page_queries() == few


# --- the PDF --------------------------------------------------------------------------------------------------


@pytest.fixture
def letters_pdf(app, client, auth, data):
    monika, hannelore = person("Monika Müller"), person("Hannelore Schütz")
    auth.login_staff(0)
    create(client, auth, person=[monika.id, hannelore.id])
    return batch_pdf(client, latest_batch().id), {monika.full_name: open_codes(monika)[0],
                                                  hannelore.full_name: open_codes(hannelore)[0]}


def test_each_letter_has_a_qr_code_that_opens_the_registration_with_its_code(letters_pdf):
    pdf, codes = letters_pdf
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    for page, (name, code) in zip(reader.pages, codes.items()):
        assert name in page.extract_text()
        (image,) = page.images
        decoded = [result.text for result in zxingcpp.read_barcodes(image.image)]
        assert decoded == [f"http://localhost/registrieren/?code={code}"]


def test_the_address_sits_in_the_window_of_din_5008_form_b(letters_pdf):
    pdf, codes = letters_pdf
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    height = float(page.mediabox.height)
    placed = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
            placed.append((text.strip(), x * MM, (height - y) * MM))  # mm from the left and from the top

    page.extract_text(visitor_text=visit)
    where = {text: (x, y) for text, x, y in placed}
    address = ["Frau", "Monika Müller", "Stuttgarter Allee 18", "04209 Leipzig"]
    for line in address:
        x, baseline = where[line]
        # the Anschriftzone: 62.7 to 90 mm from the top, 20 to 105 mm from the left (text from 25 mm)
        assert registration_letter.ADDRESS_ZONE_TOP < baseline < registration_letter.WINDOW_TOP + 45, (line, baseline)
        assert 20 <= x <= 30, (line, x)
    sender = next((text, x, y) for text, x, y in placed if text.startswith("WG „Lipsia“ eG ·"))
    assert registration_letter.WINDOW_TOP < sender[2] <= registration_letter.ADDRESS_ZONE_TOP  # the return line
    baselines = [where[line][1] for line in address]
    assert baselines == sorted(baselines)
    code_y = where[codes["Monika Müller"]][1]
    assert code_y > registration_letter.BODY_TOP  # the body begins below the window


# --- the registration page takes the number from the QR code ---------------------------------------------------


def test_registration_page_fills_in_the_code_from_the_link(client, data):
    page = client.get("/registrieren/", query_string={"code": "LIP-7K3M-9QX2"}).get_data(as_text=True)
    assert 'value="LIP-7K3M-9QX2"' in page
    assert "aria-invalid" not in page  # checked only when sent


def test_registration_page_escapes_a_hostile_code(client, data):
    response = client.get("/registrieren/", query_string={"code": '"><script>alert(1)</script>\x07' + "X" * 100})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<script>alert(1)" not in page and "\x07" not in page
    assert "&#34;&gt;&lt;script&gt;" in page or "&quot;&gt;&lt;script&gt;" in page
