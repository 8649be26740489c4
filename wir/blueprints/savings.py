"""Sparen: savings accounts and Freistellungsauftrag (only where the cooperative runs savings)."""

from flask import Blueprint, abort

from wir.navigation import viewer
from wir.rendering import render
from wir.security import require_tenant

bp = Blueprint("savings", __name__, url_prefix="/sparen")


@bp.before_request
def _only_for_savers_cooperatives():
    denied = require_tenant()
    if denied is not None:
        return denied
    if not viewer().has_savings:
        abort(404)
    return None


@bp.route("/")
def index():
    return render("coming_soon.html", title="Sparen")
