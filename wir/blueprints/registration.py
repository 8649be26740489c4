"""Registrieren (web and app), Bestätigungscode, Registrierungsnummer anfordern."""

from flask import Blueprint, current_app, flash, request, session, url_for
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Optional, Regexp

from wir.extensions import limiter
from wir.forms import (
    ChoiceField,
    EmptyForm,
    Form,
    NewPasswordForm,
    email_field,
    options,
    reject,
    text_field,
    valid_email_address,
)
from wir.models import Cooperative
from wir.rendering import redirect_after_post, render
from wir.security import start_session
from wir.services.account import password_rules
from wir.services.registration import registration
from wir.services.rejections import Rejected

bp = Blueprint("registration", __name__, url_prefix="/registrieren")

INVALID_CODE = (
    "Registrierungsnummer und Nachname passen nicht zusammen, oder die Nummer ist nicht mehr gültig. "
    "Bitte prüfen Sie Ihre Angaben im Anschreiben."
)
INVALID_CONFIRMATION = "E-Mail-Adresse oder Bestätigungscode ist nicht richtig, oder der Code ist nicht mehr gültig."


def _limit(name):
    return lambda: current_app.config[f"RATELIMIT_{name}"]


def _submitted_code():
    return "code:" + registration.normalize_code(request.form.get("registration_number", ""))


class RegistrationForm(NewPasswordForm):
    registration_number = text_field(
        "Registrierungsnummer",
        40,
        "Bitte geben Sie die Registrierungsnummer aus Ihrem Anschreiben ein.",
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    last_name = text_field("Nachname", 100, "Bitte geben Sie Ihren Nachnamen ein.",
                           render_kw={"autocomplete": "family-name"})
    email = email_field()
    accept_terms = BooleanField(
        "Ich stimme den Nutzungsbedingungen zu und habe die Datenschutzhinweise gelesen.",
        validators=[DataRequired("Bitte stimmen Sie den Nutzungsbedingungen zu.")],
    )
    def password_context(self):
        return password_rules.context_words(self.last_name.data or "", self.email.data or "")

    def validate_email(self, field):
        valid_email_address(self, field)


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(_limit("REGISTER"), methods=["POST"])
@limiter.limit(_limit("REGISTER_PER_CODE"), methods=["POST"], key_func=_submitted_code)
def register():
    form = RegistrationForm()
    if not form.is_submitted() and request.args.get("code"):
        # the QR code of the Registrierungsbrief opens this page with the number filled in; checked on submit
        form.registration_number.data = "".join(c for c in request.args["code"][:40] if c.isprintable()).strip()
    if form.validate_on_submit():
        data = registration.RegistrationData(
            form.registration_number.data, form.last_name.data, form.email.data, form.password.data
        )
        try:
            registration.register(data)
        except registration.InvalidRegistrationCode:
            form.registration_number.errors.append(INVALID_CODE)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            session["registered_email"] = form.email.data
            return redirect_after_post(url_for("registration.mail_sent"))
    return render(
        "registration/register.html",
        "registration/_register_form.html",
        form=form,
        status=422 if form.errors else 200,
    )


@bp.route("/passwort-pruefen", methods=["POST"])
@limiter.limit(_limit("PASSWORD_CHECK"))
def check_password():
    """The criteria list for what is typed so far (htmx, while typing)."""
    return render("_password_criteria.html", form=RegistrationForm())


class ResendForm(Form):
    email = email_field()


@bp.route("/email-versendet", methods=["GET", "POST"])
@limiter.limit(_limit("RESEND"), methods=["POST"])
def mail_sent():
    """Step 3 of the guide: the mail is on its way; check the spam folder; send it again."""
    form = ResendForm(data={"email": session.get("registered_email", "")})
    if form.validate_on_submit():
        registration.resend_confirmation(form.email.data)
        flash("Wenn zu dieser Adresse eine unbestätigte Registrierung gehört, ist eine neue E-Mail unterwegs.", "success")
        return redirect_after_post(url_for("registration.mail_sent"))
    return render("registration/mail_sent.html", form=form, status=422 if form.errors else 200)


@bp.route("/bestaetigen/<token>", methods=["GET", "POST"])
def confirm(token):
    form = EmptyForm()  # confirming changes data, so it is a POST behind a button
    if form.validate_on_submit():
        try:
            user = registration.confirm_by_token(token)
        except registration.InvalidConfirmation:
            return render("registration/confirm_invalid.html", status=410)
        return _sign_in_confirmed(user)
    if not registration.confirmation_is_open(token):
        return render("registration/confirm_invalid.html", status=410)
    return render("registration/confirm.html", form=form, token=token)


class CodeForm(Form):
    email = email_field()
    code = StringField(
        "Bestätigungscode",
        validators=[
            DataRequired("Bitte geben Sie den Bestätigungscode aus der E-Mail ein."),
            Regexp(r"^\s*\d{6}\s*$", message="Der Bestätigungscode besteht aus 6 Ziffern."),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )


@bp.route("/code", methods=["GET", "POST"])
@limiter.limit(_limit("CONFIRM_CODE"), methods=["POST"])
def confirm_code():
    """The app path: e-mail address and Bestätigungscode, "Absenden"."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            user = registration.confirm_by_code(form.email.data, form.code.data)
        except registration.InvalidConfirmation:
            form.code.errors.append(INVALID_CONFIRMATION)
        else:
            return _sign_in_confirmed(user)
    return render("registration/code.html", "registration/_code_form.html", form=form,
                  status=422 if form.errors else 200)


def _sign_in_confirmed(user):
    start_session(user)
    flash("Vielen Dank! Ihre E-Mail-Adresse ist bestätigt. Willkommen im WIR-immerda-Serviceportal.", "success")
    return redirect_after_post(url_for("home.index"), full_reload=True)


class NumberRequestForm(Form):
    first_name = text_field("Vorname", 100, "Bitte geben Sie Ihren Vornamen ein.",
                            render_kw={"autocomplete": "given-name"})
    last_name = text_field("Nachname", 100, "Bitte geben Sie Ihren Nachnamen ein.",
                           render_kw={"autocomplete": "family-name"})
    street = text_field("Straße und Hausnummer", 120, "Bitte geben Sie Straße und Hausnummer ein.",
                        render_kw={"autocomplete": "address-line1"})
    postcode = StringField(
        "Postleitzahl",
        validators=[
            DataRequired("Bitte geben Sie die Postleitzahl ein."),
            Regexp(r"^\s*\d{5}\s*$", message="Die Postleitzahl besteht aus 5 Ziffern."),
        ],
        render_kw={"autocomplete": "postal-code", "inputmode": "numeric", "maxlength": 5},
    )
    city = text_field("Ort", 80, "Bitte geben Sie den Ort ein.", render_kw={"autocomplete": "address-level2"})
    cooperative = ChoiceField("Genossenschaft", validators=[Optional()])
    reference_number = text_field("Mitglieds- oder Vertragsnummer (wenn bekannt)", 40)
    email = email_field("E-Mail-Adresse (freiwillig)", required=False)

    def validate_email(self, field):
        valid_email_address(self, field)


@bp.route("/nummer-anfordern", methods=["GET", "POST"])
@limiter.limit(_limit("NUMBER_REQUEST"), methods=["POST"])
def request_number():
    form = NumberRequestForm()
    cooperatives = list(Cooperative.select().order_by(Cooperative.name))
    form.cooperative.choices = options(((c.id, c.name) for c in cooperatives), empty="Weiß ich nicht")
    if form.validate_on_submit():
        try:
            registration.request_registration_number(
                cooperative=int(form.cooperative.data) if form.cooperative.data else None,
                first_name=form.first_name.data.strip(),
                last_name=form.last_name.data.strip(),
                street=form.street.data.strip(),
                postcode=form.postcode.data.strip(),
                city=form.city.data.strip(),
                reference_number=(form.reference_number.data or "").strip(),
                email=form.email.data or "",
            )
        except Rejected as rejected:
            reject(form, rejected)
        else:
            return redirect_after_post(url_for("registration.number_requested"))
    return render("registration/request_number.html", form=form, status=422 if form.errors else 200)


@bp.route("/nummer-angefordert")
def number_requested():
    return render("registration/number_requested.html")
