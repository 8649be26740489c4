"""Startseite: news, new documents, news on own tickets and the most frequent tasks at a glance."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user

from wir.models import Document, Ticket
from wir.navigation import viewer
from wir.rendering import render
from wir.security import require_role
from wir.services.home import home, news

bp = Blueprint("home", __name__)
bp.before_request(require_role("tenant", "staff", "admin"))


@bp.route("/")
def index():
    if current_user.is_staff:
        return redirect(url_for("staff.index"))
    me = viewer()
    return render(
        "home/index.html",
        news=news.current_news(me.persons),
        unread=home.new_documents(me.persons),
        tickets=home.tickets_with_news(me.persons),
        consumption=home.consumption_lines(me.persons),
        statuses=Ticket.STATUSES,
        kinds=Document.KINDS,
    )
