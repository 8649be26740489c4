"""Form pieces shared by several areas: e-mail, new password with repeat, German messages."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from wir.services import email_addresses, password_rules


def _normalized_email(value):
    return email_addresses.normalize_leniently(value) if value else value


def email_field(label="E-Mail-Adresse", autocomplete="email", required=True):
    """An e-mail field whose data is the stored form of the address (so any spelling finds the account).

    Forms that take a new address add valid_email_address; sign-in and look-ups only normalize.
    """
    return EmailField(
        label,
        validators=[
            DataRequired("Bitte geben Sie Ihre E-Mail-Adresse ein.") if required else Optional(),
            Length(max=email_addresses.MAX_LENGTH, message=email_addresses.TOO_LONG),
        ],
        filters=[_normalized_email],
        render_kw={"autocomplete": autocomplete, "inputmode": "email", "spellcheck": "false"},
    )


def valid_email_address(form, field):
    """Exactly one address that mail can be sent to (syntax only, no DNS): see services.email_addresses."""
    if field.errors or not field.data:  # empty or too long: said already
        return
    try:
        email_addresses.normalize(field.data)
    except email_addresses.InvalidEmailAddress as invalid:
        raise ValidationError(invalid.message) from None


class ChoiceField(SelectField):
    """A select whose refusal of a value not in the list speaks German."""

    def pre_validate(self, form):
        if self.data not in {str(value) for value, _ in self.choices}:
            raise ValidationError("Bitte wählen Sie einen Eintrag aus der Liste.")


class NewPasswordForm(FlaskForm):
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

    def validate_password(self, field):
        problems = password_rules.problems(field.data or "", self.password_context())
        if problems:
            raise ValidationError(" ".join(problems))
