"""The ERP connector's way to the export (docs/export.md): /erp/v1, with a cooperative's bearer token only.

    GET  /erp/v1/export/latest.zip     the run to take over (made now if changes wait); 204 when nothing waits
    GET  /erp/v1/export/<N>.zip        run N of the token's cooperative
    POST /erp/v1/export/<N>/ack        run N taken over by the ERP

No session (wir.security opens none below /erp/ and sends no cookie), no CSRF token, nothing but these three:
a token reaches only its cooperative's runs, and a signed-in clerk or tenant without one gets 401 here like anybody.
Plain https only outside development and the tests. Every use of a valid token is audited, whatever
the answer, by the token's id and name, never its text.

Also the command ``flask --app wir export-token`` that makes, lists and revokes the tokens.
"""

import logging

import click
from flask import Blueprint, Response, current_app, g, request
from limits import parse_many
from werkzeug.exceptions import HTTPException

from wir import security_log
from wir.extensions import csrf, limiter
from wir.models import Cooperative, JobStatus
from wir.rendering import send_bytes
from wir.security import SESSIONLESS_AREA
from wir.services.erp_export import runs, tokens
from wir.services.rejections import Rejected

# cli_group=None: export-token is a top-level command, as import and export are
bp = Blueprint("erp_api", __name__, url_prefix="/erp/v1", cli_group=None)
csrf.exempt(bp)

RUN_HEADER = "X-WIR-Exportlauf"
BUSY_RETRY_SECONDS = 60


def _text(message: str, status: int = 200, headers: dict | None = None) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain", headers=headers or {})


def _unauthorized(given: bool) -> Response:
    challenge = 'Bearer realm="WIR-Export"' + (', error="invalid_token"' if given else "")
    return _text("Anmeldung fehlt oder ungültig / missing or invalid bearer token.", 401,
                 {"WWW-Authenticate": challenge})


def _bearer() -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _within_rate_limit() -> bool:
    """RATELIMIT_ERP_API per client address, counted before the token is checked: the connector asks a few times
    an hour, a guesser far more."""
    address = request.remote_addr or "-"
    # every limit is hit (no short-circuit), as Flask-Limiter counts a request against each of its limits
    return all([limiter.limiter.hit(limit, "erp_api", address)
                for limit in parse_many(current_app.config["RATELIMIT_ERP_API"])])


@bp.before_request
def _token_only():
    """HTTPS (outside development and tests), then the token: the only way in."""
    config = current_app.config
    if not request.is_secure and not (config["DEVELOPMENT"] or config["TESTING"]):
        return _text("Nur über HTTPS erreichbar / HTTPS only.", 403)
    if limiter.enabled and not _within_rate_limit():
        return _text("Zu viele Anfragen; bitte warten Sie eine Minute / too many requests.", 429,
                     {"Retry-After": "60"})
    plain = _bearer()
    token = tokens.authenticate(plain)
    if token is None:
        if request.headers.get("Authorization"):
            security_log.event("erp_token.refused", logging.WARNING, method=request.method)
        return _unauthorized(given=bool(request.headers.get("Authorization")))
    g.erp_token = token
    return None


@bp.after_app_request
def _never_cached(response: Response) -> Response:
    """No proxy or client keeps an answer below /erp/: the runs hold full IBANs and Steuer-IDs. For every request
    there, also one no route of the blueprint took (404, 405), which its own after_request would not see."""
    if request.path.startswith(SESSIONLESS_AREA):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_request
def _audit_use(response: Response) -> Response:
    """Every request with a valid token is in the audit log, whatever its answer: what it asked for (_used) and the
    HTTP status (200, 204, 404, 410, 503, …)."""
    token = g.get("erp_token")
    if token is not None:
        what = g.get("erp_use") or f"{request.method} {request.path}"
        tokens.record_use(token, f"{what} ({response.status_code})")
    return response


def _used(what: str) -> None:
    """What this request did with its token, for the audit entry _audit_use writes."""
    g.erp_use = what


@bp.errorhandler(HTTPException)
def _plain_error(error):
    """The connector reads plain text: no page of the portal (429 keeps its Retry-After)."""
    response = _text(f"{error.code} {error.name}", error.code)
    response.headers.extend((name, value) for name, value in error.get_response().headers
                            if name.lower() not in ("content-type", "content-length"))
    return response


def _busy() -> Response:
    return _text("Ein Export wird gerade erstellt; bitte in einer Minute erneut versuchen / export in progress.",
                 503, {"Retry-After": str(BUSY_RETRY_SECONDS)})


def _cooperative() -> Cooperative:
    return g.erp_token.cooperative


def _send(run) -> Response:
    content = runs.archive_of(run)
    if content is None:
        _used(f"Exportlauf {run.number} abgerufen, Dateien gelöscht")
        return _text(f"Die Dateien von Exportlauf {run.number} sind gelöscht / files removed.", 410,
                     {RUN_HEADER: str(run.number)})
    runs.record_download(run, by=None, via="api")
    _used(f"Exportlauf {run.number} abgeholt")
    response = send_bytes(content, "application/zip", runs.archive_name(run))
    response.headers[RUN_HEADER] = str(run.number)
    return response


@bp.get("/export/latest.zip")
def latest():
    """The run that holds every change not yet taken over (made now when a change waits that no run holds)."""
    _used("neuesten Exportlauf abgerufen")
    try:
        run = runs.latest(_cooperative(), by=None, via="api")
    except runs.ExportBusy:
        _used("neuesten Exportlauf abgerufen, Export läuft gerade")
        return _busy()
    if run is None:
        _used("nichts zu exportieren")
        return Response(status=204)
    return _send(run)


@bp.get("/export/<int:number>.zip")
def archive(number):
    run = runs.run_of(_cooperative(), number)
    if run is None or run.status != JobStatus.DONE:
        _used(f"Exportlauf {number} abgerufen, gibt es nicht")
        return _text(f"Exportlauf {number} gibt es nicht / no such run.", 404)
    return _send(run)


@bp.post("/export/<int:number>/ack")
def acknowledge(number):
    _used(f"Exportlauf {number} als übernommen gemeldet")
    try:
        run = runs.acknowledge(_cooperative(), number, by=None, via="api")
    except runs.UnknownRun:
        _used(f"Exportlauf {number} als übernommen gemeldet, gibt es nicht")
        return _text(f"Exportlauf {number} gibt es nicht / no such run.", 404)
    except runs.ExportBusy:
        # the run being written could hold what this would mark as taken over: the connector asks again
        _used(f"Exportlauf {number} als übernommen gemeldet, Export läuft gerade")
        return _busy()
    return _text(f"Exportlauf {run.number} übernommen.", headers={RUN_HEADER: str(run.number)})


@bp.cli.command("export-token")
@click.option("--cooperative", "slug", required=True, help="Kurzname der Genossenschaft, z. B. lipsia.")
@click.option("--name", default="ERP-Connector", show_default=True, help="Wofür das Token ist.")
@click.option("--revoke", "revoke_id", type=int, help="Das Token mit dieser Nummer widerrufen.")
@click.option("--list", "listing", is_flag=True, help="Die Tokens der Genossenschaft zeigen.")
def export_token_command(slug, name, revoke_id, listing):
    """Make a bearer token for the ERP's connector (shown once), or list or revoke the cooperative's tokens."""
    cooperative = Cooperative.get_or_none(Cooperative.slug == slug)
    if cooperative is None:
        raise click.ClickException(f"Eine Genossenschaft „{slug}“ gibt es nicht.")
    if listing:
        for token in tokens.of(cooperative):
            state = f"widerrufen am {token.revoked_at:%d.%m.%Y}" if token.revoked_at else "gültig"
            used = f"{token.last_used_at:%d.%m.%Y %H:%M}" if token.last_used_at else "nie"
            click.echo(f"{token.id}\t{token.name}\t{state}\tzuletzt benutzt: {used}")
        return
    if revoke_id is not None:
        token = tokens.revoke(cooperative, revoke_id, by=None)
        if token is None:
            raise click.ClickException(f"Ein Token {revoke_id} von {cooperative.name} gibt es nicht.")
        click.echo(f"Token {token.id} („{token.name}“) ist widerrufen.")
        return
    try:
        token, plain = tokens.create(cooperative, name, by=None)
    except Rejected as rejected:
        raise click.ClickException(rejected.message) from None
    click.echo(f"Token {token.id} („{token.name}“) für {cooperative.name}. Es wird nur dieses eine Mal gezeigt:",
               err=True)
    click.echo(plain)
