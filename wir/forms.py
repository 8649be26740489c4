"""Form pieces shared by several areas: e-mail, new password with repeat, German messages."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from wir.services import password_rules

EMAIL_MAX = 254


def email_field(label="E-Mail-Adresse", autocomplete="email"):
    return EmailField(
        label,
        validators=[
            DataRequired("Bitte geben Sie Ihre E-Mail-Adresse ein."),
            Length(max=EMAIL_MAX, message=f"Die E-Mail-Adresse darf höchstens {EMAIL_MAX} Zeichen lang sein."),
        ],
        render_kw={"autocomplete": autocomplete, "inputmode": "email", "spellcheck": "false"},
    )


def valid_email_address(form, field):
    """A plausible mailbox: one @, a dot in the domain, no spaces (the mail itself proves the rest)."""
    local, _, domain = (field.data or "").strip().rpartition("@")
    if not local or "." not in domain or any(c.isspace() for c in field.data.strip()) or domain.endswith("."):
        raise ValidationError("Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de.")


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
