"""Verträge: contracts with their data, and changing the bank account per contract."""

from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from wir.forms import Form, current_password_field, reject
from wir.navigation import viewer
from wir.rendering import or_404, redirect_after_post, render
from wir.security import require_tenant
from wir.services.contracts import bank_accounts, contracts
from wir.services.rejections import Rejected

bp = Blueprint("contracts", __name__, url_prefix="/vertraege")
bp.before_request(require_tenant)


@bp.route("/")
def index():
    return render("contracts/index.html", groups=contracts.by_cooperative(contracts.all_details(viewer().persons)))


@bp.route("/<int:contract_id>")
def show(contract_id):
    details = or_404(contracts.details_of(viewer().persons, contract_id))
    return render("contracts/show.html", details=details)


class BankAccountForm(Form):
    holder = StringField(
        "Kontoinhaber",
        validators=[DataRequired("Bitte geben Sie den Kontoinhaber an.")],
        render_kw={"autocomplete": "name", "maxlength": bank_accounts.HOLDER_MAX},
    )
    iban = StringField(
        "IBAN",
        validators=[
            DataRequired("Bitte geben Sie die IBAN ein."),
            Length(max=100, message="Die Eingabe ist zu lang: Eine IBAN hat höchstens 34 Stellen."),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    apply_to_all = BooleanField(
        "Diese Bankverbindung auch für meine anderen Verträge bei dieser Genossenschaft verwenden"
    )
    consent = BooleanField(
        "Ich erteile das SEPA-Lastschriftmandat. Ist eine andere Person Kontoinhaber, hat sie ihm zugestimmt.",
        validators=[DataRequired("Bitte stimmen Sie dem SEPA-Lastschriftmandat zu.")],
    )
    password = current_password_field()

    # the service checks again when filing; here the messages stand next to every field at once
    def validate_holder(self, field):
        _as_validation_error(bank_accounts.check_holder, field.data)

    def validate_iban(self, field):
        _as_validation_error(bank_accounts.check_iban, field.data)


def _as_validation_error(check, value):
    try:
        check(value)
    except Rejected as rejected:
        raise ValidationError(rejected.message) from None


@bp.route("/<int:contract_id>/bankverbindung", methods=["GET", "POST"])
def change_bank_account(contract_id):
    details, siblings = or_404(contracts.with_siblings(viewer().persons, contract_id))
    form = BankAccountForm()
    if form.validate_on_submit():
        change = bank_accounts.BankChange(
            holder=form.holder.data, iban=form.iban.data, consent=form.consent.data,
            apply_to_all=bool(siblings) and form.apply_to_all.data, password=form.password.data,
        )
        try:
            bank_accounts.request_change(current_user, details, siblings, change)
        except Rejected as rejected:
            reject(form, rejected)
        else:
            flash("Vielen Dank. Ihre neue Bankverbindung ist in Prüfung. Bis wir sie bestätigen, "
                  "buchen wir weiter vom bisherigen Konto ab. Wir haben Ihnen eine E-Mail gesendet.", "success")
            return redirect_after_post(url_for("contracts.show", contract_id=contract_id))
    check = None
    if request.method == "POST":
        check = bank_accounts.preview(form.iban.data or "", form.holder.data or "", details.parties)
    references = bank_accounts.next_references([details] + siblings)
    return render(
        "contracts/bank_account.html", "contracts/_bank_account_form.html",
        form=form, details=details, siblings=siblings, check=check, references=references,
        mandate=bank_accounts.mandate_for(details, references[details.id]),
        status=422 if form.errors else 200,
    )


@bp.route("/<int:contract_id>/bankverbindung/pruefen", methods=["POST"])
def check_bank_account(contract_id):
    """While typing (htmx): the bank's name or what is wrong with the IBAN, and the note about the holder."""
    details = or_404(contracts.details_of(viewer().persons, contract_id))
    check = bank_accounts.preview(request.form.get("iban", ""), request.form.get("holder", ""), details.parties)
    return render("contracts/_bank_check.html", check=check)
