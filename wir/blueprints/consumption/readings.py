"""Zählerstand melden (/verbrauch/<contract>/zaehlerstand): a tenant sends the reading of one of their unit's meters
with a photo of it; it becomes a Meldung (wir.services.consumption.readings).

When the value looks wrong the form comes back asking „Stimmt der Wert?“ with a checkbox. The photo sent with it
is not lost: it waits as the user's pending upload (readings.keep_pending, for a day) and the form carries its
random reference, so confirming needs no second upload; filing the reading moves it into the Meldung.

A contract whose end is long past (or that has not begun) gets a page saying so instead of the form.
"""

import uuid

from flask import flash, request, url_for
from flask_login import current_user
from wtforms import BooleanField, FileField, HiddenField, StringField
from wtforms.validators import Length, Optional

from wir import clock, uploads
from wir.blueprints.consumption import bp
from wir.forms import ChoiceField, Form, GermanDateField, options
from wir.navigation import viewer
from wir.rendering import or_404, redirect_after_post, render
from wir.security import accepts_uploads
from wir.services import scope
from wir.services.consumption import readings


class ReadingForm(Form):
    meter = ChoiceField("Zähler")
    value = StringField("Zählerstand", validators=[Optional(), Length(max=30, message="Höchstens 30 Zeichen.")],
                        render_kw={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"})
    read_on = GermanDateField("Ablesedatum", validators=[Optional()])
    photo = FileField("Foto des Zählers", render_kw={"accept": "image/jpeg,image/png,application/pdf"})
    confirm = BooleanField("Ja, der Wert stimmt.")
    warned_value = HiddenField()  # the value the question „Stimmt der Wert?“ was about
    kept_photo = HiddenField()  # reference to the photo sent already (readings.keep_pending)
    submission_key = HiddenField()


def _photo(form: ReadingForm) -> tuple[uploads.Attachment | None, bool]:
    """The photo sent now (checked as Kontakt checks files), else the one kept from before; and whether it is new."""
    sent = form.photo.data
    if sent and getattr(sent, "filename", ""):
        try:
            return uploads.check_file(sent.filename, sent.read()), True
        except uploads.UploadRejected as rejected:
            form.photo.errors = [*form.photo.errors, str(rejected)]
            # the rejected file replaces the one before: the tenant chose another
            readings.discard_pending(current_user.id, form.kept_photo.data or "")
            form.kept_photo.data = ""
            return None, False
    return readings.pending_photo(current_user.id, form.kept_photo.data or "", clock.now()), False


@bp.route("/<int:contract_id>/zaehlerstand", methods=["GET", "POST"])
@accepts_uploads
def new_reading(contract_id):
    # the layout's persons (loaded once per request) are the user's: the contract must be one of theirs
    person, contract = or_404(scope.contract_of(viewer().persons, contract_id))
    meters = readings.meters_of(contract)
    if not meters:
        return render("consumption/reading_none.html", contract=contract, contract_label=scope.contract_label(contract))
    closed = readings.closed_reason(contract, clock.today())
    if closed and request.method == "GET":  # a form sent anyway is refused next to its date by the service
        return render("consumption/reading_closed.html", contract=contract, reason=closed,
                      contract_label=scope.contract_label(contract))
    form = ReadingForm()
    form.meter.choices = options(((m.id, readings.meter_label(m)) for m in meters),
                                 empty=None if len(meters) == 1 else "Bitte wählen")
    if request.method == "GET":
        # the move-out reading is dated the contract's last day at the latest
        form.read_on.data = min(clock.today(), contract.end_date or clock.today())
        form.meter.data = str(meters[0].id) if len(meters) == 1 else request.args.get("zaehler", "")
    if not form.submission_key.data:
        form.submission_key.data = uuid.uuid4().hex
    photo, new_photo, kept = None, False, ""
    if request.method == "POST":
        kept = form.kept_photo.data or ""
        valid = form.validate_on_submit()
        if not form.csrf_token.errors:
            photo, new_photo = _photo(form)
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
                    kept_photo=kept,
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
    if new_photo:  # the form comes back: the new photo waits for it (replacing one kept before)
        form.kept_photo.data = readings.keep_pending(current_user.id, photo, replacing=kept)
    elif photo is None and kept and not form.csrf_token.errors:  # expired (gone now, not at the next pruning)
        readings.discard_pending(current_user.id, kept)
        form.kept_photo.data = ""
        if not form.photo.errors:  # the form refused it before the service could say so
            form.photo.errors = [readings.PHOTO_AGAIN]
    if photo is not None:
        form.photo.label.text = "Anderes Foto wählen (freiwillig)"
    return render(
        "consumption/reading.html", "consumption/_reading.html", form=form, contract=contract, photo=photo,
        contract_label=scope.contract_label(contract), status=422 if form.errors else 200,
    )
