"""Zählerstand melden (issue 22) in a real browser: Jürgen reports a reading with a photo of the meter without
JavaScript and on a 360 px phone with htmx, each through the question „Stimmt der Wert?“ and its confirmation
without choosing the photo again; a photo kept longer than a day is asked for again; a contract ended long ago
says why it takes no readings; axe on the form, the question, the photo asked again, that page and the desk's panel.

The module's live server gets two meters with a year of imported values on Jürgen's flat (a snippet run against its
database), so the module does not depend on what the demo holds.
"""

import re
import subprocess
import sys

import pytest
from PIL import Image

from tests.browser.helpers import (
    after_swap,
    assert_accessible,
    assert_no_horizontal_scroll,
    control,
    expect,
    option_value,
    unexpected_errors,
    wait_for_htmx,
)

pytestmark = pytest.mark.browser

NUMBER = r"L-\d{4}-\d{4}"
# meters on Jürgen's flat, two with twelve months before this one (the last readings 136 m³ and 4.600 kWh), one
# without any history (no question asked: what the desk's test sends)
SETUP = """
from decimal import Decimal
from wir import clock, create_app, db
from wir.models import Consumption, Contract, Meter
app = create_app({})
with db.database.connection_context():
    unit = Contract.get(Contract.number == "MV-1001-0203").unit_id
    first = clock.today().replace(day=1)
    for number, kind, measure, monthly, start, months in (("WW-BROWSER-1", "hot_water", "m³", 3, 100, 12),
                                                           ("HZ-BROWSER-2", "heating", "kWh", 300, 1000, 12),
                                                           ("KW-BROWSER-3", "cold_water", "m³", 0, 0, 0)):
        meter = Meter.create(unit=unit, number=number, kind=kind, measure=measure)
        reading = Decimal(start)
        for back in range(months, 0, -1):
            reading += monthly
            Consumption.create(meter=meter, month=clock.add_months(first, -back), amount=monthly, measure=measure,
                               reading=reading, kwh=monthly if measure == "kWh" else None)
    print(Contract.get(Contract.number == "MV-1001-0203").id)
"""


@pytest.fixture(scope="module")
def contract_id(live_server) -> int:
    result = subprocess.run([sys.executable, "-c", SETUP], cwd=live_server.directory, env=live_server.environment(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def run(live_server, code: str) -> str:
    """Run ``code`` against the live server's database (after SNIPPET's imports); returns what it printed."""
    result = subprocess.run([sys.executable, "-c", SNIPPET + code], cwd=live_server.directory,
                            env=live_server.environment(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


SNIPPET = """
import datetime
from datetime import timedelta
from wir import clock, create_app, db
from wir.models import Contract, PendingUpload
app = create_app({})
db.database.connect(reuse_if_open=True)
"""


@pytest.fixture(scope="module")
def juergen(demo_logins):
    return next(t for t in demo_logins["tenants"] if t["email"] == "juergen.mueller@example.org")


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "Zähler Bad.jpg"
    Image.new("RGB", (120, 90), (90, 90, 90)).save(path, "JPEG")
    return path


def fill(page, meter: str, value: str, photo) -> None:
    select = control(page, "Zähler")
    select.select_option(option_value(select, meter))
    control(page, "Zählerstand").fill(value)
    control(page, "Foto des Zählers").set_input_files(photo)


def assert_filed(page, value: str) -> str:
    notice = page.locator(".notice--success")
    expect(notice).to_contain_text(re.compile("Ihr Zählerstand ist eingegangen. Ihre Meldungsnummer: " + NUMBER))
    number = re.search(NUMBER, notice.inner_text()).group(0)
    expect(page).to_have_url(re.compile(re.escape(f"/meldungen/{number}") + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(value)
    expect(page.locator("ol.history")).to_contain_text("Zähler Bad.jpg")
    return number


def test_without_javascript_the_question_keeps_the_photo(new_page, live_server, contract_id, juergen, photo):
    page = new_page("desktop", javascript=False, user=juergen)
    page.goto(f"/verbrauch/{contract_id}/zaehlerstand")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zählerstand melden")
    assert_accessible(page)
    fill(page, "Warmwasser – Zähler WW-BROWSER-1 (m³)", "130", photo)
    page.get_by_role("button", name="Absenden").click()

    # „Stimmt der Wert?“ next to the value, the photo named as uploaded, the checkbox to confirm
    expect(page.locator("#value-error")).to_contain_text("Stimmt der Wert? Der Wert ist kleiner als der letzte "
                                                         "bekannte Zählerstand 136 m³")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.get_by_text("Foto: Zähler Bad.jpg (bereits hochgeladen)")).to_be_visible()
    expect(control(page, "Zählerstand")).to_have_value("130")
    assert_accessible(page)
    page.get_by_label("Ja, der Wert stimmt.").check()
    page.get_by_role("button", name="Absenden").click()
    assert_filed(page, "130 m³")


def test_on_a_phone_with_htmx(new_page, live_server, contract_id, juergen, photo):
    page = new_page("phone", user=juergen)
    page.goto(f"/verbrauch/{contract_id}/zaehlerstand")
    wait_for_htmx(page)
    assert_no_horizontal_scroll(page)
    page.evaluate("window.wirNoReload = 'still here'")
    fill(page, "Heizung – Zähler HZ-BROWSER-2 (kWh)", "99.999", photo)
    after_swap(page, lambda: page.get_by_role("button", name="Absenden").click())
    # swapped in place (no reload), the question focused and the page still fits
    assert page.evaluate("window.wirNoReload") == "still here"
    expect(page.locator("#value-error")).to_contain_text("Stimmt der Wert? Der Wert liegt")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.get_by_text("Foto: Zähler Bad.jpg (bereits hochgeladen)")).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    page.get_by_label("Ja, der Wert stimmt.").check()
    page.get_by_role("button", name="Absenden").click()
    assert_filed(page, "99.999 kWh")
    assert not unexpected_errors(page)


def test_the_desk_shows_the_panel(new_page, live_server, contract_id, juergen, photo, demo_logins):
    tenant = new_page("desktop", javascript=False, user=juergen)
    tenant.goto(f"/verbrauch/{contract_id}/zaehlerstand")
    fill(tenant, "Kaltwasser – Zähler KW-BROWSER-3 (m³)", "140,5", photo)
    tenant.get_by_role("button", name="Absenden").click()
    number = assert_filed(tenant, "140,5 m³")

    clerk = new_page("desktop", user=demo_logins["staff"][0])  # Lipsia
    clerk.goto(f"/intern/meldungen/{number}")
    panel = clerk.locator("section", has=clerk.get_by_role("heading", name="Zählerstand", exact=True))
    expect(panel).to_contain_text("Kaltwasser, Nr. KW-BROWSER-3 (m³)")
    expect(panel).to_contain_text("140,5 m³")
    expect(panel.get_by_role("img", name=re.compile("Foto des Zählers"))).to_be_visible()
    expect(panel.locator("tbody tr").first).to_contain_text("diese Meldung")
    assert_accessible(clerk)


def test_a_photo_kept_longer_than_a_day_is_asked_for_again(new_page, live_server, contract_id, juergen, photo):
    page = new_page("desktop", javascript=False, user=juergen)
    page.goto(f"/verbrauch/{contract_id}/zaehlerstand")
    fill(page, "Warmwasser – Zähler WW-BROWSER-1 (m³)", "120", photo)  # below 130 (or 136): the question
    page.get_by_role("button", name="Absenden").click()
    expect(page.get_by_text("Foto: Zähler Bad.jpg (bereits hochgeladen)")).to_be_visible()
    run(live_server, "PendingUpload.update(created_at=clock.now() - timedelta(hours=25)).execute()")
    page.get_by_label("Ja, der Wert stimmt.").check()
    page.get_by_role("button", name="Absenden").click()

    # next to the photo field: choose it again; the confirmation stays ticked
    expect(page.locator("#photo-error")).to_contain_text(
        "Das Foto, das Sie gewählt hatten, bewahren wir nur 24 Stunden auf. Bitte wählen Sie das Foto des Zählers "
        "noch einmal.")
    expect(page.get_by_text("bereits hochgeladen")).to_have_count(0)
    expect(page.get_by_label("Ja, der Wert stimmt.")).to_be_checked()
    assert_accessible(page)
    control(page, "Foto des Zählers").set_input_files(photo)
    page.get_by_role("button", name="Absenden").click()
    assert_filed(page, "120 m³")


def test_a_contract_ended_long_ago_says_why_it_takes_no_readings(new_page, live_server, contract_id, juergen):
    where = f".where(Contract.id == {contract_id}).execute()"
    before = run(live_server, f"print(repr(Contract.get_by_id({contract_id}).end_date))").strip()
    run(live_server, "Contract.update(end_date=clock.add_months(clock.today(), -4))" + where)
    try:
        page = new_page("phone", user=juergen)
        page.goto(f"/verbrauch/{contract_id}/zaehlerstand")
        expect(page.locator("main")).to_contain_text("Zählerstände zu ihm nehmen wir hier nur bis drei Monate nach "
                                                     "dem Vertragsende an.")
        expect(page.get_by_label("Zählerstand")).to_have_count(0)
        assert_no_horizontal_scroll(page)
        assert_accessible(page)
    finally:
        run(live_server, f"Contract.update(end_date={before})" + where)
