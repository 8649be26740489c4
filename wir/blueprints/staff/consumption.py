"""Verbrauchsinformation per Post: the rental contracts whose tenants get the month's Verbrauchsinformation
(§ 6a HeizkostenV) on paper (no portal access, or they asked for paper), a page at a time, and their letters as
one PDF for window envelopes (services.consumption.notices)."""

from datetime import date

from flask import current_app, request
from flask_login import current_user
from wtforms import BooleanField, HiddenField, SelectMultipleField

from wir import clock, pagination
from wir.blueprints.staff import bp
from wir.converters import bounded_int
from wir.formatting import german_month
from wir.forms import ChoiceField, Form, options
from wir.models import Contract
from wir.rendering import render, send_bytes
from wir.services.consumption import notices
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
