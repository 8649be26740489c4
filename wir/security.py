"""Sign-in sessions, access control defaults, request size limits, the security headers of every response and the
redirect targets a link may name."""

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from wir import clock
from wir.extensions import login_manager
from wir.services.account import accounts

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Files (attachments, documents, the data export) are never shown as a page of the portal:
# even opened in a tab they run no script and reach nothing of the portal's origin.
DOWNLOAD_SECURITY_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"
LOGIN_PLEASE = "Bitte melden Sie sich an, um diese Seite zu sehen."
# htmx requests that run by themselves (status polls) send this header: they are no activity
BACKGROUND_HEADER = "X-WIR-Background"
IDLE_SECONDS_HEADER = "X-WIR-Idle-Seconds"
# activity is recorded in the session when it is at least this much newer than the time recorded
SEEN_STEP_SECONDS = 60
# set in the session of staff between password and second factor
SECOND_FACTOR_DUE = "second_factor_due"
# all a session with SECOND_FACTOR_DUE reaches
SECOND_STEP_ENDPOINTS = {"auth.second_factor", "auth.enrol", "auth.logout", "static", "vendor.static"}
# where flask-login keeps the signed-in user's get_id() in the session
SESSION_USER_KEY = "_user_id"
# the internal area's URL prefix (blueprints/staff): nobody but staff can tell it exists
STAFF_AREA = "/intern"
# the ERP's API (blueprints/erp_api): a bearer token, never a session; its requests neither read nor set the cookie
SESSIONLESS_AREA = "/erp/"


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its serializer made once per secret key instead of twice on every
    request (a twentieth of the status poll)."""

    _serializer = (None, None)  # (the keys it was made with, the serializer)

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made_with, serializer = self._serializer
        if made_with != keys:
            serializer = super().get_signing_serializer(app)
            self._serializer = (keys, serializer)
        return serializer

    def open_session(self, app, request):
        if request.path.startswith(SESSIONLESS_AREA):
            return self.session_class()  # empty and never modified: nothing is read, no cookie is sent
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if request.path.startswith(SESSIONLESS_AREA):
            return  # not even when a portal page (404, 405) put a CSRF token into the empty session
        super().save_session(app, session, response)


def init_app(app):
    _trust_proxy(app)
    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    # URL value preprocessors run before every before_request hook, so before CSRFProtect reads the body.
    app.url_value_preprocessor(_allow_uploads)
    app.before_request(_enforce_session_timeouts)
    app.before_request(_hold_until_second_factor)
    app.before_request(_hide_staff_area)
    app.after_request(_security_headers)
    app.add_template_global(idle_seconds_left)


def _trust_proxy(app) -> None:
    """Behind PROXY_HOPS proxies: client address, scheme and host from their X-Forwarded-* headers.

    Without it every client would share the proxy's address (one rate-limit bucket for all,
    the proxy in the audit trail) and no request would count as https.
    """
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def accepts_uploads(view=None, *, limit: str = "UPLOAD_MAX_CONTENT_LENGTH"):
    """Marks a view that takes files: signed-in users may send it UPLOAD_MAX_CONTENT_LENGTH bytes, or as many as
    the setting ``limit`` names (``@accepts_uploads(limit="BULK_UPLOAD_MAX_CONTENT_LENGTH")``: staff's Sammel-Upload).

    Every other request, and every anonymous one, is refused (413) beyond MAX_CONTENT_LENGTH.
    """
    def mark(view):
        view.upload_limit = limit
        return view

    return mark if view is None else mark(view)


def _allow_uploads(endpoint, values):
    view = current_app.view_functions.get(endpoint)
    limit = getattr(view, "upload_limit", None)
    if limit and current_user.is_authenticated:
        request.max_content_length = current_app.config[limit]


def start_session(user) -> None:
    """A fresh session for a user who just proved who they are.

    Staff have proved it only half with their password: until the second step (a code from the
    authenticator app, auth.second_factor) the session reaches nothing but that step and Abmelden.
    """
    session.clear()
    login_user(user)
    session["signed_in_at"] = session["seen"] = clock.timestamp()
    if user.is_staff:
        session[SECOND_FACTOR_DUE] = True


def complete_second_factor() -> None:
    session.pop(SECOND_FACTOR_DUE, None)


def fully_signed_in() -> bool:
    """Signed in, and for staff with the second step done."""
    return current_user.is_authenticated and not session.get(SECOND_FACTOR_DUE)


def _hold_until_second_factor():
    """Every request of a half signed-in session, except the second step itself and Abmelden, goes to that step."""
    if not session.get(SECOND_FACTOR_DUE) or request.endpoint in SECOND_STEP_ENDPOINTS:
        return None
    if not current_user.is_authenticated:  # the session ended (timeout, Abmelden elsewhere): start again
        session.clear()
        return None
    step = url_for("auth.second_factor")
    if request.htmx:
        return "", 401, {"HX-Redirect": step}
    return redirect(step)


def session_user() -> tuple[int, int] | None:
    """The user id and session version the (signed) session names, not yet checked against the database:
    get_id() is "<id>:<session_version>"; a bumped version ends the session."""
    try:
        user_id, version = (int(part) for part in session.get(SESSION_USER_KEY, "").split(":"))
    except ValueError:
        return None
    return user_id, version


@login_manager.user_loader
def _load_user(_session_id: str):
    found = session_user()
    user = accounts.user_for_session(*found) if found else None
    if user is None:  # a revoked session is no session: nothing reads its user id again
        session.pop(SESSION_USER_KEY, None)
    return user


def to_login(message: str):
    """Send the browser to Anmelden and back here afterwards; htmx gets HX-Redirect instead of a fragment."""
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    flash(message, "info")
    if request.htmx:
        return "", 401, {"HX-Redirect": login_url}
    return redirect(login_url)


@login_manager.unauthorized_handler
def _unauthorized():
    return to_login(LOGIN_PLEASE)


def _enforce_session_timeouts():
    # from the session alone: loading the user is left to what needs it (the status poll does not)
    if (request.endpoint or "").endswith("static") or SESSION_USER_KEY not in session:
        return None
    now = clock.timestamp()
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute_limit = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if now - session.get("seen", 0) > idle_limit or now - session.get("signed_in_at", 0) > absolute_limit:
        logout_user()
        session.clear()
        return to_login("Sie wurden aus Sicherheitsgründen abgemeldet, weil Sie längere Zeit nicht aktiv waren. "
                        "Bitte melden Sie sich erneut an.")
    # the session cookie is signed and sent again only when "seen" moves by a minute or more; the warning before
    # the sign-out reckons with the time recorded (idle_seconds_left), so it still comes 2 minutes before
    if request.headers.get(BACKGROUND_HEADER) != "1" and now - session.get("seen", 0) >= SEEN_STEP_SECONDS:
        session["seen"] = now
    return None


def idle_seconds_left() -> int:
    """Seconds until the idle sign-out as the server counts them (from the activity recorded in the session)."""
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    return max(idle_limit - int(clock.timestamp() - session.get("seen", 0)), 0)


# on every response, unless its view set the header itself
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
# Outside development the portal is only reached over TLS (behind a proxy the app may see
# plain http); browsers ignore the header on http, so it is sent on every response.
TRANSPORT_SECURITY = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _security_headers(response):
    headers = response.headers
    # the names the view set, in one pass: Headers.setdefault raises and catches a KeyError for every header
    # missing, which cost each response more than the rest of this function
    present = {name.lower() for name, _value in headers.items()}
    policy = DOWNLOAD_SECURITY_POLICY if "content-disposition" in present else CONTENT_SECURITY_POLICY
    defaults = (("Content-Security-Policy", policy), *SECURITY_HEADERS)
    if not current_app.config["DEVELOPMENT"]:
        defaults += (TRANSPORT_SECURITY,)
    for name, value in defaults:
        if name.lower() not in present:
            headers.add(name, value)
    if SESSION_USER_KEY in session and not (request.endpoint or "").endswith("static"):
        headers["Cache-Control"] = "no-store"
        if request.htmx and request.headers.get(BACKGROUND_HEADER) != "1":
            # session.js schedules the warning before the idle sign-out from it
            headers[IDLE_SECONDS_HEADER] = str(idle_seconds_left())
    return response


# before the first review of the contact data a tenant sees only it and the phone editor it holds
REVIEW_ENDPOINTS = frozenset({"account.review", "account.phone_list", "account.add_phone", "account.edit_phone",
                              "account.delete_phone"})


def require_role(*roles):
    """A before_request hook: anonymous users go to Anmelden, other roles get 403.

    A tenant first reviews the contact data once ("Nach der erstmaligen Anmeldung …").
    """

    def check():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in roles:
            abort(403)
        if (
            current_user.role == current_user.ROLE_TENANT
            and current_user.contact_reviewed_at is None
            and request.endpoint not in REVIEW_ENDPOINTS
        ):
            return redirect(url_for("account.review", next=request.full_path.rstrip("?")))
        return None

    return check


def _hide_staff_area():
    """The internal area does not exist for anybody but staff past the second step: anonymous users and tenants
    get 404 for every path below it, as for a path that does not exist, not Anmelden or 403.

    It runs before the CSRF check (create_app binds this module first) and before the router's 405 or slash
    redirect, so that no missing token, wrong method or missing slash tells an existing page from a made-up one.
    """
    path = request.path  # werkzeug drops repeated leading slashes: //intern is /intern, as the router reads it
    if (path == STAFF_AREA or path.startswith(STAFF_AREA + "/")) and not (fully_signed_in() and current_user.is_staff):
        abort(404)


require_tenant = require_role("tenant")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative //, no control characters.

    Browsers drop tabs and line breaks from URLs ("/\t/evil.example" is "//evil.example") and a
    line break cannot go into a Location header at all.
    """
    if not target or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target
