"""What the export holds: one CSV file per kind, the same first columns in each (docs/export.md)."""

from dataclasses import dataclass

# stored in ErpChange.action / .actor; the export writes the German words
ACTIONS = {"new": "neu", "changed": "geändert", "ended": "beendet", "revoked": "widerrufen"}
ACTORS = {"tenant": "Mieter", "representative": "Vertretung", "cooperative": "Genossenschaft"}

# every file starts with these; the key column (third) names the object the change belongs to
COMMON = ("Änderung", "Zeitpunkt", "Art", "Von")


@dataclass(frozen=True)
class ExportKind:
    file: str
    title: str  # as the admin page and the report name it
    key_column: str  # Person, Vertrag or Sparkonto: the ERP's Schlüssel of the object
    columns: tuple[str, ...]  # after COMMON and the key column, as ErpChange.data holds them

    @property
    def header(self) -> tuple[str, ...]:
        return (*COMMON, self.key_column, *self.columns)


PHONE_COLUMNS = tuple(f"Telefon {n}{part}" for n in (1, 2, 3) for part in (" Typ", ""))

KINDS = {
    "contact_data": ExportKind(
        "kontaktdaten.csv", "Kontaktdaten", "Person",
        (*PHONE_COLUMNS, "E-Mail", "E-Mail ist Portal-Anmeldung"),
    ),
    "bank_account": ExportKind(
        "bankverbindungen.csv", "Bankverbindungen", "Vertrag",
        ("Vertragsnummer", "Kontoinhaber", "IBAN", "BIC", "Bank", "Gültig ab", "Mandatsreferenz",
         "Einwilligung am", "Einwilligungstext"),
    ),
    "exemption_order": ExportKind(
        "freistellungsauftraege.csv", "Freistellungsaufträge", "Person",
        ("Gemeinsam", "Betrag", "Gültig ab", "Gültig bis", "Steuer-ID", "Partner", "Steuer-ID Partner"),
    ),
    "savings_notice": ExportKind(
        "sparkuendigungen.csv", "Kündigungen von Spareinlagen", "Sparkonto",
        ("Sparkontonummer", "Gesamtes Guthaben", "Betrag", "Gekündigt am", "Wirksam zum", "Meldung"),
    ),
    "address_change": ExportKind(
        "anschriften.csv", "Anschrift-Änderungen (mitgeteilt)", "Person",
        ("Personennummer", "Mitteilung", "Meldung"),
    ),
    "portal_access": ExportKind(
        "portalzugang.csv", "Portalzugang", "Person",
        ("Personennummer", "Zugang", "E-Mail"),
    ),
    # "Zählerart": the common columns have an "Art" already (neu, geändert, …)
    "meter_reading": ExportKind(
        "zaehlerstaende.csv", "Zählerstände (gemeldet)", "Einheit",
        ("Einheitennummer", "Vertragsnummer", "Zählernummer", "Zählerart", "Zählerstand", "Maßeinheit",
         "Ablesedatum", "Wert bestätigt", "Meldung"),
    ),
}

# ErpExportRun.counts: the changes without an ERP key, listed in the report instead of a file
WITHOUT_KEY = "without_key"
REPORT_FILE = "bericht.csv"
