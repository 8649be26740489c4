"""Keys for the two savings categories the portal files into itself (Steuerbescheinigung, Kündigung einer
Spareinlage); databases seeded before knew them by name only."""

KEYS = {
    "Antrag auf Zusendung der Steuerbescheinigung": "tax_certificate",
    "Kündigung einer Spareinlage": "savings_notice",
}


def up(migrator, db):
    p = db.param  # ? for SQLite, %s for PostgreSQL
    for name, key in KEYS.items():
        db.execute_sql(f"""UPDATE ticket_category SET "key" = {p} WHERE name = {p} AND "key" = ''""", (key, name))


def down(migrator, db):
    p = db.param
    for key in KEYS.values():
        db.execute_sql(f"""UPDATE ticket_category SET "key" = '' WHERE "key" = {p}""", (key,))
