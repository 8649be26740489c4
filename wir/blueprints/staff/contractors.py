"""Handwerker (/intern/handwerker): the cooperative's contractors for work orders from the desk: list, add, edit,
deactivate and activate again (asked on a page of its own). Staff see only their cooperative's (another's: 404)."""

from flask import current_app, flash, request, url_for
from flask_login import current_user

from wir import pagination
from wir.blueprints.staff import bp, chosen_cooperative, offer_cooperatives
from wir.forms import ChoiceField, EmptyForm, Form, email_field, reject, text_field, valid_email_address
from wir.rendering import or_404, redirect_after_post, render
from wir.services.rejections import Rejected
from wir.services.staff import contractors


class ContractorForm(Form):
    cooperative = ChoiceField("Genossenschaft")  # admins adding one; staff add for their own
    name = text_field("Name der Firma", contractors.NAME_MAX, "Bitte geben Sie den Namen der Firma ein.",
                      render_kw={"autocomplete": "organization"})
    trade = text_field("Gewerk", contractors.TRADE_MAX, "Bitte geben Sie das Gewerk ein.")
    email = email_field("E-Mail-Adresse für Aufträge", autocomplete="off",
                        required="Bitte geben Sie die E-Mail-Adresse der Firma ein.")
    phone = text_field("Telefon (freiwillig)", contractors.PHONE_MAX, render_kw={"inputmode": "tel", "autocomplete": "off"})

    validate_email = valid_email_address

    def draft(self) -> contractors.Draft:
        return contractors.Draft(self.name.data or "", self.trade.data or "", self.email.data or "",
                                 self.phone.data or "")


@bp.route("/handwerker")
def contractors_list():
    """Handwerker: active firms first, by name."""
    page = pagination.paginate(contractors.staff_contractors(current_user), request.args.get("seite"),
                               current_app.config["PAGE_SIZE"])
    return render("staff/contractors.html", page=page)


def _editor(form, contractor=None, status: int = 200):
    return render("staff/contractor_form.html", status=status, form=form, contractor=contractor)


def _save(form, contractor, save):
    if request.method == "GET":
        return _editor(form, contractor)
    if not form.validate_on_submit():
        return _editor(form, contractor, status=422)
    try:
        saved = save()
    except Rejected as rejected:
        reject(form, rejected)
        return _editor(form, contractor, status=422)
    flash(f"Die Firma „{saved.name}“ ist gespeichert.", "success")
    return redirect_after_post(url_for("staff.contractors_list"))


@bp.route("/handwerker/neu", methods=["GET", "POST"])
def contractor_new():
    form = ContractorForm()
    offer_cooperatives(form)
    return _save(form, None, lambda: contractors.create(current_user._get_current_object(), chosen_cooperative(form),
                                                        form.draft()))


def _contractor(contractor_id: int):
    return or_404(contractors.contractor_of(current_user, contractor_id))


@bp.route("/handwerker/<int:contractor_id>", methods=["GET", "POST"])
def contractor_edit(contractor_id):
    contractor = _contractor(contractor_id)
    form = ContractorForm(name=contractor.name, trade=contractor.trade, email=contractor.email,
                          phone=contractor.phone)
    del form.cooperative
    return _save(form, contractor, lambda: contractors.update(current_user._get_current_object(), contractor,
                                                               form.draft()))


@bp.route("/handwerker/<int:contractor_id>/<any(deaktivieren, aktivieren):change>", methods=["GET", "POST"])
def contractor_active(contractor_id, change):
    """Deaktivieren (no longer offered at the desk; its orders stay) or Aktivieren, asked once more."""
    contractor = _contractor(contractor_id)
    active = change == "aktivieren"
    form = EmptyForm()
    if form.validate_on_submit():
        contractors.set_active(current_user._get_current_object(), contractor, active)
        flash(f"Die Firma „{contractor.name}“ ist {'aktiviert' if active else 'deaktiviert'}.", "success")
        return redirect_after_post(url_for("staff.contractors_list"))
    return render("staff/contractor_active.html", contractor=contractor, form=form, change=change, active=active)
