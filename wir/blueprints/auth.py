"""Anmelden and Abmelden."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from wir.extensions import limiter
from wir.rendering import redirect_after_post, render
from wir.services import accounts

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "E-Mail-Adresse oder Passwort ist nicht richtig."


class LoginForm(FlaskForm):
    email = EmailField(
        "E-Mail-Adresse",
        validators=[
            DataRequired("Bitte geben Sie Ihre E-Mail-Adresse ein."),
            Length(max=254, message="Die E-Mail-Adresse darf höchstens 254 Zeichen lang sein."),
        ],
        render_kw={"autocomplete": "username", "inputmode": "email"},
    )
    password = PasswordField(
        "Passwort",
        validators=[
            DataRequired("Bitte geben Sie Ihr Passwort ein."),
            Length(max=1024, message="Das Passwort darf höchstens 1024 Zeichen lang sein."),
        ],
        render_kw={"autocomplete": "current-password"},
    )


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative //."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/anmelden", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session at login
            login_user(user)
            return redirect_after_post(safe_next(request.args.get("next")) or url_for("home.index"))
        form.password.errors.append(LOGIN_FAILED)
    return render("auth/login.html", "auth/_login_form.html", form=form, status=422 if form.errors else 200)


@bp.route("/abmelden", methods=["POST"])
@login_required
def logout():
    accounts.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash("Sie haben sich abgemeldet.", "success")
    return redirect_after_post(url_for("auth.login"))
