"""Verträge: contracts with their data and bank accounts."""

from flask import Blueprint

from wir.rendering import render
from wir.security import require_tenant

bp = Blueprint("contracts", __name__, url_prefix="/vertraege")
bp.before_request(require_tenant)


@bp.route("/")
def index():
    return render("coming_soon.html", title="Verträge")
