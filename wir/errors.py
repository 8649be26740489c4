"""German error pages inside the layout; never a stack trace. CSRF failures and signed-in users' 404s are logged."""

import logging

from flask import request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from wir import security_log
from wir.rendering import render

MESSAGES = {
    400: ("Ungültige Anfrage", "Die Anfrage konnte nicht verarbeitet werden. Bitte versuchen Sie es noch einmal."),
    403: ("Kein Zugriff", "Für diese Seite fehlt Ihnen die Berechtigung."),
    404: ("Seite nicht gefunden", "Diese Seite gibt es nicht, oder sie ist für Sie nicht sichtbar."),
    405: ("Aktion nicht möglich", "Diese Aktion ist auf dieser Seite nicht möglich."),
    413: (
        "Datei zu groß",
        "Die gesendeten Daten sind zu groß. Bitte kürzen Sie Ihre Eingaben oder wählen Sie kleinere Dateien "
        "(höchstens 10 MB je Datei).",
    ),
    429: ("Zu viele Versuche", "Sie haben es zu oft in kurzer Zeit versucht. Bitte warten Sie einen Moment."),
    500: (
        "Ein Fehler ist aufgetreten",
        "Auf unserer Seite ist ein Fehler aufgetreten. Ihre Eingaben wurden nicht gespeichert. "
        "Bitte versuchen Sie es später noch einmal.",
    ),
    503: ("Vorübergehend nicht erreichbar", "Das Portal ist gerade nicht erreichbar. Bitte versuchen Sie es später."),
}

CSRF_MESSAGE = (
    "Sitzung abgelaufen",
    "Das Formular war zu lange geöffnet oder Ihre Sitzung ist abgelaufen. "
    "Bitte laden Sie die Seite neu und senden Sie das Formular noch einmal ab.",
)


def error_page(code: int, title: str, message: str):
    return render("errors/error.html", "errors/_error.html", status=code, code=code, title=title, message=message)


def init_app(app):
    security_log.init_app(app)

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        security_log.event("csrf.failed", logging.WARNING, method=request.method, reason=error.description)
        return error_page(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http_error(error):
        if error.code == 404 and current_user.is_authenticated:
            # every object is fetched through the user's scope: another user's object id ends here
            security_log.event("not_found", logging.WARNING, method=request.method)
        title, message = MESSAGES.get(error.code, (error.name, ""))
        page = error_page(error.code, title, message)
        page.headers.extend(  # what the error itself adds, e.g. Allow on 405 or Retry-After on 429
            (name, value) for name, value in error.get_response().headers
            if name.lower() not in ("content-type", "content-length")
        )
        return page

    @app.errorhandler(Exception)
    def _unexpected(error):
        app.logger.exception("Unhandled error", exc_info=error)
        return error_page(500, *MESSAGES[500])

