"""Registrierungsbriefe: answer "Registrierungsnummer anfordern" requests and write to persons without an account.

The letters are made in the background (wir.tasks); the batch's page shows the progress and then the PDF.
"""


from flask import current_app, request, url_for
from flask_login import current_user
from wtforms import BooleanField, HiddenField, SelectMultipleField

from wir import audit, db, pagination, tasks
from wir.blueprints.staff import bp
from wir.converters import bounded_int
from wir.forms import ChoiceField, EmptyForm, Form, options, reject, text_field
from wir.models import JobStatus
from wir.rendering import or_404, redirect_after_post, render, send_bytes, wants_fragment
from wir.services.registration import registration_letters
from wir.services.rejections import Rejected
from wir.services.staff import staff_persons

REQUESTS_SHOWN = 50  # the oldest open requests; answering them brings up the next
PERSONS_PAGE_SIZE = 50
POLL_SECONDS = 2


class LettersForm(Form):
    """ "Briefe erstellen": the ticked requests and persons (checkboxes in the lists, form="briefe")."""

    anfrage = SelectMultipleField("Anfragen", coerce=bounded_int, validate_choice=False)
    person = SelectMultipleField("Personen", coerce=bounded_int, validate_choice=False)
    alle = BooleanField("Alle Personen ohne Zugang dieser Auswahl")
    haus = HiddenField()


class HouseFilterForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    haus = ChoiceField("Haus", default="")


def _house_filter() -> HouseFilterForm:
    form = HouseFilterForm(request.args)
    form.haus.choices = options(((h, h) for h in registration_letters.houses(current_user)), empty="Alle Häuser")
    return form


def _persons_page(house: str):
    return pagination.paginate(registration_letters.persons_without_account(current_user, house),
                               request.args.get("seite"), PERSONS_PAGE_SIZE)


@bp.route("/registrierungsbriefe", methods=["GET", "POST"])
def letters():
    """The open requests with their persons, the persons without an account (by house), the recent batches."""
    filter_form = _house_filter()
    form = LettersForm()
    if form.is_submitted():  # the list the clerk chose from, as the form carries it
        filter_form.haus.data = form.haus.data or ""
    house = filter_form.haus.data if filter_form.validate() else ""
    form.haus.data = house
    if form.validate_on_submit():
        try:
            batch = registration_letters.create_batch(
                current_user, form.person.data or [], form.anfrage.data or [],
                everyone_in=(form.haus.data or "") if form.alle.data else None,
            )
        except Rejected as rejected:
            reject(form, rejected)
        else:
            _start(batch)
            return redirect_after_post(url_for("staff.letter_batch", letter_batch_id=batch.id))
    persons = _persons_page(house)
    open_requests = registration_letters.open_requests(current_user)
    return render(
        "staff/letters.html",
        "staff/_letter_persons.html",
        status=422 if form.errors or form.form_errors else 200,
        form=form,
        filter_form=filter_form,
        house=house,
        persons=persons,
        matches=registration_letters.matches(current_user, open_requests.limit(REQUESTS_SHOWN)),
        open_count=open_requests.count(),
        batches=list(registration_letters.batches_of(current_user).limit(10)),
    )


def _start(batch) -> None:
    """Enqueue the batch after its transaction; a queue out of reach fails it with the reason."""
    try:
        tasks.build_registration_letters(batch.id)
    except Exception:
        current_app.logger.exception("Registrierungsbriefe %s nicht eingereiht", batch.id)
        registration_letters.fail(batch.id, "Die Hintergrundverarbeitung ist nicht erreichbar. Es wurde keine "
                                            "Registrierungsnummer geändert; bitte versuchen Sie es später erneut.")


@bp.route("/registrierungsbriefe/auftrag/<int:letter_batch_id>")
def letter_batch(letter_batch_id):
    """A batch: its progress (htmx polls the status while it runs; a plain link reloads), then the PDF."""
    batch = or_404(registration_letters.batch_of(current_user, letter_batch_id))
    # swapped: the poll's answer also fills the page's live region (letter_batch.html) out of band
    return render("staff/letter_batch.html", "staff/_letter_batch.html", batch=batch, poll_seconds=POLL_SECONDS,
                  swapped=wants_fragment())


@bp.route("/registrierungsbriefe/auftrag/<int:letter_batch_id>/briefe.pdf")
def letter_batch_pdf(letter_batch_id):
    """The batch's letters in one PDF (they carry Registrierungsnummern: every download is audited)."""
    batch = or_404(registration_letters.batch_of(current_user, letter_batch_id))
    if batch.status != JobStatus.DONE:
        return render("staff/letter_batch.html", batch=batch, poll_seconds=POLL_SECONDS, status=409)
    with db.write_transaction():
        audit.record(current_user, "registration_letters.downloaded", obj=batch, cooperative=batch.cooperative)
    return send_bytes(registration_letters.batch_pdf(batch), "application/pdf", f"Registrierungsbriefe-{batch.id}.pdf")


class PersonSearchForm(Form):
    class Meta:
        csrf = False

    suche = text_field("Name, Anschrift oder Nummer", staff_persons.SEARCH_MAX, render_kw={"type": "search", "spellcheck": "false"})


@bp.route("/registrierungsbriefe/anfrage/<int:number_request_id>", methods=["GET", "POST"])
def letter_request(number_request_id):
    """A request no person matched ("nicht zuzuordnen"): the clerk finds the person and assigns them."""
    found_request = or_404(registration_letters.open_request_of(current_user, number_request_id))
    search = PersonSearchForm(request.args)
    text = (search.suche.data or "").strip() if search.validate() else ""
    if not text and not search.suche.errors:
        text = found_request.last_name
        search.suche.data = text
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            registration_letters.assign_person(current_user, found_request, request.form.get("person", type=bounded_int) or 0)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            return redirect_after_post(url_for("staff.letters"))
    found = pagination.paginate(registration_letters.search_persons_without_account(current_user, text),
                                request.args.get("seite"), 20)
    return render("staff/letter_request.html", "staff/_letter_request_persons.html",
                  status=422 if form.errors or form.form_errors else 200,
                  number_request=found_request, search=search, form=form, found=found, text=text)
