"""`make run`: migrate, load the demo data into an empty database, print the logins, serve with a task consumer."""

import os

from wir import create_app, db, demo, tasks


def print_logins(logins: dict) -> None:
    print("\nDemo-Zugänge (E-Mail / Passwort; Mitarbeiter und Admin: dazu Schlüssel für die Authenticator-App):")
    for tenant in logins["tenants"]:
        print(f"  Mieter     {tenant['email']:<40} {tenant['password']:<24} {tenant['name']} ({tenant['cooperative']})")
    for staff in logins["staff"]:
        print(f"  Mitarbeiter {staff['email']:<39} {staff['password']:<24} {staff['totp_secret']}  {staff['cooperative']}")
    if logins.get("admin"):
        admin = logins["admin"]
        print(f"  Admin      {admin['email']:<40} {admin['password']:<24} {admin['totp_secret']}")
    for code in logins["registration_codes"]:
        print(f"  Registrierungsnummer {code['code']:<20} für {code['name']} ({code['cooperative']})")
    print()


def main() -> None:
    host = os.environ.get("WIR_HOST", "127.0.0.1")
    port = int(os.environ.get("WIR_PORT", "5000"))
    # links in mails and the mail page lead to where this server listens, unless WIR_BASE_URL says otherwise
    os.environ.setdefault("WIR_BASE_URL", f"http://{host}:{port}")
    app = create_app()
    db.migrate()
    with db.database.connection_context():
        try:
            print_logins(demo.ensure_demo_data())
        except demo.OtherData:
            print("\nDie Datenbank enthält andere Daten als die Demo: keine Demo-Zugänge.\n")
    print(f"WIR-immerda läuft auf http://{host}:{port}/  (Beenden mit Strg+C)\n", flush=True)
    # background tasks (mail, letters) in this process: a new user needs no second command
    consumer = tasks.start_in_process()
    try:
        app.run(host=host, port=port, debug=False, use_reloader=False)
    finally:
        consumer.stop(graceful=True)


if __name__ == "__main__":
    main()
