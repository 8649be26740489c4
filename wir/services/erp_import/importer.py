"""The import run: every file read as a stream in batches, each row checked, looked up by its ERP key and
created, changed or left as it is, all in one transaction that is rolled back on any error or for a dry run.

Keys (and numbers) already read are remembered in a temporary table, not in memory, so duplicates are found
across batches while memory stays flat however long the file is.
"""

from collections.abc import Callable
from datetime import date
from pathlib import Path

from peewee import CharField, CompositeKey, IntegerField, Model

from wir import audit, clock, db
from wir.formatting import counted
from wir.models import (
    BankAccount,
    Contract,
    ContractParty,
    Cooperative,
    ExemptionOrder,
    Person,
    SavingsAccount,
    SavingsTransaction,
    User,
)
from wir.services.contracts import bank_accounts
from wir.services.erp_import import reading
from wir.services.erp_import.consumption import Writer
from wir.services.erp_import.kinds import BY_FILE, KEY, KINDS, Kind, RowProblem
from wir.services.erp_import.reading import BadValue, FileInfo, FileProblem
from wir.services.erp_import.report import Report
from wir.services.staff import house_contacts

BATCH = 1000
SETTLED_NOTE = "Die Genossenschaft hat diese Bankverbindung in ihr System übernommen."


class _Seen(Model):
    """Temporary table of the keys and unique values read so far in this run, with their line."""

    kind = CharField(max_length=60)
    value = CharField(max_length=300)
    line = IntegerField()

    class Meta:
        database = db.database
        table_name = "erp_import_seen"
        primary_key = CompositeKey("kind", "value")


def _scoped(kind: Kind, query, cooperative: Cooperative):
    """The rows of ``kind`` that belong to the cooperative (directly or through their parent)."""
    model = kind.model
    if kind.has_cooperative:
        return query.where(model.cooperative == cooperative)
    if model in (BankAccount, ContractParty):
        return query.join(Contract).where(Contract.cooperative == cooperative)
    if model is SavingsTransaction:
        return query.join(SavingsAccount).join(Person).where(Person.cooperative == cooperative)
    return query.join(Person).where(Person.cooperative == cooperative)


class Run:
    def __init__(self, cooperative: Cooperative, report: Report, today: date,
                 progress: Callable[[int], None] | None, full: bool = False):
        self.cooperative = cooperative
        self.report = report
        self.today = today
        self.progress = progress or (lambda done: None)
        self.full = full
        self.bytes_done = 0
        self.writers = {}  # kinds without a Schlüssel (verbrauch.csv) write through their own Writer
        self.kept_choices = 0  # contracts whose house's manual Ansprechpartner was kept over the file's

    # --- one file ----------------------------------------------------------------------------------------------

    def file(self, kind: Kind, path: Path, info: FileInfo) -> None:
        file_report = self.report.file(kind.file)
        try:
            rows = reading.Rows(path, info.encoding)
        except FileProblem as problem:
            self.report.error(kind.file, problem.line, "", problem.message)
            return
        try:
            columns = self._columns(kind, rows.header)
            if columns is None:
                return
            batch = []
            for line, cells, problem in rows:
                file_report.rows += 1
                if problem:
                    self.report.error(kind.file, line, "", problem)
                    continue
                batch.append((line, cells))
                if len(batch) >= BATCH:
                    self._batch(kind, columns, batch)
                    batch = []
                    self.progress(self.bytes_done + rows.position)
            self._batch(kind, columns, batch)
            if kind.file in self.writers:
                self.writers[kind.file].close()
            if kind.model is Contract and self.kept_choices:
                file_report.notes.append(
                    f"{counted(self.kept_choices, 'Vertrag behält', 'Verträge behalten')} den von Hand gewählten "
                    "Ansprechpartner ihres Hauses statt des Ansprechpartners der Datei (ein vollständiger Abgleich "
                    "übernimmt die Angaben der Datei).")
        except FileProblem as problem:
            self.report.error(kind.file, problem.line, "", problem.message)
        except UnicodeDecodeError:
            self.report.error(kind.file, None, "", "Die Datei enthält Zeichen, die nicht zu ihrer Kodierung passen.")
        finally:
            rows.close()
        self.bytes_done += info.size
        self.progress(self.bytes_done)

    def _columns(self, kind: Kind, header: list[str]):
        """The kind's columns the file has, each with its header as written; None (and errors) if one is missing."""
        by_name = {name.casefold(): name for name in header}
        missing = [name for name in kind.required_columns if name.casefold() not in by_name]
        if missing:
            self.report.error(kind.file, 1, ", ".join(missing),
                              f"Es fehlen Pflichtspalten: {', '.join(missing)}.")
            return None
        known = {column.name.casefold() for column in kind.columns}
        unknown = [name for name in header if name and name.casefold() not in known]
        if unknown:
            self.report.file(kind.file).notes.append(f"Nicht übernommene Spalten: {', '.join(unknown)}.")
        return [(column, by_name[column.name.casefold()]) for column in kind.columns
                if column.name.casefold() in by_name]

    def _parse(self, kind: Kind, columns, line: int, cells: dict) -> dict | None:
        values, ok = {}, True
        for column, header in columns:
            raw = cells[header].strip()
            if not raw:
                if column.required:
                    self.report.error(kind.file, line, column.name, "Pflichtfeld ist leer.")
                    ok = False
                values[column.attr] = column.empty
                continue
            try:
                values[column.attr] = column.parse(raw)
            except BadValue as bad:
                self.report.error(kind.file, line, column.name, str(bad))
                ok = False
        if not ok:
            return None
        try:
            return kind.finish(values, self.today)
        except RowProblem as problem:
            self.report.error(kind.file, line, problem.column, problem.message)
            return None

    # --- one batch ---------------------------------------------------------------------------------------------

    def _batch(self, kind: Kind, columns, batch: list[tuple[int, dict]]) -> None:
        if not batch:
            return
        parsed = [(line, cells, self._parse(kind, columns, line, cells)) for line, cells in batch]
        rows = [(line, values) for line, _, values in parsed if values is not None]
        if not kind.keyed:
            if kind.file not in self.writers:
                self.writers[kind.file] = Writer(self, kind)
            self.writers[kind.file].batch(self._resolve(kind, rows))
            return
        self._remember_failed(kind, columns, [cells for _, cells, values in parsed if values is None])
        rows = self._first_of_each(kind, "key", KEY, rows)
        for attr in kind.unique:
            rows = self._first_of_each(kind, attr, _column_name(kind, attr), rows)
        rows = self._resolve(kind, rows)
        if kind.model is ContractParty:
            rows = self._first_pair(kind, rows)
        existing = {obj.erp_key: obj for obj in _scoped(
            kind, kind.model.select(kind.model), self.cooperative
        ).where(kind.model.erp_key.in_([values["key"] for _, values in rows]))}
        rows = self._unique_in_database(kind, rows)
        if kind.model is Contract and not self.full:
            self._keep_manual_choices(rows)
        self._write(kind, rows, existing)

    def _keep_manual_choices(self, rows) -> None:
        """A house's Ansprechpartner chosen by hand (services.staff.house_contacts) stays on its contracts."""
        chosen = house_contacts.manual_choices(self.cooperative.id, {row["unit"] for _, row in rows if row.get("unit")})
        for _, row in rows:
            manual = chosen.get(row.get("unit"))
            if manual is not None and row.get("contact_person") != manual:
                row["contact_person"] = manual
                self.kept_choices += 1

    def _remember_failed(self, kind: Kind, columns, failed: list[dict]) -> None:
        """The keys of rows with errors: a reference to one of them is no second error (it is not missing)."""
        column, header = next((column, header) for column, header in columns if column.name == KEY)
        keys = set()
        for cells in failed:
            try:
                keys.add(column.parse(cells[header]))
            except BadValue:
                continue  # a key that is no key cannot be referenced either
        keys.discard("")
        if keys:
            _Seen.insert_many([{"kind": f"{kind.file}#failed", "value": key, "line": 0} for key in keys]
                              ).on_conflict_ignore().execute()

    def _first_of_each(self, kind: Kind, attr: str, column: str, rows):
        """Rows whose ``attr`` was not read before in this file (the others are errors)."""
        what = "Schlüssel" if attr == "key" else column

        def repeated(line, earlier, row):
            self.report.error(kind.file, line, column, f"{what} „{row[attr]}“ steht schon in Zeile {earlier}.")

        return self.once(f"{kind.file}#{attr}", rows, lambda row: str(row[attr]), repeated)

    def once(self, label: str, rows, value_of: Callable[[dict], str], repeated: Callable[[int, int, dict], None]):
        """Rows whose ``value_of(row)`` was not read before in this run under ``label``; for each other row
        ``repeated(line, earlier line, row)`` tells the error."""
        values = [value_of(row) for _, row in rows]
        earlier = {seen.value: seen.line for seen in _Seen.select().where(
            (_Seen.kind == label) & (_Seen.value.in_(values)))}
        kept, fresh = [], []
        for (line, row), value in zip(rows, values):
            if value in earlier:
                repeated(line, earlier[value], row)
                continue
            earlier[value] = line
            fresh.append({"kind": label, "value": value, "line": line})
            kept.append((line, row))
        _insert(_Seen, fresh)
        return kept

    def _resolve(self, kind: Kind, rows):
        """References (ERP keys of other files) → ids of this cooperative; a missing one is an error."""
        for attr, target_file in kind.references.items():
            target = BY_FILE[target_file]
            keys = {row[attr] for _, row in rows if row.get(attr)}
            ids = dict(_scoped(target, target.model.select(target.model.erp_key, target.model.id),
                               self.cooperative).where(target.model.erp_key.in_(list(keys))).tuples()) if keys else {}
            failed = {seen.value for seen in _Seen.select(_Seen.value).where(
                (_Seen.kind == f"{target.file}#failed") & _Seen.value.in_(list(keys - set(ids))))}
            kept = []
            for line, row in rows:
                key = row.get(attr)
                if key is None:
                    kept.append((line, row))
                elif key in ids:
                    row[attr] = ids[key]
                    kept.append((line, row))
                elif key in failed:
                    continue  # its own row has an error already; the run will not be written anyway
                else:
                    self.report.error(kind.file, line, _column_name(kind, attr),
                                      f"{target.label} „{key}“ gibt es weder in {target.file} noch aus einem "
                                      "früheren Import.")
            rows = kept
        return rows

    def _first_pair(self, kind: Kind, rows):
        """A person is a party of a contract once: in the file and beside parties already in the portal."""
        label = f"{kind.file}#pair"
        pairs = {f"{row['contract']}-{row['person']}": (line, row) for line, row in rows}
        earlier = {seen.value: seen.line for seen in _Seen.select().where(
            (_Seen.kind == label) & (_Seen.value.in_(list(pairs))))}
        model = kind.model
        others = {f"{party.contract_id}-{party.person_id}": party.erp_key for party in model.select().where(
            model.contract.in_([row["contract"] for _, row in rows]))}
        kept, fresh = [], []
        for line, row in rows:
            pair = f"{row['contract']}-{row['person']}"
            if pair in earlier:
                self.report.error(kind.file, line, "Person",
                                  f"Die Person ist schon in Zeile {earlier[pair]} Partner dieses Vertrags.")
                continue
            if pair in others and others[pair] != row["key"]:
                self.report.error(kind.file, line, "Person", "Die Person ist schon Partner dieses Vertrags "
                                  "(unter einem anderen Schlüssel).")
                continue
            earlier[pair] = line
            fresh.append({"kind": label, "value": pair, "line": line})
            kept.append((line, row))
        _insert(_Seen, fresh)
        return kept

    def _unique_in_database(self, kind: Kind, rows):
        """A number another row of the portal has (under another key) would break the unique index."""
        model = kind.model
        for attr in kind.unique:
            field = getattr(model, attr)
            wanted = [row[attr] for _, row in rows]
            query = model.select(field, model.erp_key).where(field.in_(wanted))
            if kind.has_cooperative:
                query = query.where(model.cooperative == self.cooperative)
            holders = {}
            for value, erp_key in query.tuples():
                holders[value] = erp_key
            if model is SavingsAccount:  # unique in the whole portal: another cooperative's is taken too
                ours = set(_scoped(kind, model.select(model.number), self.cooperative)
                           .where(field.in_(wanted)).tuples())
                holders = {value: key if (value,) in ours else None for value, key in holders.items()}
            kept = []
            for line, row in rows:
                value = row[attr]
                if value in holders and holders[value] != row["key"]:
                    self.report.error(kind.file, line, _column_name(kind, attr),
                                      f"Die {_column_name(kind, attr)} „{value}“ hat im Portal schon "
                                      f"ein anderer Datensatz ({kind.label}).")
                    continue
                kept.append((line, row))
            rows = kept
        return rows

    def _write(self, kind: Kind, rows, existing: dict) -> None:
        file_report = self.report.file(kind.file)
        model = kind.model
        new = []
        for _, row in rows:
            key = row.pop("key")
            obj = existing.get(key)
            if obj is None:
                fields = {**row, "erp_key": key}
                if kind.has_cooperative:
                    fields["cooperative"] = self.cooperative.id
                new.append(fields)
                continue
            changed = {name: value for name, value in row.items() if obj.__data__.get(name) != value}
            if changed:
                model.update(**changed).where(model.id == obj.id).execute()
                file_report.changed += 1
            else:
                file_report.unchanged += 1
        if model in _ADOPTED:
            new = self._adopt(kind, new)
        _insert(model, new)
        file_report.created += len(new)
        if model is BankAccount:
            self._settle_portal_changes(kind, rows)

    def _adopt(self, kind: Kind, new: list[dict]) -> list[dict]:
        """The ERP sends back what it took over from the portal (docs/export.md, round trip): a new key whose row is
        a bank account staff confirmed (same contract and IBAN) or a Freistellungsauftrag the saver placed (same
        person, kind, amount, start and Steuer-IDs) becomes that portal row's key, with the ERP's values, instead
        of a second row beside it. So the portal keeps showing it (with its consent, its history and whether it
        was replaced or revoked), nothing flips back, and no change is recorded: the import records none.

        Returns the rows that are new after all (one query per batch)."""
        model = kind.model
        match = _ADOPTED[model]
        owner = model.contract if model is BankAccount else model.person
        query = model.select().where(model.erp_key.is_null() & owner.in_(list({row[owner.name] for row in new})))
        if model is BankAccount:
            query = query.where(model.status == bank_accounts.ACTIVE)
        candidates: dict[tuple, list] = {}
        for obj in query.order_by(model.id.desc()):
            candidates.setdefault(match(obj.__data__), []).append(obj)
        file_report = self.report.file(kind.file)
        left = []
        for fields in new:
            found = candidates.get(match(fields))
            if not found:
                left.append(fields)
                continue
            obj = found.pop(0)
            changed = {name: value for name, value in fields.items() if obj.__data__.get(name) != value}
            model.update(**changed).where(model.id == obj.id).execute()
            if set(changed) == {"erp_key"}:
                file_report.unchanged += 1
            else:
                file_report.changed += 1
        return left

    def _settle_portal_changes(self, kind: Kind, rows) -> None:
        """An account from the ERP with the IBAN of a change filed in the portal settles that change."""
        settled = 0
        for _, row in rows:
            if row["status"] != bank_accounts.ACTIVE:
                continue
            settled += BankAccount.update(
                status=bank_accounts.REPLACED, decided_at=clock.now(), decision_note=SETTLED_NOTE,
            ).where((BankAccount.contract == row["contract"]) & (BankAccount.iban == row["iban"])
                    & BankAccount.erp_key.is_null()
                    & BankAccount.status.in_([bank_accounts.PENDING, bank_accounts.ACTIVE])).execute()
        if settled:
            self.report.file(kind.file).ended += settled

    # --- full import -------------------------------------------------------------------------------------------

    def end_missing(self, files: set[str]) -> None:
        """Contracts and savings accounts from the ERP that its files no longer list are ended, never deleted."""
        if "vertraege.csv" in files:
            listed = _Seen.select(_Seen.value).where(_Seen.kind == "vertraege.csv#key")
            ended = Contract.update(end_date=self.today).where(
                (Contract.cooperative == self.cooperative) & Contract.erp_key.is_null(False)
                & Contract.erp_key.not_in(listed)
                & (Contract.end_date.is_null() | (Contract.end_date > self.today))
            ).execute()
            self.report.file("vertraege.csv").ended += ended
        if "sparkonten.csv" in files:
            listed = _Seen.select(_Seen.value).where(_Seen.kind == "sparkonten.csv#key")
            persons = Person.select(Person.id).where(Person.cooperative == self.cooperative)
            closed = SavingsAccount.update(closed_on=self.today).where(
                SavingsAccount.person.in_(persons) & SavingsAccount.erp_key.is_null(False)
                & SavingsAccount.erp_key.not_in(listed) & SavingsAccount.closed_on.is_null()
            ).execute()
            self.report.file("sparkonten.csv").ended += closed

    def forget_manual_choices(self, files: set[str]) -> None:
        """A full import of vertraege.csv delivered every contract's Ansprechpartner: the houses' manual choices end."""
        if "vertraege.csv" not in files:
            return
        forgotten = house_contacts.forget_manual_choices(self.cooperative.id)
        if forgotten:
            replaced = counted(forgotten, "von Hand gewählter Ansprechpartner eines Hauses ist",
                               "von Hand gewählte Ansprechpartner von Häusern sind")
            self.report.file("vertraege.csv").notes.append(
                f"{replaced} durch die Angaben der Datei ersetzt (vollständiger Abgleich).")


def _same_bank_account(values: dict) -> tuple:
    return values["contract"], values["iban"]


def _same_exemption_order(values: dict) -> tuple:
    return (values["person"], bool(values["joint"]), values["amount"], values["valid_from"], values["tax_id"],
            values.get("partner_tax_id") or "")


# what the ERP may send back of the portal's own rows, and what makes a row of its file the same as one of them
_ADOPTED = {BankAccount: _same_bank_account, ExemptionOrder: _same_exemption_order}


def _insert(model, rows: list[dict]) -> None:
    """Insert the rows (all with the same fields: a file has the same columns in every row) with one statement
    run for all of them: peewee builds the SQL once, not once per value (5 times faster for 100,000 Umsätze)."""
    if not rows:
        return
    given = [model._meta.fields[name] for name in rows[0]]
    # what peewee would fill in itself: the defaults of the fields the rows leave out
    defaults = {field: default() if callable(default) else default
                for field, default in model._meta.defaults.items() if field.name not in rows[0]}
    fields = given + list(defaults)
    sql, _ = model.insert_many([tuple(None for _ in fields)], fields=fields).returning().sql()
    db.database.cursor().executemany(sql, [
        tuple(field.db_value(row[field.name]) for field in given) + tuple(field.db_value(value)
                                                                          for field, value in defaults.items())
        for row in rows])


def _column_name(kind: Kind, attr: str) -> str:
    return next((column.name for column in kind.columns if column.attr == attr), attr)


def run(paths: list[Path], cooperative: Cooperative, *, dry_run: bool, full: bool, user: User | None = None,
        progress: Callable[[int], None] | None = None) -> tuple[Report, list[FileInfo]]:
    """Import the files at ``paths`` (named as in docs/import.md) for the cooperative.

    Returns the report and the files' size, SHA-256 and encoding. Nothing stays written for a dry run or when
    the report has any error. ``progress`` is called with the bytes read so far.
    """
    report = Report(dry_run=dry_run, full=full)
    infos, files = [], {}
    for path in paths:
        name = path.name.lower()
        kind = BY_FILE.get(name)
        if kind is None:
            report.error(path.name, None, "", f"Unbekannte Datei. Erwartet werden: {', '.join(BY_FILE)}.")
            continue
        if name in files:
            report.error(path.name, None, "", "Die Datei ist doppelt angegeben.")
            continue
        try:
            info = reading.inspect(path)
        except FileProblem as problem:
            report.error(name, None, "", problem.message)
            continue
        infos.append(info)
        files[name] = (path, info)
    if not paths:
        report.error("", None, "", "Es wurden keine Dateien angegeben.")
    today = clock.today()
    with db.write_transaction() as transaction:
        _Seen.create_table(safe=True, temporary=True)
        _Seen.delete().execute()
        importer = Run(cooperative, report, today, progress, full)
        for kind in KINDS:
            if kind.file in files:
                importer.file(kind, *files[kind.file])
        if full and report.ok:
            importer.end_missing(set(files))
            importer.forget_manual_choices(set(files))
        _Seen.drop_table(safe=True)
        if report.ok and not dry_run:
            totals = report.totals()
            audit.record(user, "erp_import.done", None,
                         f"{counted(len(files), 'Datei', 'Dateien')}, {totals['created']} neu, "
                         f"{totals['changed']} geändert, "
                         f"{totals['ended']} beendet{', vollständiger Abgleich' if full else ''}", cooperative)
        else:
            transaction.rollback()
    return report, infos
