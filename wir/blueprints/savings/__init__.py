"""Sparen: savings accounts and their Umsätze (only where the cooperative runs savings).

One blueprint; the Freistellungsauftrag and the savers' requests are modules below that add their views to ``bp``.
"""

from flask import Blueprint, Response, abort, current_app, request, stream_with_context
from wtforms.validators import Optional

from wir.forms import ChoiceField, Form, GermanDateField, options
from wir.models import SavingsTransaction
from wir.navigation import viewer
from wir.rendering import or_404, render
from wir.security import require_tenant
from wir.services import scope
from wir.services.savings import exemption_orders, savings

bp = Blueprint("savings", __name__, url_prefix="/sparen")

LIST_ID = "transaction-list"  # the element the filter and the page links replace


@bp.before_request
def _only_for_savers_cooperatives():
    denied = require_tenant()
    if denied is not None:
        return denied
    if not viewer().has_savings:
        abort(404)
    return None


@bp.route("/")
def index():
    return render("savings/index.html", overview=savings.overview(scope.savings_accounts_of(viewer().persons)),
                  exemption=exemption_orders.status(exemption_orders.saver_of(viewer().persons)))


class FilterForm(Form):
    class Meta:
        csrf = False  # a GET form that changes nothing

    jahr = ChoiceField("Jahr", default="")
    von = GermanDateField("Von", validators=[Optional()])
    bis = GermanDateField("Bis", validators=[Optional()])
    art = ChoiceField("Art", default="")

    def selection(self) -> savings.Selection | None:
        """The chosen Umsätze, or None with the messages next to the fields."""
        valid = self.validate()
        if self.jahr.data and (self.von.data or self.bis.data):
            self.jahr.errors = [*self.jahr.errors, "Bitte wählen Sie entweder ein Jahr oder einen Zeitraum (Von, Bis)."]
        elif self.von.data and self.bis.data and self.von.data > self.bis.data:
            self.bis.errors = [*self.bis.errors, "Das Ende des Zeitraums liegt vor seinem Anfang."]
        if not valid or self.errors:
            return None
        return savings.Selection(int(self.jahr.data) if self.jahr.data else None, self.von.data, self.bis.data,
                                 self.art.data or None)


def _filter(account) -> FilterForm:
    form = FilterForm(request.args)
    form.jahr.choices = options(((year, year) for year in savings.years_of(account)), empty="Alle Jahre")
    form.art.choices = options(SavingsTransaction.KINDS.items(), empty="Alle Arten")
    return form


def _params(selection: savings.Selection) -> dict:
    """The selection as the form sends it, for the page and download links (empty values left out)."""
    return {
        "jahr": selection.year,
        "von": selection.start.isoformat() if selection.start else None,
        "bis": selection.end.isoformat() if selection.end else None,
        "art": selection.kind,
    }


def _page(account, form: FilterForm, selection: savings.Selection | None, page=None):
    # only the filter and the page links ask for the list alone
    fragment = "savings/_transactions.html" if request.headers.get("HX-Target") == LIST_ID else None
    return render(
        "savings/transactions.html", fragment, status=200 if selection is not None else 422,
        account=account, form=form, selection=selection, page=page, params=_params(selection) if selection else {},
        kind_label=savings.kind_label, list_id=LIST_ID,
    )


@bp.route("/<number>/umsaetze")
def transactions(number):
    account = or_404(scope.savings_account_of(viewer().persons, number))
    form = _filter(account)
    selection = form.selection()
    if selection is None:
        return _page(account, form, selection)
    page = savings.page_of(account, selection, current_app.config["PAGE_SIZE"],
                           after=request.args.get("nach"), before=request.args.get("vor"))
    return _page(account, form, selection, page)


@bp.route("/<number>/umsaetze.csv")
def transactions_csv(number):
    account = or_404(scope.savings_account_of(viewer().persons, number))
    form = _filter(account)
    selection = form.selection()
    if selection is None:  # the page with the messages next to the fields
        return _page(account, form, selection)
    response = Response(stream_with_context(savings.csv_lines(account, selection)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{savings.csv_filename(account, selection)}"'
    return response


from wir.blueprints.savings import exemption  # noqa: E402,F401
from wir.blueprints.savings import requests as savings_requests  # noqa: E402,F401
