"""Kontaktdaten, Anschrift, Passwort."""

from flask import Blueprint

from wir.navigation import viewer
from wir.rendering import render
from wir.security import require_tenant

bp = Blueprint("account", __name__, url_prefix="/konto")
bp.before_request(require_tenant)


@bp.route("/kontaktdaten")
def contact_data():
    return render("coming_soon.html", title="Kontaktdaten")


@bp.route("/anschrift")
def address():
    return render("account/address.html", persons=viewer().persons)


@bp.route("/passwort")
def password():
    return render("coming_soon.html", title="Passwort")
