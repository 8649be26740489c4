"""Vertretung on the staff's person page: „Vertretung eintragen“ from a written Vollmacht or a Betreuerausweis
(the PDF kept with the person, for staff only), the document itself, and „Beenden“, asked once more first.

The person is looked up as on the person page (staff_persons.person_of): a person of another cooperative, and
any representation not the person's, is 404.
"""

from flask import abort, flash, url_for
from flask_login import current_user
from wtforms import FileField, SelectMultipleField
from wtforms.validators import Optional

from wir import mail, storage, uploads
from wir.blueprints.staff import bp
from wir.forms import EmptyForm, Form, GermanDateField, email_field, options, reject, text_field, valid_email_address
from wir.models import Representation
from wir.rendering import or_404, redirect_after_post, render, send_bytes
from wir.security import accepts_uploads
from wir.services.rejections import Rejected
from wir.services.representation import representations
from wir.services.staff import staff_persons

# what staff choose beside Lesen, which every representation has
SCOPE_CHOICES = options((key, Representation.SCOPES[key]) for key in representations.DOCUMENT_SCOPES if key != "read")


class RepresentationForm(Form):
    name = text_field("Vor- und Nachname der Vertreterin oder des Vertreters", representations.NAME_MAX,
                      "Bitte geben Sie den Namen der Vertreterin oder des Vertreters ein.",
                      render_kw={"autocomplete": "off"})
    email = email_field("E-Mail-Adresse", autocomplete="off",
                        required="Bitte geben Sie die E-Mail-Adresse der Vertreterin oder des Vertreters ein.")
    # unknown keys are refused by the service, in German (wtforms' own check would answer in English)
    scopes = SelectMultipleField("Bereiche", choices=SCOPE_CHOICES, validate_choice=False)
    valid_until = GermanDateField("Gültig bis", validators=[Optional()])
    document = FileField("Vollmacht oder Betreuerausweis (PDF)", render_kw={"accept": "application/pdf,.pdf"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.email.validators = [*self.email.validators, valid_email_address]


def _person(person_id: int):
    return or_404(staff_persons.person_of(current_user, person_id))


def _representation(person, representation_id: int) -> Representation:
    return or_404(staff_persons.representation_of(person, representation_id))


def _stored_document(upload) -> str:
    """The checked PDF's storage key, "" when none was chosen (the service says so); raises UploadRejected before
    anything is stored."""
    if not upload or not upload.filename:
        return ""
    return storage.store(uploads.check_pdf(upload.filename, upload.read()).content)


@bp.route("/personen/<int:person_id>/vertretung/neu", methods=["GET", "POST"])
@accepts_uploads
def new_representation(person_id):
    """Vertretung eintragen: the representative gets an invitation mail like a tenant's invitee."""
    person = _person(person_id)
    form = RepresentationForm()
    if form.validate_on_submit():
        try:
            representations.enter_from_document(
                current_user._get_current_object(), person, form.name.data, form.email.data, form.scopes.data,
                form.valid_until.data, _stored_document(form.document.data),
                lambda token: mail.external_url("representation.accept", token=token),
            )
        except uploads.UploadRejected as refused:
            form.document.errors = [str(refused)]
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash(f"Die Vertretung durch {form.name.data} ist eingetragen. Eine E-Mail mit dem Link zur Anmeldung "
                  f"ist an {form.email.data} unterwegs; er ist {representations.INVITATION_VALID.days} Tage gültig.",
                  "success")
            return redirect_after_post(url_for("staff.person", person_id=person.id))
    return render("staff/new_representation.html", "staff/_representation_form.html",
                  status=422 if form.errors else 200, form=form, person=person)


@bp.route("/personen/<int:person_id>/vertretung/<int:representation_id>/beenden", methods=["GET", "POST"])
def end_representation(person_id, representation_id):
    """A question first (a plain page); the button ends it at once."""
    person = _person(person_id)
    representation = _representation(person, representation_id)
    form = EmptyForm()
    if form.validate_on_submit():
        if representations.end(representation, current_user._get_current_object()):
            flash(f"Die Vertretung durch {representation.name} ist beendet. Ab sofort kann {representation.name} "
                  f"nichts mehr für {person.full_name} sehen oder senden.", "success")
        return redirect_after_post(url_for("staff.person", person_id=person.id))
    return render("staff/end_representation.html", form=form, person=person, representation=representation)


@bp.route("/personen/<int:person_id>/vertretung/<int:representation_id>/vollmacht")
def representation_document(person_id, representation_id):
    """The Vollmacht or Betreuerausweis staff checked: for staff only, audited."""
    person = _person(person_id)
    representation = _representation(person, representation_id)
    if not representation.document_key:
        abort(404)  # an invitation by the tenant has no document
    staff_persons.record_document_view(representation, person, current_user._get_current_object())
    filename = uploads.safe_filename(f"Vollmacht {representation.name}", "application/pdf")
    return send_bytes(storage.load(representation.document_key), "application/pdf", filename)
