"""Command line: flask --app wir init-db | seed-demo."""

import json

import click

from wir import db, mail
from wir.services import demo


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


def init_app(app):
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(mail.mail_cli)
