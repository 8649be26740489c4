"""Security events in the application log: one line each, ``event=… key=value …``, never a secret.

Logger "wir.security" (a child of Flask's "wir" logger, so it goes where the application log goes).
Callers pass ids and digests, never passwords, tokens or e-mail addresses; values are quoted and
escaped so that nothing a client sends can break a line or forge a field.
"""

import json
import logging

from flask import has_request_context, request
from flask_login import current_user

logger = logging.getLogger("wir.security")
# URL parts that are secrets (links from mails): such a path is logged as its rule, "/passwort-neu/<token>"
SECRET_VIEW_ARGS = {"token"}


def init_app(app) -> None:
    """Make events visible from INFO up unless the operator's logging configuration set a level."""
    app.logger  # noqa: B018 -- Flask attaches its handler to "wir" on first use
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def event(name: str, level: int = logging.INFO, **fields) -> None:
    """Log one event; the signed-in user, client address and path are added inside a request."""
    if has_request_context():
        if "user" not in fields and current_user and current_user.is_authenticated:
            fields["user"] = current_user.id
        fields.setdefault("ip", request.remote_addr or "-")
        fields.setdefault("path", _path())
    logger.log(level, " ".join([f"event={name}"] + [f"{key}={_value(value)}" for key, value in fields.items()]))


def _path() -> str:
    if request.url_rule is not None and SECRET_VIEW_ARGS & set(request.view_args or ()):
        return request.url_rule.rule
    return request.path


def _value(value) -> str:
    text = "-" if value is None else str(value)
    if text and all(char.isprintable() and char not in ' "=\\' for char in text):
        return text
    return json.dumps(text)  # quoted, control characters escaped
