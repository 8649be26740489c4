"""Acting for someone (Vertretung) in the web layer. The session remembers which representation the signed-in user
chose; every request asks the database whether it is still active (an ended one reaches nothing from the next
request on, a poll and a fragment included) and lets through only the endpoints its scopes open. Deny by default:
an endpoint not listed here is refused while acting, so a new page is closed to representatives until it is
given a scope."""

from flask import flash, g, request, session, url_for
from flask_login import current_user

from wir.errors import error_page
from wir.models import Representation
from wir.rendering import redirect_after_post
from wir.security import fully_signed_in
from wir.services.representation import representations

ACTING_KEY = "acting_for"

# the scope that opens an endpoint; anything but GET needs "requests" as well (bank, exemption and notice are
# granted only together with it)
SCOPE_OF_ENDPOINT = {
    "home.index": "read",
    "documents.index": "read",
    "documents.download": "read",
    "documents.request_certificate": "requests",
    "documents.application": "requests",
    "contracts.index": "read",
    "contracts.show": "read",
    "contracts.change_bank_account": "bank",
    "contracts.check_bank_account": "bank",
    "tickets.index": "read",
    "tickets.show": "read",
    "tickets.poll": "read",
    "tickets.attachment": "read",
    "tickets.new": "requests",
    "tickets.withdraw": "requests",
    "consumption.index": "read",
    "consumption.show": "read",
    "consumption.pdf": "read",
    "consumption.new_reading": "requests",
    "consumption.by_post": "requests",
    "savings.index": "read",
    "savings.transactions": "read",
    "savings.transactions_csv": "read",
    "savings.statements": "read",
    "savings.statement": "read",
    "savings.exemption": "read",
    "savings.tax_certificate": "requests",
    "savings.exemption_form": "exemption",
    "savings.exemption_revocation": "exemption",
    "savings.notice": "notice",
}

# the representative's own, whoever they act for: signing out, staying signed in, choosing whom to act for, an
# invitation, the public pages (the tenant's own Vertretung pages are not among them)
OWN_BLUEPRINTS = frozenset({"auth", "pages", "vendor", "registration"})
OWN_ENDPOINTS = frozenset({"static", "representation.choose", "representation.accept"})

REFUSED_TITLE = "Als Vertretung nicht möglich"
REFUSED_MESSAGE = ("Diese Seite oder Aktion ist von Ihrer Vertretung nicht umfasst. Ihre eigenen Daten sehen Sie, "
                   "wenn Sie oben auf „Zu meinen eigenen Daten“ klicken.")
ENDED_MESSAGE = "Die Vertretung ist beendet oder abgelaufen. Sie sehen jetzt wieder Ihre eigenen Daten."


def allowed(scopes: frozenset[str], endpoint: str, method: str) -> bool:
    """Whether a representation with ``scopes`` opens ``endpoint`` with ``method``."""
    needed = SCOPE_OF_ENDPOINT.get(endpoint)
    if needed is None or needed not in scopes:
        return False
    return method in ("GET", "HEAD") or "requests" in scopes


def _own(endpoint: str) -> bool:
    return endpoint in OWN_ENDPOINTS or endpoint.partition(".")[0] in OWN_BLUEPRINTS


def current() -> Representation | None:
    """The representation the signed-in user acts through, checked once per request; None: their own data."""
    if "acting" not in g:
        representation_id = session.get(ACTING_KEY)
        g.acting = None
        if isinstance(representation_id, int) and fully_signed_in():
            g.acting = representations.acting(representation_id, current_user.id)
    return g.acting


def start(representation: Representation) -> None:
    session[ACTING_KEY] = representation.id
    g.pop("acting", None)
    g.pop("viewer", None)


def stop() -> None:
    session.pop(ACTING_KEY, None)
    g.pop("acting", None)
    g.pop("viewer", None)


def _check():
    """Before every request of a session that acts for someone: still active, and within its scopes."""
    endpoint = request.endpoint or ""
    # a style sheet or script asks nothing of the database
    if ACTING_KEY not in session or endpoint.endswith("static") or not fully_signed_in():
        return None
    representation = current()
    if representation is None:
        stop()
        flash(ENDED_MESSAGE, "info")
        if _own(endpoint):  # Abmelden, the choice, a public page: as they are
            return None
        return redirect_after_post(url_for("representation.choose"), full_reload=True)
    if _own(endpoint) or allowed(representation.scope_set, endpoint, request.method):
        return None
    return error_page(403, REFUSED_TITLE, REFUSED_MESSAGE)


def opens(endpoint: str) -> bool:
    """Whether a link to ``endpoint`` leads anywhere for the signed-in user: always for their own data, while
    acting only within the scopes (the layout and pages hide what would be refused)."""
    representation = current()
    return representation is None or allowed(representation.scope_set, endpoint, "GET")


def init_app(app) -> None:
    app.before_request(_check)
    app.add_template_global(opens)
