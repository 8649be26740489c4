"""The PDF builders (wir/pdf): every field of DESIGN.md §5 in the extracted text, Unicode intact."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from wir.models import Contract
from wir.pdf import (
    cooperative_letter,
    fonts,
    form_copy,
    landlord_confirmation,
    membership_certificate,
    operating_costs,
    rent_clearance,
    rental_certificate,
)
from wir.pdf.charset import unprintable
from wir.pdf.data import Flat, Letterhead
from wir.services.documents import certificates

CREATED = datetime(2026, 5, 12, 9, 30)
ISSUED = date(2026, 5, 12)
HEAD = Letterhead(
    name="WG „Lipsia“ eG", street="Brünnler Straße 12", postcode="04209", city="Leipzig",
    register_court="Amtsgericht Leipzig", register_number="GnR 146", phone="0341 41519-0",
    email="service@lipsia.example.org", website="https://www.wg-lipsia.de",
)
FLAT = Flat("Mannheimer Straße 45", "04209", "Leipzig", "4. OG", "Mitte", "1012-0405")


def read(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def assert_letterhead(reader, text, number):
    for part in ("WG „Lipsia“ eG", "Brünnler Straße 12, 04209 Leipzig", "Amtsgericht Leipzig, GnR 146",
                 "Telefon 0341 41519-0", "service@lipsia.example.org", "Leipzig, 12.05.2026",
                 f"Dokument-Nr. {number}"):
        assert part in text, part
    pages = len(reader.pages)
    for page in range(1, pages + 1):
        assert f"Seite {page} von {pages}" in text
    # the embedded Unicode font, not a core font that cannot print € or „“
    fonts = {str(font["/BaseFont"]) for page in reader.pages for font in _fonts(page)}
    assert fonts and all("SourceSansPro" in name for name in fonts), fonts
    assert f"{reader.metadata.creation_date:%Y%m%d%H%M}" == f"{CREATED:%Y%m%d%H%M}"  # pinned


def _fonts(page):
    return [font.get_object() for font in page["/Resources"]["/Font"].values()]


def rental(**changes):
    values = dict(
        letterhead=HEAD, number="LD-2026-TEST0001", issued_on=ISSUED, contract_number="MV-1012-0405",
        tenants=(rental_certificate.Tenant("Łukasz Żółć", "Hauptmieter"), rental_certificate.Tenant("Şükrü Yılmaz", "Mitmieter")),
        flat=FLAT, move_in=date(2019, 8, 1), household_size=2, rooms=Decimal("2.5"), living_area=Decimal("34.12"),
        heating="Fernwärme", year_built=1983, base_rent=Decimal("204.72"), operating_costs=Decimal("64.83"),
        heating_costs=Decimal("44.36"), parking=(("Stellplatz 12 (Vertrag SP-9001-0012)", Decimal("30.00")),),
        requested_by="Łukasz Żółć",
    )
    values.update(changes)
    return rental_certificate.RentalCertificate(**values)


def test_mietbescheinigung_has_every_field_of_design_5():
    reader, text = read(rental_certificate.build(rental(), creation_date=CREATED))
    assert_letterhead(reader, text, "LD-2026-TEST0001")
    for part in (
        "Mietbescheinigung", "Hauptmieter Łukasz Żółć", "Mitmieter Şükrü Yılmaz",
        "Anschrift Mannheimer Straße 45, 04209 Leipzig", "Lage 4. OG Mitte, Nr. 1012-0405",
        "Bezogen am 01.08.2019", "Personen im Haushalt 2", "Zimmer 2,5", "Wohnfläche 34,12 m²",
        "Heizung Fernwärme", "Baujahr 1983",
        "Grundmiete (Nettokaltmiete) 204,72 €", "Betriebskostenvorauszahlung 64,83 €",
        "Heizkostenvorauszahlung 44,36 €", "Gesamtmiete monatlich 313,91 €",
        "gesondert, nicht in der Gesamtmiete enthalten", "Stellplatz 12 (Vertrag SP-9001-0012) 30,00 €",
        "Monatsbeträge", "Angefordert von Łukasz Żółć am 12.05.2026",
    ):
        assert part in text, part
    assert len(reader.pages) == 1
    assert reader.metadata.title == "Mietbescheinigung" and reader.metadata.author == "WG „Lipsia“ eG"


def test_parking_is_left_out_when_there_is_none():
    _, text = read(rental_certificate.build(rental(parking=()), creation_date=CREATED))
    assert "Stellplatz" not in text and "Gesamtmiete monatlich 313,91 €" in text


def test_wohnungsgeberbestaetigung_has_the_four_items_of_section_19_bmg():
    data = landlord_confirmation.LandlordConfirmation(
        HEAD, "LD-2026-TEST0002", ISSUED, "MV-1012-0405", FLAT, date(2026, 6, 1),
        ("Łukasz Żółć", "Ayşe Yılmaz", "Zoë <b>Łęcka</b>"),
    )
    reader, text = read(landlord_confirmation.build(data, creation_date=CREATED))
    assert_letterhead(reader, text, "LD-2026-TEST0002")
    for part in ("Wohnungsgeberbestätigung", "§ 19 Abs. 3 Bundesmeldegesetz",
                 "Wohnungsgeber WG „Lipsia“ eG Brünnler Straße 12, 04209 Leipzig", "zugleich Eigentümer",
                 "Meldepflichtiger Vorgang Einzug", "Datum des Einzugs 01.06.2026",
                 "Anschrift der Wohnung Mannheimer Straße 45, 04209 Leipzig 4. OG Mitte",
                 "1. Łukasz Żółć", "2. Ayşe Yılmaz", "3. Zoë <b>Łęcka</b>", "50.000 Euro"):
        assert part in text, part


def test_mitgliedsbescheinigung_has_every_field_of_design_5():
    data = membership_certificate.MembershipCertificate(
        HEAD, "LD-2026-TEST0003", ISSUED, "Şükrü Yılmaz", date(1976, 9, 17), "Dieskaustraße 170, 04249 Leipzig",
        "203317", date(2014, 5, 1), 12, 2, Decimal("155.00"), Decimal("1920.00"), "Mitgliedschaft besteht",
    )
    reader, text = read(membership_certificate.build(data, creation_date=CREATED))
    assert_letterhead(reader, text, "LD-2026-TEST0003")
    for part in ("Mitgliedsbescheinigung", "§§ 30, 31 Genossenschaftsgesetz",
                 "eingetragen im Genossenschaftsregister beim Amtsgericht Leipzig unter GnR 146",
                 "Name Şükrü Yılmaz", "Geburtsdatum 17.09.1976", "Anschrift Dieskaustraße 170, 04249 Leipzig",
                 "Mitgliedsnummer 203317", "Beitritt (Mitglied seit) 01.05.2014", "Status Mitgliedschaft besteht",
                 "Pflichtanteile 12", "Freiwillige Anteile 2", "Betrag je Geschäftsanteil 155,00 €",
                 "Gezeichnet 14 Anteile = 2.170,00 €", "Eingezahltes Geschäftsguthaben 1.920,00 €",
                 "Noch einzuzahlen 250,00 €"):
        assert part in text, part


def test_mietschuldenfreiheitsbescheinigung_is_worded_as_of_a_date_with_the_reservation():
    data = rent_clearance.RentClearance(HEAD, "LD-2026-TEST0004", ISSUED, "MV-1012-0405", ("Łukasz Żółć",), FLAT,
                                        date(2019, 8, 1), date(2026, 5, 12))
    reader, text = read(rent_clearance.build(data, creation_date=CREATED))
    assert_letterhead(reader, text, "LD-2026-TEST0004")
    for part in ("Mietschuldenfreiheitsbescheinigung", "Mieter Łukasz Żółć", "Mietverhältnis seit 01.08.2019",
                 "Stand 12.05.2026: keine fälligen Rückstände", "keine fälligen Rückstände an Miete und "
                 "Betriebskostenvorauszahlungen", "Vorbehalten bleiben Nachforderungen aus Betriebskostenabrechnungen",
                 "kein Verzicht auf Forderungen"):
        assert part in text, part


def test_form_copy_prints_input_as_typed_and_breaks_pages():
    data = form_copy.FormCopy(
        HEAD, "LD-2026-TEST0005", ISSUED, "Kündigung des Nutzungsvertrags", datetime(2026, 5, 12, 14, 3),
        "Jürgen Müller", "Stuttgarter Allee 18, 04209 Leipzig", "Mietvertrag MV-1001-0203, Stuttgarter Allee 18",
        (("Kündigung zum", "31.07.2026"), ("Neue Anschrift", "<script>alert('€')</script>"),
         ("Bemerkung", "Sehr lang. " * 400)),
        notes=("Bitte unterschreiben.",), signatures=("Jürgen Müller", "Monika Müller"),
    )
    reader, text = read(form_copy.build(data, creation_date=CREATED))
    assert len(reader.pages) >= 2
    assert_letterhead(reader, text, "LD-2026-TEST0005")
    for part in ("gesendet am 12.05.2026 um 14:03 Uhr", "Absender Jürgen Müller", "Kündigung zum 31.07.2026",
                 "Neue Anschrift <script>alert('€')</script>", "Unterschrift Jürgen Müller",
                 "Unterschrift Monika Müller"):
        assert part in text, part


def test_letter_and_operating_costs_statement():
    letter = cooperative_letter.Letter(HEAD, "LD-2026-TEST0006", ISSUED, ("Łukasz Żółć", "Mannheimer Straße 45", "04209 Leipzig"),
                                       "Austausch der Rauchwarnmelder", "Sehr geehrter Herr Żółć,", ("Text.",),
                                       "Thomas Schröder", (("Vertrag", "MV-1012-0405"),))
    reader, text = read(cooperative_letter.build(letter, creation_date=CREATED))
    assert_letterhead(reader, text, "LD-2026-TEST0006")
    assert "Łukasz Żółć Mannheimer Straße 45 04209 Leipzig" in text and "Vertrag: MV-1012-0405" in text

    line = operating_costs.CostLine("Grundsteuer", Decimal("1000.00"), "Wohnfläche", "1.000,00 m²", "50,00 m²",
                                    Decimal("50.00"))
    heat = operating_costs.CostLine("Heizung", Decimal("2000.00"), "Verbrauch", "100 Einh.", "10 Einh.",
                                    Decimal("200.00"))
    statement = operating_costs.OperatingCostsStatement(
        HEAD, "LD-2026-TEST0007", ISSUED, ("Łukasz Żółć",), "Sehr geehrter Herr Żółć,", "MV-1012-0405", FLAT,
        date(2025, 1, 1), date(2025, 12, 31), (line,), (heat,), (("Wohnfläche", "je m²"),),
        Decimal("40.00"), Decimal("180.00"), date(2026, 6, 12), "Thomas Schröder",
    )
    assert statement.balance == Decimal("30.00")
    reader, text = read(operating_costs.build(statement, creation_date=CREATED))
    assert_letterhead(reader, text, "LD-2026-TEST0007")
    for part in ("Betriebskostenabrechnung 2025", "01.01.2025 – 31.12.2025", "Grundsteuer 1.000,00 € Wohnfläche",
                 "50,00 €", "Verteilerschlüssel", "Nachzahlung 30,00 €", "bis zum 12.06.2026", "§ 556 Abs. 3 BGB"):
        assert part in text, part


def embedded_fonts(reader) -> dict[str, TTFont]:
    """BaseFont -> the font program embedded in the PDF."""
    embedded = {}
    for page in reader.pages:
        for font in _fonts(page):
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            program = descriptor["/FontFile2"].get_object().get_data()
            embedded[str(font["/BaseFont"])] = TTFont(io.BytesIO(program))
    return embedded


def outline(font: TTFont, code: int):
    """The glyph of ``code`` as drawn (components resolved) and its advance width."""
    name = font.getBestCmap()[code]
    coordinates, ends, flags = font["glyf"][name].getCoordinates(font["glyf"])
    return list(coordinates), ends, list(flags), font["hmtx"][name][0]


def test_embedded_fonts_are_subsets_drawing_every_character_as_the_font_does():
    reader, text = read(rental_certificate.build(rental(), creation_date=CREATED))
    embedded = embedded_fonts(reader)
    styles = {"/MPDFAA+SourceSansPro": "", "/MPDFAA+SourceSansProSemibold": "B"}
    assert set(embedded) == set(styles)
    printed = set()
    for base_font, font in embedded.items():
        with TTFont(fonts.font_files()[styles[base_font]]) as source:
            assert len(font.getGlyphOrder()) < len(source.getGlyphOrder()) / 5  # a subset, not the font
            for code in font.getBestCmap():  # ł, ż, ć … are made of components: renumbered in the subset
                assert outline(font, code) == outline(source, code), chr(code)
        printed |= {chr(code) for code in font.getBestCmap()}
    assert set(text) - {" "} <= printed and {"Ł", "Ż", "ó", "ć", "Ş", "ı", "€", "„", "“"} <= printed


def test_each_document_embeds_the_glyphs_it_prints():
    """The fonts' parsed tables are shared by every document of a process; what a document printed is not."""
    first = rental_certificate.build(rental(), creation_date=CREATED)
    second = rental_certificate.build(
        rental(tenants=(rental_certificate.Tenant("Åsa Øberg", "Hauptmieterin"),), requested_by="Åsa Øberg"),
        creation_date=CREATED,
    )
    first_reader, first_text = read(first)
    second_reader, second_text = read(second)
    assert "Hauptmieter Łukasz Żółć" in first_text and "Øberg" not in first_text
    assert "Hauptmieterin Åsa Øberg" in second_text and "Żółć" not in second_text
    first_fonts, second_fonts = embedded_fonts(first_reader), embedded_fonts(second_reader)
    assert set(first_fonts) == set(second_fonts) == {"/MPDFAA+SourceSansPro", "/MPDFAA+SourceSansProSemibold"}
    first_chars = {chr(code) for font in first_fonts.values() for code in font.getBestCmap()}
    second_chars = {chr(code) for font in second_fonts.values() for code in font.getBestCmap()}
    assert {"Å", "Ø"} <= second_chars and not {"Å", "Ø"} & first_chars
    assert {"Ł", "Ż"} <= first_chars and not {"Ł", "Ż"} & second_chars


def test_a_soft_hyphen_on_one_line_is_not_printed():
    """Text pasted from a word processor carries soft hyphens: fpdf2's line breaking drops one where it does not
    break the line; a line printed in one piece must drop it too."""
    letter = cooperative_letter.Letter(HEAD, "LD-2026-TEST0007", ISSUED, ("Jürgen Müller", "Stuttgarter Allee 18",
                                       "04209 Leipzig"), "Heiz\u00adkörper im Bad", "Sehr geehrter Herr Müller,",
                                       ("Der Heiz\u00adkörper wird getauscht.",), "Thomas Schröder",
                                       (("Vertrag", "MV-1001-0203"),))
    _, text = read(cooperative_letter.build(letter, creation_date=CREATED))
    assert "Heizkörper im Bad" in text and "Der Heizkörper wird getauscht." in text
    assert "\u00ad" not in text and "Heiz-körper" not in text


def test_unprintable_characters_are_named():
    assert unprintable("Łukasz Żółć, Şükrü Yılmaz, Nguyễn, € „“ – §") == []
    assert set(unprintable("王小明 🏠\n")) == {"王", "小", "明", "🏠"}


# --- the data functions feed the builders from the demo models ---


def test_certificate_data_from_the_demo_contracts(data):
    juergen_rental = Contract.get(Contract.number == "MV-1001-0203")
    rental_data = certificates.rental_certificate_data(juergen_rental, "X", ISSUED, "Jürgen Müller")
    assert [(t.name, t.role) for t in rental_data.tenants] == [("Jürgen Müller", "Hauptmieter"),
                                                               ("Monika Müller", "Mitmieterin")]
    assert rental_data.parking == (("Stellplatz 12 (Vertrag SP-9001-0012)", Decimal("30.00")),)
    assert rental_data.total_rent == Decimal("607.06") and rental_data.household_size == 2
    assert rental_data.flat.location == "2. OG links, Nr. 1001-0203"
    member = certificates.membership_certificate_data(Contract.get(Contract.number == "MG-118240"), "X", ISSUED)
    assert (member.member_name, member.member_number, member.shares) == ("Łukasz Żółć", "118240", 3)
    assert member.outstanding == Decimal("155.00")  # paid in instalments
    for build, data_of in ((rental_certificate.build, rental_data), (membership_certificate.build, member)):
        _, text = read(build(data_of, creation_date=CREATED))
        assert "Dokument-Nr. X" in text


@pytest.mark.parametrize(("end_date", "status"), [
    (None, "Mitgliedschaft besteht"),
    (date(2026, 12, 31), "Mitgliedschaft gekündigt zum 31.12.2026"),
    (date(2025, 12, 31), "ausgeschieden am 31.12.2025"),
])
def test_membership_status(end_date, status):
    contract = Contract(end_date=end_date)
    assert certificates.membership_status(contract, ISSUED) == status
