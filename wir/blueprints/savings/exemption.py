"""Freistellungsauftrag: the saver's current order with its history, a new or changed order, and the Widerruf.

The rules live in services.exemption_orders; the forms here collect the input and show every refusal next to its
field. Without JavaScript the partner's fields are always there (labelled "nur bei gemeinsamem Auftrag"); with htmx
they follow the chosen kind of order.
"""

from flask import flash, request, url_for
from flask_login import current_user
from wtforms import BooleanField, SelectField, StringField

from wir.blueprints.savings import bp
from wir.formatting import german_date, money
from wir.forms import (
    ChoiceField,
    Form,
    GermanMoneyField,
    current_password_field,
    options,
    reject,
)
from wir.navigation import viewer
from wir.rendering import redirect_after_post, render, wants_fragment
from wir.services.rejections import Rejected
from wir.services.savings import exemption_orders
from wir.services.savings.exemption_orders import (
    JOINT,
    JOINT_LIMIT,
    NOW,
    SINGLE,
    SINGLE_LIMIT,
    YEAR_END,
)

FORM_ID = "exemption-form"


def _saver():
    # the blueprint lets only users with a person at a savings cooperative in
    return exemption_orders.saver_of(viewer().persons)


@bp.route("/freistellungsauftrag")
def exemption():
    return render("savings/exemption.html", state=exemption_orders.status(_saver()))


class ExemptionForm(Form):
    kind = SelectField("Art des Auftrags", default=SINGLE, validate_choice=False)
    amount = GermanMoneyField("Betrag in Euro", render_kw={"inputmode": "decimal", "autocomplete": "off"})
    # the kind and the years are checked by the service, in its own words (a form opened on 31 December and sent
    # on 1 January hears why last year is no longer possible)
    valid_from = SelectField("Gültig ab", validate_choice=False)
    valid_until = SelectField("Gültig bis", validate_choice=False)
    tax_id = StringField(
        "Ihre Steuer-Identifikationsnummer (Steuer-ID)",
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    partner_name = StringField(
        "Vor- und Nachname Ihrer Ehe- oder Lebenspartnerin bzw. Ihres Ehe- oder Lebenspartners "
        "(nur bei gemeinsamem Auftrag)",
        render_kw={"autocomplete": "off"},
    )
    partner_tax_id = StringField(
        "Steuer-ID Ihrer Partnerin bzw. Ihres Partners (nur bei gemeinsamem Auftrag)",
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    total_confirmed = BooleanField(
        f"Ich versichere, dass alle meine Freistellungsaufträge bei allen Banken, Sparkassen und anderen Instituten "
        f"zusammen nicht mehr als {money(SINGLE_LIMIT)} betragen (bei einem gemeinsamen Auftrag {money(JOINT_LIMIT)})."
    )
    password = current_password_field()

    def set_choices(self, today):
        self.kind.choices = options(
            ((SINGLE, f"Nur für mich (bis {money(SINGLE_LIMIT)})"),
             (JOINT, f"Gemeinsam mit Ehe- oder Lebenspartner(in) (bis {money(JOINT_LIMIT)})"))
        )
        self.valid_from.choices = options(
            (year, f"01.01.{year}") for year in exemption_orders.valid_from_years(today)
        )
        self.valid_until.choices = options(
            ((year, f"31.12.{year}") for year in exemption_orders.valid_until_years(today)), empty="bis auf Widerruf"
        )

    def order_request(self) -> exemption_orders.OrderRequest:
        return exemption_orders.OrderRequest(
            kind=self.kind.data, amount=self.amount.data, valid_from_year=self.valid_from.data or "",
            valid_until_year=self.valid_until.data or None, tax_id=self.tax_id.data or "",
            partner_name=self.partner_name.data or "", partner_tax_id=self.partner_tax_id.data or "",
            total_confirmed=bool(self.total_confirmed.data), password=self.password.data or "",
        )


def _prefill(state: exemption_orders.Status) -> dict:
    """A change starts from the open order; a first order from this year, until revoked."""
    order = state.open
    if order is None:
        return {"kind": SINGLE, "valid_from": str(state.today.year), "valid_until": ""}
    return {
        "kind": JOINT if order.joint else SINGLE,
        "amount": order.amount,
        "valid_from": str(max(order.valid_from.year, state.today.year)),
        "valid_until": str(order.valid_until.year) if order.valid_until else "",
        "tax_id": order.tax_id,
        "partner_name": order.partner_name,
        "partner_tax_id": order.partner_tax_id,
    }


@bp.route("/freistellungsauftrag/neu", methods=["GET", "POST"])
def exemption_form():
    person = _saver()
    state = exemption_orders.status(person)
    form = ExemptionForm(data=_prefill(state) if request.method == "GET" else None)
    form.set_choices(state.today)
    if request.method == "POST" and request.form.get("action") == "choose":
        # htmx, the kind was chosen: the form again with or without the partner's fields, no messages yet; after
        # the tenant's own choice (not the fit on load) the amount is the field to fill next
        return _form_page(form, state, amount_next=request.form.get("fit") != "load")
    if form.is_submitted():
        form.validate()  # the CSRF token and the password's presence; the service checks the rest
        order_request = form.order_request()
        for rejected in exemption_orders.problems(order_request, person):
            if not (rejected.field in form and form[rejected.field].errors):  # an amount it could not read: said
                reject(form, rejected)
        if not form.errors:
            try:
                order = exemption_orders.place(current_user, person, order_request)
            except Rejected as rejected:
                reject(form, rejected)
            else:
                flash(f"Vielen Dank. Ihr Freistellungsauftrag über {money(order.amount)} gilt ab dem "
                      f"{german_date(order.valid_from)}. Die Bestätigung liegt in Ihren Dokumenten; "
                      "wir haben Ihnen außerdem eine E-Mail gesendet.", "success")
                return redirect_after_post(url_for("savings.exemption"))
    return _form_page(form, state, status=422 if form.errors else 200)


def _form_page(form, state, status=200, amount_next=False):
    # without JavaScript the page always shows the partner's fields; htmx shows them for a joint order only,
    # fitting a whole page to the chosen kind as soon as it has loaded (a fragment is fitted already)
    fragment = wants_fragment()
    partner_shown = (not fragment or form.kind.data == JOINT
                     or bool(form.partner_name.errors or form.partner_tax_id.errors))
    return render(
        "savings/exemption_form.html", "savings/_exemption_form.html", status=status,
        form=form, state=state, partner_shown=partner_shown, fit_on_load=not fragment, form_id=FORM_ID,
        amount_next=amount_next,
    )


class RevocationForm(Form):
    when = ChoiceField("Ab wann soll der Widerruf gelten?", default=YEAR_END)
    password = current_password_field()


@bp.route("/freistellungsauftrag/widerruf", methods=["GET", "POST"])
def exemption_revocation():
    person = _saver()
    state = exemption_orders.status(person)
    form = RevocationForm()
    next_year = german_date(state.today.replace(year=state.today.year + 1, month=1, day=1))
    choices = [(YEAR_END, f"Ab dem {next_year} (für dieses Jahr gilt der Auftrag noch)")]
    if state.revocable_now:
        choices.append((NOW, f"Sofort: für das ganze Jahr {state.today.year} gilt kein Freistellungsauftrag mehr"))
    form.when.choices = options(choices)
    if state.revocable and form.validate_on_submit():
        try:
            exemption_orders.revoke(current_user, person, form.when.data, form.password.data)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash("Ihr Widerruf ist eingegangen. Die Bestätigung liegt in Ihren Dokumenten; wir haben Ihnen außerdem "
                  "eine E-Mail gesendet.", "success")
            return redirect_after_post(url_for("savings.exemption"))
    status = 422 if form.errors or (request.method == "POST" and not state.revocable) else 200
    return render("savings/exemption_revocation.html", "savings/_exemption_revocation.html", status=status,
                  form=form, state=state, next_year=next_year)
