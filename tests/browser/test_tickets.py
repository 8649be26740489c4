"""Kontakt und Meldungen (issue 6) in a real browser: filing a damage report with a photo (with and
without JavaScript), the phone layout, the status that refreshes itself, answering a Rückfrage,
withdrawing, the emergency number, and axe on every page of the feature at 1280 and 360 px.

The module has a live server of its own whose mails go over SMTP to a server in this process;
status changes "from the cooperative" are made with the real command line
(``flask --app wir ticket set-status``) against the live server's database.

Each tenant has one job, so the tests do not depend on each other's changes
(4 logins, one per tenant: well below the 10 login POSTs a minute):

    juergen   files new tickets (JavaScript on and off), the phone layout, the emergency category, axe on /kontakt
    dieter    the status refresh (his "Frage zur Betriebskostenabrechnung" goes In Bearbeitung → Beauftragt)
    suekrue   the Rückfrage (his "Wohnungstür schließt nicht richtig" goes Eingegangen → Rückfrage → In Bearbeitung)
    gisela    withdraws "Bitte um Termin"

and axe looks at dieter's pages (/meldungen, a ticket with and without Rückfrage, the withdraw
confirmation) and gisela's Erledigte without changing them. Łukasz, the remaining demo tenant, has not yet reviewed his
contact data and is sent there first.
"""

import io
import re
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import ExifTags, Image

from tests.browser.helpers import (
    POLL_WAIT_MS,
    after_swap,
    assert_accessible,
    assert_no_horizontal_scroll,
    control,
    expect,
    option_value,
    path_of,
    wait_for_htmx,
)

pytestmark = pytest.mark.browser

TENANT_EMAILS = {
    "juergen": "juergen.mueller@example.org",  # Lipsia, Mietvertrag MV-1001-0203
    "gisela": "gisela.weiss@example.com",  # Lipsia and Elsteraue
    "suekrue": "s.yilmaz@example.org",  # Elsteraue, MV-301-0201
    "dieter": "dieter.krueger@example.com",  # Elsteraue, MV-305-0302
}
LIPSIA_EMERGENCY = "0341 41519-111"
EMERGENCY_CATEGORY = "Notfall: Wasserrohrbruch, Gasgeruch, Heizungsausfall"
NUMBER = r"[LE]-\d{4}-\d{4}"
GPS_IFD = ExifTags.IFD.GPSInfo
DAMAGE_MESSAGE = "Der Handtuchheizkörper wird seit heute früh nicht mehr warm."


# --- fixtures ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tenants(demo_logins):
    by_email = {tenant["email"]: tenant for tenant in demo_logins["tenants"]}
    missing = [email for email in TENANT_EMAILS.values() if email not in by_email]
    assert not missing, f"demo data lacks the tenants {missing}"
    return {key: by_email[email] for key, email in TENANT_EMAILS.items()}


@pytest.fixture
def photo(tmp_path):
    """A small JPEG as a phone takes it: with camera make and GPS position in its EXIF data."""
    path = tmp_path / "Heizkörper Bad.jpg"
    image = Image.new("RGB", (120, 90), (190, 70, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "WIR-Testkamera"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 19.0, 48.0), 3: "E", 4: (12.0, 17.0, 24.0)})
    image.save(path, "JPEG", exif=exif)
    with Image.open(path) as written:
        assert written.getexif().get_ifd(GPS_IFD), "the test photo should carry a GPS position"
    return path


# --- helpers -----------------------------------------------------------------


def flask_cli(live_server, *args) -> str:
    """``flask --app wir …`` on the live server's database (its environment: WIR_DATABASE_URL, SMTP, …)."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wir", *args],
        cwd=live_server.directory,
        env=live_server.environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"flask {' '.join(args)}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def ticket_row(page, subject: str):
    return page.locator("table.tickets tbody tr", has=page.get_by_role("link", name=subject, exact=True))


def ticket_number(page, subject: str) -> str:
    """The Meldungsnummer of the signed-in tenant's ticket ``subject``, read from /meldungen."""
    page.goto("/meldungen")
    number = ticket_row(page, subject).locator(".meta").inner_text().strip()
    assert re.fullmatch(NUMBER, number), f"no ticket number for „{subject}“: {number!r}"
    return number


def open_ticket(page, subject: str) -> None:
    page.goto("/meldungen")
    page.get_by_role("link", name=subject, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()


def fact(page, term: str):
    """The <dd> beside <dt>term</dt> on a ticket page."""
    return page.locator(f"dl.facts dt:text-is('{term}') + dd")


def choose(page, label: str, text: str, javascript: bool = True) -> None:
    """Pick the option containing ``text`` in the select ``label``; with JavaScript the form follows via htmx."""
    select = control(page, label)
    value = option_value(select, text)
    if javascript:
        after_swap(page, lambda: select.select_option(value))
    else:
        select.select_option(value)
    expect(control(page, label)).to_have_value(value)


def choose_with_javascript(page, contract: str | None, ticket_type: str, category: str | None = None) -> None:
    if contract:
        choose(page, "Worum geht es?", contract)
    choose(page, "Meldungsart", ticket_type)
    if category:
        choose(page, "Meldungskategorie", category)


def assert_clean_download(page, href: str) -> None:
    """The stored photo is a JPEG without any EXIF data (no location, no camera)."""
    response = page.request.get(href)
    assert response.status == 200, f"{href}: HTTP {response.status}"
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"].startswith("attachment")
    with Image.open(io.BytesIO(response.body())) as image:
        assert image.format == "JPEG"
        assert "exif" not in image.info, "the downloaded photo still has EXIF data"
        assert not dict(image.getexif()), f"EXIF left in the photo: {dict(image.getexif())}"
        assert image.size == (120, 90)


def assert_filed(page, subject: str, location: str, photo) -> str:
    """On the new ticket's page: flash with the number, the facts, the message and the photo; returns the number."""
    notice = page.locator(".notice--success")
    expect(notice).to_contain_text(re.compile(r"Ihre Meldungsnummer: " + NUMBER))
    number = re.search(NUMBER, notice.inner_text()).group(0)
    expect(notice).to_be_focused()  # the outcome, whether htmx loaded the page (HX-Location) or the browser did
    expect(page).to_have_url(re.compile(re.escape(f"/meldungen/{number}") + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    expect(fact(page, "Meldungsnummer")).to_have_text(number)
    expect(fact(page, "Status")).to_have_text("Eingegangen")
    expect(fact(page, "Meldungsart")).to_have_text("Schadensmeldung")
    expect(fact(page, "Meldungskategorie")).to_have_text("Heizung/Warmwasser")
    expect(fact(page, "Vertrag")).to_have_text("MV-1001-0203")
    expect(fact(page, "Ort")).to_have_text(location)
    message = page.locator("ol.history > li", has_text=DAMAGE_MESSAGE)
    expect(message).to_contain_text("Sie:")
    attachment = message.locator("a", has_text=re.compile(r"\.jpg$"))
    expect(attachment).to_have_text(photo.stem + ".jpg")
    assert_clean_download(page, attachment.get_attribute("href"))
    return number


def fill_damage_report(page, subject: str, location: str, photo) -> None:
    page.get_by_label("Wo genau? (Raum, Stelle)").fill(location)
    page.get_by_label("Fotos oder PDF-Dateien (freiwillig)").set_input_files(photo)
    page.get_by_label("Betreff").fill(subject)
    control(page, "Nachricht").fill(DAMAGE_MESSAGE)


# --- 1. a damage report with a photo ----------------------------------------------


def test_damage_report_with_javascript(new_page, tenants, photo):
    page = new_page("desktop", user=tenants["juergen"])
    page.goto("/kontakt")
    wait_for_htmx(page)
    page.evaluate("window.wirNoReload = 'still here'")
    category = control(page, "Meldungskategorie")
    expect(category.locator("option")).to_have_count(1)  # only "Bitte wählen" until the Meldungsart is known

    choose(page, "Worum geht es?", "Mietvertrag MV-1001-0203")
    choose(page, "Meldungsart", "Schadensmeldung")
    expect(category.locator("option", has_text="Heizung/Warmwasser")).to_have_count(1)
    expect(page.get_by_label("Wo genau? (Raum, Stelle)")).to_have_count(0)  # no category yet
    choose(page, "Meldungskategorie", "Heizung/Warmwasser")
    expect(page.get_by_label("Wo genau? (Raum, Stelle)")).to_be_visible()
    expect(page.get_by_label("Fotos oder PDF-Dateien (freiwillig)")).to_be_visible()
    assert page.evaluate("window.wirNoReload") == "still here", "choosing reloaded the page instead of swapping"
    assert path_of(page) == "/kontakt"

    subject = "Handtuchheizkörper im Bad bleibt kalt"
    fill_damage_report(page, subject, "Bad, Handtuchheizkörper", photo)
    page.get_by_role("button", name="Absenden").click()

    number = assert_filed(page, subject, "Bad, Handtuchheizkörper", photo)
    assert page.evaluate("window.wirNoReload") == "still here", "sending reloaded the page (htmx should load it)"
    assert not page.wir_console_errors, f"console errors: {page.wir_console_errors}"
    # and it is listed, newest first
    page.get_by_role("link", name="Zurück zu den Meldungen").click()
    first = page.locator("table.tickets tbody tr").first
    expect(first.locator(".meta")).to_have_text(number)
    expect(first.locator("td[data-label=Status]")).to_contain_text("Eingegangen")


def test_damage_report_without_javascript(new_page, tenants, photo):
    page = new_page("desktop", javascript=False, user=tenants["juergen"])
    page.goto("/kontakt")
    assert page.evaluate("typeof window.htmx") == "undefined", "JavaScript should be off in this context"
    choose(page, "Worum geht es?", "Mietvertrag MV-1001-0203", javascript=False)
    choose(page, "Meldungsart", "Schadensmeldung", javascript=False)
    category = control(page, "Meldungskategorie")
    expect(category.locator("option")).to_have_count(1)  # without JavaScript nothing follows by itself
    expect(page.get_by_text("Wählen Sie zuerst die Meldungsart.")).to_be_visible()

    page.get_by_role("button", name="Auswahl übernehmen").click()
    assert path_of(page) == "/kontakt"
    expect(control(page, "Worum geht es?")).to_have_value(re.compile(r"^c\d+$"))  # the choices stay
    expect(control(page, "Worum geht es?").locator("option:checked")).to_contain_text("MV-1001-0203")
    expect(control(page, "Meldungsart").locator("option:checked")).to_have_text("Schadensmeldung")
    expect(category.locator("option", has_text="Heizung/Warmwasser")).to_have_count(1)
    expect(page.get_by_label("Wo genau? (Raum, Stelle)")).to_have_count(0)

    choose(page, "Meldungskategorie", "Heizung/Warmwasser", javascript=False)
    page.get_by_role("button", name="Auswahl übernehmen").click()
    expect(control(page, "Meldungskategorie").locator("option:checked")).to_have_text(
        "Heizung/Warmwasser"
    )
    expect(page.get_by_label("Wo genau? (Raum, Stelle)")).to_be_visible()

    subject = "Heizung im Bad bleibt kalt (ohne JavaScript)"
    fill_damage_report(page, subject, "Bad, unter dem Fenster", photo)
    page.get_by_role("button", name="Absenden").click()

    assert_filed(page, subject, "Bad, unter dem Fenster", photo)


# --- 2. the phone layout ---------------------------------------------------------


def test_contact_form_and_list_on_a_phone(new_page, tenants):
    page = new_page("phone", user=tenants["juergen"])
    page.goto("/kontakt")
    assert_no_horizontal_scroll(page, 360)
    choose_with_javascript(page, "Mietvertrag MV-1001-0203", "Schadensmeldung", "Heizung/Warmwasser")
    expect(page.get_by_label("Fotos oder PDF-Dateien (freiwillig)")).to_be_visible()
    assert_no_horizontal_scroll(page, 360)
    form = page.locator("#contact-form").bounding_box()
    box = page.get_by_role("complementary", name=re.compile(r"^Ihre? Ansprechpartner")).bounding_box()
    assert box["y"] >= form["y"] + form["height"] - 1, f"Ansprechpartner box {box} is not below the form {form}"
    assert box["x"] + box["width"] <= 360

    page.goto("/meldungen")
    assert_no_horizontal_scroll(page, 360)
    rows = page.locator("table.tickets tbody tr")
    assert rows.count() >= 3
    row = rows.first
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block", "rows should become cards"
    cells = row.locator("td")
    date_box, subject_box = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert subject_box["y"] >= date_box["y"] + date_box["height"] - 1, "the card's fields should be stacked"
    # each field is labelled in the card, as the header row is out of sight
    label = row.locator("td[data-label=Status]").evaluate("td => getComputedStyle(td, '::before').content")
    assert "Status" in label, label
    expect(page.locator("table.tickets thead")).not_to_be_in_viewport()
    assert not page.wir_console_errors, f"console errors: {page.wir_console_errors}"


# --- 3. the status refreshes itself ------------------------------------------------


def test_status_refreshes_without_reload(new_page, tenants, live_server):
    page = new_page("desktop", user=tenants["dieter"])
    page.goto("/meldungen")
    wait_for_htmx(page)
    page.evaluate("window.wirNoReload = 'still here'")
    changing, staying = "Frage zur Betriebskostenabrechnung", "Silberfischchen im Bad"
    row = ticket_row(page, changing)
    number = row.locator(".meta").inner_text().strip()
    cell = row.locator("td[data-label=Status]")
    other = ticket_row(page, staying).locator("td[data-label=Status]")
    expect(cell).to_have_text("In Bearbeitung")
    expect(other).to_have_text("Rückfrage")
    poller = page.locator("#status-poll")
    ids_before = parse_qs(urlsplit(poller.get_attribute("hx-get")).query)["ids"]
    announcer = page.locator("#status-announcer")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_be_empty()

    # the cooperative moves it on, outside the browser
    output = flask_cli(live_server, "ticket", "set-status", number, "commissioned")
    assert f"{number}: Beauftragt" in output
    changed_at = time.monotonic()

    expect(cell).to_contain_text("Beauftragt", timeout=POLL_WAIT_MS)
    expect(cell).to_contain_text("(geändert)")
    expect(cell).to_have_class(re.compile(r"\bstatus-cell--changed\b"))
    expect(announcer).to_have_text(f"Meldung {number}: Status jetzt Beauftragt.")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(other).to_have_text("Rückfrage")  # unchanged, and not marked
    assert page.evaluate("window.wirNoReload") == "still here", "the page was reloaded"
    assert time.monotonic() - changed_at < POLL_WAIT_MS / 1000
    # the next poll asks about the same tickets as the first one, from the new point in time
    expect(poller).to_have_count(1)
    ids_after = parse_qs(urlsplit(poller.get_attribute("hx-get")).query)["ids"]
    assert ids_after == ids_before, f"the renewed poller asks about {ids_after}, the page shows {ids_before}"
    assert not page.wir_console_errors, f"console errors: {page.wir_console_errors}"


# --- 4. answering a Rückfrage --------------------------------------------------------


def test_answer_a_query_without_javascript(new_page, tenants, live_server, mailbox):
    user = tenants["suekrue"]
    page = new_page("desktop", javascript=False, user=user)
    subject = "Wohnungstür schließt nicht richtig"
    number = ticket_number(page, subject)
    question = "Seit wann klemmt die Tür, und lässt sie sich noch abschließen?"
    output = flask_cli(live_server, "ticket", "set-status", number, "query", "--message", question)
    assert f"{number}: Rückfrage" in output
    assert any(
        m["To"] == user["email"] and m["Subject"] == f"Ihre Meldung {number}: Rückfrage" for m in mailbox.messages
    ), f"no mail about the Rückfrage: {[(m['To'], m['Subject']) for m in mailbox.messages]}"

    open_ticket(page, subject)
    expect(fact(page, "Status")).to_have_text("Rückfrage")
    section = page.get_by_role("region", name="Rückfrage: Wir benötigen noch Informationen von Ihnen")
    expect(section.locator("blockquote")).to_have_text(question)
    history = page.get_by_role("heading", level=2, name="Verlauf")
    assert section.bounding_box()["y"] < history.bounding_box()["y"], "the question should stand above the Verlauf"

    answer = "Seit drei Tagen. Abschließen geht nur, wenn man die Tür fest andrückt."
    section.get_by_label("Ihre Antwort").fill(answer)
    section.get_by_role("button", name="Absenden").click()

    thanks = "Vielen Dank für Ihre Antwort. Wir bearbeiten Ihre Meldung weiter."
    expect(page.locator(".notice--success")).to_have_text(thanks)
    assert path_of(page) == f"/meldungen/{number}"
    expect(fact(page, "Status")).to_have_text("In Bearbeitung")
    expect(page.locator("section.question")).to_have_count(0)
    entries = page.locator("ol.history > li")
    expect(entries.filter(has_text=question)).to_contain_text("Genossenschaft:")
    expect(entries.filter(has_text=answer)).to_contain_text("Sie:")
    texts = entries.all_inner_texts()
    asked = next(i for i, text in enumerate(texts) if question in text)
    answered = next(i for i, text in enumerate(texts) if answer in text)
    back = [i for i, text in enumerate(texts) if "Status: In Bearbeitung" in text]
    assert asked < answered, "the answer should follow the question in the Verlauf"
    assert back and back[-1] > asked, "the Verlauf should show the status going back to In Bearbeitung"


# --- 5. withdrawing ----------------------------------------------------------------


def test_withdraw_without_javascript(new_page, tenants):
    page = new_page("desktop", javascript=False, user=tenants["gisela"])
    subject = "Bitte um Termin"
    open_ticket(page, subject)
    number = fact(page, "Meldungsnummer").inner_text()
    expect(fact(page, "Status")).to_have_text("In Bearbeitung")

    page.get_by_role("link", name="Meldung zurückziehen").click()
    assert path_of(page) == f"/meldungen/{number}/zurueckziehen"
    expect(page.get_by_role("heading", level=1, name="Meldung zurückziehen?")).to_be_visible()
    expect(page.get_by_text(f"„{subject}“ ({number})")).to_be_visible()
    page.get_by_role("button", name="Ja, Meldung zurückziehen").click()

    assert path_of(page) == f"/meldungen/{number}"
    expect(page.locator(".notice--success")).to_have_text("Sie haben Ihre Meldung zurückgezogen.")
    expect(fact(page, "Status")).to_have_text("Zurückgezogen")
    expect(page.locator("ol.history > li").last).to_contain_text("Status: Zurückgezogen")
    expect(page.get_by_role("link", name="Meldung zurückziehen")).to_have_count(0)
    assert page.goto(f"/meldungen/{number}/zurueckziehen").status == 404
    page.goto("/meldungen?filter=erledigt")
    expect(ticket_row(page, subject).locator("td[data-label=Status]")).to_have_text("Zurückgezogen")


# --- 6. the emergency number -----------------------------------------------------------


def test_emergency_category_shows_the_emergency_number(new_page, tenants):
    page = new_page("desktop", user=tenants["juergen"])
    page.goto("/kontakt")
    expect(page.locator(".emergency")).to_have_count(0)
    choose_with_javascript(page, None, "Schadensmeldung", EMERGENCY_CATEGORY)

    alert = page.get_by_role("alert").filter(has_text="Notfall? Rufen Sie sofort an:")
    expect(alert).to_be_visible()
    number = alert.get_by_role("link", name=LIPSIA_EMERGENCY)
    expect(number).to_be_visible()
    expect(number).to_have_attribute("href", re.compile(r"^tel:\+?[\d]+$"))
    expect(number).to_be_in_viewport()
    # prominent: larger than the text around it, and above the fields to fill in
    size = number.evaluate("a => parseFloat(getComputedStyle(a).fontSize)")
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 1.5 * body, f"emergency number in {size}px, body text {body}px"
    assert number.bounding_box()["y"] < page.get_by_label("Betreff").bounding_box()["y"]
    assert not page.wir_console_errors, f"console errors: {page.wir_console_errors}"


# --- 7. Kontakt: choices the contract allows, errors on their own field, required fields ------------

GENERAL = "Allgemeines Anliegen"
RENTAL = "Mietvertrag MV-1001-0203"


def assert_error_on(page, label: str, message: str) -> None:
    """The message stands next to the field ``label``, which is marked invalid and described by it,
    and the summary's link to it jumps to that field."""
    field_control = control(page, label)
    error_id = field_control.get_attribute("id") + "-error"
    error = page.locator(f"#{error_id}")
    expect(error).to_contain_text(message)
    expect(field_control).to_have_attribute("aria-invalid", "true")
    expect(field_control).to_have_attribute("aria-describedby", re.compile(rf"\b{error_id}\b"))
    field = page.locator(".field", has=field_control)
    expect(field.locator(".field__error")).to_contain_text(message)  # in the field's own box
    summary = page.locator(".notice--error").filter(has_text="Bitte prüfen Sie Ihre Eingaben:")
    summary.get_by_role("link", name=re.compile(re.escape(message))).click()
    assert urlsplit(page.url).fragment == field_control.get_attribute("id")
    expect(field_control).to_be_in_viewport()


def assert_required_marked(page) -> None:
    for label in ("Worum geht es?", "Meldungsart", "Meldungskategorie", "Betreff", "Nachricht"):
        field_control = control(page, label)
        expect(field_control).to_have_attribute("required", "")
        expect(page.locator(f"label[for={field_control.get_attribute('id')}]")).to_have_text(f"{label} (Pflichtfeld)")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_kontakt_with_javascript_preselects_the_rental_and_keeps_errors_on_their_fields(new_page, tenants, viewport):
    page = new_page(viewport, user=tenants["juergen"])
    page.goto("/kontakt")
    wait_for_htmx(page)
    vertrag = control(page, "Worum geht es?")
    expect(vertrag.locator("option:checked")).to_contain_text(GENERAL)
    offered = control(page, "Meldungsart").locator("option").all_inner_texts()
    assert "Betriebskostenabrechnung" not in offered and "Schadensmeldung" in offered  # no contract chosen

    choose(page, "Meldungsart", "Schadensmeldung")
    expect(vertrag.locator("option:checked")).to_contain_text(RENTAL)  # his only Mietvertrag
    expect(control(page, "Meldungskategorie").locator("option", has_text="Heizung/Warmwasser")).to_have_count(1)
    assert_required_marked(page)

    # back to the general concern: only the emergency fits it, and the form says why
    choose(page, "Worum geht es?", GENERAL)
    expect(control(page, "Meldungskategorie").locator("option")).to_have_text(
        ["Bitte wählen", EMERGENCY_CATEGORY])
    expect(page.get_by_text("Weitere Kategorien gibt es, wenn Sie oben den Vertrag wählen")).to_be_visible()
    page.get_by_label("Betreff").fill("Heizung kalt")
    after_swap(page, lambda: page.get_by_role("button", name="Absenden").click())
    assert_error_on(page, "Meldungskategorie", "Bitte wählen Sie eine Meldungskategorie.")
    expect(page.get_by_label("Betreff")).not_to_have_attribute("aria-invalid", "true")
    expect(control(page, "Worum geht es?")).not_to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    if viewport == "phone":
        assert_no_horizontal_scroll(page, 360)
    errors = [e for e in page.wir_console_errors if "status of 422" not in e]
    assert not errors, f"console errors: {errors}"


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_kontakt_without_javascript_says_a_missing_contract_on_the_vertrag_field(new_page, tenants, viewport):
    page = new_page(viewport, javascript=False, user=tenants["juergen"])
    page.goto("/kontakt")
    choose(page, "Meldungsart", "Schadensmeldung", javascript=False)
    page.get_by_role("button", name="Auswahl übernehmen").click()
    vertrag = control(page, "Worum geht es?")
    expect(vertrag.locator("option:checked")).to_contain_text(RENTAL)
    choose(page, "Meldungskategorie", "Heizung/Warmwasser", javascript=False)
    page.get_by_role("button", name="Auswahl übernehmen").click()
    assert_required_marked(page)

    # the tenant changes the Vertrag back and sends at once: the category needs a contract
    choose(page, "Worum geht es?", GENERAL, javascript=False)
    page.get_by_label("Betreff").fill("Heizung kalt")
    control(page, "Nachricht").fill(DAMAGE_MESSAGE)
    page.get_by_role("button", name="Absenden").click()
    assert path_of(page) == "/kontakt"
    assert_error_on(page, "Worum geht es?", "Bitte wählen Sie den Vertrag, um den es geht.")
    expect(page.get_by_label("Betreff")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Betreff")).to_have_value("Heizung kalt")  # nothing typed is lost
    assert_accessible(page)
    if viewport == "phone":
        assert_no_horizontal_scroll(page, 360)


@pytest.mark.parametrize("javascript", [True, False])
def test_status_refresh_is_promised_only_with_javascript(new_page, tenants, javascript):
    page = new_page("desktop", javascript=javascript, user=tenants["dieter"])
    page.goto("/meldungen")
    promise = page.get_by_text("Der Status aktualisiert sich von selbst.")
    if javascript:
        wait_for_htmx(page)
        expect(promise).to_be_visible()
    else:
        expect(promise).to_be_hidden()
    expect(page.get_by_role("link", name="Seite neu laden")).to_be_visible()
    assert not page.wir_console_errors, f"console errors: {page.wir_console_errors}"


# --- 8. axe on every page of the feature -----------------------------------------------


def _kontakt(page):
    page.goto("/kontakt")


def _kontakt_category(page):
    page.goto("/kontakt")
    choose_with_javascript(page, "Mietvertrag MV-1001-0203", "Schadensmeldung", "Heizung/Warmwasser")
    expect(page.get_by_label("Fotos oder PDF-Dateien (freiwillig)")).to_be_visible()


def _kontakt_errors(page):
    page.goto("/kontakt")
    choose_with_javascript(page, None, "Schadensmeldung")
    after_swap(page, lambda: page.get_by_role("button", name="Absenden").click())
    expect(page.get_by_text("Bitte prüfen Sie Ihre Eingaben:")).to_be_visible()
    expect(page.get_by_label("Betreff")).to_have_attribute("aria-invalid", "true")


def _list(filter_name):
    def go(page):
        page.goto(f"/meldungen?filter={filter_name}")
        expect(page.locator("table.tickets tbody tr").first).to_be_visible()

    return go


def _ticket(subject, with_question):
    def go(page):
        open_ticket(page, subject)
        expect(page.locator("section.question")).to_have_count(1 if with_question else 0)

    return go


def _withdraw_confirmation(page):
    open_ticket(page, "Silberfischchen im Bad")
    page.get_by_role("link", name="Meldung zurückziehen").click()
    expect(page.get_by_role("button", name="Ja, Meldung zurückziehen")).to_be_visible()


AXE_PAGES = [
    pytest.param("juergen", _kontakt, id="kontakt"),
    pytest.param("juergen", _kontakt_category, id="kontakt-kategorie"),
    pytest.param("juergen", _kontakt_errors, id="kontakt-fehler"),
    pytest.param("dieter", _list("alle"), id="meldungen"),
    pytest.param("dieter", _list("offen"), id="meldungen-offen"),
    pytest.param("gisela", _list("erledigt"), id="meldungen-erledigt"),  # dieter has none done
    pytest.param("dieter", _ticket("Silberfischchen im Bad", True), id="meldung-rueckfrage"),
    pytest.param("dieter", _ticket("Frage zur Betriebskostenabrechnung", False), id="meldung"),
    pytest.param("dieter", _withdraw_confirmation, id="zurueckziehen"),
]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize(("who", "reach"), AXE_PAGES)
def test_pages_are_accessible(new_page, tenants, viewport, who, reach):
    page = new_page(viewport, user=tenants[who])
    reach(page)
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)
    if viewport == "phone":
        assert_no_horizontal_scroll(page, 360)
    errors = [e for e in page.wir_console_errors if "status of 422" not in e]  # the invalid form's answer
    assert not errors, f"console errors: {errors}"
