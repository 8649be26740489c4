"""Command line: flask --app wir init-db | seed-demo | mail … | ticket set-status …"""

import json

import click
from flask.cli import AppGroup

from wir import db, mail
from wir.models import Ticket
from wir.services import demo, tickets


@click.command("init-db")
def init_db_command():
    """Apply pending schema migrations (safe to run again)."""
    applied = db.migrate()
    click.echo(f"Migrationen angewendet: {', '.join(applied)}" if applied else "Datenbank ist aktuell.", err=True)


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Delete all data first.")
def seed_demo_command(reset):
    """Fill the demo data of both cooperatives; prints the logins as JSON."""
    db.migrate()
    with db.database.connection_context():
        if not demo.database_is_empty():
            if not reset:
                raise click.ClickException(
                    "Die Datenbank enthält bereits Daten. Mit --reset werden sie gelöscht und neu angelegt."
                )
            demo.clear_all_data()
        logins = demo.load_demo_data()
    click.echo(json.dumps(logins, ensure_ascii=False, indent=2))


ticket_cli = AppGroup("ticket", help="Meldungen bearbeiten (für Vorführung und Tests).")


@ticket_cli.command("set-status")
@click.argument("number")
@click.argument("status", type=click.Choice(sorted(Ticket.STATUSES)))
@click.option("--reason", default="", help="Begründung (nötig für rejected).")
@click.option("--message", default="", help="Nachricht der Genossenschaft, bei query die Rückfrage.")
def set_ticket_status(number, status, reason, message):
    """Set the status of ticket NUMBER; the tenant gets a mail."""
    ticket = Ticket.get_or_none(Ticket.number == number)
    if ticket is None:
        raise click.ClickException(f"Meldung {number} gibt es nicht.")
    try:
        if message:
            tickets.add_staff_message(ticket, message, status=status)
        else:
            tickets.set_status(ticket, status, reason=reason)
    except tickets.TicketRejected as rejected:
        raise click.ClickException(rejected.message) from None
    mail.deliver_pending()
    click.echo(f"{number}: {Ticket.STATUSES[ticket.status]}")


def init_app(app):
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(mail.mail_cli)
    app.cli.add_command(ticket_cli)
