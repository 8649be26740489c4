"""Verbrauch (/verbrauch/): a rental contract's monthly consumption information (§ 6a HeizkostenV), its PDF and the
wish to get it by post as well.

Only the contract's parties reach a contract's pages (scope.contract_of: another's contract is a 404). The month
comes from ``?monat=2026-10`` (a plain GET form with previous/next links; htmx swaps just the figures).
"""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from wir import charts, clock
from wir.blueprints.consumption import bp
from wir.formatting import german_month
from wir.forms import EmptyForm
from wir.navigation import viewer
from wir.rendering import or_404, redirect_after_post, render, send_bytes
from wir.services import scope
from wir.services.account import preferences
from wir.services.consumption import info
from wir.services.documents.documents import file_name, letterhead

FIGURES_ID = "verbrauch-werte"  # the part htmx swaps when the month changes


def _rental_of(contract_id: int):
    """(the user's party, the rental contract with its unit), or 404."""
    person, contract = or_404(scope.contract_of(viewer().persons, contract_id))
    if contract.kind != "rental" or not contract.unit_id:
        abort(404)
    return person, contract


def _month(text: str):
    """The month a URL names ("2026-10"); a malformed one is a 404, like an unknown page."""
    try:
        return clock.parse_month(text)
    except ValueError:
        abort(404)


def _month_arg():
    """The month of ?monat= (None when not given)."""
    text = request.args.get("monat")
    return _month(text) if text else None


def charts_of(this: info.ConsumptionInfo) -> dict:
    """Per kind the SVG of its 13 months and of the comparison with the average user, each described by the table
    beneath it (the ids the template gives those tables)."""
    made = {}
    for kind in this.kinds:
        points = [charts.MonthPoint(f"{german_month(p.month, with_year=False)[:3]} {p.month.year}",
                                    german_month(p.month), p.value, german_month(clock.add_months(p.month, -12)),
                                    p.year_before)
                  for p in reversed(kind.series)]  # newest first, as the table beneath
        months = charts.month_chart(
            points, kind.unit, kind.places, chart_id=f"chart-{kind.kind}", table_id=f"table-{kind.kind}",
            title=f"{kind.label}: Verbrauch der letzten 13 Monate in {kind.unit}, jeweils mit demselben Monat ein "
                  "Jahr früher", legend=("Monat", "ein Jahr früher"))
        average = None
        if kind.average is not None:
            average = charts.comparison_chart(
                [("Sie", kind.average.yours), ("Durchschnitt", kind.average.average)], kind.average.unit,
                kind.average.places, chart_id=f"chart-average-{kind.kind}", table_id=f"table-average-{kind.kind}",
                title=f"{kind.label} im {german_month(kind.month)}: Sie und der Durchschnitt im Haus")
        made[kind.kind] = {"months": months, "average": average}
    return made


@bp.route("/")
def index():
    rentals = [contract for _, contract in scope.contracts_of(viewer().persons)
               if contract.kind == "rental" and contract.unit_id]
    metered = info.metered(rentals)
    with_meters = [contract for contract in rentals if contract.id in metered]
    if len(with_meters) == 1:
        return redirect(url_for("consumption.show", contract_id=with_meters[0].id))
    return render("consumption/index.html", contracts=with_meters, contract_label=scope.contract_label)


@bp.route("/<int:contract_id>")
def show(contract_id):
    person, contract = _rental_of(contract_id)
    this = info.for_contract(contract, _month_arg())
    fragment = "consumption/_figures.html" if request.headers.get("HX-Target") == FIGURES_ID else None
    response = render(
        "consumption/show.html",
        fragment,
        info=this,
        charts=charts_of(this),
        person=person,
        contract=contract,
        contract_label=scope.contract_label(contract),
        figures_id=FIGURES_ID,
        post_form=EmptyForm(),
        month_key=info.month_key,
    )
    response.vary.add("HX-Target")  # the fragment is chosen by it: a cache must not give the page for it
    return response


@bp.route("/<int:contract_id>/<month>.pdf")
def pdf(contract_id, month):
    person, contract = _rental_of(contract_id)
    shown = _month(month)
    this = info.for_contract(contract, shown)
    if not this.has_values:
        abort(404)
    from wir.pdf import consumption_info  # fpdf, ~22 MB: loaded when a PDF is made
    from wir.pdf.cooperative_letter import address_lines, salutation

    parties = info.tenants_of(contract)
    letter = consumption_info.Letter(
        letterhead=letterhead(person.cooperative),
        recipient=address_lines(parties),
        salutation=salutation(parties),
        info=this,
        portal_url=current_app.config["BASE_URL"].rstrip("/") + url_for("consumption.index"),
    )
    content = consumption_info.build([letter], clock.today())
    title = f"Verbrauchsinformation {info.month_key(shown)}"
    return send_bytes(content, "application/pdf", file_name(title, contract.number))


@bp.route("/<int:contract_id>/per-post", methods=["POST"])
def by_post(contract_id):
    """Verbrauchsinformation zusätzlich per Post erhalten: on (``per_post=1``) or off for the signed-in tenant's
    person of the contract's cooperative."""
    person, contract = _rental_of(contract_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    wanted = request.form.get("per_post") == "1"
    preferences.set_consumption_by_post(person, wanted, current_user)
    flash("Sie erhalten die Verbrauchsinformation ab dem nächsten Monat zusätzlich per Post." if wanted
          else "Sie erhalten die Verbrauchsinformation nicht mehr per Post, sondern nur hier im Portal.", "success")
    return redirect_after_post(url_for("consumption.show", contract_id=contract.id))
