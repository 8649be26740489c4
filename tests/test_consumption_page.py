"""The tenant's Verbrauch page (/verbrauch/…): the § 6a figures in words, the charts matching their tables, the
month chooser (plain and htmx), the PDF, the wish for paper, the Startseite's line, and who may see it."""

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal

import pytest

from tests.helpers import main_of, pdf_text
from wir import clock
from wir.models import AuditLog, Consumption, Contract, ContractParty, Cooperative, Meter, Person, Unit

D = Decimal
SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2026, 12, 10, 9, 0)


@pytest.fixture
def flat(data, monkeypatch):
    """Jürgen Müller's second flat (62,5 m²) with a heating meter from October 2025 to November 2026, October 2026
    missing for hot water, November 2026 corrected; the clock in December 2026."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    cooperative = Cooperative.get(slug="lipsia")
    unit = Unit.create(cooperative=cooperative, kind="flat", number="T-0001", street="Testweg 1", postcode="04109",
                       city="Leipzig", floor="1. OG", position="links", living_area=D("62.50"))
    contract = Contract.create(cooperative=cooperative, kind="rental", number="MV-T-0001", unit=unit,
                               start_date=date(2020, 1, 1))
    person = Person.get(Person.cooperative == cooperative, Person.last_name == "Müller", Person.first_name == "Jürgen")
    ContractParty.create(contract=contract, person=person, role="main")
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
    return contract


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
    assert not any(title.startswith("Oktober 2024") for title in bars)  # missing: no bar
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
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
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
    from pypdf import PdfReader
    import io
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1
    assert client.get(f"/verbrauch/{flat.id}/2019-01.pdf").status_code == 404
    assert client.get(f"/verbrauch/{flat.id}/2026-13.pdf").status_code == 404


def test_the_post_letters_one_page_each(flat):
    from wir.pdf import consumption_info
    from wir.services.consumption import info
    from wir.services.documents.documents import letterhead

    contract = Contract.select(Contract, Unit).join(Unit).where(Contract.id == flat.id).get()
    this = info.infos_of([contract], date(2026, 11, 1))[flat.id]
    tenants = info.tenants_of(contract)
    letter = consumption_info.Letter(letterhead(flat.cooperative), consumption_info.recipient_lines(tenants),
                                     "Sehr geehrter Herr Müller,", this)

    pdf = consumption_info.build([letter, letter, letter], date(2026, 12, 3))

    from pypdf import PdfReader
    import io
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 3 and all("Verbrauchsinformation für November 2026" in page.extract_text() for page in pages)


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
