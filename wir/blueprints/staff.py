"""The internal area for staff of one cooperative."""

from flask import Blueprint

from wir.rendering import render
from wir.security import require_staff

bp = Blueprint("staff", __name__, url_prefix="/intern")
bp.before_request(require_staff)


@bp.route("/")
def index():
    return render("staff/index.html")
