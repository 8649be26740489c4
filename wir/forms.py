"""Form pieces shared by several areas: e-mail, new password with repeat, fields and messages in German,
and the one way a service's refusal reaches a form."""

import re
import uuid
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import HiddenInput
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from wir.formatting import number
from wir.services import text
from wir.services.account import email_addresses, password_rules
from wir.services.rejections import Rejected


class Form(FlaskForm):
    """The base of every form of the portal (tests/test_forms.py checks that none is a bare FlaskForm).

    Hidden fields (the CSRF token, a submission key, a version) are rendered without an id: no label or error
    link points at them, and a page with two forms (Veröffentlichen and Verwerfen) would otherwise have two
    elements with the id "csrf_token" (WCAG 4.1.1, HTML_CodeSniffer F77). Visible fields keep their ids, which
    their labels and the error summary's links use.
    """

    class Meta:
        def render_field(self, field, render_kw):
            if isinstance(field.widget, HiddenInput):
                render_kw = {"id": False, **render_kw}  # False: wtforms leaves the attribute out
            return super().render_field(field, render_kw)


class EmptyForm(Form):
    """Only the CSRF token: for buttons that change something (the button is the confirmation)."""


def new_submission_key() -> str:
    return uuid.uuid4().hex


class RequestForm(Form):
    """Every request carries a one-time key: sending it twice files one ticket."""

    submission_key = HiddenField()

    def key(self) -> str | None:
        value = self.submission_key.data or ""
        return value if re.fullmatch(r"[0-9a-f]{32}", value) else None


def reject(form, rejected: Rejected, field_map: dict[str, str] | None = None) -> None:
    """Show a service's refusal next to its field; ``field_map`` renames the service's field names to the form's.

    A field the form does not have (a rule about the whole request) gets the message as a form-level error,
    which the error summary lists.
    """
    name = (field_map or {}).get(rejected.field, rejected.field)
    if name in form:
        form[name].errors = [*form[name].errors, rejected.message]
    else:
        form.form_errors.append(rejected.message)


def _normalized_email(value):
    return email_addresses.normalize_leniently(value) if value else value


def email_field(label="E-Mail-Adresse", autocomplete="email", required=True):
    """An e-mail field whose data is the stored form of the address (so any spelling finds the account).

    Forms that take a new address add valid_email_address; sign-in and look-ups only normalize. ``required``
    may be the message for an empty field when it is not the user's own address that is asked for.

    The sign-in's address (autocomplete "username", for password managers) is a text input with the e-mail
    keyboard: "username" belongs to the autofill rules' text group, which type="email" is not part of
    (HTML_CodeSniffer, WCAG 1.3.5).
    """
    render_kw = {"autocomplete": autocomplete, "inputmode": "email", "spellcheck": "false"}
    if autocomplete == "username":
        render_kw["autocapitalize"] = "none"  # what type="email" does by itself on phones
    return (StringField if autocomplete == "username" else EmailField)(
        label,
        validators=[
            DataRequired(required if isinstance(required, str) else "Bitte geben Sie Ihre E-Mail-Adresse ein.")
            if required else Optional(),
            Length(max=email_addresses.MAX_LENGTH, message=email_addresses.TOO_LONG),
        ],
        filters=[_normalized_email],
        render_kw=render_kw,
    )


def valid_email_address(form, field):
    """Exactly one address that mail can be sent to (syntax only, no DNS): see services.email_addresses."""
    if field.errors or not field.data:  # empty or too long: said already
        return
    try:
        email_addresses.normalize(field.data)
    except email_addresses.InvalidEmailAddress as invalid:
        raise ValidationError(invalid.message) from None


def text_field(label, max_length, required=None, area=False, **kwargs):
    """A line (or with ``area`` a text area) of at most ``max_length`` characters and nothing services.text forbids;
    ``required`` is the message when it is left empty, without it the field is optional."""
    validators = [DataRequired(required)] if required else [Optional()]
    validators += [Length(max=max_length, message=f"Höchstens {text.shown_limit(max_length)} Zeichen."), free_text]
    return (TextAreaField if area else StringField)(label, validators=validators, **kwargs)


def free_text(form, field):
    """The text rule (services.text) next to the field, before a service sees the text."""
    if isinstance(field.data, str) and text.forbidden(field.data):
        raise ValidationError(text.FORBIDDEN_MESSAGE)


def current_password_field(label="Ihr Passwort"):
    """The account's password, asked again to confirm a change."""
    return PasswordField(
        label,
        validators=[
            DataRequired("Bitte geben Sie zur Bestätigung Ihr Passwort ein."),
            Length(max=password_rules.MAX_LENGTH, message="Das Passwort ist zu lang."),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class GermanDateField(DateField):
    """A date from <input type="date"> or typed as 31.05.2026; a German message when it is neither."""

    def __init__(self, label, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%d", "%d.%m.%Y"], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Bitte geben Sie ein gültiges Datum ein, z. B. 31.05.2026.") from None


class GermanIntegerField(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError("Bitte geben Sie eine ganze Zahl ein.") from None


# an amount as Germans write it: 1.234,56 or 1234,56 or 1234 (a point only between groups of three digits)
GERMAN_AMOUNT = re.compile(r"(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]{1,2})?")


class GermanMoneyField(StringField):
    """An amount in euros typed the German way ("1.234,56", "1234", "1.234,5 €"); its data is a Decimal
    (None when empty). Signs and decimal points are refused: "12.5" would be ambiguous."""

    def process_formdata(self, valuelist):
        raw = valuelist[0] if valuelist else ""
        text = "".join(raw.split()).removesuffix("€").removesuffix("EUR")
        if not text:
            self.data = None
            return
        if len(text) > 20 or not GERMAN_AMOUNT.fullmatch(text):
            self.data = None
            raise ValueError("Bitte geben Sie den Betrag in Euro so ein: 1.234,56") from None
        self.data = Decimal(text.replace(".", "").replace(",", ".")).quantize(Decimal("0.01"))

    def _value(self):
        if self.raw_data:  # what the user typed, kept when the form comes back with a message
            return self.raw_data[0]
        return number(self.data, 2) if self.data is not None else ""


def options(pairs, empty: str | None = None) -> list[SelectChoice]:
    """The choices of a select from (value, label) pairs; ``empty`` labels a first entry with the value ""."""
    choices = [SelectChoice("", empty)] if empty is not None else []
    return choices + [SelectChoice(str(value), label) for value, label in pairs]


class ChoiceField(SelectField):
    """A select whose refusal of a value not in the list speaks German; its choices come from options()."""

    def pre_validate(self, form):
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError("Bitte wählen Sie einen Eintrag aus der Liste.")


class NewPasswordForm(Form):
    """A new password under the rules of DESIGN.md §6, typed twice."""

    password = PasswordField(
        "Passwort",
        validators=[DataRequired("Bitte wählen Sie ein Passwort.")],
        render_kw={"autocomplete": "new-password", "minlength": password_rules.MIN_LENGTH},
    )
    password_repeat = PasswordField(
        "Passwort wiederholen",
        validators=[
            DataRequired("Bitte geben Sie das Passwort noch einmal ein."),
            EqualTo("password", "Die beiden Passwörter stimmen nicht überein."),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def password_context(self) -> list[str]:
        """Words the password may not contain; forms add the names and addresses they know."""
        return password_rules.context_words()

    def criteria(self) -> list[password_rules.Criterion]:
        """The rules shown beside the field, each with whether what is typed meets it."""
        return password_rules.evaluate(self.password.data or "", self.password_context())

    def validate_password(self, field):
        problems = password_rules.problems(field.data or "", self.password_context())
        if problems:
            raise ValidationError(" ".join(problems))
