"""verbrauch.csv: a meter's month from the metering service, kept as a Consumption row.

The rows have no Schlüssel of their own: a row is the month of a meter of a unit (unit, Zählernummer, Monat).
Meters are created on first sight and keep their kind; a month already there is left as it is when the values are
the same, else replaced and marked corrected (the tenant's page says „korrigiert am …“). Every batch costs a
handful of queries whatever its size (no query per row), so a month of 36,000 meters imports in seconds.
"""

from datetime import date

from wir import clock, db
from wir.formatting import counted, german_month
from wir.models import Consumption, Meter

# what a month of a meter holds; a row with the same values is unchanged, any difference is a correction
VALUES = ("amount", "measure", "factor", "kwh", "reading", "average_kwh", "average_kwh_per_m2")
# § 6a HeizkostenV asks for heating and hot water in kWh: these rows are imported (the tenant's month is better
# than none) but cannot be shown in kWh without a factor, so the report tells the clerk to ask the service for it
WITHOUT_KWH = {("heating", "Einheiten"): "Heizung in Einheiten", ("hot_water", "m³"): "Warmwasser in m³"}


class Writer:
    """Writes one verbrauch.csv of a run, batch by batch; remembers the file's meters (few, one per unit and
    meter, however many months the file holds) to name the line of a meter's first row."""

    def __init__(self, run, kind):
        self.run = run
        self.kind = kind
        self.file_report = run.report.file(kind.file)
        self.meters_in_file: dict[tuple[int, str], tuple[str, int]] = {}  # (unit, number) → (kind, first line)
        self.meters_created = 0
        self.months: set[date] = set()
        self.without_kwh: dict[tuple[str, str], list[int]] = {}  # (kind, measure) → [rows, first line]

    def batch(self, rows: list[tuple[int, dict]]) -> None:
        rows = self._once_per_month(rows)
        meters, rows = self._meters(rows)
        if not rows:
            return
        self._count_without_kwh(rows)
        now = clock.now()
        existing = {(row.meter_id, row.month): row for row in Consumption.select().where(
            Consumption.meter.in_(list({meters[_meter_key(values)] for _, values in rows}))
            & Consumption.month.in_(list({values["month"] for _, values in rows})))}
        new, corrected, touched = [], [], set()
        for _, values in rows:
            meter_id = meters[_meter_key(values)]
            fields = {name: values[name] for name in VALUES}
            old = existing.get((meter_id, values["month"]))
            if old is None:
                new.append({"meter": meter_id, "month": values["month"], **fields, "imported_at": now})
            elif any(getattr(old, name) != value for name, value in fields.items()):
                corrected.append((*(getattr(Consumption, name).db_value(fields[name]) for name in VALUES),
                                  Consumption.corrected_at.db_value(now), old.id))
            else:
                self.file_report.unchanged += 1
                continue
            touched.add(meter_id)
            self.months.add(values["month"])
        if new:
            Consumption.insert_many(new).execute()
            self.file_report.created += len(new)
        if corrected:
            # one statement for all: an UPDATE per row took 12 s for a delivery correcting 36,000 months
            db.database.cursor().executemany(_correction_sql(), corrected)
            self.file_report.changed += len(corrected)
        if touched:
            # a meter counts in what its latest month counts in, whatever order the months came in
            latest = (Consumption.select(Consumption.measure).where(Consumption.meter == Meter.id)
                      .order_by(Consumption.month.desc()).limit(1))
            Meter.update(measure=latest).where(Meter.id.in_(list(touched))).execute()

    def close(self) -> None:
        """The months for the notices (Report: FileReport.months) and what the report says besides the counts."""
        self.file_report.months = sorted(month.isoformat() for month in self.months)
        if self.meters_created:
            self.file_report.notes.append(f"{self.meters_created} Zähler neu angelegt.")
        if self.months:
            shown = sorted(self.months)
            names = ", ".join(german_month(month) for month in shown) if len(shown) <= 3 \
                else f"{german_month(shown[0])} bis {german_month(shown[-1])} ({len(shown)} Monate)"
            self.file_report.notes.append(f"Neue oder korrigierte Werte für {names}.")
        for key, (count, first) in self.without_kwh.items():
            self.file_report.notes.append(
                f"{WITHOUT_KWH[key]} ohne Umrechnungsfaktor: {counted(count, 'Zeile', 'Zeilen')} (zuerst Zeile "
                f"{first}). § 6a HeizkostenV verlangt den Verbrauch in kWh; diese Werte zeigt das Portal den "
                "Mietern nur in ihrer Maßeinheit, mit einem Satz, warum. Bitte fordern Sie den Umrechnungsfaktor "
                "beim Messdienst an und liefern Sie diese Monate mit ihm erneut.")

    def _count_without_kwh(self, rows) -> None:
        for line, values in rows:
            key = (values["kind"], values["measure"])
            if key in WITHOUT_KWH and values["factor"] is None:
                found = self.without_kwh.setdefault(key, [0, line])
                found[0] += 1
                found[1] = min(found[1], line)

    def _once_per_month(self, rows):
        """A meter's month once per file; a second row for it is an error naming the first."""
        def repeated(line, earlier, values):
            self.run.report.error(self.kind.file, line, "Monat",
                                  f"Den {german_month(values['month'])} des Zählers „{values['number']}“ "
                                  f"gibt es schon in Zeile {earlier}.")

        return self.run.once(f"{self.kind.file}#month", rows,
                             lambda values: f"{values['unit']}|{values['number']}|{values['month'].isoformat()}",
                             repeated)

    def _meters(self, rows):
        """The meter id of every row's (unit, number), creating the new ones; rows whose meter would change its
        kind are errors and left out."""
        units = list({values["unit"] for _, values in rows})
        known = {(unit, number): (meter_id, kind) for meter_id, unit, number, kind in Meter.select(
            Meter.id, Meter.unit, Meter.number, Meter.kind).where(Meter.unit.in_(units)).tuples()}
        kept, new = [], {}
        for line, values in rows:
            key = _meter_key(values)
            kind = values["kind"]
            first = self.meters_in_file.get(key)
            if first is not None and first[0] != kind:
                self.run.report.error(self.kind.file, line, "Art",
                                      f"Der Zähler „{values['number']}“ steht in Zeile {first[1]} als "
                                      f"{Meter.KINDS[first[0]]}; ein Zähler hat immer dieselbe Art.")
                continue
            if first is None and key in known and known[key][1] != kind:
                self.run.report.error(self.kind.file, line, "Art",
                                      f"Der Zähler „{values['number']}“ dieser Einheit ist im Portal ein Zähler "
                                      f"für {Meter.KINDS[known[key][1]]}; ein Zähler hat immer dieselbe Art "
                                      "(ein neuer Zähler bekommt eine neue Zählernummer).")
                continue
            if first is None:
                self.meters_in_file[key] = (kind, line)
            if key not in known and key not in new:
                new[key] = {"unit": key[0], "number": key[1], "kind": kind, "measure": values["measure"]}
            kept.append((line, values))
        if new:
            Meter.insert_many(list(new.values())).execute()
            self.meters_created += len(new)
            known |= {(unit, number): (meter_id, kind) for meter_id, unit, number, kind in Meter.select(
                Meter.id, Meter.unit, Meter.number, Meter.kind).where(Meter.unit.in_(list({
                    unit for unit, _ in new}))).tuples()}
        return {key: meter_id for key, (meter_id, _kind) in known.items()}, kept


def _correction_sql() -> str:
    """UPDATE of one Consumption row: the VALUES, corrected_at, then the id (parameters in that order)."""
    sql, _params = Consumption.update(
        {getattr(Consumption, name): None for name in (*VALUES, "corrected_at")}).where(Consumption.id == 0).sql()
    return sql


def _meter_key(values: dict) -> tuple[int, str]:
    return values["unit"], values["number"]
