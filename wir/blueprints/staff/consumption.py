"""Verbrauchsinformation per Post: the rental contracts whose tenants get the month's Verbrauchsinformation
(§ 6a HeizkostenV) on paper (no portal access, or they asked for paper), a page at a time, and all of the month's
letters (as the list is filtered) as one PDF for window envelopes, made in the background like the
Registrierungsbriefe: the batch's page shows the progress and then the PDF (services.consumption.notices).

A rental contract's Verbrauch as its tenants see it (the tenant page's figures partial), for staff of the
contract's cooperative (another's is a 404), from the staff person page; each look is audited like the person page.
"""

from datetime import date

from flask import abort, current_app, request, url_for
from flask_login import current_user
from wtforms import BooleanField, HiddenField

from wir import audit, clock, db, pagination, tasks
from wir.blueprints.consumption.pages import FIGURES_ID, charts_of
from wir.blueprints.staff import bp
from wir.formatting import german_month
from wir.forms import ChoiceField, Form, options
from wir.models import Contract, Cooperative, JobStatus, Unit
from wir.rendering import (
    or_404,
    redirect_after_post,
    render,
    send_bytes,
    wants_fragment,
)
from wir.services import scope
from wir.services.consumption import info, notices
from wir.services.consumption.info import month_key
from wir.services.rejections import Rejected

PAGE_SIZE = 50
POLL_SECONDS = 2
BATCHES_SHOWN = 5  # the newest PDFs of all letters, below the list
MONTHS_SHOWN = 12  # the months to choose from, before today's month
LIST_ID = "consumption-post"  # the element the month chooser and the page links replace


class MonthForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    monat = ChoiceField("Monat")
    offen = BooleanField("Nur noch nicht gedruckte Briefe")


class LettersForm(Form):
    """„Alle Briefe als PDF erstellen“: the month's letters as the list is filtered (all, or not printed yet)."""

    monat = HiddenField()
    offen = HiddenField()


def _month(value: str | None, months: list[date]) -> date | None:
    return next((month for month in months if month_key(month) == value), None)


@bp.route("/verbrauch")
def consumption_post():
    """The post list of a month (default: the newest month with values), with its letters as PDF."""
    today = clock.today()
    months = clock.months_before(today, MONTHS_SHOWN)
    form = MonthForm(request.args)
    form.monat.choices = options((month_key(m), german_month(m)) for m in months)
    if not form.monat.data:
        form.monat.data = month_key(notices.newest_month(current_user, today))
    valid = form.validate()
    month = _month(form.monat.data, months) if valid else None
    if month is None:  # a month not offered: the form says so beside the chooser, the list shows the default
        month = notices.newest_month(current_user, today)
    only_unprinted = bool(form.offen.data) if valid else False
    return _page(form, month, only_unprinted, LettersForm(formdata=None), status=200 if valid else 422)


def _page(form: MonthForm, month: date, only_unprinted: bool, letters_form: LettersForm, status: int = 200):
    page = pagination.paginate(notices.by_post(current_user, month, only_unprinted), request.args.get("seite"),
                               PAGE_SIZE)
    letters = notices.letters_of(page.items, month)
    params = {"monat": month_key(month), "offen": "y" if only_unprinted else None}
    fragment = "staff/_consumption_post.html" if request.headers.get("HX-Target") == LIST_ID else None
    response = render("staff/consumption_post.html", fragment, status=status, form=form, letters_form=letters_form,
                      month=month, page=page, letters=letters, params=params, list_id=LIST_ID,
                      batches=list(notices.batches_of(current_user).limit(BATCHES_SHOWN)))
    response.vary.add("HX-Target")  # the fragment is chosen by it: a cache must not give the page for it
    return response


@bp.route("/verbrauch/briefe", methods=["POST"])
def consumption_letters():
    """Order all of the month's letters (as the list was filtered) as one PDF, made in the background; then the
    batch's page."""
    form = LettersForm()
    months = clock.months_before(clock.today(), MONTHS_SHOWN)
    month = _month(form.monat.data, months)
    only_unprinted = form.offen.data == "y"
    if form.validate_on_submit():
        if month is None:
            form.form_errors.append("Bitte wählen Sie den Monat erneut.")
        else:
            try:
                batch = notices.create_batch(current_user, month, only_unprinted)
            except Rejected as rejected:
                form.form_errors.append(rejected.message)
            else:
                _start(batch)
                return redirect_after_post(url_for("staff.consumption_batch", consumption_batch_id=batch.id))
    listing = MonthForm(formdata=None)
    listing.monat.choices = options((month_key(m), german_month(m)) for m in months)
    month = month or notices.newest_month(current_user, clock.today())
    listing.monat.data = month_key(month)
    listing.offen.data = only_unprinted
    return _page(listing, month, only_unprinted, form, status=422)


def _start(batch) -> None:
    """Enqueue the batch after its transaction; a queue out of reach fails it with the reason."""
    try:
        tasks.build_consumption_letters(batch.id)
    except Exception:
        current_app.logger.exception("Verbrauchsinformation per Post %s nicht eingereiht", batch.id)
        notices.fail(batch.id, "Die Hintergrundverarbeitung ist nicht erreichbar. Kein Brief gilt als gedruckt; "
                               "bitte versuchen Sie es später erneut.")


@bp.route("/verbrauch/auftrag/<int:consumption_batch_id>")
def consumption_batch(consumption_batch_id):
    """A batch: its progress (htmx polls the status while it runs; a plain link reloads), then the PDF."""
    batch = or_404(notices.batch_of(current_user, consumption_batch_id))
    # swapped: the poll's answer also fills the page's live region (consumption_batch.html) out of band
    return render("staff/consumption_batch.html", "staff/_consumption_batch.html", batch=batch,
                  poll_seconds=POLL_SECONDS, swapped=wants_fragment())


@bp.route("/verbrauch/auftrag/<int:consumption_batch_id>/briefe.pdf")
def consumption_batch_pdf(consumption_batch_id):
    """The batch's letters in one PDF (names, addresses and consumption: every download is audited)."""
    batch = or_404(notices.batch_of(current_user, consumption_batch_id))
    if batch.status != JobStatus.DONE:
        return render("staff/consumption_batch.html", batch=batch, poll_seconds=POLL_SECONDS, status=409)
    with db.write_transaction():
        audit.record(current_user, "consumption_letters.downloaded", obj=batch,
                     detail=f"{german_month(batch.month)}: {batch.total} Briefe", cooperative=batch.cooperative)
    return send_bytes(notices.batch_pdf(batch), "application/pdf",
                      f"Verbrauchsinformation-{month_key(batch.month)}-{batch.id}.pdf")


@bp.route("/verbrauch/vertrag/<int:contract_id>")
def consumption_contract(contract_id):
    """A rental contract's Verbrauch of a month (?monat=, default the newest) as its tenants see it, to answer
    their questions; only the staff member's cooperative's (admins: both)."""
    query = (Contract.select(Contract, Unit, Cooperative).join(Unit).switch(Contract).join(Cooperative)
             .where((Contract.id == contract_id) & (Contract.kind == "rental")))
    contract = or_404(scope.in_staff_scope(query, current_user, Contract.cooperative).first())
    month = None
    if request.args.get("monat"):
        try:
            month = clock.parse_month(request.args["monat"])
        except ValueError:
            abort(404)
    this = info.for_contract(contract, month)
    with db.write_transaction():  # personal data: who looked at whose Verbrauch, like the person page
        audit.record(current_user, "consumption.view", contract,
                     f"{contract.number}, {german_month(this.month)}" if this.month else contract.number,
                     cooperative=contract.cooperative)
    url = url_for("staff.consumption_contract", contract_id=contract.id)
    fragment = "consumption/_figures.html" if request.headers.get("HX-Target") == FIGURES_ID else None
    response = render("staff/consumption_contract.html", fragment, info=this, charts=charts_of(this),
                      contract=contract, contract_label=scope.contract_label(contract),
                      tenants=info.tenants_of(contract), figures_id=FIGURES_ID, figures_url=url,
                      month_pdf_url=None, month_key=month_key)
    response.vary.add("HX-Target")  # the fragment is chosen by it: a cache must not give the page for it
    return response
