"""Vertretung: the tenant invites and ends representations and reads who acted for them; the invited person
accepts with their own login; a representative chooses for whom to act (wir.acting does the rest)."""

from flask import Blueprint, current_app, flash, request, url_for
from flask_login import current_user
from wtforms.validators import Optional

from wir import acting, clock, mail
from wir.forms import (
    ChoiceField,
    EmptyForm,
    Form,
    GermanDateField,
    NewPasswordForm,
    email_field,
    options,
    reject,
    text_field,
    valid_email_address,
)
from wir.models import Representation
from wir.rendering import or_404, redirect_after_post, render
from wir.security import require_tenant, start_session
from wir.services import scope
from wir.services.account import password_rules
from wir.services.rejections import Rejected
from wir.services.representation import representations

bp = Blueprint("representation", __name__, url_prefix="/vertretung")

LEVEL_OPTIONS = [
    ("read", "Lesen: Startseite, Dokumente, Verträge, Meldungen und Sparen ansehen"),
    ("requests", "Lesen und Anliegen: zusätzlich Meldungen senden, Rückfragen beantworten, Dokumente anfordern"),
]


@bp.before_request
def _signed_in_tenant():
    # an invitation is opened before its receiver has an account
    if request.endpoint == "representation.accept":
        return None
    return require_tenant()


def _own_persons():
    """The signed-in user's own persons: what they may let others act for (never those they act for)."""
    return scope.persons_of(current_user)


class LevelForm(Form):
    level = ChoiceField("Was darf die Person für Sie tun?")
    valid_until = GermanDateField("Gültig bis (freiwillig)", validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = options(LEVEL_OPTIONS, empty="Bitte wählen")


class InviteForm(LevelForm):
    person = ChoiceField("Bei welcher Genossenschaft")
    name = text_field("Vor- und Nachname der Person", representations.NAME_MAX,
                      "Bitte geben Sie den Namen der Person ein, die für Sie handeln soll.",
                      render_kw={"autocomplete": "off"})
    email = email_field("E-Mail-Adresse der Person", autocomplete="off")

    def __init__(self, persons, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.email.validators = [*self.email.validators, valid_email_address]
        self.person.choices = options((person.id, person.cooperative.name) for person in persons)
        if len(persons) == 1 and not self.person.data:
            self.person.data = str(persons[0].id)


def _index_context(form: InviteForm, persons):
    return {
        "form": form,
        "persons": persons,
        "representations": representations.of_persons(persons),
        "represented": representations.represented_by(current_user),
        "status_of": representations.status_of,
        "scope_words": representations.scope_words,
        "now": clock.now(),
        "valid_days": representations.INVITATION_VALID.days,
    }


@bp.route("/", methods=["GET", "POST"])
def index():
    """The tenant's representations, the invitation form, and whom the user acts for."""
    persons = _own_persons()
    form = InviteForm(persons)
    if persons and form.validate_on_submit():
        person = next(p for p in persons if str(p.id) == form.person.data)
        try:
            representations.invite(
                current_user, person, form.name.data, form.email.data, form.level.data, form.valid_until.data,
                lambda token: mail.external_url("representation.accept", token=token),
            )
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash(f"Wir haben die Einladung an {form.email.data} gesendet. Der Link darin ist "
                  f"{representations.INVITATION_VALID.days} Tage gültig.", "success")
            return redirect_after_post(url_for("representation.index"))
    # the form's fragment answers its own htmx POST; the page after it (HX-Location) is the whole page
    return render("representation/index.html", "representation/_invite_form.html" if request.method == "POST" else None,
                  status=422 if form.errors else 200, **_index_context(form, persons))


def _own_representation(representation_id: int) -> Representation:
    return or_404(representations.of_person_by_id(_own_persons(), representation_id))


@bp.route("/<int:representation_id>/aendern", methods=["GET", "POST"])
def change(representation_id):
    representation = _own_representation(representation_id)
    if representation.ended_at is not None:
        return redirect_after_post(url_for("representation.index"))
    form = LevelForm(data={"level": representations.level_of(representation),
                           "valid_until": representation.valid_until})
    if form.validate_on_submit():
        try:
            representations.change(representation, current_user, form.level.data, form.valid_until.data)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash(f"Die Vertretung durch {representation.name} wurde geändert.", "success")
            return redirect_after_post(url_for("representation.index"))
    return render("representation/change.html", "representation/_change_form.html", form=form,
                  representation=representation, status=422 if form.errors else 200)


@bp.route("/<int:representation_id>/beenden", methods=["GET", "POST"])
def end(representation_id):
    """A question first (a plain page); the button ends it at once."""
    representation = _own_representation(representation_id)
    form = EmptyForm()
    if form.validate_on_submit():
        if representations.end(representation, current_user):
            flash(f"Die Vertretung durch {representation.name} ist beendet. Ab sofort sieht die Person nichts "
                  "mehr von Ihren Daten.", "success")
        return redirect_after_post(url_for("representation.index"))
    return render("representation/end.html", form=form, representation=representation)


@bp.route("/protokoll")
def history():
    """„Wer hat für mich gehandelt“."""
    page = representations.events_of(_own_persons(), request.args.get("seite"), current_app.config["PAGE_SIZE"])
    return render("representation/history.html", "representation/_history.html", page=page,
                  words=representations.EVENT_WORDS)


# --- the invited person ------------------------------------------------------------------------------------------


class NewAccountForm(NewPasswordForm):
    def __init__(self, invitation: Representation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def password_context(self):
        return password_rules.context_words(self.invitation.name, self.invitation.email)


def _invalid():
    return render("representation/invitation_invalid.html", status=410,
                  valid_days=representations.INVITATION_VALID.days)


@bp.route("/einladung/<token>", methods=["GET", "POST"])
def accept(token):
    invitation = representations.invitation(token)
    if invitation is None:
        return _invalid()
    signed_in = current_user.is_authenticated
    form = EmptyForm(prefix="accept") if signed_in else NewAccountForm(invitation)
    if form.validate_on_submit():
        try:
            if signed_in:
                representations.accept(token, current_user)
            else:
                start_session(representations.accept_with_new_account(token, form.password.data))
        except representations.InvalidInvitation:
            return _invalid()
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash(f"Sie können jetzt für {invitation.person.full_name} handeln.", "success")
            return redirect_after_post(url_for("representation.choose"), full_reload=not signed_in)
    return render("representation/accept.html", "representation/_accept_form.html", form=form,
                  invitation=invitation, token=token, signed_in=signed_in,
                  scope_words=representations.scope_words, status=422 if form.errors else 200)


# --- the representative ------------------------------------------------------------------------------------------

OWN = "eigene"


@bp.route("/handeln", methods=["GET", "POST"])
def choose():
    """„Meine eigenen Daten“ or „Für Gisela Weiß“: one button each (a plain form)."""
    held = representations.represented_by(current_user)
    form = EmptyForm()
    if form.validate_on_submit():
        chosen = request.form.get("fuer", "")
        if chosen == OWN:
            acting.stop()
            return redirect_after_post(url_for("home.index"), full_reload=True)
        representation = or_404(next((rep for rep in held if str(rep.id) == chosen), None))
        acting.start(representation)
        representations.record_sign_in(representation, current_user)
        return redirect_after_post(url_for("home.index"), full_reload=True)
    return render("representation/choose.html", form=form, held=held, own=OWN,
                  current=acting.current(), scope_words=representations.scope_words)
