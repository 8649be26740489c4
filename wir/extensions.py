"""Flask extensions, created here and bound to the app in create_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

csrf = CSRFProtect()
htmx = Htmx()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def init_limiter(app) -> None:
    """Bind the limiter. Its check before every request serves only default, application and blueprint limits;
    the portal has none (each limited view carries its own @limiter.limit, checked when the view runs), so the
    check is dropped unless such limits are configured (it cost every request, /healthz most).

    So are its hooks after every request: they add X-RateLimit headers (off unless RATELIMIT_HEADERS_ENABLED),
    count limits with ``deduct_when`` (the portal has none) and reset the limiter's state of the request, which
    ends with the request anyway."""
    limiter.init_app(app)
    manager = limiter.limit_manager
    if not (manager.default_limits or manager.application_limits):
        app.before_request_funcs[None].remove(limiter._check_request_limit)
    if not app.config.get("RATELIMIT_HEADERS_ENABLED"):
        app.after_request_funcs[None] = [
            hook for hook in app.after_request_funcs[None] if getattr(hook, "args", None) != (limiter,)
        ]
        app.teardown_request_funcs[None].remove(limiter._Limiter__release_context)
