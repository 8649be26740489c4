"""Development only: the mails that instance/mail/ holds instead of sending them, so links can be clicked."""

import ipaddress
import re
from datetime import timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import Blueprint, abort, current_app, request, send_from_directory

from wir.mail import mail_folder
from wir.rendering import render

bp = Blueprint("devmail", __name__, url_prefix="/dev/mails")

LINK = re.compile(r"(https?://[^\s<>\"]+)")


@bp.before_request
def _development_only():
    # The mails hold confirmation and reset links: only outside production, and only to
    # a browser on this machine (with WIR_PROXY_HOPS the forwarded client address counts).
    if not current_app.config["DEVELOPMENT"] or not _from_loopback(request.remote_addr):
        abort(404)


def _from_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:  # none, or a Unix socket path
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack socket
    return (mapped or ip).is_loopback


@bp.route("/")
def index():
    folder = mail_folder()
    paths = sorted(folder.glob("*.eml"), key=lambda path: (path.stat().st_mtime, path.name), reverse=True)
    return render("devmail/index.html", mails=[_read(path) for path in paths], folder=folder)


@bp.route("/<name>")
def show(name: str):
    mail = _read(_stored(name))
    return render("devmail/show.html", mail=mail, parts=_linked(mail["text"]))


@bp.route("/<name>/eml")
def raw(name: str):
    path = _stored(name)
    return send_from_directory(path.parent, path.name, mimetype="message/rfc822", as_attachment=True)


def _stored(name: str) -> Path:
    """The stored mail of this name; only names from the folder listing, so no path leaves it."""
    for path in mail_folder().glob("*.eml"):
        if path.name == name:
            return path
    abort(404)


def _read(path: Path) -> dict:
    with path.open("rb") as fh:
        message = BytesParser(policy=policy.default).parse(fh)
    body = message.get_body(preferencelist=("plain",))
    return {
        "name": path.name,
        "subject": message["Subject"],
        "sender": message["From"],
        "recipient": message["To"],
        # the filters take naive UTC, as stored in the database
        "date": message["Date"].datetime.astimezone(timezone.utc).replace(tzinfo=None),
        "text": body.get_content() if body else "",
    }


def _linked(text: str) -> list[tuple[str, bool]]:
    """The text cut into (part, is_link) pieces; the template escapes both kinds."""
    return [(part, index % 2 == 1) for index, part in enumerate(LINK.split(text)) if part]
