"""The page walk: every GET page of the app's url_map, for the user who sees it, with demo objects for its URL
parameters — so a browser test can check each page of the portal and a new page cannot slip by.

Use in a browser test module (one walk per module and user; the walk itself fetches each page once):

    from tests.browser.page_walk import WHO, pages, visit, walk_user

    def test_something_on_every_page(new_page, users, demo_logins, live_server):
        for who in WHO:                                   # "anonymous", "tenant", "saver", "staff", "admin"
            page = new_page("phone", user=walk_user(who, users, demo_logins))
            for path in visit(page, [path for _, path in pages(page, who, live_server)]):
                ...

``pages(page, who, live_server) -> list[(who, path)]`` finds the pages by walking links, as a user would: it starts
with the parameterless GET pages of ``who`` and follows every link on them (through ``page.context.request``, with
the page's cookies) to pages with URL parameters — a Meldung, a contract, a savings account, a person. Objects the
demo data links nowhere (an import run, a Sammel-Upload, a Registrierungsbriefe job, a number request, an
Exportlauf to acknowledge, a Vertretung to end) are made in
the live server's database first (``_make_unlinked_objects``). A GET page with a parameter the walk finds no
example for fails the walk with the endpoint's name: link to it from somewhere, or add it to
``_make_unlinked_objects``.

Who sees which page (``who_sees``): /intern/ pages the staff of Lipsia, except the admin's own (ADMIN_ONLY of
tests/test_staff_access.py); the public pages (PUBLIC_ENDPOINTS of tests/test_access.py) anonymous users; /sparen/
the saver (a Lipsia tenant with savings); everything else the tenant. The saver walks the tenant pages too (a Lipsia
tenant's Startseite, contracts and forms differ from an Elsteraue tenant's).
"""

import re
from urllib.parse import urlsplit

from werkzeug.routing import AnyConverter

from tests import databases
from tests.test_access import PUBLIC_ENDPOINTS
from tests.test_staff_access import ADMIN_ONLY

WHO = ("anonymous", "tenant", "saver", "staff", "admin")

# GET routes that are not pages a user reads: files, feeds, polls and fragments. Each is checked elsewhere.
NOT_PAGES = {
    "static", "vendor.static",                            # style sheets, scripts, htmx
    "pages.healthz", "pages.manifest", "pages.icon",      # for monitoring and the home screen
    "devmail.index", "devmail.show", "devmail.raw",       # the developer's mail folder (WIR_DEVELOPMENT only)
    "documents.download", "consumption.pdf",              # PDF
    "tickets.attachment", "staff.ticket_attachment",      # a Meldung's files
    "tickets.poll", "staff.queue_changes",                # status polls of the Meldungen lists (htmx, 204)
    "savings.statement", "savings.transactions_csv",      # Jahreskontoauszug PDF, Umsätze CSV
    "staff.audit_log_csv", "staff.letter_batch_pdf",      # CSV, Registrierungsbriefe PDF
    "staff.consumption_batch_pdf",                        # Verbrauchsinformation per Post PDF
    "staff.document",                                     # a tenant's document for staff (PDF)
    "staff.representation_document",                      # a Vertretung's Vollmacht (PDF)
    "staff.export_archive",                               # an Exportlauf's ZIP
    "staff.figures_csv",                                  # the Auswertung's CSV
    "erp_api.latest", "erp_api.archive",                  # the ERP connector's API (bearer token): ZIP
    # half signed-in staff only (between password and code): tests/browser/test_staff_signin.py
    "auth.second_factor", "auth.enrol",
}

# pages reached through a mailed link with a token: walked with a token that is not valid (the page that says so,
# with status 410)
TOKEN_PAGES = {"auth.reset_password", "auth.set_up", "registration.confirm", "account.confirm_email",
               "representation.accept"}
INVALID_TOKEN = "abgelaufen"

# starting points of a user besides their parameterless pages (a search that lists persons to link to)
SEARCHES = {"staff": ["/intern/personen?q=m"], "admin": ["/intern/personen?q=m"]}

_HREF = re.compile(r'href="([^"#]+)')


def who_sees(rule) -> str:
    if rule.rule.startswith("/intern/"):
        return "admin" if rule.endpoint in ADMIN_ONLY else "staff"
    if rule.endpoint in PUBLIC_ENDPOINTS:
        return "anonymous"
    if rule.rule.startswith("/sparen/"):
        return "saver"
    return "tenant"


def page_rules(app) -> list:
    """The url_map's GET rules that are pages."""
    return [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint not in NOT_PAGES]


def _walked_by(who: str, rule) -> bool:
    seen_by = who_sees(rule)
    return seen_by == who or (who == "saver" and seen_by == "tenant")


def _variant(rule, values: dict) -> tuple:
    """Pages of one endpoint that differ by a word of the URL (a form's slug, a person action) are walked each;
    pages that differ only by the object they show once."""
    words = tuple(sorted((name, values[name]) for name in rule.arguments
                         if name == "slug" or isinstance(rule._converters[name], AnyConverter)))
    return rule.endpoint, words


_apps: dict = {}


def _app_for(live_server):
    """An app on the live server's database and instance folder (for the url_map and for objects to make)."""
    from wir import create_app

    if live_server.database_url not in _apps:
        _apps[live_server.database_url] = create_app(
            {**databases.TEST_CONFIG, "DATABASE_URL": live_server.database_url},
            instance_path=str(live_server.instance_path))
    return _apps[live_server.database_url]


_made: dict = {}


def _make_unlinked_objects(app, live_server) -> dict[str, list[str]]:
    """Objects the demo data has none of, made once per live server (the same example objects as the access
    tests'): a pending bank change, a Sammel-Upload, an import run, a Registrierungsbriefe job, a Verbrauchsinformation
    per Post job, a number request, a Vertretung of Lipsia and an (expired) invitation of every tenant. Returns the pages of those no list links to, by who sees them."""
    if live_server.database_url not in _made:
        from flask import url_for

        from tests.test_staff_access import (
            _batch,
            _consumption_batch,
            _erp_import,
            _export_run,
            _letter_batch,
            _number_request,
            _pending_account,
            _representation,
        )
        from wir import db

        with app.test_request_context(), db.database.connection_context():
            _pending_account("lipsia")
            _erp_import("lipsia")
            _letter_batch("lipsia")
            _consumption_batch("lipsia")  # linked from the Verbrauch per Post page's „Zuletzt erstellt“
            _number_request("lipsia")
            # a Sammel-Upload is linked only from the answer to its upload
            batch = url_for("staff.document_batch", batch_key=_batch("lipsia").key)
            # the demo has no Vertretung: one entered from a Vollmacht, its „Beenden“ page
            representation = _representation("lipsia")
            end = url_for("staff.end_representation", person_id=representation.person_id,
                          representation_id=representation.id)
            # every tenant's Vertretung page lists an invitation of theirs, with its „Ändern“ and „Beenden“ pages
            _invitations_of_every_tenant()
            # Export ins ERP shows the first cooperative by name; an Exportlauf's confirmation page of Lipsia
            acknowledge = url_for("staff.acknowledge_export", cooperative="lipsia",
                                  run_number=_export_run("lipsia").number)
        db.close_all()
        _made[live_server.database_url] = {"staff": [batch, end], "admin": [acknowledge]}
    return _made[live_server.database_url]


def _invitations_of_every_tenant() -> None:
    from wir import clock
    from wir.models import Person, Representation

    for person in Person.select().where(Person.user.is_null(False)):
        Representation.create(person=person, name="Anna Weiß", email=f"vertretung.{person.id}@example.net",
                              scopes="read", created_by=person.user_id, created_at=clock.now(),
                              link_expires_at=clock.now())


def pages(page, who: str, live_server) -> list[tuple[str, str]]:
    """Every page ``who`` sees as (who, path): parameterless ones first, then one per object kind (and per slug
    or action word) found by following links. ``page`` is signed in as ``who`` (anonymous: not signed in)."""
    app = _app_for(live_server)
    unlinked = _make_unlinked_objects(app, live_server).get(who, [])
    adapter = app.url_map.bind("localhost")
    rules = [rule for rule in page_rules(app) if _walked_by(who, rule)]
    found: dict[tuple, str] = {}
    for rule in rules:
        if not rule.arguments:
            found[(rule.endpoint, ())] = rule.rule
        elif rule.endpoint in TOKEN_PAGES:
            found[(rule.endpoint, ())] = rule.build({"token": INVALID_TOKEN}, append_unknown=False)[1]
    by_endpoint = {rule.endpoint: rule for rule in rules}
    for path in unlinked:
        endpoint, values = adapter.match(path, method="GET")
        found[_variant(by_endpoint[endpoint], values)] = path
    to_read = list(found.values()) + SEARCHES.get(who, [])
    read = set()
    while to_read:
        path = to_read.pop(0)
        if path in read:
            continue
        read.add(path)
        response = page.context.request.get(path, max_redirects=0)
        if response.status != 200 or not response.headers.get("content-type", "").startswith("text/html"):
            continue
        for href in _HREF.findall(response.text()):
            parts = urlsplit(href.replace("&amp;", "&"))
            if parts.netloc or not parts.path.startswith("/"):
                continue
            try:
                endpoint, values = adapter.match(parts.path, method="GET")
            except Exception:  # not a route of the app (or another method only)
                continue
            rule = by_endpoint.get(endpoint)
            if rule is None or not rule.arguments:
                continue
            key = _variant(rule, values)
            if key not in found:
                found[key] = parts.path
                to_read.append(parts.path)
    missing = sorted({rule.endpoint for rule in rules if not any(key[0] == rule.endpoint for key in found)})
    assert not missing, (f"page walk ({who}): no example object for {missing}; link to it from a page of {who} or "
                         f"make one in tests/browser/page_walk._make_unlinked_objects")
    return [(who, path) for path in found.values()]


def visit(page, paths):
    """Opens each of ``paths`` in ``page`` in turn (a token page answers 410: its token is invalid on purpose) and
    yields the path while the page shows it."""
    for path in paths:
        response = page.goto(path)
        assert response.ok or (response.status == 410 and INVALID_TOKEN in path), (path, response.status)
        assert response.headers["content-type"].startswith("text/html"), (path, response.headers["content-type"])
        yield path


def walk_user(who: str, users: dict, demo_logins: dict) -> dict | None:
    """The demo login a walk of ``who`` signs in with (None: anonymous)."""
    return {"anonymous": None, "tenant": users["tenant"], "saver": users["saver"], "staff": users["staff"],
            "admin": demo_logins["admin"]}[who]
