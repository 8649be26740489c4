"""Dokumente: letters of the cooperative and documents on request."""

from flask import Blueprint

from wir.rendering import render
from wir.security import require_tenant

bp = Blueprint("documents", __name__, url_prefix="/dokumente")
bp.before_request(require_tenant)


@bp.route("/")
def index():
    return render("coming_soon.html", title="Dokumente")
