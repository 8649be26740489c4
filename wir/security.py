"""Sign-in sessions, access control defaults and the security headers of every response."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from wir.extensions import login_manager
from wir.services import accounts

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Bitte melden Sie sich an, um diese Seite zu sehen."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    app.after_request(_security_headers)


@login_manager.user_loader
def _load_user(session_id: str):
    # get_id() is "<id>:<session_version>"; a bumped version ends the session.
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    return accounts.user_for_session(user_id, version)


@login_manager.unauthorized_handler
def _unauthorized():
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.htmx:
        # htmx would swap the login page into a fragment; let it load the page instead.
        return "", 401, {"HX-Redirect": login_url}
    flash(login_manager.login_message, "info")
    return redirect(login_url)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user.is_authenticated and not (request.endpoint or "").endswith("static"):
        headers["Cache-Control"] = "no-store"
    return response


def require_role(*roles):
    """A before_request hook: anonymous users go to Anmelden, other roles get 403."""

    def check():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in roles:
            abort(403)
        return None

    return check


require_tenant = require_role("tenant")
require_staff = require_role("staff", "admin")
