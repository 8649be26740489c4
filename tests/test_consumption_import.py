"""ERP import of verbrauch.csv (docs/import.md): the metering service's monthly values per meter. Meters created on
first sight, a repeated file changes nothing, a changed month replaces the old values and is marked corrected, one
bad row keeps everything as it was, and every hostile value is refused with its German message."""

import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.test_erp_import import EXAMPLE, cli, lipsia, run  # noqa: F401 (lipsia: a fixture)
from wir import clock
from wir.demo.tables import COOPERATIVES
from wir.models import Consumption, Cooperative, Meter, Unit
from wir.services import erp_import
from wir.services.consumption import notices

HEADER = ("Einheit;Zählernummer;Art;Monat;Verbrauch;Maßeinheit;Umrechnungsfaktor;Zählerstand;Durchschnitt;"
          "Durchschnitt je m²")


@pytest.fixture
def imported(empty_app, lipsia):
    """The example set imported into Lipsia."""
    _, report = run(EXAMPLE, lipsia)
    assert report.ok, report.errors
    return lipsia


def only(folder: Path, *rows: str, header: str = HEADER) -> Path:
    """A folder holding only a verbrauch.csv of these rows."""
    folder.mkdir(exist_ok=True)
    (folder / "verbrauch.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return folder


def values(number: str, month: date) -> Consumption:
    return Consumption.select().join(Meter).where((Meter.number == number) & (Consumption.month == month)).get()


def snapshot() -> list:
    return sorted(map(str, Consumption.select().tuples())) + sorted(map(str, Meter.select().tuples()))


def test_the_example_creates_meters_and_months_with_kwh_derived(imported):
    assert Meter.select().count() == 7 and Consumption.select().count() == 14
    heat = values("WMZ-0815-0103", date(2025, 11, 1))
    assert (heat.amount, heat.measure, heat.factor, heat.kwh, heat.reading, heat.average_kwh,
            heat.average_kwh_per_m2, heat.corrected_at) == (
        Decimal("786"), "kWh", None, Decimal("786"), Decimal("19128.7"), Decimal("801"), Decimal("12.516"), None)
    hot = values("WWZ-0815-0103", date(2025, 10, 1))
    assert (hot.measure, hot.factor, hot.kwh) == ("m³", Decimal("58"), Decimal("198.36"))  # 3,42 m³ × 58
    radiator = values("HKV-0815-0104-2", date(2025, 11, 1))
    assert (radiator.measure, radiator.kwh) == ("Einheiten", Decimal("288.2"))  # 262 Einheiten × 1,1
    cold = values("KWZ-0815-0103", date(2025, 10, 1))
    assert (cold.kwh, cold.average_kwh) == (None, Decimal("4.6"))  # water: the average in m³ like the value
    meter = Meter.get(Meter.number == "HKV-0815-0104-1")
    assert (meter.unit.erp_key, meter.kind, meter.measure) == ("E-2", "heating", "Einheiten")


def test_the_report_names_the_months_for_the_notices(empty_app, lipsia):
    record, report = run(EXAMPLE, lipsia)
    consumption = next(f for f in report.files if f.name == "verbrauch.csv")
    assert (consumption.rows, consumption.created) == (14, 14)
    assert consumption.months == ["2025-10-01", "2025-11-01"] and notices.worth_announcing(report)
    # the stored report (the upload page, the task) says the same
    stored = erp_import.report_of(record)
    assert stored.file("verbrauch.csv").months == ["2025-10-01", "2025-11-01"] and notices.worth_announcing(stored)
    assert "Neue oder korrigierte Werte für Oktober 2025, November 2025." in consumption.notes
    assert "7 Zähler neu angelegt." in consumption.notes


def test_the_same_file_again_changes_nothing_and_names_no_month(imported, empty_app):
    before = snapshot()
    result = cli(empty_app, EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "verbrauch.csv: 14 Zeilen, 0 neu, 0 geändert, 14 unverändert" in result.output
    assert "Alles unverändert." in result.output
    assert snapshot() == before
    _, report = run(EXAMPLE, imported)
    assert report.file("verbrauch.csv").months == [] and not notices.worth_announcing(report)


def test_a_changed_month_replaces_the_values_and_is_marked_corrected(imported, tmp_path, monkeypatch):
    first = values("WMZ-0815-0103", date(2025, 11, 1))
    later = datetime(2026, 1, 15, 9, 30)
    monkeypatch.setattr(clock, "now", lambda: later)
    folder = only(tmp_path / "korrektur",
                  "E-1;WMZ-0815-0103;Heizung;11.2025;790,5;kWh;;19.133,2;801,0;12,516",
                  "E-1;WMZ-0815-0103;Heizung;10.2025;412,5;kWh;;18.342,7;398,0;6,219")  # unchanged
    _, report = run(folder, imported)
    assert report.ok, report.errors
    consumption = report.files[0]
    assert (consumption.created, consumption.changed, consumption.unchanged) == (0, 1, 1)
    assert consumption.months == ["2025-11-01"] and notices.worth_announcing(report)
    corrected = values("WMZ-0815-0103", date(2025, 11, 1))
    assert (corrected.id, corrected.amount, corrected.kwh, corrected.reading) == (
        first.id, Decimal("790.5"), Decimal("790.5"), Decimal("19133.2"))
    assert corrected.corrected_at == later and corrected.imported_at == first.imported_at
    assert values("WMZ-0815-0103", date(2025, 10, 1)).corrected_at is None
    assert Consumption.select().count() == 14


def test_a_correction_empties_what_the_file_no_longer_gives(imported, tmp_path):
    """A row is the whole month: a column left out (or empty) is no value any more, not the old one."""
    folder = only(tmp_path / "ohne", "E-1;WWZ-0815-0103;Warmwasser;10.2025;3,42;m³",
                  header="Einheit;Zählernummer;Art;Monat;Verbrauch;Maßeinheit")
    _, report = run(folder, imported)
    assert report.ok and report.files[0].changed == 1
    hot = values("WWZ-0815-0103", date(2025, 10, 1))
    assert (hot.factor, hot.kwh, hot.reading, hot.average_kwh, hot.corrected_at is not None) == (
        None, None, None, None, True)


def test_heating_and_hot_water_without_a_factor_are_imported_with_a_warning(imported, tmp_path):
    """§ 6a asks for kWh: the rows count (a month is better than none), the report tells the clerk which are not."""
    folder = only(tmp_path / "ohne-faktor",
                  "E-1;WMZ-0815-0103;Heizung;12.2025;900;kWh;;;;",  # kWh: nothing to say
                  "E-2;HKV-0815-0104-1;Heizung;12.2025;500;Einheiten;;;;",
                  "E-2;HKV-0815-0104-2;Heizung;12.2025;300;Einheiten;;;;",
                  "E-2;HKV-0815-0104-2;Heizung;01.2026;310;Einheiten;1,1;;;",  # with its factor: fine
                  "E-1;WWZ-0815-0103;Warmwasser;12.2025;3,5;m³;;;;",
                  "E-1;KWZ-0815-0103;Kaltwasser;12.2025;5;m³;;;;")  # cold water has no kWh
    _, report = run(folder, imported)
    assert report.ok, report.errors
    assert report.files[0].created == 6
    warnings = [note for note in report.files[0].notes if "ohne Umrechnungsfaktor" in note]
    assert warnings == [
        "Heizung in Einheiten ohne Umrechnungsfaktor: 2 Zeilen (zuerst Zeile 3). § 6a HeizkostenV verlangt den "
        "Verbrauch in kWh; diese Werte zeigt das Portal den Mietern nur in ihrer Maßeinheit, mit einem Satz, warum. "
        "Bitte fordern Sie den Umrechnungsfaktor beim Messdienst an und liefern Sie diese Monate mit ihm erneut.",
        "Warmwasser in m³ ohne Umrechnungsfaktor: 1 Zeile (zuerst Zeile 6). § 6a HeizkostenV verlangt den "
        "Verbrauch in kWh; diese Werte zeigt das Portal den Mietern nur in ihrer Maßeinheit, mit einem Satz, warum. "
        "Bitte fordern Sie den Umrechnungsfaktor beim Messdienst an und liefern Sie diese Monate mit ihm erneut.",
    ]
    assert values("HKV-0815-0104-1", date(2025, 12, 1)).kwh is None
    assert "Hinweis: Heizung in Einheiten ohne Umrechnungsfaktor: 2 Zeilen" in "\n".join(report.lines())


def test_the_example_with_its_factors_has_no_warning(empty_app, lipsia):
    _, report = run(EXAMPLE, lipsia, dry_run=True)
    assert not any("ohne Umrechnungsfaktor" in note for note in report.file("verbrauch.csv").notes)


def test_a_meter_takes_the_measure_of_its_latest_month(imported, tmp_path):
    folder = only(tmp_path / "neu",
                  "E-2;HKV-0815-0104-1;Heizung;12.2025;610;kWh;;;;",  # the service now reads it in kWh
                  "E-2;HKV-0815-0104-1;Heizung;09.2025;80;Einheiten;0,85;;;")  # an older month comes after it
    _, report = run(folder, imported)
    assert report.ok, report.errors
    assert Meter.get(Meter.number == "HKV-0815-0104-1").measure == "kWh"


def test_one_bad_row_keeps_everything_as_it_was(imported, tmp_path):
    before = snapshot()
    folder = only(tmp_path / "fehler",
                  "E-1;WMZ-0815-0103;Heizung;11.2025;999,0;kWh;;;;",  # a correction early in the file
                  "E-1;WMZ-NEU-1;Heizung;12.2025;500;kWh;;;;",  # a new meter
                  "E-2;KWZ-0815-0104;Kaltwasser;12.2025;-3;m³;;;;")  # negative, in the last line
    _, report = run(folder, imported)
    assert not report.ok
    assert [(e.line, e.column) for e in report.errors] == [(4, "Verbrauch")]
    assert snapshot() == before
    assert not notices.worth_announcing(report)


def test_a_dry_run_reports_without_writing(empty_app, lipsia):
    result = cli(empty_app, EXAMPLE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "verbrauch.csv: 14 Zeilen, 14 neu" in result.output
    assert Meter.select().count() == 0 and Consumption.select().count() == 0
    _, report = run(EXAMPLE, lipsia, dry_run=True)
    assert report.file("verbrauch.csv").months and not notices.worth_announcing(report)  # nothing saved: nobody is told


def test_full_keeps_the_consumption_history(imported, tmp_path):
    folder = only(tmp_path / "voll", "E-1;WMZ-0815-0103;Heizung;12.2025;900;kWh;;;;")
    _, report = run(folder, imported, full=True)
    assert report.ok
    assert Consumption.select().count() == 15 and Meter.select().count() == 7


def test_a_unit_of_the_other_cooperative_or_none_at_all_is_an_error(imported, tmp_path):
    elsteraue = Cooperative.create(**COOPERATIVES[1])
    Unit.create(cooperative=elsteraue, kind="flat", number="E-301", street="Dieskaustraße 1", postcode="04249",
                city="Leipzig", erp_key="E-ELS")
    folder = only(tmp_path / "fremd", "E-ELS;WMZ-1;Heizung;11.2025;100;kWh;;;;",
                  "E-404;WMZ-2;Heizung;11.2025;100;kWh;;;;")
    _, report = run(folder, imported)
    assert [(e.line, e.column, e.message) for e in report.errors] == [
        (2, "Einheit", "Einheit „E-ELS“ gibt es weder in einheiten.csv noch aus einem früheren Import."),
        (3, "Einheit", "Einheit „E-404“ gibt es weder in einheiten.csv noch aus einem früheren Import."),
    ]
    assert not Meter.select().where(Meter.number.in_(["WMZ-1", "WMZ-2"])).exists()


def test_a_meter_keeps_its_kind_between_files_and_within_one(imported, tmp_path):
    folder = only(tmp_path / "art", "E-1;WMZ-0815-0103;Warmwasser;12.2025;100;kWh;;;;",
                  "E-1;NEU-7;Heizung;12.2025;100;kWh;;;;", "E-1;NEU-7;Warmwasser;01.2026;100;kWh;;;;")
    _, report = run(folder, imported)
    assert [(e.line, e.column, e.message) for e in report.errors] == [
        (2, "Art", "Der Zähler „WMZ-0815-0103“ dieser Einheit ist im Portal ein Zähler für Heizung; ein Zähler "
                   "hat immer dieselbe Art (ein neuer Zähler bekommt eine neue Zählernummer)."),
        (4, "Art", "Der Zähler „NEU-7“ steht in Zeile 3 als Heizung; ein Zähler hat immer dieselbe Art."),
    ]


def test_a_meters_month_twice_in_one_file_is_an_error(imported, tmp_path):
    folder = only(tmp_path / "doppelt", "E-1;WMZ-0815-0103;Heizung;12.2025;100;kWh;;;;",
                  "E-1;WMZ-0815-0103;Heizung;2025-12;110;kWh;;;;")
    _, report = run(folder, imported)
    assert [(e.line, e.column, e.message) for e in report.errors] == [
        (3, "Monat", "Den Dezember 2025 des Zählers „WMZ-0815-0103“ gibt es schon in Zeile 2.")]


def test_the_same_meter_number_in_two_units_is_two_meters(imported, tmp_path):
    folder = only(tmp_path / "zwei", "E-1;Z-1;Kaltwasser;12.2025;3;m³;;;;", "E-2;Z-1;Kaltwasser;12.2025;4;m³;;;;")
    _, report = run(folder, imported)
    assert report.ok and Meter.select().where(Meter.number == "Z-1").count() == 2


def this_month() -> str:
    return f"{clock.today():%m.%Y}"


BAD_ROWS = [
    # (row after the unit, column, message)
    ("=HYPERLINK(1);Heizung;11.2025;1;kWh;;;;", "Zählernummer",
     "„=HYPERLINK(1)“ ist keine Zählernummer: erlaubt sind Buchstaben, Ziffern, Leerzeichen und - / . _, am Anfang "
     "ein Buchstabe oder eine Ziffer."),
    ("-1+2;Heizung;11.2025;1;kWh;;;;", "Zählernummer", None),
    ("@SUM;Heizung;11.2025;1;kWh;;;;", "Zählernummer", None),
    ("Z" * 51 + ";Heizung;11.2025;1;kWh;;;;", "Zählernummer", "Höchstens 50 Zeichen, hier sind es 51."),
    ("Z-1;Strom;11.2025;1;kWh;;;;", "Art", "„Strom“ ist nicht erlaubt; möglich: Heizung, Warmwasser, Kaltwasser."),
    ("Z-1;Heizung;13.2025;1;kWh;;;;", "Monat", "Einen Monat 13 gibt es nicht."),
    ("Z-1;Heizung;30.11.2025;1;kWh;;;;", "Monat", "„30.11.2025“ ist kein Monat wie 11.2026 oder 2026-11."),
    ("Z-1;Heizung;11.1850;1;kWh;;;;", "Monat", "Das Jahr 1850 ist nicht plausibel."),
    ("Z-1;Heizung;{this};1;kWh;;;;", "Monat", "noch nicht abgeschlossen"),
    ("Z-1;Heizung;01.2099;1;kWh;;;;", "Monat",
     "Der Monat Januar 2099 ist noch nicht abgeschlossen; Verbrauch gibt es nur für vergangene Monate."),
    ("Z-1;Heizung;11.2025;-5;kWh;;;;", "Verbrauch",
     "„-5“ ist negativ; Verbrauch, Zählerstände und Faktoren sind nie negativ."),
    ("Z-1;Heizung;11.2025;viel;kWh;;;;", "Verbrauch", "„viel“ ist keine Zahl wie 1.234,56."),
    ("Z-1;Heizung;11.2025;1,2345;kWh;;;;", "Verbrauch", "„1,2345“ hat mehr als 3 Nachkommastellen."),
    ("Z-1;Heizung;11.2025;75.000,5;kWh;;;;", "Verbrauch",
     "75.000,5 kWh in einem Monat sind nicht plausibel (höchstens 50.000)."),
    ("Z-1;Kaltwasser;11.2025;900;m³;;;;", "Verbrauch", "900 m³ in einem Monat sind nicht plausibel (höchstens 500)."),
    ("Z-1;Heizung;11.2025;1;Liter;;;;", "Maßeinheit", "„Liter“ ist nicht erlaubt; möglich: kWh, m³, Einheiten."),
    ("Z-1;Kaltwasser;11.2025;1;kWh;;;;", "Maßeinheit", "Ein Zähler für Kaltwasser misst in m³, nicht in kWh."),
    ("Z-1;Heizung;11.2025;1;m³;;;;", "Maßeinheit",
     "Ein Zähler für Heizung misst in kWh oder Einheiten, nicht in m³."),
    ("Z-1;Heizung;11.2025;1;kWh;2;;;", "Umrechnungsfaktor",
     "Ein Verbrauch in kWh braucht keinen Umrechnungsfaktor; bitte leer lassen."),
    ("Z-1;Kaltwasser;11.2025;1;m³;58;;;", "Umrechnungsfaktor",
     "Kaltwasser hat keinen Verbrauch in kWh; bitte leer lassen."),
    ("Z-1;Heizung;11.2025;1;Einheiten;0;;;", "Umrechnungsfaktor",
     "Der Faktor 0 ist nicht plausibel: größer als 0 und höchstens 1.000 kWh je Einheit."),
    ("Z-1;Warmwasser;11.2025;1;m³;5000;;;", "Umrechnungsfaktor",
     "Der Faktor 5.000 ist nicht plausibel: größer als 0 und höchstens 1.000 kWh je m³."),
    ("Z-1;Heizung;11.2025;1;Einheiten;-0,5;;;", "Umrechnungsfaktor", None),
    ("Z-1;Heizung;11.2025;1;Einheiten;0,12345;;;", "Umrechnungsfaktor", "„0,12345“ hat mehr als 4 Nachkommastellen."),
    ("Z-1;Heizung;11.2025;1;kWh;;-10;;", "Zählerstand", None),
    ("Z-1;Heizung;11.2025;1;kWh;;;-1;", "Durchschnitt", None),
    ("Z-1;Heizung;11.2025;1;kWh;;;60.000,0;", "Durchschnitt", "60.000 kWh sind als Durchschnitt"),
    ("Z-1;Heizung;11.2025;1;kWh;;;;2.000,5", "Durchschnitt je m²", "2.000,5 kWh sind als Durchschnitt eines Monats "
                                                                 "nicht plausibel."),
    ("Z-1;Heizung;11.2025;1;Einheiten;;;300;", "Durchschnitt",
     "Einheiten eines Heizkostenverteilers ohne Umrechnungsfaktor lassen sich mit keinem Durchschnitt vergleichen; "
     "bitte leer lassen oder den Faktor angeben."),
    ("Z-1;Heizung;11.2025;1;kWh;;;1e5;", "Durchschnitt", "„1e5“ ist keine Zahl wie 1.234,56."),
    ("Z-1;Heizung;11.2025;100000000000000000000000000;kWh;;;;", "Verbrauch",
     "„100000000000000000000000000“ ist zu groß."),
    (";Heizung;11.2025;1;kWh;;;;", "Zählernummer", "Pflichtfeld ist leer."),
    ("Z-1\x07;Heizung;11.2025;1;kWh;;;;", "Zählernummer", "Der Text enthält Steuerzeichen."),
]


@pytest.mark.parametrize("row, column, message", BAD_ROWS)
def test_each_bad_value_is_refused_with_its_message(imported, tmp_path, row, column, message):
    before = snapshot()
    folder = only(tmp_path / "x", "E-1;" + row.replace("{this}", this_month()))
    _, report = run(folder, imported)
    assert [(e.file, e.line, e.column) for e in report.errors] == [("verbrauch.csv", 2, column)]
    if message:
        assert message in report.errors[0].message
    assert snapshot() == before


def test_a_missing_required_column_refuses_the_file(imported, tmp_path):
    folder = only(tmp_path / "spalte", "E-1;Z-1;Heizung;11.2025;1", header="Einheit;Zählernummer;Art;Monat;Verbrauch")
    _, report = run(folder, imported)
    assert [(e.line, e.column, e.message) for e in report.errors] == [
        (1, "Maßeinheit", "Es fehlen Pflichtspalten: Maßeinheit.")]


def test_aliases_and_iso_months_are_read(imported, tmp_path):
    folder = only(tmp_path / "schreibweisen", "E-1;Z-9;kaltwasser;2025-12;3,5;m3;;;;",
                  "E-2;Z-8;HEIZUNG;1.2026;12;HKV;0,9;;;")
    _, report = run(folder, imported)
    assert report.ok, report.errors
    assert (values("Z-9", date(2025, 12, 1)).measure, values("Z-8", date(2026, 1, 1)).kwh) == ("m³", Decimal("10.8"))


def test_a_monthly_file_of_many_meters_imports_in_seconds(imported, tmp_path, count_queries):
    """3,000 units × 3 meters: a batch costs a few queries, never one per row (36,000 rows take some 6 s)."""
    units = [{"cooperative": imported.id, "kind": "flat", "number": f"N-{n}", "street": "Musterstraße 1",
              "postcode": "04109", "city": "Leipzig", "erp_key": f"EN-{n}"} for n in range(3000)]
    Unit.insert_many(units).execute()
    lines = []
    for n in range(3000):
        lines += [f"EN-{n};H-{n};Heizung;11.2025;{400 + n % 300},5;kWh;;;410,0;6,1",
                  f"EN-{n};W-{n};Warmwasser;11.2025;3,{n % 90:02d};m³;58;;;",
                  f"EN-{n};K-{n};Kaltwasser;11.2025;4,{n % 90:02d};m³;;;;"]
    folder = only(tmp_path / "monat", *lines)
    started = time.monotonic()
    with count_queries() as queries:
        _, report = run(folder, imported)
    took = time.monotonic() - started
    assert report.ok and report.files[0].created == 9000
    assert took < 10, took
    assert queries.count < 20 * 9  # 9 batches of 1,000 rows, each a handful of statements
    again = time.monotonic()
    _, report = run(folder, imported)
    assert report.ok and report.files[0].unchanged == 9000
    assert time.monotonic() - again < 10
