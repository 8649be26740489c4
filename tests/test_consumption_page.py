"""The tenant's Verbrauch page (/verbrauch/…): the § 6a figures in words, the charts matching their tables, the
month chooser (plain and htmx), the PDF, the wish for paper, the Startseite's line, and who may see it."""

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.helpers import main_of, pdf_text
from wir import clock
from wir.models import (
    AuditLog,
    Consumption,
    Contract,
    ContractParty,
    Meter,
    Person,
    Unit,
)

D = Decimal
SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2026, 12, 10, 9, 0)


@pytest.fixture
def flat(flat, monkeypatch):
    """The shared new flat (tests/conftest.py) with a heating meter from October 2025 to November 2026, October 2026
    missing for hot water, November 2026 corrected; the clock in December 2026."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    unit = flat.unit
    heating = Meter.create(unit=unit, number="H1", kind="heating", measure="kWh")
    water = Meter.create(unit=unit, number="W1", kind="hot_water", measure="kWh")
    month = date(2025, 10, 1)
    while month <= date(2026, 11, 1):
        amount = {date(2026, 10, 1): D(349), date(2026, 11, 1): D(412), date(2025, 11, 1): D(380)}.get(month, D(300))
        Consumption.create(meter=heating, month=month, amount=amount, measure="kWh", kwh=amount,
                           average_kwh=D(500), average_kwh_per_m2=D("7.5"),
                           corrected_at=datetime(2026, 12, 2, 10, 0) if month == date(2026, 11, 1) else None)
        if month != date(2026, 10, 1):
            Consumption.create(meter=water, month=month, amount=D(80), measure="kWh", kwh=D(80))
        month = clock.add_months(month, 1)
    return flat


def _page(client, flat, query=""):
    response = client.get(f"/verbrauch/{flat.id}{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    # not str.split(): it would split at the no-break space of „18 %“ too
    inline = re.sub(r"</?(strong|span|a)\b[^>]*>", "", html)
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", inline)).strip()


def test_the_month_in_plain_german(client, auth, flat):
    auth.login_as("juergen")

    text = _text(main_of(_page(client, flat)))

    assert "Ihr Verbrauch im November 2026" in text
    assert "412 kWh im November 2026" in text
    assert "Vormonat: +18\u00a0%, mehr als im Oktober (349 kWh)" in text
    assert "Vorjahresmonat: +8\u00a0%, mehr als im November 2025 (380 kWh)" in text
    # 412 kWh on 62,5 m² are 6,6 kWh/m² against the house's 7,5
    assert ("Durchschnitt im Haus: −12\u00a0%, weniger als der Durchschnitt (Sie: 6,6 kWh/m², "
            "Durchschnitt: 7,5 kWh/m²)") in text
    assert "Vormonat: Für Oktober liegen keine Werte vor." in text  # hot water in October
    assert "korrigiert am 02.12.2026" in text
    assert "keine Rechnung" in text and "§ 6a" in text


def test_the_charts_parse_and_their_bars_match_the_tables(client, auth, flat):
    auth.login_as("juergen")
    html = _page(client, flat)

    svg = re.search(r'<svg[^>]*id="chart-heating".*?</svg>', html, re.S).group(0)
    root = ET.fromstring(svg)
    table = re.search(r'<table[^>]*id="table-heating".*?</table>', html, re.S).group(0)
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td[^>]*>([^<]+)</td>\s*<td[^>]*>([^<]+)</td>', table)

    assert root.get("aria-describedby") == "table-heating" and root.get("role") == "img"
    assert len(rows) == 13 and rows[0] == ("November 2026", "412 kWh", "380 kWh")
    assert rows[-1] == ("November 2025", "380 kWh", "fehlt")  # nothing before October 2025
    bars = {rect.find(f"{SVG}title").text: float(rect.get("width")) for rect in root.iter(f"{SVG}rect")
            if rect.find(f"{SVG}title") is not None}
    for month, value, _ in rows:
        assert f"{month}: {value}" in bars  # every table value has its bar, named alike
    assert bars["November 2026: 412 kWh"] / bars["Oktober 2026: 349 kWh"] == pytest.approx(412 / 349, rel=1e-3)
    # November 2024 (the year before November 2025) is missing: no bar, but the marker and „fehlt“
    assert not any(title.startswith("November 2024") for title in bars)
    november = next(group for group in root.iter(f"{SVG}g") if group.get("data-month") == "November 2025")
    assert november.find(f"{SVG}line").get("class") == "chart__missing"
    assert [text.text for text in november.iter(f"{SVG}text")] == ["Nov 2025", "380 kWh", "fehlt"]
    assert ET.fromstring(re.search(r'<svg[^>]*id="chart-average-heating".*?</svg>', html, re.S).group(0)) is not None


def test_choosing_a_month_plain_and_with_htmx(client, auth, flat):
    auth.login_as("juergen")

    october = _text(main_of(_page(client, flat, "?monat=2026-10")))
    assert "Ihr Verbrauch im Oktober 2026" in october and "Für Oktober 2026 liegen keine Werte vor." in october

    html = _page(client, flat)
    assert re.search(r'<option value="2026-10"\s*>Oktober 2026</option>', html)
    assert 'href="/verbrauch/%d?monat=2026-10"' % flat.id in html  # the link to the month before

    response = client.get(f"/verbrauch/{flat.id}?monat=2026-10",
                          headers={"HX-Request": "true", "HX-Target": "verbrauch-werte"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and {"HX-Request", "HX-Target"} <= set(response.vary)
    assert fragment.lstrip().startswith('<div id="verbrauch-werte"') and "<html" not in fragment
    assert "Ihr Verbrauch im Oktober 2026" in fragment


@pytest.mark.parametrize("query", ["?monat=2026-13", "?monat=November", "?monat=2026-1"])
def test_a_malformed_month_is_not_found(client, auth, flat, query):
    auth.login_as("juergen")
    assert client.get(f"/verbrauch/{flat.id}{query}").status_code == 404


def test_a_month_without_values_says_so(client, auth, flat):
    auth.login_as("juergen")
    text = _text(main_of(_page(client, flat, "?monat=2019-01")))
    assert "Für Januar 2019 liegen keine Werte vor." in text and "als PDF" not in text


def test_a_flat_without_values(client, auth, flat):
    Consumption.delete().where(Consumption.meter.in_([m.id for m in flat.unit.meters])).execute()
    auth.login_as("juergen")
    assert "Für diese Wohnung liegen noch keine Verbrauchswerte vor." in _text(_page(client, flat))


def test_the_pdf_of_the_month(client, auth, flat):
    auth.login_as("juergen")

    response = client.get(f"/verbrauch/{flat.id}/2026-11.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = pdf_text(response.data)
    assert "Ihre Verbrauchsinformation für November 2026" in text
    assert "Herr Jürgen Müller" in text and "MV-T-0001" in text
    assert "Heizung 412 kWh 349 kWh (+18 %) 380 kWh (+8 %)" in text
    assert "7,5 kWh/m²; Sie 6,6 kWh/m² (−12 %)" in text
    assert "korrigiert" in text and "Rechnung" in text
    import io

    from pypdf import PdfReader
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1
    assert client.get(f"/verbrauch/{flat.id}/2019-01.pdf").status_code == 404
    assert client.get(f"/verbrauch/{flat.id}/2026-13.pdf").status_code == 404


def _letter(contract, month: date, tenants=None):
    from wir.pdf import consumption_info
    from wir.pdf.cooperative_letter import address_lines, salutation
    from wir.services.consumption import info
    from wir.services.documents.documents import letterhead

    contract = Contract.select(Contract, Unit).join(Unit).where(Contract.id == contract.id).get()
    this = info.infos_of([contract], month)[contract.id]
    tenants = tenants if tenants is not None else info.tenants_of(contract)
    return consumption_info.Letter(letterhead(contract.cooperative), address_lines(tenants), salutation(tenants), this,
                                   portal_url="https://wir.example.org/verbrauch/")


def test_the_post_letters_one_page_each(flat):
    from wir.pdf import consumption_info

    letter = _letter(flat, date(2026, 11, 1))

    pdf = consumption_info.build([letter, letter, letter], date(2026, 12, 3))

    from pypdf import PdfReader
    import io
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 3 and all("Verbrauchsinformation für November 2026" in page.extract_text() for page in pages)


def test_the_longest_letter_ends_above_the_footer(flat):
    """Automatic page breaks are off (one letter, one page), so a page count cannot tell an overflow: the text must
    end above the footer in the worst case: three kinds, two with every comparison and the sentence on a unit
    without kWh, one missing with its sentence, a correction, and three tenants in the window."""
    from wir.pdf import consumption_info

    unit = flat.unit
    Meter.delete().where(Meter.unit == unit).execute()  # the fixture's kWh meters
    allocator = Meter.create(unit=unit, number="HKV1", kind="heating", measure="Einheiten")
    hot = Meter.create(unit=unit, number="W2", kind="hot_water", measure="m³")
    cold = Meter.create(unit=unit, number="K1", kind="cold_water", measure="m³")
    month = date(2025, 11, 1)
    while month <= date(2026, 11, 1):  # the longest cells: every comparison with its value and percent
        grow = month.month
        Consumption.create(meter=allocator, month=month, amount=D(11234 + 100 * grow), measure="Einheiten")
        Consumption.create(meter=hot, month=month, amount=D("13.4") + grow, measure="m³", average_kwh=D("14.1"),
                           corrected_at=datetime(2026, 12, 2, 10, 0))
        if month != date(2026, 11, 1):  # cold water's November missing: one more sentence
            Consumption.create(meter=cold, month=month, amount=D("17.9") + grow, measure="m³",
                               average_kwh=D("16.5"), average_kwh_per_m2=D("0.112"))
        month = clock.add_months(month, 1)
    tenants = list(Person.select().where(Person.cooperative == flat.cooperative).order_by(Person.id).limit(3))
    letter = _letter(flat, date(2026, 11, 1), tenants)
    assert len(letter.recipient) == 5 and len(letter.info.kinds) == 3  # three names, street, town
    heating, hot_water, cold_water = letter.info.kinds
    assert not any(kind.missing or kind.previous.missing or kind.year_ago.missing for kind in (heating, hot_water))
    assert cold_water.missing
    assert [bool(kind.unit_note) for kind in letter.info.kinds] == [True, True, False]

    pdf = consumption_info.ConsumptionLetterPDF(letter.letterhead, consumption_info.TITLE, "", date(2026, 12, 3))
    pdf.set_auto_page_break(auto=False)
    pdf.consumption_letter(letter, date(2026, 12, 3))

    footer_top = pdf.h - 24  # wir.pdf.letter.LetterPDF.footer_contact draws its rule there
    assert pdf.page_no() == 1 and pdf.get_y() < footer_top, pdf.get_y()
    text = pdf_text(pdf.to_bytes())
    assert "Heizkostenverteiler" in text and "Mit freundlichen Grüßen" in text


def test_the_address_window():
    from types import SimpleNamespace

    from wir.pdf.cooperative_letter import address_lines

    def person(salutation, name):
        return SimpleNamespace(salutation=salutation, full_name=name, street="Testweg 1", postcode="04109",
                               city="Leipzig")

    gisela, juergen = person("Frau", "Gisela Weiß"), person("Herr", "Jürgen Müller")
    # one person as in the Registrierungsbriefe: the Anrede on its own line (DIN 5008)
    assert address_lines([gisela]) == ("Frau", "Gisela Weiß", "Testweg 1", "04109 Leipzig")
    assert address_lines([person("", "Kim Lee")]) == ("Kim Lee", "Testweg 1", "04109 Leipzig")
    assert address_lines([gisela, juergen]) == ("Frau Gisela Weiß", "Herr Jürgen Müller", "Testweg 1",
                                                "04109 Leipzig")
    assert len(address_lines([gisela, juergen] * 3)) == 6  # the window's six lines
    assert address_lines([], ("Testweg 2", "04109 Leipzig")) == ("Testweg 2", "04109 Leipzig")


def test_a_value_not_in_kwh_says_why(client, auth, flat):
    allocator = Meter.create(unit=flat.unit, number="HKV1", kind="heating", measure="Einheiten")
    Meter.delete().where((Meter.unit == flat.unit) & (Meter.kind == "heating") & (Meter.id != allocator.id)).execute()
    Consumption.create(meter=allocator, month=date(2026, 11, 1), amount=D(120), measure="Einheiten")
    auth.login_as("juergen")

    text = _text(main_of(_page(client, flat)))

    assert "120 Einheiten im November 2026" in text
    assert ("Ihre Heizkörper haben Heizkostenverteiler: Sie zählen Einheiten, nicht kWh. Der Messdienst hat uns "
            "nicht für jeden Monat den Faktor zum Umrechnen in kWh genannt; deshalb sehen Sie Einheiten.") in text
    assert "Warmwasser wird bei Ihnen" not in text  # hot water is in kWh


def test_paper_as_well_on_and_off(client, auth, flat):
    auth.login_as("juergen")
    person = flat.parties.first().person

    response = client.post(f"/verbrauch/{flat.id}/per-post", data={"per_post": "1", "csrf_token": auth.csrf_token()})

    assert response.status_code == 303 and response.headers["Location"] == f"/verbrauch/{flat.id}"
    assert Person.get_by_id(person.id).consumption_by_post is True
    entry = AuditLog.select().where(AuditLog.action == "consumption.by_post").order_by(AuditLog.id.desc()).get()
    assert entry.object_id == str(person.id) and "ja" in entry.detail
    assert "Nicht mehr per Post erhalten" in _page(client, flat)

    client.post(f"/verbrauch/{flat.id}/per-post", data={"per_post": "0", "csrf_token": auth.csrf_token()})
    assert Person.get_by_id(person.id).consumption_by_post is False
    assert client.post(f"/verbrauch/{flat.id}/per-post", data={"per_post": "1"}).status_code == 400  # no CSRF token
    assert Person.get_by_id(person.id).consumption_by_post is False


def test_only_the_contracts_tenants_see_it(client, auth, flat):
    for url in (f"/verbrauch/{flat.id}", f"/verbrauch/{flat.id}/2026-11.pdf", "/verbrauch/"):
        response = client.get(url)
        assert response.status_code == 302 and "/anmelden" in response.headers["Location"]
    auth.login_as("gisela")
    assert client.get(f"/verbrauch/{flat.id}").status_code == 404
    assert client.get(f"/verbrauch/{flat.id}/2026-11.pdf").status_code == 404
    assert client.post(f"/verbrauch/{flat.id}/per-post",
                       data={"per_post": "1", "csrf_token": auth.csrf_token()}).status_code == 404
    membership = Contract.get((Contract.kind == "membership") & (Contract.cooperative == flat.cooperative)
                              & Contract.id.in_(ContractParty.select(ContractParty.contract)
                                                .where(ContractParty.person == flat.parties.first().person)))
    auth.logout()
    auth.login_as("juergen")
    assert client.get(f"/verbrauch/{membership.id}").status_code == 404  # not a rental contract
    auth.logout()
    auth.login_staff()
    assert client.get(f"/verbrauch/{flat.id}").status_code == 403  # staff: as every tenant page


def test_the_overview_leads_to_the_flat(client, auth, flat):
    auth.login_as("juergen")
    response = client.get("/verbrauch/")
    if response.status_code == 302:  # the only flat with meters
        assert response.headers["Location"] == f"/verbrauch/{flat.id}"
    else:
        assert f'href="/verbrauch/{flat.id}"' in response.get_data(as_text=True)


def test_the_startseite_line_and_the_contract_link(client, auth, flat):
    auth.login_as("juergen")

    home = _text(main_of(client.get("/").get_data(as_text=True)))
    contract_page = client.get(f"/vertraege/{flat.id}").get_data(as_text=True)

    assert "Heizung im November 2026: 412 kWh, 18\u00a0% mehr als im Oktober" in home
    assert f'href="/verbrauch/{flat.id}"' in contract_page
