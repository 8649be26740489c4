"""Command line: flask --app wir init-db | seed-demo | create-admin … | staff reset-2fa … | mail … | ticket … | bank …
| backup … | restore … | import … | export …"""

import json
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from wir import audit, backup, clock, db, formatting, mail, storage, tasks
from wir.models import Cooperative, Ticket, TicketStatus, User
from wir.services import erp_import
from wir.services.erp_export import kinds as export_kinds
from wir.services.erp_export import runs as export_runs
from wir.services.account import (
    accounts,
    email_addresses,
    password_rules,
    passwords,
    second_factor,
)
from wir.services.consumption import notices
from wir.services.contracts import bank_accounts
from wir.services.rejections import Rejected
from wir.services.tickets import tickets


@click.command("init-db")
def init_db_command():
    """Apply pending schema migrations (safe to run again)."""
    applied = db.migrate()
    click.echo(f"Migrationen angewendet: {', '.join(applied)}" if applied else "Datenbank ist aktuell.", err=True)


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Delete all data first.")
@click.option("--size", type=click.Choice(["demo", "large"]), default="demo", show_default=True,
              help="large: the demo plus data at the scale of a real cooperative (wir/demo/generator.py).")
@click.option("--scale", type=click.FloatRange(0.001, 1.0), default=1.0, show_default=True,
              help="With --size large: this fraction of it (tests and quick trials).")
def seed_demo_command(reset, size, scale):
    """Fill the demo data of both cooperatives (unless it is there already); prints the logins as JSON."""
    # the demo (~4 MB) and the fpdf it prints with (~22 MB): loaded when needed
    from wir import demo
    from wir.demo import generator

    db.migrate()
    with db.database.connection_context():
        try:
            logins = demo.ensure_demo_data(reset=reset)
        except demo.OtherData:
            raise click.ClickException(
                "Die Datenbank enthält bereits andere Daten als die Demo. "
                "Mit --reset werden sie gelöscht und die Demo neu angelegt."
            ) from None
        if size == "large" and not generator.is_loaded():
            started = time.monotonic()
            written = generator.generate(clock.now(), clock.today(), scale)
            rows = ", ".join(f"{name} {count:,}".replace(",", ".") for name, count in written.items())
            click.echo(f"Große Datenmenge angelegt in {time.monotonic() - started:.0f} s: {rows}", err=True)
    click.echo(json.dumps(logins, ensure_ascii=False, indent=2))


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Portal-Administration", show_default=True, help="Name shown in the portal.")
@click.password_option("--password", prompt="Passwort", confirmation_prompt="Passwort wiederholen",
                       help="Asked for when not given; never a default.")
def create_admin_command(email, name, password):
    """Create an admin for both cooperatives; the second factor is set up at the first sign-in."""
    try:
        email = email_addresses.normalize(email)
        password_rules.check(password, password_rules.context_words(name, email))
    except Rejected as rejected:
        raise click.ClickException(rejected.message) from None
    with db.write_transaction():
        if User.select().where(User.email == email).exists():
            raise click.ClickException(f"Es gibt schon einen Zugang mit {email}.")
        admin = User.create(email=email, password_hash=passwords.hash_password(password), role=User.ROLE_ADMIN,
                            staff_name=name, confirmed_at=clock.now())
        audit.record(None, "admin.created", obj=admin, detail="über die Kommandozeile")
    click.echo(f"Admin {email} angelegt. Bei der ersten Anmeldung wird die Zwei-Faktor-Anmeldung eingerichtet.")


staff_cli = AppGroup("staff", help="Zugänge der Mitarbeiterinnen und Mitarbeiter.")


@staff_cli.command("reset-2fa")
@click.argument("email")
def reset_second_factor_command(email):
    """Remove the second factor of staff member EMAIL (lost phone): the next sign-in sets it up anew."""
    user = User.get_or_none((User.email == accounts.normalize_email(email)) & User.role.in_(
        [User.ROLE_STAFF, User.ROLE_ADMIN]))
    if user is None:
        raise click.ClickException(f"Keine Mitarbeiterin, kein Mitarbeiter und kein Admin mit {email}.")
    second_factor.reset(user, by=None)
    click.echo(f"Zweiter Faktor von {user.email} zurückgesetzt; alle Sitzungen sind beendet.")


ticket_cli = AppGroup("ticket", help="Meldungen bearbeiten (für Vorführung und Tests).")


@ticket_cli.command("set-status")
@click.argument("number")
@click.argument("status", type=click.Choice([status.value for status in TicketStatus]))
@click.option("--reason", default="", help="Begründung (nötig für rejected).")
@click.option("--message", default="", help="Nachricht der Genossenschaft, bei query die Rückfrage.")
def set_ticket_status(number, status, reason, message):
    """Set the status of ticket NUMBER; the tenant gets a mail."""
    ticket = Ticket.get_or_none(Ticket.number == number)
    if ticket is None:
        raise click.ClickException(f"Meldung {number} gibt es nicht.")
    try:
        ticket = tickets.set_status(ticket, TicketStatus(status), reason=reason, message=message)
    except Rejected as rejected:
        raise click.ClickException(rejected.message) from None
    mail.deliver_pending()
    click.echo(f"{number}: {Ticket.STATUSES[ticket.status]}")


bank_cli = AppGroup("bank", help="Geänderte Bankverbindungen bestätigen oder ablehnen.")


@bank_cli.command("pending")
def list_pending_bank_accounts():
    """List the bank account changes waiting for a decision: ID, contract, IBAN (masked), filed at."""
    for account in bank_accounts.pending_accounts():
        masked = formatting.masked_iban(account.iban)
        click.echo(f"{account.id}\t{account.contract.number}\t{masked}\t{account.created_at:%Y-%m-%d %H:%M}")


@bank_cli.command("confirm")
@click.argument("account_id", type=int)
def confirm_bank_account(account_id):
    """Confirm the pending bank account ACCOUNT_ID: it replaces the old one; the tenant gets a mail."""
    try:
        account = bank_accounts.confirm(account_id)
    except bank_accounts.NotPending:
        raise click.ClickException(f"Bankverbindung {account_id} ist nicht in Prüfung.") from None
    mail.deliver_pending()
    click.echo(f"Bankverbindung {account_id} für {account.contract.number} gilt ab {account.valid_from:%d.%m.%Y}.")


@bank_cli.command("reject")
@click.argument("account_id", type=int)
@click.option("--reason", required=True, help="Begründung; sie steht in der Mail an die Mieterin oder den Mieter.")
def reject_bank_account(account_id, reason):
    """Reject the pending bank account ACCOUNT_ID; the old one stays; the tenant gets a mail."""
    try:
        account = bank_accounts.reject(account_id, reason)
    except bank_accounts.NotPending:
        raise click.ClickException(f"Bankverbindung {account_id} ist nicht in Prüfung.") from None
    except Rejected as rejected:
        raise click.ClickException(rejected.message) from None
    mail.deliver_pending()
    click.echo(f"Bankverbindung {account_id} für {account.contract.number} abgelehnt.")


POSTGRES_BACKUP = (
    "Die Datenbank ist PostgreSQL: sichern mit pg_dump --format=custom --file=wir.dump DATENBANK, "
    "zurückspielen mit pg_restore --clean --if-exists --dbname=DATENBANK wir.dump (README, Abschnitt Betrieb)."
)


def _sqlite_file() -> Path:
    if not db.is_sqlite():
        raise click.ClickException(POSTGRES_BACKUP)
    return Path(db.database.obj.database)


@click.command("backup")
@click.argument("destination", type=click.Path(path_type=Path))
def backup_command(destination):
    """Copy the SQLite database and the stored files into the new folder DESTINATION while the portal runs;
    the copy is checked (integrity_check, every file it names present)."""
    try:
        summary = backup.backup(_sqlite_file(), storage.folder(), destination)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Sicherung vom {summary.created_at} in {summary.folder}: Datenbank geprüft "
               f"({summary.database_bytes} Bytes, {summary.tickets} Meldungen), {summary.files} Dateien.")


@click.command("restore")
@click.argument("source", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that holds data (everything since the backup is lost).")
def restore_command(source, force):
    """Bring the backup folder SOURCE back: the files, then the database in one transaction; then migrate."""
    try:
        summary = backup.restore(source, _sqlite_file(), storage.folder(), force=force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    applied = db.migrate()
    click.echo(f"Sicherung vom {summary.created_at} zurückgespielt: {summary.tickets} Meldungen, "
               f"{summary.files} Dateien." + (f" Migrationen angewendet: {', '.join(applied)}" if applied else ""))


@click.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--cooperative", "slug", required=True, help="Kurzname der Genossenschaft, z. B. lipsia.")
@click.option("--dry-run", is_flag=True, help="Nur prüfen und berichten; nichts speichern.")
@click.option("--full", is_flag=True, help="Vollständiger Abgleich: nicht mehr gelieferte Verträge und Sparkonten "
                                          "beenden (nie löschen).")
def import_command(directory, slug, dry_run, full):
    """Import the ERP export in DIRECTORY (the CSV files of docs/import.md); all or nothing."""
    cooperative = Cooperative.get_or_none(Cooperative.slug == slug)
    if cooperative is None:
        raise click.ClickException(f"Eine Genossenschaft „{slug}“ gibt es nicht.")
    paths = sorted(path for path in directory.iterdir() if path.is_file() and path.suffix.lower() == ".csv")
    _, report = erp_import.import_files(paths, cooperative, dry_run=dry_run, full=full)
    for line in report.lines():
        click.echo(line)
    if notices.worth_announcing(report):
        _announce_consumption()
    if not report.ok:
        raise SystemExit(1)


def _announce_consumption() -> None:
    """New Verbrauch values: their tenants are mailed by the worker, in batches, as after an upload. A queue out of
    reach delays them only: the worker's hourly sweep announces what is due."""
    try:
        tasks.announce_consumption()
    except Exception as error:  # noqa: BLE001 - the import is saved; the mails only wait
        click.echo(f"Verbrauchsinformation: Die Hintergrundverarbeitung ist nicht erreichbar ({error}); die "
                   "Mieterinnen und Mieter werden benachrichtigt, sobald sie wieder läuft.")
        return
    click.echo("Verbrauchsinformation: Die Benachrichtigung per E-Mail ist eingeplant.")


@click.command("export")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--cooperative", "slug", required=True, help="Kurzname der Genossenschaft, z. B. lipsia.")
@click.option("--ack", "acknowledge", type=click.IntRange(min=1), metavar="N",
              help="Exportlauf N als vom ERP übernommen markieren (dann ohne DIRECTORY).")
def export_command(directory, slug, acknowledge):
    """Write every change not yet taken over by the ERP as a new Exportlauf into DIRECTORY (docs/export.md);
    --ack N marks run N as taken over."""
    cooperative = Cooperative.get_or_none(Cooperative.slug == slug)
    if cooperative is None:
        raise click.ClickException(f"Eine Genossenschaft „{slug}“ gibt es nicht.")
    if acknowledge is not None:
        if directory is not None:
            raise click.UsageError("Mit --ack kein Verzeichnis angeben.")
        try:
            run = export_runs.acknowledge(cooperative, acknowledge, by=None, via="cli")
        except export_runs.UnknownRun:
            raise click.ClickException(
                f"Einen fertigen Exportlauf {acknowledge} gibt es bei {cooperative.name} nicht.") from None
        except export_runs.ExportBusy:
            raise click.ClickException("Ein anderer Export läuft gerade; Exportlauf "
                                       f"{acknowledge} lässt sich danach als übernommen markieren. "
                                       "Bitte in einer Minute erneut.") from None
        click.echo(f"Exportlauf {run.number} ist als vom ERP übernommen markiert; "
                   "seine Änderungen kommen in keinem Exportlauf mehr vor.")
        return
    if directory is None:
        raise click.UsageError("Verzeichnis für den Export fehlt (oder --ack N).")
    try:
        run = export_runs.export(cooperative, by=None, via="cli")
    except export_runs.ExportBusy:
        raise click.ClickException("Ein anderer Export läuft gerade; bitte später erneut.") from None
    if run is None:
        click.echo("Nichts zu exportieren.")
        return
    folder = export_runs.write_to(run, directory)
    counts = export_runs.counts_of(run)
    click.echo(f"Exportlauf {run.number} geschrieben nach {folder}:")
    for key, spec in export_kinds.KINDS.items():
        click.echo(f"  {spec.file}: {counts[key]} {'Änderung' if counts[key] == 1 else 'Änderungen'}")
    click.echo(f"  {export_kinds.REPORT_FILE}: {counts[export_kinds.WITHOUT_KEY]} ohne ERP-Schlüssel")
    click.echo(f"Nach der Übernahme ins ERP bestätigen: flask --app wir export --ack {run.number} "
               f"--cooperative {slug}")


def init_app(app):
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(staff_cli)
    app.cli.add_command(mail.mail_cli)
    app.cli.add_command(ticket_cli)
    app.cli.add_command(bank_cli)
    app.cli.add_command(import_command)
    app.cli.add_command(export_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
