"""Kontakt (send a request) and Meldungen (follow them)."""

from flask import Blueprint

from wir.rendering import render
from wir.security import require_tenant

bp = Blueprint("tickets", __name__)
bp.before_request(require_tenant)


@bp.route("/kontakt")
def new():
    return render("coming_soon.html", title="Kontakt")


@bp.route("/meldungen")
def index():
    return render("coming_soon.html", title="Meldungen")
