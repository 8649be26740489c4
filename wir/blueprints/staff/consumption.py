"""Verbrauchsinformation per Post: the rental contracts whose tenants get the month's Verbrauchsinformation
(§ 6a HeizkostenV) on paper (no portal access, or they asked for paper), a page at a time, and their letters as
one PDF for window envelopes (services.consumption.notices).

A rental contract's Verbrauch as its tenants see it (the tenant page's figures partial), for staff of the
contract's cooperative (another's is a 404), from the staff person page; each look is audited like the person page.
"""

from datetime import date

from flask import abort, current_app, request, url_for
from flask_login import current_user
from wtforms import BooleanField, HiddenField, SelectMultipleField

from wir import audit, clock, db, pagination
from wir.blueprints.consumption.pages import FIGURES_ID, charts_of
from wir.blueprints.staff import bp
from wir.converters import bounded_int
from wir.formatting import german_month
from wir.forms import ChoiceField, Form, options
from wir.models import Contract, Cooperative, Unit
from wir.rendering import or_404, render, send_bytes
from wir.services import scope
from wir.services.consumption import info, notices
from wir.services.consumption.info import month_key

PAGE_SIZE = 50  # also the letters of one PDF (see README: its time)
MONTHS_SHOWN = 12  # the months to choose from, before today's month
LIST_ID = "consumption-post"  # the element the month chooser and the page links replace


class MonthForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    monat = ChoiceField("Monat")
    offen = BooleanField("Nur noch nicht gedruckte Briefe")


class LettersForm(Form):
    """„Briefe als PDF“: the letters of the contracts shown on the page (so the PDF holds what the clerk saw)."""

    monat = HiddenField()
    vertrag = SelectMultipleField("Verträge", coerce=bounded_int, validate_choice=False)


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
    first = (page.page - 1) * PAGE_SIZE + 1
    params = {"monat": month_key(month), "offen": "y" if only_unprinted else None}
    fragment = "staff/_consumption_post.html" if request.headers.get("HX-Target") == LIST_ID else None
    response = render("staff/consumption_post.html", fragment, status=status, form=form, letters_form=letters_form,
                      month=month, page=page, letters=letters, first=first, params=params, list_id=LIST_ID)
    response.vary.add("HX-Target")  # the fragment is chosen by it: a cache must not give the page for it
    return response


@bp.route("/verbrauch/briefe", methods=["POST"])
def consumption_letters():
    """The letters of the contracts the page showed, as one PDF (DIN 5008 window envelopes); they count as printed
    („gedruckt am“) and the download is audited."""
    form = LettersForm()
    months = clock.months_before(clock.today(), MONTHS_SHOWN)
    month = _month(form.monat.data, months)
    letters = []
    if form.validate_on_submit():
        if month is None:
            form.form_errors.append("Bitte wählen Sie den Monat erneut.")
        else:
            # only contracts still on the list: a tenant who registered meanwhile is told by mail
            contracts = notices.by_post(current_user, month).where(Contract.id.in_(form.vertrag.data[:PAGE_SIZE]))
            letters = notices.letters_of(contracts, month)
            if not letters:
                form.form_errors.append("Diese Briefe sind nicht mehr auf der Liste. Bitte laden Sie die Seite neu.")
    if not letters:
        listing = MonthForm(formdata=None)
        listing.monat.choices = options((month_key(m), german_month(m)) for m in months)
        month = month or notices.newest_month(current_user, clock.today())
        listing.monat.data = month_key(month)
        return _page(listing, month, False, form, status=422)
    pdf = notices.letters_pdf(letters, month, current_app.config["BASE_URL"].rstrip("/"))
    notices.record_printed(current_user, letters, month)
    return send_bytes(pdf, "application/pdf", f"Verbrauchsinformation-{month_key(month)}.pdf")


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
