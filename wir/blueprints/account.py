"""Kontaktdaten (phone numbers, e-mail address), Anschrift, Passwort, Meine Daten, and the
review of the contact data after the first sign-in."""

from flask import Blueprint, abort, current_app, flash, render_template, request, url_for
from flask_login import current_user
from limits import parse_many
from wtforms import StringField
from wtforms.validators import DataRequired

from wir import formatting
from wir.extensions import limiter
from wir.forms import (
    ChoiceField,
    EmptyForm,
    Form,
    NewPasswordForm,
    current_password_field,
    email_field,
    options,
    reject,
    valid_email_address,
)
from wir.navigation import viewer
from wir.rendering import or_404, redirect_after_post, render, send_bytes, wants_fragment
from wir.security import require_tenant, safe_next, start_session
from wir.services import scope
from wir.services.account import accounts, data_export, email_change, phones
from wir.services.rejections import Rejected
from wir.services.tickets import contact

bp = Blueprint("account", __name__, url_prefix="/konto")
bp.before_request(require_tenant)


# --- Kontaktdaten and the phone editor -------------------------------------------------
#
# The phone list is one component (account/_phones.html). Each action has its own
# URL that shows the whole Kontaktdaten page in that state (a row as its form, a new
# row, a question before deleting), so everything works as ordinary pages; htmx asks
# the same URLs and swaps only the component.


class PhoneForm(Form):
    kind = ChoiceField("Art")
    number = StringField(
        "Telefonnummer",
        validators=[DataRequired("Bitte geben Sie eine Telefonnummer ein.")],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": phones.NUMBER_MAX},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # a number left to itself gets the kind phonenumbers sees in it (services.phones.kind_for)
        self.kind.choices = options(phones.KINDS.items(), empty="Automatisch erkennen")


def _reviewing() -> bool:
    """Before the first review of the contact data the editor's pages are the review's (security.require_role
    lets the tenant see no other page yet), afterwards Kontaktdaten."""
    return current_user.contact_reviewed_at is None


def _phones_page() -> str:
    return url_for("account.review" if _reviewing() else "account.contact_data", _anchor="telefon")


def _phones_component(status=200, whole_page=False, on_review=None, **state):
    """The page holding the phone list (the review, by default until it is confirmed, else Kontaktdaten), or for
    htmx only the list, in the given state."""
    on_review = _reviewing() if on_review is None else on_review
    context = {"phones": scope.phones_of(current_user), "max_phones": phones.MAX_PHONES,
               "limit_message": phones.LIMIT_REACHED, "phones_page": _phones_page(), **state}
    fragment = None if whole_page else "account/_phones.html"
    context["swapped"] = fragment is not None and wants_fragment()
    if whole_page or not wants_fragment():
        context["persons"] = persons = viewer().persons
        if not on_review:
            context.update(
                pending_email=email_change.pending_change(current_user),
                address_categories=contact.address_change_categories(persons),
            )
    page = "account/review.html" if on_review else "account/contact_data.html"
    return render(page, fragment, status=status, **context)


def _phones_saved(message):
    """After a change: the updated list for htmx, back to the page for a plain form."""
    if wants_fragment():
        return _phones_component(saved=message)
    flash(message, "success")
    return redirect_after_post(_phones_page())


@bp.route("/kontaktdaten")
def contact_data():
    # always whole: htmx comes here through HX-Location after the e-mail and password forms
    return _phones_component(whole_page=True)


@bp.route("/telefon")
def phone_list():
    """The list as it is ("Abbrechen" of every phone form)."""
    return _phones_component()


@bp.route("/telefon/neu", methods=["GET", "POST"])
def add_phone():
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            phones.add(current_user, form.kind.data, form.number.data)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            return _phones_saved("Die Telefonnummer wurde hinzugefügt.")
    return _phones_component(status=422 if form.errors else 200, adding=True, form=form)


@bp.route("/telefon/<int:phone_id>/aendern", methods=["GET", "POST"])
def edit_phone(phone_id):
    phone = or_404(scope.phone_of(current_user, phone_id))
    form = PhoneForm(data={"kind": phone.kind, "number": formatting.phone(phone.number)})
    if form.validate_on_submit():
        try:
            changed = phones.change(current_user, phone.id, form.kind.data, form.number.data)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            if changed is None:
                abort(404)
            return _phones_saved("Die Telefonnummer wurde gespeichert.")
    return _phones_component(status=422 if form.errors else 200, editing=phone.id, form=form)


@bp.route("/telefon/<int:phone_id>/loeschen", methods=["GET", "POST"])
def delete_phone(phone_id):
    phone = or_404(scope.phone_of(current_user, phone_id))
    form = EmptyForm()
    if form.validate_on_submit():
        if not phones.remove(current_user, phone.id):
            abort(404)
        return _phones_saved("Die Telefonnummer wurde gelöscht.")
    return _phones_component(deleting=phone.id, form=form)


# --- E-Mail-Adresse --------------------------------------------------------------------


class EmailChangeForm(Form):
    email = email_field("Neue E-Mail-Adresse")
    password = current_password_field()

    def validate_email(self, field):
        valid_email_address(self, field)


EMAIL_CHANGES_LIMITED = ("Sie haben in letzter Zeit schon mehrmals eine neue E-Mail-Adresse angegeben. "
                         "Bitte versuchen Sie es später noch einmal.")


def _email_change_limits():
    """Each request mails an address the tenant chooses: RATELIMIT_EMAIL_CHANGE per account, counting
    only requests that sent mail (a mistyped password costs nothing), in the limiter's shared storage."""
    limits = parse_many(current_app.config["RATELIMIT_EMAIL_CHANGE"]) if limiter.enabled else []
    return f"email_change/{current_user.id}", limits


@bp.route("/email", methods=["GET", "POST"])
def change_email():
    form = EmailChangeForm()
    if form.validate_on_submit():
        key, limits = _email_change_limits()
        try:
            if not all(limiter.limiter.test(limit, key) for limit in limits):
                raise Rejected("email", EMAIL_CHANGES_LIMITED)
            email_change.request_change(current_user, form.email.data, form.password.data)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            for limit in limits:
                limiter.limiter.hit(limit, key)
            flash(f"Wir haben einen Bestätigungslink an {form.email.data} gesendet. "
                  "Er ist 24 Stunden gültig. Erst nach der Bestätigung ändert sich Ihr Benutzername. "
                  "Bitte prüfen Sie auch Ihren Spam-Ordner.", "success")
            return redirect_after_post(url_for("account.contact_data"))
    return render("account/email.html", "account/_email_form.html", form=form, status=422 if form.errors else 200)


@bp.route("/email/bestaetigen/<token>", methods=["GET", "POST"])
def confirm_email(token):
    """The link from the mail: signed in as the account that asked (the login sends them back here)."""
    form = EmptyForm()
    try:
        if form.validate_on_submit():
            new_email = email_change.confirm(current_user, token)
            flash(f"Ihre E-Mail-Adresse ist jetzt {new_email}. Bitte melden Sie sich künftig mit ihr an.", "success")
            return redirect_after_post(url_for("account.contact_data"))
        email_change.check_link(current_user, token)
    except email_change.ForeignLink:
        abort(404)
    except email_change.InvalidEmailChange:
        return render("account/email_invalid.html", status=410)
    return render("account/email_confirm.html", form=form)


# --- Passwort --------------------------------------------------------------------------


class PasswordChangeForm(NewPasswordForm):
    current_password = current_password_field("Bisheriges Passwort")

    def password_context(self):
        return accounts.password_context_words(current_user)


@bp.route("/passwort", methods=["GET", "POST"])
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(current_user, form.current_password.data, form.password.data)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            start_session(user)  # this session goes on with the new version; all others have ended
            flash("Ihr Passwort wurde geändert. Auf allen anderen Geräten sind Sie jetzt abgemeldet.", "success")
            return redirect_after_post(url_for("account.contact_data"), full_reload=True)
    return render("account/password.html", "account/_password_form.html", form=form,
                  status=422 if form.errors else 200)


@bp.route("/passwort/pruefen", methods=["POST"])
def check_password():
    """The criteria list for what is typed so far (htmx, while typing)."""
    return render("_password_criteria.html", form=PasswordChangeForm())


# --- Meine Daten -----------------------------------------------------------------------


class ExportForm(Form):
    password = current_password_field()


@bp.route("/meine-daten", methods=["GET", "POST"])
def my_data():
    form = ExportForm()
    if form.validate_on_submit():
        try:
            data = data_export.prepare(current_user, form.password.data)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            summary = render_template("account/export_summary.html", data=data)
            return send_bytes(data_export.archive(data, summary), "application/zip", data_export.download_name())
    return render("account/my_data.html", form=form, status=422 if form.errors else 200)


# --- Anschrift and the first review -------------------------------------------------------


@bp.route("/kontaktdaten-pruefen", methods=["GET", "POST"])
def review():
    form = EmptyForm()
    if form.validate_on_submit():
        accounts.confirm_contact_data(current_user)
        return redirect_after_post(safe_next(request.args.get("next")) or url_for("home.index"))
    return _phones_component(whole_page=True, on_review=True)


@bp.route("/anschrift")
def address():
    persons = viewer().persons
    return render("account/address.html", persons=persons, address_categories=contact.address_change_categories(persons))
