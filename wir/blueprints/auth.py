"""Anmelden, Abmelden, Passwort vergessen."""

import logging

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, logout_user
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from wir import security_log
from wir.extensions import limiter
from wir.formatting import german_datetime
from wir.forms import Form, NewPasswordForm, email_field, reject
from wir.rendering import redirect_after_post, render
from wir.security import SECOND_FACTOR_DUE, complete_second_factor, safe_next, start_session
from wir.services.account import accounts
from wir.services.account import second_factor as second_factor_service
from wir.services.rejections import Rejected
from wir.services.representation import representations

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "E-Mail-Adresse oder Passwort ist nicht richtig."


class LoginForm(Form):
    email = email_field(autocomplete="username")
    password = PasswordField(
        "Passwort",
        validators=[
            DataRequired("Bitte geben Sie Ihr Passwort ein."),
            Length(max=1024, message="Das Passwort darf höchstens 1024 Zeichen lang sein."),
        ],
        render_kw={"autocomplete": "current-password"},
    )


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
            start_session(user)
            next_url = safe_next(request.args.get("next"))
            if user.is_staff:
                security_log.event("login.password_accepted", user=user.id)
                return redirect_after_post(url_for("auth.second_factor", next=next_url), full_reload=True)
            security_log.event("login.succeeded", user=user.id)
            if next_url is None and representations.represented_by(user):
                next_url = url_for("representation.choose")  # whose data first: their own or someone's they act for
            return redirect_after_post(next_url or url_for("home.index"), full_reload=True)
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


class CodeForm(Form):
    code = StringField(
        "Bestätigungscode aus Ihrer Authenticator-App",
        validators=[DataRequired("Bitte geben Sie den Code aus Ihrer Authenticator-App ein."),
                    Length(max=20, message="Der Code hat 6 Ziffern.")],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class RecoveryCodeForm(Form):
    """On the code page beside CodeForm, its names prefixed with "recovery-"."""

    code = StringField(
        "Wiederherstellungscode",
        validators=[DataRequired("Bitte geben Sie einen Ihrer Wiederherstellungscodes ein."),
                    Length(max=40, message="Ein Wiederherstellungscode hat 16 Zeichen.")],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )


def _second_step_pending() -> bool:
    return bool(session.get(SECOND_FACTOR_DUE))


def _after_second_step() -> str:
    return safe_next(request.args.get("next")) or url_for("staff.index")


@bp.route("/zwei-faktor", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN"), methods=["POST"])
@login_required
def second_factor():
    """The second step of a staff sign-in: a code from the authenticator app, or a recovery code."""
    if not _second_step_pending():
        return redirect(url_for("home.index"))
    if not second_factor_service.is_enrolled(current_user):
        return redirect(url_for("auth.enrol", next=request.args.get("next")))
    form, recovery = CodeForm(), RecoveryCodeForm(prefix="recovery")
    submitted = recovery if "recovery-code" in request.form else form
    if submitted.validate_on_submit():
        user = current_user._get_current_object()
        factor = "recovery" if submitted is recovery else "app"
        check = second_factor_service.verify_recovery_code if submitted is recovery else second_factor_service.verify_code
        try:
            check(user, submitted.code.data)
        except accounts.LoginRefused as refused:
            if (ended := _refused_code(user, refused)) is not None:
                return ended
            submitted.code.errors.append(_refusal_message(refused))
        except Rejected as rejected:
            security_log.event("login.second_factor_failed", logging.WARNING, factor=factor)
            reject(submitted, rejected)
        else:
            security_log.event("login.succeeded", factor=factor)
            complete_second_factor()
            return redirect_after_post(_after_second_step(), full_reload=True)
    return render(
        "auth/second_factor.html", "auth/_second_factor_forms.html", form=form, recovery=recovery,
        status=422 if form.errors or recovery.errors else 200,
    )


def _refused_code(user, refused: accounts.LoginRefused):
    """A wrong code that locks the address ends the half signed-in session (and every other one of the
    account: only who knows the password gets this far); a short wait or an older lock is only said."""
    security_log.event("login.second_factor_failed", logging.WARNING, reason=refused.reason)
    if not refused.locked_now:
        return None
    security_log.event("login.locked", logging.WARNING,
                       until=refused.until.isoformat(timespec="seconds") if refused.until else "reset")
    accounts.end_all_sessions(user)
    logout_user()
    session.clear()
    flash(_refusal_message(refused), "error")
    return redirect_after_post(url_for("auth.login"), full_reload=True)


@bp.route("/zwei-faktor/einrichten", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN"), methods=["POST"])
@login_required
def enrol():
    """Zwei-Faktor-Anmeldung einrichten: QR code and secret, one valid code, then the recovery codes once."""
    if not _second_step_pending():
        return redirect(url_for("home.index"))
    user = current_user._get_current_object()
    if second_factor_service.is_enrolled(user):
        return redirect(url_for("auth.second_factor", next=request.args.get("next")))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = second_factor_service.confirm_enrolment(user, form.code.data)
        except accounts.LoginRefused as refused:
            if (ended := _refused_code(user, refused)) is not None:
                return ended
            form.code.errors.append(_refusal_message(refused))
        except Rejected as rejected:
            security_log.event("login.second_factor_failed", logging.WARNING, factor="enrolment")
            reject(form, rejected)
        else:
            security_log.event("login.succeeded", factor="enrolment")
            complete_second_factor()
            # shown once, in this answer: the codes are stored only as digests
            return render("auth/recovery_codes.html", codes=codes, next_url=_after_second_step())
    secret = second_factor_service.enrolment_secret(user)
    return render(
        "auth/enrol.html", form=form, secret=secret,
        qr_code=second_factor_service.qr_code_data_uri(second_factor_service.provisioning_uri(user, secret)),
        status=422 if form.errors else 200,
    )


@bp.route("/abmelden", methods=["POST"])
@login_required
def logout():
    accounts.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash("Sie haben sich abgemeldet.", "success")
    return redirect_after_post(url_for("auth.login"))


class ForgotPasswordForm(Form):
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
    return _new_password(token, accounts.RESET_PURPOSE)


@bp.route("/zugang-einrichten/<token>", methods=["GET", "POST"])
def set_up(token):
    """Zugang einrichten: a new staff member's first password, from the link the admin's creation mailed
    (blueprints/staff/staff_accounts.py); the second factor follows at the first sign-in."""
    return _new_password(token, accounts.SETUP_PURPOSE)


def _new_password(token: str, purpose: str):
    """The password page of a link by mail: Passwort vergessen's or a new staff account's set-up link."""
    setting_up = purpose == accounts.SETUP_PURPOSE
    user = accounts.reset_link_user(token, purpose)
    if user is None:
        return render("auth/reset_invalid.html", setting_up=setting_up, status=410)
    form = ResetPasswordForm(user)
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data, purpose)
        except accounts.InvalidResetLink:
            return render("auth/reset_invalid.html", setting_up=setting_up, status=410)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            security_log.event("staff_account.set_up" if setting_up else "password.reset", user=user.id)
            flash("Ihr Zugang ist eingerichtet. Bitte melden Sie sich jetzt an; danach richten Sie die "
                  "Zwei-Faktor-Anmeldung ein." if setting_up else
                  "Ihr Passwort wurde geändert. Bitte melden Sie sich mit dem neuen Passwort an.", "success")
            return redirect_after_post(url_for("auth.login"))
    return render("auth/reset_password.html", form=form, setting_up=setting_up, user=user,
                  status=422 if form.errors else 200)


@bp.route("/sitzung", methods=["POST"])
@login_required
def keep_alive():
    """"Angemeldet bleiben" in the warning before the idle timeout: the request itself is the activity."""
    if request.htmx:
        return "", 204
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"), code=303)
