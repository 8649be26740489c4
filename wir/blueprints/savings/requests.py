"""Sparen: the Jahreskontoauszüge of an account, Steuerbescheinigung anfordern, Kündigung einer Spareinlage."""

from urllib.parse import urlsplit

from flask import abort, flash, request, url_for
from flask_login import current_user
from wtforms import BooleanField
from wtforms.validators import DataRequired, Optional

from wir import clock
from wir.blueprints.savings import bp
from wir.forms import (
    ChoiceField,
    GermanDateField,
    GermanMoneyField,
    RequestForm,
    new_submission_key,
    options,
    reject,
)
from wir.navigation import viewer
from wir.rendering import or_404, redirect_after_post, render, send_bytes, wants_download
from wir.security import safe_next
from wir.services import scope
from wir.services.documents.certificates import NotOffered
from wir.services.rejections import Rejected
from wir.services.savings import exemption_orders, savings_requests, savings_statements

# --- Jahreskontoauszüge ---


@bp.route("/<number>/kontoauszuege")
def statements(number):
    account = or_404(scope.savings_account_of(viewer().persons, number))
    return render("savings/statements.html", account=account, years=savings_statements.statement_years(account),
                  current_year=clock.today().year)


@bp.route("/<number>/kontoauszug/<int:year>.pdf")
def statement(number, year):
    account = or_404(scope.savings_account_of(viewer().persons, number))
    pdf = or_404(savings_statements.statement_pdf(account, year))
    return send_bytes(pdf, "application/pdf", savings_statements.filename(account, year), inline=not wants_download())


# --- Steuerbescheinigung anfordern ---


class TaxCertificateForm(RequestForm):
    year = ChoiceField("Jahr", validators=[DataRequired("Bitte wählen Sie das Jahr.")])


def _saver():
    return or_404(exemption_orders.saver_of(viewer().persons))


@bp.route("/steuerbescheinigung", methods=["GET", "POST"])
def tax_certificate():
    person = _saver()
    form = TaxCertificateForm()
    years = savings_requests.tax_years(person)
    form.year.choices = options(((year, year) for year in years), empty="Bitte wählen")
    if request.method == "GET":
        form.submission_key.data = new_submission_key()
    if form.validate_on_submit():
        try:
            ticket = savings_requests.request_tax_certificate(person, int(form.year.data), current_user,
                                                              form.key())
        except NotOffered:
            abort(404)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash(f"Ihre Anfrage nach der Steuerbescheinigung {form.year.data} ist als Meldung {ticket.number} "
                  "eingegangen. Wir senden Ihnen die Bescheinigung per Post zu.", "success")
            return redirect_after_post(url_for("tickets.show", number=ticket.number))
    return render("savings/tax_certificate.html", "savings/_tax_certificate_form.html",
                  status=422 if form.errors else 200, form=form, years=years,
                  open_requests=savings_requests.open_tax_requests(person))


# --- Kündigung einer Spareinlage ---


class NoticeForm(RequestForm):
    amount = GermanMoneyField("Betrag in Euro", render_kw={"inputmode": "decimal", "autocomplete": "off"})
    whole_balance = BooleanField("Gesamtes Guthaben auszahlen und den Sparvertrag auflösen")
    payout_on = GermanDateField("Auszahlung zum", validators=[Optional()])

    def notice(self) -> savings_requests.SavingsNotice:
        return savings_requests.SavingsNotice(self.amount.data, bool(self.whole_balance.data), self.payout_on.data)


def _back_from_notice(account) -> tuple[str | None, str, str]:
    """Where the Kündigung's „Zurück“ leads: the page it was opened from (``next``, a path of this site only), else
    the account's Umsätze. Returns the ``next`` to keep in the form's action, the link and its words."""
    came_from = safe_next(request.args.get("next"))
    back = came_from or url_for("savings.transactions", number=account.number)
    if urlsplit(back).path == url_for("savings.index"):
        words = "Zurück zur Übersicht"
    elif urlsplit(back).path == url_for("savings.transactions", number=account.number):
        words = "Zurück zu den Umsätzen"
    else:
        words = "Zurück"
    return came_from, back, words


@bp.route("/<number>/kuendigung", methods=["GET", "POST"])
def notice(number):
    account = or_404(scope.savings_account_of(viewer().persons, number))
    came_from, back, back_words = _back_from_notice(account)
    terms = savings_requests.notice_terms(account)
    form = NoticeForm()
    if request.method == "GET":
        form.submission_key.data = new_submission_key()
        form.payout_on.data = terms.earliest
    if form.validate_on_submit():
        try:
            outcome = savings_requests.give_notice(account, form.notice(), current_user, form.key())
        except NotOffered:
            abort(404)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash(f"Ihre Kündigung ist als Meldung {outcome.ticket.number} eingegangen. Eine Kopie finden Sie "
                  "unter „Dokumente“.", "success")
            return redirect_after_post(url_for("tickets.show", number=outcome.ticket.number))
    return render("savings/notice.html", "savings/_notice_form.html", status=422 if form.errors else 200,
                  form=form, account=account, terms=terms, free_per_month=savings_requests.FREE_PER_MONTH,
                  payout_to=savings_requests.PAYOUT_TO,
                  pending_count=savings_requests.PENDING_COUNT, came_from=came_from, back=back,
                  back_words=back_words)
