"""Anmelden, Abmelden, Passwort vergessen."""

import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from wir import security_log
from wir.extensions import limiter
from wir.formatting import german_datetime
from wir.forms import NewPasswordForm, email_field, reject
from wir.rendering import redirect_after_post, render
from wir.security import start_session
from wir.services import accounts
from wir.services.rejections import Rejected

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "E-Mail-Adresse oder Passwort ist nicht richtig."


class LoginForm(FlaskForm):
    email = email_field(autocomplete="username")
    password = PasswordField(
        "Passwort",
        validators=[
            DataRequired("Bitte geben Sie Ihr Passwort ein."),
            Length(max=1024, message="Das Passwort darf höchstens 1024 Zeichen lang sein."),
        ],
        render_kw={"autocomplete": "current-password"},
    )


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative //, no control characters.

    Browsers drop tabs and line breaks from URLs ("/\t/evil.example" is "//evil.example") and a
    line break cannot go into a Location header at all.
    """
    if not target or not target.isprintable():
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _limit(name):
    return lambda: current_app.config[f"RATELIMIT_{name}"]


def _refusal_message(refused: accounts.LoginRefused) -> str:
    """The words depend on the address's state alone: the same whether or not it has an account."""
    if refused.reason == "locked":
        until = f"bis {german_datetime(refused.until)}" if refused.until else "bis auf Weiteres"
        return (
            "Zu viele fehlgeschlagene Anmeldeversuche mit dieser E-Mail-Adresse. Aus Sicherheitsgründen "
            f"ist die Anmeldung mit dieser Adresse {until} gesperrt. Mit „Passwort vergessen?“ können Sie "
            "Ihr Passwort zurücksetzen und sich danach sofort wieder anmelden."
        )
    if refused.reason == "unconfirmed":
        return "Ihre E-Mail-Adresse ist noch nicht bestätigt. Bitte klicken Sie auf den Link in unserer E-Mail."
    return LOGIN_FAILED


@bp.route("/anmelden", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN"), methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    unconfirmed = False
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, sign_in=True)
        except accounts.LoginRefused as refused:
            _log_refusal(form.email.data, refused)
            form.password.errors.append(_refusal_message(refused))
            unconfirmed = refused.reason == "unconfirmed"
        else:
            security_log.event("login.succeeded", user=user.id)
            start_session(user)
            return redirect_after_post(safe_next(request.args.get("next")) or url_for("home.index"), full_reload=True)
    return render(
        "auth/login.html", "auth/_login_form.html", form=form, unconfirmed=unconfirmed,
        status=422 if form.errors else 200,
    )


def _log_refusal(email: str, refused: accounts.LoginRefused) -> None:
    address = _address_ref(email)
    if refused.locked_now:
        security_log.event("login.locked", logging.WARNING, user=refused.user_id, address=address,
                           until=refused.until.isoformat(timespec="seconds") if refused.until else "reset")
    security_log.event("login.failed", logging.WARNING, user=refused.user_id, address=address,
                       reason=refused.reason)


def _address_ref(email: str) -> str:
    """Enough of the address's digest to follow one address through the log; strangers' addresses stay unread."""
    return accounts.address_hash(email)[:16]


@bp.route("/abmelden", methods=["POST"])
@login_required
def logout():
    accounts.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash("Sie haben sich abgemeldet.", "success")
    return redirect_after_post(url_for("auth.login"))


class ForgotPasswordForm(FlaskForm):
    email = email_field()


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@limiter.limit(_limit("PASSWORD_RESET"), methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = accounts.request_password_reset(form.email.data)
        security_log.event("password.reset_requested", user=user.id if user else None,
                           address=_address_ref(form.email.data))
        flash(
            "Wenn zu dieser E-Mail-Adresse ein Zugang besteht, haben wir einen Link zum Zurücksetzen gesendet. "
            "Er ist eine Stunde gültig. Bitte prüfen Sie auch Ihren Spam-Ordner.",
            "success",
        )
        return redirect_after_post(url_for("auth.login"))
    return render("auth/forgot_password.html", form=form, status=422 if form.errors else 200)


class ResetPasswordForm(NewPasswordForm):
    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def password_context(self):
        return accounts.password_context_words(self.user)


@bp.route("/passwort-neu/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = accounts.reset_link_user(token)
    if user is None:
        return render("auth/reset_invalid.html", status=410)
    form = ResetPasswordForm(user)
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data)
        except accounts.InvalidResetLink:
            return render("auth/reset_invalid.html", status=410)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            security_log.event("password.reset", user=user.id)
            flash("Ihr Passwort wurde geändert. Bitte melden Sie sich mit dem neuen Passwort an.", "success")
            return redirect_after_post(url_for("auth.login"))
    return render("auth/reset_password.html", form=form, status=422 if form.errors else 200)


@bp.route("/sitzung", methods=["POST"])
@login_required
def keep_alive():
    """"Angemeldet bleiben" in the warning before the idle timeout: the request itself is the activity."""
    if request.htmx:
        return "", 204
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"), code=303)
