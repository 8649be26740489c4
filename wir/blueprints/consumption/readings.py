"""Zählerstand melden (/verbrauch/<contract>/zaehlerstand): a tenant sends the reading of one of their unit's meters
with a photo of it; it becomes a Meldung (wir.services.consumption.readings).

When the value looks wrong the form comes back asking „Stimmt der Wert?“ with a checkbox. The photo sent with it
is not lost: it is kept in storage (by content hash) and the form carries a signed reference to it, bound to the
user, so confirming needs no second upload.
"""

import uuid

from flask import current_app, flash, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import BooleanField, FileField, HiddenField, StringField
from wtforms.validators import Length, Optional

from wir import clock, storage, uploads
from wir.blueprints.consumption import bp
from wir.forms import ChoiceField, Form, GermanDateField, options
from wir.navigation import viewer
from wir.rendering import or_404, redirect_after_post, render
from wir.security import accepts_uploads
from wir.services import scope
from wir.services.consumption import readings

PHOTO_SALT = "meter-reading-photo"  # the signature's purpose: a reference made for this form only
PHOTO_MAX_AGE = 24 * 60 * 60  # seconds a kept photo may be confirmed in


class ReadingForm(Form):
    meter = ChoiceField("Zähler")
    value = StringField("Zählerstand", validators=[Optional(), Length(max=30, message="Höchstens 30 Zeichen.")],
                        render_kw={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"})
    read_on = GermanDateField("Ablesedatum", validators=[Optional()])
    photo = FileField("Foto des Zählers", render_kw={"accept": "image/jpeg,image/png,application/pdf"})
    confirm = BooleanField("Ja, der Wert stimmt.")
    warned_value = HiddenField()  # the value the question „Stimmt der Wert?“ was about
    kept_photo = HiddenField()  # signed reference to the photo sent already
    submission_key = HiddenField()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=PHOTO_SALT)


def _keep(photo: uploads.Attachment) -> str:
    """Stores the checked photo now and returns the form's reference to it."""
    key = storage.store(photo.content)
    return _serializer().dumps({"user": current_user.id, "key": key, "name": photo.filename,
                                "type": photo.content_type})


def _kept(reference: str) -> uploads.Attachment | None:
    """The photo a reference of this user's form points to; None when it is missing, forged, another user's or
    too old (the form then asks for the photo again)."""
    if not reference:
        return None
    try:
        data = _serializer().loads(reference, max_age=PHOTO_MAX_AGE)
        if data.get("user") != current_user.id:
            return None
        return uploads.Attachment(data["name"], data["type"], storage.load(data["key"]))
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError, FileNotFoundError):
        return None


def _photo(form: ReadingForm) -> uploads.Attachment | None:
    """The photo sent now (checked as Kontakt checks files), else the one kept from before."""
    sent = form.photo.data
    if sent and getattr(sent, "filename", ""):
        try:
            photo = uploads.check_file(sent.filename, sent.read())
        except uploads.UploadRejected as rejected:
            form.photo.errors = [*form.photo.errors, str(rejected)]
            form.kept_photo.data = ""  # the rejected file replaces the one before: the tenant chose another
            return None
        form.kept_photo.data = _keep(photo)
        return photo
    photo = _kept(form.kept_photo.data or "")
    if photo is None:
        form.kept_photo.data = ""
    return photo


@bp.route("/<int:contract_id>/zaehlerstand", methods=["GET", "POST"])
@accepts_uploads
def new_reading(contract_id):
    # the layout's persons (loaded once per request) are the user's: the contract must be one of theirs
    person, contract = or_404(scope.contract_of(viewer().persons, contract_id))
    meters = readings.meters_of(contract)
    if not meters:
        return render("consumption/reading_none.html", contract=contract, contract_label=scope.contract_label(contract))
    form = ReadingForm()
    form.meter.choices = options(((m.id, readings.meter_label(m)) for m in meters),
                                 empty=None if len(meters) == 1 else "Bitte wählen")
    if request.method == "GET":
        form.read_on.data = clock.today()
        form.meter.data = str(meters[0].id) if len(meters) == 1 else request.args.get("zaehler", "")
    if not form.submission_key.data:
        form.submission_key.data = uuid.uuid4().hex
    photo = None
    if request.method == "POST":
        valid = form.validate_on_submit()
        if not form.csrf_token.errors:
            photo = _photo(form)
        if valid and not form.photo.errors:
            try:
                ticket = readings.submit(readings.NewReading(
                    person=person,
                    contract=contract,
                    meter_id=int(form.meter.data) if (form.meter.data or "").isdigit() else None,
                    value=form.value.data or "",
                    read_on=form.read_on.data,
                    photo=photo,
                    created_by=current_user._get_current_object(),
                    confirmed_value=form.warned_value.data if form.confirm.data else None,
                    submission_key=form.submission_key.data,
                ))
            except readings.Unusual as warning:
                form.value.errors = [*form.value.errors, warning.message]
                form.warned_value.data = form.value.data
                form.confirm.data = False
            except readings.Invalid as invalid:
                for name, message in invalid.problems.items():
                    form[name].errors = [*form[name].errors, message]
            else:
                flash(f"Vielen Dank! Ihr Zählerstand ist eingegangen. Ihre Meldungsnummer: {ticket.number}", "success")
                return redirect_after_post(url_for("tickets.show", number=ticket.number))
    if photo is not None:
        form.photo.label.text = "Anderes Foto wählen (freiwillig)"
    return render(
        "consumption/reading.html", "consumption/_reading.html", form=form, contract=contract, photo=photo,
        contract_label=scope.contract_label(contract), status=422 if form.errors else 200,
    )
