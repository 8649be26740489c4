"""Demo data of both cooperatives: `flask seed-demo` and `make run`.

Nothing here is random: every run creates the same people, logins and
registration codes. Only the dates move with today (tickets from last week,
interest credited on the last 31 December), so the portal always looks current.
"""

from peewee import sort_models

from wir import clock, db
from wir.demo.builder import Builder
from wir.demo.tables import ADMIN, COOPERATIVES, PERSONS, REGISTRATION_CODES, STAFF, TENANT_USERS
from wir.models import MODELS, Cooperative, Person, RegistrationCode, User


def database_is_empty() -> bool:
    return not (Cooperative.select().exists() or User.select().exists() or Person.select().exists())


def holds_demo_data() -> bool:
    """The demo is loaded: its admin and every demo tenant exist (tickets or letters added later don't matter)."""
    demo_emails = [ADMIN["email"]] + [email for _key, email, *_ in TENANT_USERS]
    return User.select().where(User.email.in_(demo_emails)).count() == len(demo_emails)


class OtherData(Exception):
    """The database holds data that is not the demo; loading the demo would mix or destroy it."""


def ensure_demo_data(reset: bool = False) -> dict:
    """Load the demo into an empty database (or after deleting everything with ``reset``); when the demo is
    already there, leave it. Returns the logins; raises OtherData for a database with other data."""
    if reset:
        clear_all_data()
    elif not database_is_empty():
        if not holds_demo_data():
            raise OtherData
        return demo_logins()
    return load_demo_data()


def clear_all_data() -> None:
    """Delete every row of every table, children before parents."""
    with db.write_transaction():
        for model in reversed(sort_models(MODELS)):
            model.delete().execute()


def load_demo_data() -> dict:
    """Create the demo data of both cooperatives in one transaction; returns the logins (see demo_logins)."""
    with db.write_transaction():
        Builder(clock.now(), clock.today()).build()
        return demo_logins()


def demo_logins() -> dict:
    """The demo logins and the registration codes that are still unused."""
    coop_names = {c["slug"]: c["name"] for c in COOPERATIVES}
    persons = {p.key: p for p in PERSONS}
    tenants = []
    for key, email, password, *_ in TENANT_USERS:
        own = [p for p in PERSONS if p.login == key]
        tenants.append({
            "email": email,
            "password": password,
            "name": f"{own[0].first_name} {own[0].last_name}",
            "cooperative": ", ".join(coop_names[p.cooperative] for p in own),
            "cooperatives": [p.cooperative for p in own],
        })
    staff = [
        {"email": email, "password": password, "name": name, "cooperative": coop_names[coop], "slug": coop,
         "totp_secret": totp_secret}
        for _key, coop, name, _phone, email, _hours, password, totp_secret in STAFF
    ]
    unused = {
        code.code
        for code in RegistrationCode.select().where(
            RegistrationCode.code.in_([code for _, code in REGISTRATION_CODES]) & RegistrationCode.used_at.is_null()
        )
    }
    codes = [
        {
            "code": code,
            "name": f"{persons[key].first_name} {persons[key].last_name}",
            "cooperative": coop_names[persons[key].cooperative],
        }
        for key, code in REGISTRATION_CODES
        if code in unused
    ]
    return {"tenants": tenants, "staff": staff, "admin": dict(ADMIN), "registration_codes": codes}
