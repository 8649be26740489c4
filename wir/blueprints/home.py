"""Startseite."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from wir.navigation import viewer
from wir.rendering import render
from wir.security import require_role
from wir.services import news

bp = Blueprint("home", __name__)
bp.before_request(require_role("tenant", "staff", "admin"))


@bp.route("/")
def index():
    if current_user.is_staff:
        return redirect(url_for("staff.index"))
    return render("home/index.html", news=news.current_news(viewer().cooperatives))
