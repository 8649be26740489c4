"""Kontaktdaten, Anschrift, Passwort, and the review of the contact data after the first sign-in."""

from flask import Blueprint, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from wir.blueprints.auth import safe_next
from wir.models import PhoneNumber
from wir.navigation import viewer
from wir.rendering import redirect_after_post, render
from wir.security import require_tenant
from wir.services import accounts

bp = Blueprint("account", __name__, url_prefix="/konto")
bp.before_request(require_tenant)


@bp.route("/kontaktdaten")
def contact_data():
    return render("coming_soon.html", title="Kontaktdaten")


class ReviewForm(FlaskForm):
    """Only the CSRF token: the button confirms the data shown."""


@bp.route("/kontaktdaten-pruefen", methods=["GET", "POST"])
def review():
    form = ReviewForm()
    if form.validate_on_submit():
        accounts.confirm_contact_data(current_user)
        return redirect_after_post(safe_next(request.args.get("next")) or url_for("home.index"))
    phones = list(PhoneNumber.select().where(PhoneNumber.user == current_user.id).order_by(PhoneNumber.position))
    return render("account/review.html", form=form, phones=phones, persons=viewer().persons)


@bp.route("/anschrift")
def address():
    return render("account/address.html", persons=viewer().persons)


@bp.route("/passwort")
def password():
    return render("coming_soon.html", title="Passwort")
