"""What an import found or did: per file the rows created, changed, unchanged and ended, and every error with
file, line, column and a German message. Stored as JSON with the run (ErpImport.report)."""

from dataclasses import asdict, dataclass, field

from wir.formatting import counted

MAX_ERRORS = 1000  # kept in full; beyond that only counted, so a broken file cannot fill the memory


@dataclass
class Error:
    file: str
    line: int | None
    column: str
    message: str


@dataclass
class FileReport:
    name: str
    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    ended: int = 0  # contracts ended, savings accounts closed (--full), portal changes the ERP settled
    errors: int = 0
    notes: list[str] = field(default_factory=list)
    # verbrauch.csv: the months ("2026-11-01") with values created or corrected, oldest first
    months: list[str] = field(default_factory=list)


@dataclass
class Report:
    dry_run: bool
    full: bool
    files: list[FileReport] = field(default_factory=list)
    errors: list[Error] = field(default_factory=list)
    errors_left_out: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.errors_left_out

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.errors_left_out

    def file(self, name: str) -> FileReport:
        for report in self.files:
            if report.name == name:
                return report
        report = FileReport(name)
        self.files.append(report)
        return report

    def error(self, file: str, line: int | None, column: str, message: str) -> None:
        if file:
            self.file(file).errors += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(Error(file, line, column, message))
        else:
            self.errors_left_out += 1

    @property
    def unchanged(self) -> bool:
        """Nothing would change or changed: the same files again."""
        return self.ok and not any(f.created or f.changed or f.ended for f in self.files)

    def totals(self) -> dict[str, int]:
        return {name: sum(getattr(f, name) for f in self.files)
                for name in ("rows", "created", "changed", "unchanged", "ended")}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Report":
        return cls(dry_run=data["dry_run"], full=data["full"],
                   files=[FileReport(**f) for f in data["files"]],
                   errors=[Error(**e) for e in data["errors"]], errors_left_out=data.get("errors_left_out", 0))

    def lines(self) -> list[str]:
        """The report as German text lines (command line)."""
        heading = "Probelauf (nichts gespeichert)" if self.dry_run else "Import"
        out = [f"{heading}{' mit vollständigem Abgleich' if self.full else ''}:"]
        for f in self.files:
            parts = [counted(f.rows, "Zeile", "Zeilen"), f"{f.created} neu", f"{f.changed} geändert",
                     f"{f.unchanged} unverändert"]
            if f.ended:
                parts.append(f"{f.ended} beendet")
            if f.errors:
                parts.append(f"{f.errors} Fehler")
            out.append(f"  {f.name}: " + ", ".join(parts))
            out.extend(f"    Hinweis: {note}" for note in f.notes)
        for e in self.errors:
            where = ", ".join(part for part in (e.file, f"Zeile {e.line}" if e.line else "",
                                                 f"Spalte {e.column}" if e.column else "") if part)
            out.append(f"  Fehler ({where}): {e.message}")
        if self.errors_left_out:
            out.append(f"  … und {self.errors_left_out} weitere Fehler.")
        if not self.ok:
            out.append("Wegen der Fehler wurde nichts geändert.")
        elif self.unchanged:
            out.append("Alles unverändert.")
        return out
